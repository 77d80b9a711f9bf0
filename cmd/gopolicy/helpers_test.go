package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
	"go.yaml.in/yaml/v3"

	"github.com/gopolicy/gopolicy/internal/sariftest"
)

// scriptCommands are the helpers scripts use to prepare inputs that need
// code rather than files: keys, tampered bundles, and format validation.
var scriptCommands = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"genkey":         cmdGenkey,
	"tamper":         cmdTamper,
	"validate-sarif": cmdValidateSARIF,
	"validate-xml":   cmdValidateXML,
	"ci-steps":       cmdCISteps,
	"jsonset":        cmdJSONSet,
	"tamper-json":    cmdTamperJSON,
	"status":         cmdStatus,
	"hostile-tar":    cmdHostileTar,
	"mkfifo":         cmdMkfifo,
	"mksock":         cmdMksock,
	"cutfile":        cmdCutfile,
	"elfbreak":       cmdElfbreak,
}

// ci-steps WORKFLOW DIR writes each shell step of a GitHub Actions
// workflow or a GitLab CI job into DIR as NN.sh, with the job's variables
// as defaults the script's environment may override, and lists them on
// stdout. `go install` of gopolicy is left out: the binary under test is
// already on PATH.
func cmdCISteps(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: ci-steps WORKFLOW DIR")
	}
	var doc map[string]any
	ts.Check(yaml.Unmarshal([]byte(ts.ReadFile(args[0])), &doc))
	type step struct{ name, run string }
	var steps []step
	vars := map[string]string{}
	collectVars := func(m any) {
		vm, _ := m.(map[string]any)
		for k, v := range vm {
			vars[k] = fmt.Sprint(v)
		}
	}
	if jobs, ok := doc["jobs"].(map[string]any); ok { // GitHub Actions
		for _, name := range sortedKeys(jobs) {
			job, _ := jobs[name].(map[string]any)
			collectVars(job["env"])
			list, _ := job["steps"].([]any)
			for _, item := range list {
				st, _ := item.(map[string]any)
				if run, ok := st["run"].(string); ok {
					n, _ := st["name"].(string)
					steps = append(steps, step{n, run})
				}
			}
		}
	} else { // GitLab CI: every mapping with a script is a job
		for _, name := range sortedKeys(doc) {
			job, ok := doc[name].(map[string]any)
			if !ok || job["script"] == nil {
				continue
			}
			collectVars(job["variables"])
			list, _ := job["script"].([]any)
			for _, line := range list {
				steps = append(steps, step{name, fmt.Sprint(line)})
			}
		}
	}
	if len(steps) == 0 {
		ts.Fatalf("%s has no shell steps", args[0])
	}
	dir := ts.MkAbs(args[1])
	ts.Check(os.MkdirAll(dir, 0o755))
	var header strings.Builder
	header.WriteString("set -eo pipefail\n")
	for _, k := range sortedKeys(vars) {
		fmt.Fprintf(&header, ": \"${%s:=%s}\"\nexport %s\n", k, vars[k], k)
	}
	for i, st := range steps {
		file := fmt.Sprintf("%02d.sh", i+1)
		body := st.run
		if strings.HasPrefix(strings.TrimSpace(body), "go install") {
			body = ": go install skipped: gopolicy is on PATH"
			fmt.Fprintf(ts.Stdout(), "%s %s (skipped)\n", file, st.name)
		} else {
			fmt.Fprintf(ts.Stdout(), "%s %s: %s\n", file, st.name, strings.Join(strings.Fields(body), " "))
		}
		ts.Check(os.WriteFile(filepath.Join(dir, file), []byte(header.String()+body+"\n"), 0o755))
	}
}

// jsonset IN OUT POINTER JSON writes IN to OUT with the value at the JSON
// pointer (a top-level key or a path of object keys) replaced by JSON.
func cmdJSONSet(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 4 {
		ts.Fatalf("usage: jsonset IN OUT POINTER JSON")
	}
	var doc map[string]any
	ts.Check(json.Unmarshal([]byte(ts.ReadFile(args[0])), &doc))
	var value any
	ts.Check(json.Unmarshal([]byte(args[3]), &value))
	keys := strings.Split(strings.TrimPrefix(args[2], "/"), "/")
	m := doc
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			ts.Fatalf("%s: no object at %s", args[0], k)
		}
		m = next
	}
	m[keys[len(keys)-1]] = value
	out, err := json.MarshalIndent(doc, "", "  ")
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), out, 0o644))
}

