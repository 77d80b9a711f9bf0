package binary_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gopolicy/gopolicy/internal/gotest"
	"github.com/gopolicy/gopolicy/pkg/collect/binary"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

type fixture struct {
	env map[string]string
	src string
	out string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	env := gotest.Env(t)
	src := t.TempDir()
	gotest.WriteTree(t, src, gotest.Stamped)
	return &fixture{env: env, src: src, out: t.TempDir()}
}

func (f *fixture) build(t *testing.T, name string, env map[string]string, flags ...string) facts.Binary {
	t.Helper()
	p := gotest.Build(t, f.env, f.src, filepath.Join(f.out, name), env, flags...)
	b, _ := binary.Collect(context.Background(), p, binary.Options{Stamps: []string{"main.version"}})
	if b.Error != "" {
		t.Fatalf("%s: %s", name, b.Error)
	}
	return b
}

func stamp(b facts.Binary, sym string) facts.Stamp {
	for _, s := range b.Stamps {
		if s.Symbol == sym {
			return s
		}
	}
	return facts.Stamp{}
}

func TestRealBuilds(t *testing.T) {
	f := newFixture(t)

	t.Run("cgo on links glibc", func(t *testing.T) {
		if _, err := exec.LookPath("gcc"); err != nil {
			t.Skip("no gcc")
		}
		b := f.build(t, "cgo", map[string]string{"CGO_ENABLED": "1"}, "-ldflags=-X main.version=1.2.3 -X main.verison=typo -X main.constant=x")
		e := b.ELF
		if b.Format != facts.FormatELF || e.Static || !strings.Contains(e.Interpreter, "ld-linux") || !slices.Contains(e.Needed, "libc.so.6") {
			t.Fatalf("elf %+v", e)
		}
		if e.GlibcMax == "" || len(e.GlibcMaxSymbols) == 0 || e.GNUBuildID == "" || e.GoBuildID == "" {
			t.Errorf("glibc %q %v build ids %q %q", e.GlibcMax, e.GlibcMaxSymbols, e.GNUBuildID, e.GoBuildID)
		}
		if b.Go.CGOEnabled != "1" || len(b.Go.XAssignments) != 3 || b.Go.Main.Path != "example.com/stamped" {
			t.Errorf("go %+v", b.Go)
		}
		if s := stamp(b, "main.version"); s.Status != facts.StampSet || s.Value != "1.2.3" || !s.FromX {
			t.Errorf("main.version %+v", s)
		}
		for _, sym := range []string{"main.verison", "main.constant"} {
			if s := stamp(b, sym); s.Status != facts.StampMissing {
				t.Errorf("%s %+v", sym, s)
			}
		}
		if len(b.SHA256) != 64 || b.Size == 0 || !b.Executable {
			t.Errorf("identity %q %d %v", b.SHA256, b.Size, b.Executable)
		}
	})

	t.Run("cgo off is static", func(t *testing.T) {
		b := f.build(t, "static", map[string]string{"CGO_ENABLED": "0"})
		if !b.ELF.Static || b.ELF.Interpreter != "" || len(b.ELF.Needed) != 0 || b.ELF.PIE {
			t.Fatalf("elf %+v", b.ELF)
		}
		if s := stamp(b, "main.version"); s.Status != facts.StampSet || s.Value != "dev" || s.FromX {
			t.Errorf("configured stamp %+v", s)
		}
	})

	t.Run("cgo off pie has an interpreter but no libraries", func(t *testing.T) {
		b := f.build(t, "pie", map[string]string{"CGO_ENABLED": "0"}, "-buildmode=pie")
		if b.ELF.Static || b.ELF.Interpreter == "" || len(b.ELF.Needed) != 0 || !b.ELF.PIE || b.Go.BuildMode != "pie" {
			t.Fatalf("elf %+v buildmode %s", b.ELF, b.Go.BuildMode)
		}
	})

	t.Run("stripped binary cannot verify stamps", func(t *testing.T) {
		b := f.build(t, "stripped", map[string]string{"CGO_ENABLED": "0"}, "-ldflags=-s -w -X main.version=1.0.0")
		if !b.ELF.Stripped || !b.Go.StripSymbols {
			t.Fatalf("stripped %v %v", b.ELF.Stripped, b.Go.StripSymbols)
		}
		if s := stamp(b, "main.version"); s.Status != facts.StampUnverifiable {
			t.Errorf("stamp %+v", s)
		}
	})

	t.Run("trimpath hides ldflags", func(t *testing.T) {
		b := f.build(t, "trim", map[string]string{"CGO_ENABLED": "0"}, "-trimpath", "-ldflags=-X main.version=2.0.0")
		if !b.Go.Trimpath || b.Go.LDFlagsRecorded || len(b.Go.XAssignments) != 0 {
			t.Fatalf("go %+v", b.Go)
		}
		// The stamp is still read from the data.
		if s := stamp(b, "main.version"); s.Value != "2.0.0" {
			t.Errorf("stamp %+v", s)
		}
	})

	t.Run("windows PE", func(t *testing.T) {
		b := f.build(t, "app.exe", map[string]string{"GOOS": "windows", "GOARCH": "amd64", "CGO_ENABLED": "0"}, "-ldflags=-X main.version=9.9")
		if b.Format != facts.FormatPE || b.PE.GOARCH != "amd64" || !slices.Contains(b.PE.DLLs, "kernel32.dll") || !b.PE.ASLR || !b.PE.NX || b.PE.Subsystem != "windows-console" {
			t.Fatalf("pe %+v", b.PE)
		}
		if b.Go.GOOS != "windows" || stamp(b, "main.version").Value != "9.9" {
			t.Errorf("go %s stamp %+v", b.Go.GOOS, stamp(b, "main.version"))
		}
	})

	t.Run("darwin Mach-O", func(t *testing.T) {
		b := f.build(t, "app-darwin", map[string]string{"GOOS": "darwin", "GOARCH": "arm64", "CGO_ENABLED": "0"}, "-ldflags=-X main.version=3.1")
		m := b.MachO
		if b.Format != facts.FormatMachO || m.GOARCH != "arm64" || !m.PIE || !m.CodeSigned || len(m.Dylibs) == 0 {
			t.Fatalf("macho %+v", m)
		}
		if stamp(b, "main.version").Value != "3.1" || m.Stripped {
			t.Errorf("stamp %+v, stripped %v", stamp(b, "main.version"), m.Stripped)
		}
	})

	// A macOS release build (-s -w) keeps a symbol table of imports only:
	// it is stripped, and its stamps cannot be verified, not "missing".
	t.Run("darwin Mach-O stripped", func(t *testing.T) {
		b := f.build(t, "app-darwin-stripped", map[string]string{"GOOS": "darwin", "GOARCH": "arm64", "CGO_ENABLED": "0"}, "-ldflags=-s -w -X main.version=3.1")
		if !b.MachO.Stripped {
			t.Errorf("a -s -w Mach-O is reported not stripped")
		}
		if st := stamp(b, "main.version"); st.Status != facts.StampUnverifiable {
			t.Errorf("stamp of a stripped Mach-O: %+v, want unverifiable", st)
		}
	})

	t.Run("musl", func(t *testing.T) {
		if _, err := exec.LookPath("musl-gcc"); err != nil {
			t.Skip("no musl-gcc (Debian package musl-tools)")
		}
		b := f.build(t, "musl", map[string]string{"CGO_ENABLED": "1", "CC": "musl-gcc"}, "-ldflags=-linkmode=external")
		if !strings.Contains(b.ELF.Interpreter, "ld-musl") || b.ELF.GlibcMax != "" {
			t.Fatalf("elf %+v", b.ELF)
		}
	})
}

