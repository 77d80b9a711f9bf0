package binary_test

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"testing"

	"github.com/gopolicy/gopolicy/pkg/collect/binary"
)

// Every versioned GLIBC symbol readelf lists as undefined, weak ones such
// as __cxa_finalize@GLIBC_2.2.5 included, is in the binary's facts under
// its version.
func TestGlibcSymbolsAgreeWithReadelf(t *testing.T) {
	readelf, err := exec.LookPath("readelf")
	if err != nil {
		t.Skip("readelf is not installed (Debian: binutils)")
	}
	const bin = "/bin/true"
	if _, err := os.Stat(bin); err != nil {
		t.Skip("no /bin/true on this system")
	}
	out, err := exec.Command(readelf, "--wide", "--dyn-syms", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	b, err := binary.Collect(context.Background(), bin, binary.Options{NoHash: true})
	if err != nil || b.ELF == nil {
		t.Fatalf("collect %s: %v", bin, err)
	}
	have := map[string][]string{}
	for _, v := range b.ELF.GlibcVersions {
		have[v.Version] = v.Symbols
	}
	re := regexp.MustCompile(`(?m)\s(?:GLOBAL|WEAK)\s+\S+\s+UND\s+(\w+)@GLIBC_(\d+(?:\.\d+)+)`)
	matches := re.FindAllStringSubmatch(string(out), -1)
	if len(matches) == 0 {
		t.Skip("readelf lists no versioned GLIBC symbols in " + bin)
	}
	for _, m := range matches {
		if !slices.Contains(have[m[2]], m[1]) {
			t.Errorf("%s@GLIBC_%s (readelf) is missing from the facts: %v", m[1], m[2], have[m[2]])
		}
	}
}