// tamper-json IN OUT flips one character inside the base64 payload of a
// Sigstore bundle's DSSE envelope, leaving its signature as it was.
func cmdTamperJSON(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: tamper-json IN OUT")
	}
	var b map[string]any
	ts.Check(json.Unmarshal([]byte(ts.ReadFile(args[0])), &b))
	env, _ := b["dsseEnvelope"].(map[string]any)
	payload, _ := env["payload"].(string)
	if len(payload) < 40 {
		ts.Fatalf("%s has no DSSE payload", args[0])
	}
	i := len(payload) / 2
	c := byte('A')
	if payload[i] == 'A' {
		c = 'B'
	}
	env["payload"] = payload[:i] + string(c) + payload[i+1:]
	out, err := json.Marshal(b)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), out, 0o644))
}

// genkey rsa|ec|ed25519 PRIVATE PUBLIC writes a fresh PEM key pair.
func cmdGenkey(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: genkey rsa|ec|ed25519 PRIVATE PUBLIC")
	}
	var priv, pub any
	switch args[0] {
	case "rsa":
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		ts.Check(err)
		priv, pub = k, &k.PublicKey
	case "ec":
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		ts.Check(err)
		priv, pub = k, &k.PublicKey
	case "ed25519":
		p, k, err := ed25519.GenerateKey(rand.Reader)
		ts.Check(err)
		priv, pub = k, p
	default:
		ts.Fatalf("unknown key type %q", args[0])
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(priv)
	ts.Check(err)
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}), 0o600))
	ts.Check(os.WriteFile(ts.MkAbs(args[2]), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644))
}

// tamper BUNDLE FILE TEXT appends TEXT to FILE inside a .tar.gz bundle,
// or adds FILE when the bundle has none, leaving everything else (the
// signature included) as it was.
func cmdTamper(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: tamper BUNDLE FILE TEXT")
	}
	path := ts.MkAbs(args[0])
	data, err := os.ReadFile(path)
	ts.Check(err)
	zr, err := gzip.NewReader(bytes.NewReader(data))
	ts.Check(err)
	tr := tar.NewReader(zr)
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	tw := tar.NewWriter(zw)
	found := false
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		ts.Check(err)
		body, err := io.ReadAll(tr)
		ts.Check(err)
		if strings.TrimPrefix(hdr.Name, "/") == strings.TrimPrefix(args[1], "/") {
			body = append(body, []byte(args[2]+"\n")...)
			found = true
		}
		hdr.Size = int64(len(body))
		ts.Check(tw.WriteHeader(hdr))
		_, err = tw.Write(body)
		ts.Check(err)
	}
	if !found {
		body := []byte(args[2] + "\n")
		ts.Check(tw.WriteHeader(&tar.Header{Name: "/" + strings.TrimPrefix(args[1], "/"), Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}))
		_, err := tw.Write(body)
		ts.Check(err)
	}
	ts.Check(tw.Close())
	ts.Check(zw.Close())
	ts.Check(os.WriteFile(path, out.Bytes(), 0o644))
}

// validate-sarif FILE checks a SARIF log (against the schema in CI).
func cmdValidateSARIF(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: validate-sarif FILE")
	}
	// ReadFile also reads the last command's stdout and stderr.
	data := []byte(ts.ReadFile(args[0]))
	err := sariftest.Validate(data)
	if errors.Is(err, sariftest.ErrNoSchema) {
		ts.Logf("%v", err)
		err = nil
	}
	if neg {
		if err == nil {
			ts.Fatalf("%s is valid SARIF", args[0])
		}
		return
	}
	ts.Check(err)
}

// validate-xml FILE checks that a file is well-formed XML.
func cmdValidateXML(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: validate-xml FILE")
	}
	data := []byte(ts.ReadFile(args[0]))
	dec := xml.NewDecoder(bytes.NewReader(data))
	for {
		_, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			ts.Fatalf("%s: %v", args[0], err)
		}
	}
}
