package runner_test

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/gopolicy/gopolicy/internal/gotest"
	"github.com/gopolicy/gopolicy/pkg/collect/goenv"
	"github.com/gopolicy/gopolicy/pkg/collect/runner"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

func TestOSRelease(t *testing.T) {
	root := t.TempDir()
	gotest.WriteTree(t, root, "-- usr/lib/os-release --\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n")
	d := runner.ReadOSRelease(root)
	if d.ID != "debian" || d.VersionID != "12" || d.PrettyName != "Debian GNU/Linux 12 (bookworm)" {
		t.Fatalf("%+v", d)
	}
}

func TestTripletToGo(t *testing.T) {
	cases := map[string][2]string{
		"x86_64-linux-gnu":      {"linux", "amd64"},
		"aarch64-linux-gnu":     {"linux", "arm64"},
		"x86_64-linux-musl":     {"linux", "amd64"},
		"x86_64-w64-mingw32":    {"windows", "amd64"},
		"arm-linux-gnueabihf":   {"linux", "arm"},
		"arm64-apple-darwin23":  {"darwin", "arm64"},
		"i686-linux-gnu":        {"linux", "386"},
		"powerpc64le-linux-gnu": {"linux", "ppc64le"},
	}
	for triplet, want := range cases {
		goos, goarch := runner.TripletToGo(triplet)
		if goos != want[0] || goarch != want[1] {
			t.Errorf("%s -> %s/%s, want %s/%s", triplet, goos, goarch, want[0], want[1])
		}
	}
}

// TestThisMachine checks the runner facts against what the machine's own
// tools say.
func TestThisMachine(t *testing.T) {
	env := goenv.EnvFromOS()
	r := runner.Collect(context.Background(), runner.Input{Env: env, Resolved: goenv.Resolve(context.Background(), goenv.Input{Env: env})})
	if r.OS != runtime.GOOS || r.Arch != runtime.GOARCH {
		t.Fatalf("platform %s/%s", r.OS, r.Arch)
	}
	if goExe, err := exec.LookPath("go"); err == nil {
		out, _ := exec.Command(goExe, "env", "GOVERSION").Output()
		if !r.Go.Found || r.Go.Version != strings.TrimSpace(string(out)) {
			t.Errorf("go = %+v, go env GOVERSION = %s", r.Go, out)
		}
	}
	if gcc, err := exec.LookPath("gcc"); err == nil {
		out, _ := exec.Command(gcc, "-dumpmachine").Output()
		var found bool
		for _, c := range r.Compilers {
			if c.Role == "gcc" {
				found = c.Found && c.Machine == strings.TrimSpace(string(out)) && c.GOOS == runtime.GOOS
			}
		}
		if !found {
			t.Errorf("gcc not reported: %+v", r.Compilers)
		}
	}
	if runtime.GOOS == "linux" {
		if _, err := os.Stat("/etc/os-release"); err == nil && r.Distro.ID == "" {
			t.Error("os-release not read")
		}
		ldd, err := exec.Command("ldd", "--version").CombinedOutput()
		if err == nil && strings.Contains(string(ldd), "GLIBC") || strings.Contains(string(ldd), "GNU libc") {
			first := strings.SplitN(string(ldd), "\n", 2)[0]
			fields := strings.Fields(first)
			if r.Libc.Flavour != facts.LibcGlibc || r.Libc.Version != fields[len(fields)-1] {
				t.Errorf("libc %+v, ldd says %q", r.Libc, first)
			}
		}
	}
}

func TestMissingCompiler(t *testing.T) {
	env := map[string]string{"PATH": t.TempDir(), "CC": "no-such-cc"}
	r := runner.Collect(context.Background(), runner.Input{Env: env, Resolved: goenv.Resolve(context.Background(), goenv.Input{Env: env})})
	if r.Go.Found {
		t.Error("found go on an empty PATH")
	}
	if len(r.Compilers) == 0 || r.Compilers[0].Role != "CC" || r.Compilers[0].Found {
		t.Errorf("compilers %+v", r.Compilers)
	}
}
