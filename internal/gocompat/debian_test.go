package gocompat_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopolicy/gopolicy/pkg/gopolicy"
)

// TestDebianBinaries judges real Go executables from Debian packages
// (scripts/debian-go-binaries.sh DIR; GOPOLICY_DEBIAN_BINARIES=DIR):
// each is read as a Go binary with its toolchain version and
// dependencies, never as a file gopolicy cannot analyse.
func TestDebianBinaries(t *testing.T) {
	dir := os.Getenv("GOPOLICY_DEBIAN_BINARIES")
	if dir == "" {
		t.Skip("GOPOLICY_DEBIAN_BINARIES is not set (scripts/debian-go-binaries.sh DIR makes the binaries)")
	}
	data, err := os.ReadFile(filepath.Join(dir, "MANIFEST"))
	if err != nil {
		t.Fatal(err)
	}
	var bins []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if f := strings.Split(line, "\t"); len(f) == 4 {
			bins = append(bins, filepath.Join(dir, f[2]))
		}
	}
	if len(bins) == 0 {
		t.Fatal("MANIFEST lists no binaries")
	}
	ctx := context.Background()
	p, err := gopolicy.New(ctx, gopolicy.Config{Profile: "prod", NoGoCommand: true, NoHash: true})
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Judge(ctx, gopolicy.Subject{Binaries: bins})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Binaries []struct {
			Path string `json:"path"`
			Go   struct {
				IsGo      bool   `json:"is_go"`
				GoVersion string `json:"go_version_base"`
				Deps      []any  `json:"deps"`
			} `json:"go"`
		} `json:"binaries"`
	}
	if err := json.Unmarshal(res.Facts, &doc); err != nil {
		t.Fatal(err)
	}
	for _, b := range doc.Binaries {
		if !b.Go.IsGo || !strings.HasPrefix(b.Go.GoVersion, "go1.") {
			t.Errorf("%s: is_go=%v go_version=%q", b.Path, b.Go.IsGo, b.Go.GoVersion)
		}
	}
	for _, f := range res.Decision.Findings {
		if f.Policy == "GP-BIN-014" && f.Level != "pass" {
			t.Errorf("%s: %s", f.Policy, f.Message)
		}
	}
}
