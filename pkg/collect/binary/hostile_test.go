package binary_test

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gopolicy/gopolicy/internal/gotest"
	"github.com/gopolicy/gopolicy/internal/safeio"
	collectbinary "github.com/gopolicy/gopolicy/pkg/collect/binary"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

type result struct {
	b   facts.Binary
	err error
}

func collectWithin(t *testing.T, ctx context.Context, p string, opts collectbinary.Options) result {
	t.Helper()
	return gotest.Within(t, 10*time.Second, func() result {
		b, err := collectbinary.Collect(ctx, p, opts)
		return result{b, err}
	})
}

// specials makes a named pipe, a socket, and links to a character device
// in dir, and returns them with what each must be described as.
func specials(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o755); err == nil {
		out["fifo"] = "a named pipe (FIFO)"
	}
	// Unix socket paths are short; listen from inside dir.
	wd, _ := os.Getwd()
	if os.Chdir(dir) == nil {
		if l, err := net.Listen("unix", "sock"); err == nil {
			l.(*net.UnixListener).SetUnlinkOnClose(false)
			l.Close()
			out["sock"] = "a socket"
		}
		os.Chdir(wd)
	}
	if _, err := os.Stat("/dev/zero"); err == nil {
		os.Symlink("/dev/zero", filepath.Join(dir, "zero-link"))
		out["zero-link"] = "a character device"
	}
	if len(out) == 0 {
		t.Skip("cannot make special files here")
	}
	return out
}

// TestSpecialFilesNeverHang: --binary of a FIFO (which blocks a plain
// open), a socket, or /dev/zero (which hashes forever) is refused with a
// one-line error naming what it is; in a directory scan each becomes a
// fact saying what it is, and the scan goes on.
func TestSpecialFilesNeverHang(t *testing.T) {
	dir := t.TempDir()
	kinds := specials(t, dir)
	if _, err := os.Stat("/dev/zero"); err == nil {
		kinds["/dev/zero"] = "a character device"
	}
	for name, what := range kinds {
		p := name
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, name)
		}
		t.Run("named "+name, func(t *testing.T) {
			err := gotest.Within(t, 10*time.Second, func() error {
				_, err := collectbinary.Expand([]string{p})
				return err
			})
			want := "binary " + p + ": is " + what + ", not a regular file"
			if err == nil || err.Error() != want {
				t.Fatalf("Expand: %v, want %q", err, want)
			}
		})
		t.Run("collected "+name, func(t *testing.T) {
			r := collectWithin(t, context.Background(), p, collectbinary.Options{})
			if r.err != nil {
				t.Fatalf("a special file is a fact, not a read error: %v", r.err)
			}
			if r.b.Kind != facts.KindSpecial || r.b.FileType != what || !strings.Contains(r.b.Error, what) || r.b.SHA256 != "" {
				t.Fatalf("%+v", r.b)
			}
		})
	}

	t.Run("directory scan", func(t *testing.T) {
		os.WriteFile(filepath.Join(dir, "app"), []byte("\x7fELF not really"), 0o755)
		os.WriteFile(filepath.Join(dir, "README"), []byte("read me\n"), 0o644)
		files := gotest.Within(t, 10*time.Second, func() []string {
			files, err := collectbinary.Expand([]string{dir})
			if err != nil {
				t.Error(err)
			}
			return files
		})
		for name := range kinds {
			if !filepath.IsAbs(name) && !slices.Contains(files, filepath.Join(dir, name)) {
				t.Errorf("%s left out of the scan: %v", name, files)
			}
		}
		if slices.Contains(files, filepath.Join(dir, "README")) || !slices.Contains(files, filepath.Join(dir, "app")) {
			t.Errorf("scan %v", files)
		}
		for _, f := range files {
			if r := collectWithin(t, context.Background(), f, collectbinary.Options{}); r.err != nil {
				t.Errorf("%s: %v", f, r.err)
			}
		}
	})
}

