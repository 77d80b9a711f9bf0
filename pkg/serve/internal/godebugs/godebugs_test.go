package godebugs

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite policies/gopolicy/admission/godebugs/data.json from this Go release")

const dataFile = "../../../../policies/gopolicy/admission/godebugs/data.json"

// TestDataFileIsTheGoTable: the admission policies' GODEBUG table is
// exactly what the Go release in use says (go test -update regenerates
// it after a Go upgrade).
func TestDataFileIsTheGoTable(t *testing.T) {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	want, err := Generate(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(filepath.FromSlash(dataFile), want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(filepath.FromSlash(dataFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is not the table of this Go release: run go test ./pkg/serve/internal/godebugs -update", dataFile)
	}
}

func TestParse(t *testing.T) {
	src := []byte(`package godebugs
var All = []Info{
	{Name: "a", Package: "p", Changed: 22, Old: "1", Opaque: true},
}
var Removed = []RemovedInfo{
	{Name: "gone", Removed: 24},
}`)
	s, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	if s["a"] != (Setting{Package: "p", Changed: 22, Old: "1", Opaque: true}) || s["gone"].Removed != 24 || len(s) != 2 {
		t.Fatalf("got %+v", s)
	}
	if _, err := Parse([]byte("package x\nvar Other = 1")); err == nil {
		t.Fatal("a file without the table parsed")
	}
}
