package serve

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gopolicy/gopolicy/internal/ocitest"
	"github.com/gopolicy/gopolicy/pkg/facts"
	"github.com/gopolicy/gopolicy/pkg/facts/check"
)

// TestAdmissionSectionIsFacts checks that what the server knows of a
// workload is a valid admission section of the facts contract, and that
// a refusal is logged with it.
func TestAdmissionSectionIsFacts(t *testing.T) {
	k := newKeys(t)
	var logs bytes.Buffer
	s := newServer(t, k, "prod", func(o *Options) {
		o.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	})
	host := ocitest.Registry(t)
	img := ocitest.PushImage(t, host, "adm/app", "v1").String()
	body := review("u-1", "shop", false,
		container("web", img, map[string]string{"GOMAXPROCS": "64", "GODEBUG": "x509sha1=1", "HOME": "/root"}, map[string]string{"cpu": "500m", "memory": "256Mi"}))
	out := validate(t, s, body)
	if out.Response.Allowed {
		t.Fatalf("an unattested image with GOMAXPROCS above its limit was allowed in prod")
	}

	var line struct {
		Msg       string           `json:"msg"`
		Admission *facts.Admission `json:"admission"`
	}
	if err := json.Unmarshal(logs.Bytes()[bytes.LastIndexByte(logs.Bytes()[:logs.Len()-1], '\n')+1:], &line); err != nil || line.Msg != "denied" || line.Admission == nil {
		t.Fatalf("no denial logged with its admission section (%v):\n%s", err, logs.String())
	}
	a := line.Admission
	c := a.Containers[0]
	got := strings.Join([]string{a.Operation, a.Namespace, a.Kind, c.Name, c.Image, c.Env["GOMAXPROCS"], c.Env["GODEBUG"]}, "|")
	if want := "CREATE|shop|Pod|web|" + img + "|64|x509sha1=1"; got != want {
		t.Errorf("admission section %s, want %s", got, want)
	}
	if _, ok := c.Env["HOME"]; ok {
		t.Error("a variable that is not a Go runtime setting entered the section")
	}
	if c.GOMAXPROCS != 64 || c.CPULimitMillis != 500 || c.MemoryLimitBytes != 256<<20 || c.GOMEMLIMITBytes != -1 {
		t.Errorf("parsed settings: %+v", c)
	}

	// The section is part of the facts contract: a document holding it
	// passes the schema check, and a wrongly typed one does not.
	doc := facts.Document{
		Schema: facts.SchemaVersion, Now: time.Now().UTC(), Tool: facts.Tool{Name: "gopolicy", Version: "0.5.0"},
		Collectors: map[string]facts.CollectorStatus{}, Admission: a,
	}
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := check.Document(data); err != nil {
		t.Fatalf("admission section refused by the facts contract: %v", err)
	}
	bad := bytes.Replace(data, []byte(`"gomaxprocs":64`), []byte(`"gomaxprocs":"64"`), 1)
	if _, err := check.Document(bad); err == nil || !strings.Contains(err.Error(), "/admission/containers/0/gomaxprocs") {
		t.Errorf("a string GOMAXPROCS passed the contract: %v", err)
	}
}