// TestBinarySizeLimit: a file over LimitsFrom(ctx).Binary is neither
// hashed nor parsed; the fact says why.
func TestBinarySizeLimit(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big")
	os.WriteFile(p, append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 4096)...), 0o755)
	ctx := safeio.WithLimits(context.Background(), safeio.Limits{Binary: 1024})
	r := collectWithin(t, ctx, p, collectbinary.Options{})
	if r.err != nil || r.b.SHA256 != "" || r.b.Kind != facts.KindExecutable || r.b.Format != facts.FormatELF || !strings.Contains(r.b.Error, "larger than the 1 KiB limit") {
		t.Fatalf("%+v %v", r.b, r.err)
	}
}

func TestClassify(t *testing.T) {
	const exec, plain = fs.FileMode(0o755), fs.FileMode(0o644)
	cases := []struct {
		header string
		mode   fs.FileMode
		want   string
	}{
		{"\x7fELF\x02\x01\x01", plain, facts.KindExecutable},
		{"\x7fELF", exec, facts.KindExecutable},
		{"MZ\x90\x00", plain, facts.KindExecutable},
		{"\xcf\xfa\xed\xfe", plain, facts.KindExecutable},
		{"\xca\xfe\xba\xbe\x00\x00\x00\x02", plain, facts.KindExecutable},
		{"\xca\xfe\xba\xbe\x00\x00\x00\x34", plain, facts.KindNotExecutable}, // a Java class file
		{"#!/bin/sh\necho hi\n", exec, facts.KindScript},
		{"#!/bin/sh\necho hi\n", plain, facts.KindNotExecutable},
		{"\x00asm\x01\x00\x00\x00", exec, facts.KindOtherExecutable},
		{"\x00asm\x01\x00\x00\x00", plain, facts.KindNotExecutable},
		{"# README\n", exec, facts.KindNotExecutable},
		{"", exec, facts.KindNotExecutable},
		{"\x7fELF", fs.ModeNamedPipe | exec, facts.KindSpecial},
		{"", fs.ModeDevice | fs.ModeCharDevice, facts.KindSpecial},
	}
	for _, c := range cases {
		if got := collectbinary.Classify([]byte(c.header), c.mode); got != c.want {
			t.Errorf("Classify(%q, %v) = %s, want %s", c.header, c.mode, got, c.want)
		}
	}
}

// patch sets a little-endian header field of size bytes at off.
func patch(data []byte, off int, size int, v uint64) []byte {
	out := slices.Clone(data)
	switch size {
	case 2:
		binary.LittleEndian.PutUint16(out[off:], uint16(v))
	case 8:
		binary.LittleEndian.PutUint64(out[off:], v)
	}
	return out
}