func TestVCS(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("no git")
	}
	f := newFixture(t)
	run := func(args ...string) {
		cmd := exec.Command(git, args...)
		cmd.Dir = f.src
		cmd.Env = append(gotest.List(f.env), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	run("init", "-q")
	run("add", ".")
	run("commit", "-qm", "initial")
	clean := f.build(t, "clean", map[string]string{"CGO_ENABLED": "0"})
	if clean.Go.VCS != "git" || clean.Go.VCSModified != "false" || len(clean.Go.VCSRevision) != 40 {
		t.Fatalf("clean: %+v", clean.Go)
	}
	os.WriteFile(filepath.Join(f.src, "main.go"), []byte("package main\n\nvar version = \"dev\"\n\nfunc main() { println(version) }\n"), 0o644)
	dirty := f.build(t, "dirty", map[string]string{"CGO_ENABLED": "0"})
	if dirty.Go.VCSModified != "true" {
		t.Fatalf("dirty: %+v", dirty.Go)
	}
	nostamp := f.build(t, "nostamp", map[string]string{"CGO_ENABLED": "0"}, "-buildvcs=false")
	if nostamp.Go.VCS != "" {
		t.Fatalf("-buildvcs=false: %+v", nostamp.Go)
	}
}

func TestNonGoAndBrokenFiles(t *testing.T) {
	dir := t.TempDir()
	f := newFixture(t)
	good := gotest.Build(t, f.env, f.src, filepath.Join(dir, "good"), map[string]string{"CGO_ENABLED": "0"})
	data, _ := os.ReadFile(good)
	os.WriteFile(filepath.Join(dir, "truncated"), data[:4096], 0o755)
	os.WriteFile(filepath.Join(dir, "README"), []byte("not a binary\n"), 0o644)
	// A directory stands for its executables: the README is not one.
	files, err := binary.Expand([]string{dir})
	if err != nil || len(files) != 2 {
		t.Fatalf("expand: %v %v", files, err)
	}
	byName := map[string]facts.Binary{}
	for _, p := range append(files, filepath.Join(dir, "README")) {
		byName[filepath.Base(p)], _ = binary.Collect(context.Background(), p, binary.Options{})
	}
	if b := byName["truncated"]; b.Error == "" || b.Format != facts.FormatELF || b.Kind != facts.KindExecutable {
		t.Errorf("truncated: %+v", b)
	}
	if b := byName["README"]; b.Format != facts.FormatUnknown || b.Executable || b.Kind != facts.KindNotExecutable || !strings.Contains(b.Error, "not an ELF, PE or Mach-O") {
		t.Errorf("README: %+v", b)
	}
	if ls, err := exec.LookPath("ls"); err == nil {
		b, _ := binary.Collect(context.Background(), ls, binary.Options{NoHash: true})
		if b.Go == nil || b.Go.IsGo || b.Go.Error == "" || b.SHA256 != "" || b.ELF == nil {
			t.Errorf("ls: %+v", b)
		}
	}
	if _, err := binary.Expand([]string{filepath.Join(dir, "nope")}); err == nil {
		t.Error("missing path accepted")
	}
}

func TestParseLDFlags(t *testing.T) {
	xs, s, w := binary.ParseLDFlags(`-s -X main.version=1.2.3 -X 'main.name=a b' --X=main.c=d`)
	if !s || !w || len(xs) != 3 || xs[1].Value != "a b" || xs[2].Symbol != "main.c" {
		t.Fatalf("%v %v %+v", s, w, xs)
	}
}

// On PE and Mach-O, which record no symbol sizes, a stamp aimed at a
// variable that is not a string is reported as such, not read as one.
func TestNonStringStampWithoutSymbolSizes(t *testing.T) {
	env := gotest.Env(t)
	dir := t.TempDir()
	gotest.WriteTree(t, dir, "-- go.mod --\nmodule example.com/nx\n\ngo 1.22\n-- main.go --\npackage main\n\nvar n int = 5\nvar m int = 3\nvar s = \"a\"\n\nfunc main() { println(n, m, s) }\n")
	for _, target := range []map[string]string{
		{"GOOS": "windows", "GOARCH": "amd64", "CGO_ENABLED": "0"},
		{"GOOS": "darwin", "GOARCH": "arm64", "CGO_ENABLED": "0"},
	} {
		t.Run(target["GOOS"], func(t *testing.T) {
			bin := gotest.Build(t, env, dir, filepath.Join(t.TempDir(), "nx"), target)
			b, err := binary.Collect(context.Background(), bin, binary.Options{NoHash: true, Stamps: []string{"main.n", "main.s"}})
			if err != nil {
				t.Fatal(err)
			}
			if st := stamp(b, "main.n"); st.Status != facts.StampNotString {
				t.Errorf("main.n (an int): %+v, want not-string", st)
			}
			if st := stamp(b, "main.s"); st.Status != facts.StampSet || st.Value != "a" {
				t.Errorf("main.s: %+v, want set to a", st)
			}
		})
	}
}