// TestUnreadableSectionTable: a binary whose section table is past the end
// of the file, or whose section name table index is bad, still runs (the
// loader reads only program headers). It is recorded as an error, and
// what the program headers give is read as readelf -l does: interpreter,
// needed libraries, GLIBC versions, and the Go build information.
func TestUnreadableSectionTable(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("no gcc")
	}
	f := newFixture(t)
	p := gotest.Build(t, f.env, f.src, filepath.Join(f.out, "cgo"), map[string]string{"CGO_ENABLED": "1"}, "-ldflags=-X main.version=1.2.3")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	ef, err := elf.NewFile(bytes.NewReader(data))
	if err != nil || ef.Class != elf.ELFCLASS64 || ef.ByteOrder != binary.LittleEndian {
		t.Skip("needs a 64-bit little-endian host")
	}
	good, _ := collectbinary.Collect(context.Background(), p, collectbinary.Options{NoHash: true})
	if good.Error != "" || len(good.ELF.Needed) == 0 {
		t.Fatalf("intact binary: %+v", good)
	}
	versions := func(b facts.Binary) []string {
		var out []string
		for _, v := range b.ELF.GlibcVersions {
			out = append(out, v.Version)
		}
		return out
	}
	cases := map[string]struct {
		data    []byte
		wantErr bool
	}{
		"section table past EOF": {patch(data, 0x28, 8, uint64(len(data))+4096), true},
		"bad shstrndx":           {patch(data, 0x3e, 2, 0xfff0), true},
		"section table removed":  {patch(patch(patch(data, 0x28, 8, 0), 0x3c, 2, 0), 0x3e, 2, 0), false},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			bad := filepath.Join(t.TempDir(), "bad")
			os.WriteFile(bad, c.data, 0o755)
			r := collectWithin(t, context.Background(), bad, collectbinary.Options{NoHash: true})
			b := r.b
			if r.err != nil || (b.Error != "") != c.wantErr {
				t.Fatalf("error %q %v", b.Error, r.err)
			}
			if b.ELF == nil {
				t.Fatalf("nothing read from the program headers: %+v", b)
			}
			e := b.ELF
			if e.SectionTableError == "" || e.Interpreter != good.ELF.Interpreter || !slices.Equal(e.Needed, good.ELF.Needed) || e.Static {
				t.Errorf("elf %+v, want interpreter %s needed %v", e, good.ELF.Interpreter, good.ELF.Needed)
			}
			if !slices.Equal(versions(b), versions(good)) || e.GlibcMax != good.ELF.GlibcMax {
				t.Errorf("glibc versions %v (max %s), want %v (max %s)", versions(b), e.GlibcMax, versions(good), good.ELF.GlibcMax)
			}
			if e.NX != good.ELF.NX || e.RELRO != good.ELF.RELRO || e.PIE != good.ELF.PIE {
				t.Errorf("hardening nx %v relro %s pie %v, want %v %s %v", e.NX, e.RELRO, e.PIE, good.ELF.NX, good.ELF.RELRO, good.ELF.PIE)
			}
			if b.Go == nil || !b.Go.IsGo || b.Go.Main == nil || len(b.Go.XAssignments) != 1 {
				t.Errorf("go build info not read: %+v", b.Go)
			}
		})
	}
}

// TestSecretsAreRedactedAtCollection: -X values that look like
// credentials never reach the facts: not in x_assignments, not in the
// -ldflags string or build settings, not in the stamps read back.
func TestSecretsAreRedactedAtCollection(t *testing.T) {
	const token = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
	const password = "hunter2-but-longer"
	f := newFixture(t)
	p := gotest.Build(t, f.env, f.src, filepath.Join(f.out, "app"), map[string]string{"CGO_ENABLED": "0"},
		"-ldflags=-X main.version="+token+" -X 'main.dbPassword="+password+"' -X=main.dsn=postgres://app:"+password+"@db/app -X main.plain=1.2.3")
	b, err := collectbinary.Collect(context.Background(), p, collectbinary.Options{Stamps: []string{"main.version"}})
	if err != nil || b.Error != "" {
		t.Fatal(err, b.Error)
	}
	doc, _ := json.Marshal(b)
	for _, secret := range []string{token, password, "abcdefghijklmnop"} {
		if bytes.Contains(doc, []byte(secret)) {
			t.Errorf("the facts hold %q:\n%s", secret, doc)
		}
	}
	byName := map[string]facts.XAssignment{}
	for _, x := range b.Go.XAssignments {
		byName[x.Symbol] = x
	}
	if x := byName["main.version"]; x.Value != facts.Redact(token) || x.Hint != "ghp" {
		t.Errorf("main.version %+v", x)
	}
	if x := byName["main.dbPassword"]; x.Value != facts.Redact(password) || x.Hint != "" {
		t.Errorf("main.dbPassword %+v", x)
	}
	if x := byName["main.dsn"]; x.Hint != "pos" {
		t.Errorf("main.dsn %+v", x)
	}
	if x := byName["main.plain"]; x.Value != "1.2.3" {
		t.Errorf("main.plain %+v", x)
	}
	// The rewritten -ldflags still parses to the same assignments.
	again, _, _ := collectbinary.ParseLDFlags(b.Go.LDFlags)
	for i, x := range again {
		x.Hint = b.Go.XAssignments[i].Hint
		if x != b.Go.XAssignments[i] {
			t.Errorf("reparsed %+v, want %+v (from %s)", x, b.Go.XAssignments[i], b.Go.LDFlags)
		}
	}
	s := stamp(b, "main.version")
	if s.Status != facts.StampSet || s.Value != facts.Redact(token) || s.Expected != facts.Redact(token) {
		t.Errorf("stamp %+v", s)
	}
}

func TestRedactLDFlags(t *testing.T) {
	cases := []struct{ in, want string }{
		{`-s -w -X main.version=1.2.3`, `-s -w -X main.version=1.2.3`},
		{`-X main.apiToken=abc`, `-X 'main.apiToken=[redacted: 3 characters]'`},
		{`-X 'main.apiToken=a b c' -s`, `-X 'main.apiToken=[redacted: 5 characters]' -s`},
		{`--X=main.secret=xyz -w`, `'--X=main.secret=[redacted: 3 characters]' -w`},
		{`-X "main.k=AKIAABCDEFGHIJKLMNOP"`, `-X 'main.k=[redacted: 20 characters]'`},
		{`-X main.token=x 'unterminated`, `[redacted: 29 characters]`},
		{`-X main.version=1 'unterminated`, `-X main.version=1 'unterminated`},
	}
	for in, hint := range map[string]string{
		"-X main.k=AKIAABCDEFGHIJKLMNOP":       "AKI",
		"-X main.k=mypassAKIAABCDEFGHIJKLMNOP": "",
		"-X main.apiToken=s3cr3t-value":        "",
	} {
		if _, xs, _, _ := collectbinary.RedactLDFlags(in); len(xs) != 1 || xs[0].Hint != hint {
			t.Errorf("RedactLDFlags(%s): %+v, want hint %q", in, xs, hint)
		}
	}
	for _, c := range cases {
		got, xs, _, _ := collectbinary.RedactLDFlags(c.in)
		if got != c.want {
			t.Errorf("RedactLDFlags(%s) = %s, want %s", c.in, got, c.want)
		}
		if _, whole := facts.Redacted(got); whole {
			continue
		}
		again, _, _ := collectbinary.ParseLDFlags(got)
		if len(again) != len(xs) {
			t.Errorf("%s: reparsed %v, want %v", got, again, xs)
		}
	}
}

// TestDetectorMatchesPolicyDefaults: the collection-time detector uses
// the same defaults as the built-in policy data.
func TestDetectorMatchesPolicyDefaults(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "policies", "gopolicy", "config", "data.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Name   string   `json:"credential_name_pattern"`
		Values []string `json:"credential_value_patterns"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Name != collectbinary.CredentialNamePattern || !slices.Equal(cfg.Values, collectbinary.CredentialValuePatterns) {
		t.Fatalf("policy data %q %q\ncollector   %q %q", cfg.Name, cfg.Values, collectbinary.CredentialNamePattern, collectbinary.CredentialValuePatterns)
	}
}

// TestFuzzTargetSeesPanics: Analyse turns a parser panic into a fact for
// production; the fuzz target calls the inner function, which must not.
func TestFuzzTargetSeesPanics(t *testing.T) {
	var b facts.Binary
	collectbinary.Analyse(panicReader{}, &b, collectbinary.Options{})
	if !strings.Contains(b.Error, "the parser failed") {
		t.Fatalf("Analyse: %+v", b)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("AnalyseNoRecover swallowed a panic: the fuzzer would not see it")
		}
	}()
	collectbinary.AnalyseNoRecover(panicReader{}, &b, collectbinary.Options{})
}

type panicReader struct{}

func (panicReader) ReadAt([]byte, int64) (int, error) { panic(errors.New("boom")) }
