//go:build unix

package eval

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gopolicy/gopolicy/pkg/eval/bundletest"
)

// fuzzLimits keep each input cheap; the checks are the same as with the
// defaults.
var fuzzLimits = Limits{MaxArchiveBytes: 1 << 20, MaxFileBytes: 64 << 10, MaxTotalBytes: 256 << 10, MaxEntries: 64, MaxPathLength: 128}

const fuzzPolicy = `# METADATA
# title: t
# custom:
#   id: F-1
#   version: 1.0.0
#   severity: low
#   remediation: r
package f

violation contains {"msg": "m"} if input.x
`

// checkTree holds what a successful read promises OPA: clean, unique
// paths inside the bundle and sizes within the caps.
func checkTree(t *testing.T, tree *bundleTree, l Limits) {
	t.Helper()
	seen := map[string]bool{}
	var total int64
	for _, f := range tree.files {
		if !fs.ValidPath(f.name) || f.name == "." || strings.Contains(f.name, `\`) {
			t.Fatalf("unclean path %q accepted", f.name)
		}
		if seen[f.name] {
			t.Fatalf("duplicate path %q accepted", f.name)
		}
		seen[f.name] = true
		if int64(len(f.data)) > l.MaxFileBytes {
			t.Fatalf("%q: %d bytes accepted over the cap", f.name, len(f.data))
		}
		total += int64(len(f.data))
	}
	if total > l.MaxTotalBytes || len(tree.files) > l.MaxEntries {
		t.Fatalf("%d files, %d bytes accepted over the caps", len(tree.files), total)
	}
}

func checkLoadErr(t *testing.T, err error) {
	t.Helper()
	if errors.Is(err, errReaderPanic) {
		t.Fatalf("OPA's reader panicked (the bundle was refused, not the process killed): %v", err)
	}
}

// FuzzLoadTarball reads arbitrary bytes as a .tar.gz bundle: no panic,
// no hang, nothing over the caps, and what is accepted goes on to OPA.
func FuzzLoadTarball(f *testing.F) {
	for _, kind := range bundletest.Kinds() {
		if data, err := bundletest.Tarball(kind); err == nil && len(data) < 64<<10 {
			f.Add(data)
		}
	}
	dir := f.TempDir()
	os.MkdirAll(filepath.Join(dir, "f"), 0o755)
	os.WriteFile(filepath.Join(dir, ".manifest"), []byte(`{"revision": "1", "roots": ["f"]}`), 0o644)
	os.WriteFile(filepath.Join(dir, "f", "p.rego"), []byte(fuzzPolicy), 0o644)
	os.WriteFile(filepath.Join(dir, "f", "data.json"), []byte(`{"a": [1, 2]}`), 0o644)
	var b bytes.Buffer
	if _, err := BuildBundle(dir, &b, BuildOptions{Revision: "1", SigningKey: fuzzKey(f).priv}); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Add([]byte{0x1f, 0x8b})
	f.Add([]byte("package p\n"))
	work := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(work, "b.tar.gz")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Skip(err)
		}
		fh, err := os.Open(path)
		if err != nil {
			t.Skip(err)
		}
		tree, _, err := readTarball(fh, fuzzLimits)
		fh.Close()
		if err != nil {
			return
		}
		checkTree(t, tree, fuzzLimits)
		_, err = loadBundle(Source{Path: path}, true, fuzzLimits)
		checkLoadErr(t, err)
		_, err = loadBundle(Source{Path: path, Key: fuzzKey(t).pub}, true, fuzzLimits)
		checkLoadErr(t, err)
	})
}

// FuzzLoadDirectory writes a txtar-like archive into a directory and reads it
// as a bundle. A name ending in "@fifo" becomes a named pipe, one ending
// in "@link" a symbolic link to its content: both must be refused, never
// read (a FIFO would block, a link to /dev/zero stream for ever).
func FuzzLoadDirectory(f *testing.F) {
	f.Add([]byte("-- .manifest --\n{\"roots\": [\"f\"]}\n-- f/p.rego --\n" + fuzzPolicy))
	f.Add([]byte("-- f/p.rego --\n" + fuzzPolicy + "-- f/data.json@link --\n/dev/zero\n"))
	f.Add([]byte("-- f/p.rego --\n" + fuzzPolicy + "-- f/pipe.json@fifo --\n"))
	f.Add([]byte("-- .signatures.json --\n{\"signatures\": [\"a.b.c\"]}\n-- f/p.rego --\npackage f\n"))
	f.Add([]byte("-- a/b/c/d/e/f/g/data.json --\n{\"x\": 1}\n-- data.yaml --\na: &a [*a]\n"))
	f.Fuzz(func(t *testing.T, archive []byte) {
		files := splitArchive(archive)
		if len(files) > 32 {
			t.Skip()
		}
		dir := t.TempDir()
		special := false
		for _, file := range files {
			name, kind, _ := strings.Cut(file.name, "@")
			if !filepath.IsLocal(name) || strings.ContainsAny(name, "\x00") || len(name) > 200 {
				continue
			}
			// Never write through a link made by an earlier entry: the
			// fuzzer may link "d" to /etc and then write "d/x".
			if !insideWithoutLinks(dir, name) {
				continue
			}
			p := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				continue
			}
			if _, err := os.Lstat(p); err == nil {
				continue
			}
			var err error
			switch kind {
			case "fifo":
				err = syscall.Mkfifo(p, 0o644)
				special = special || err == nil
			case "link":
				err = os.Symlink(strings.TrimSpace(string(file.data)), p)
				special = special || err == nil
			default:
				err = os.WriteFile(p, file.data, 0o644)
			}
			_ = err
		}
		tree, err := readDir(dir, fuzzLimits)
		if err != nil {
			return
		}
		if special {
			t.Fatal("a FIFO or symbolic link was accepted")
		}
		checkTree(t, tree, fuzzLimits)
		_, err = loadBundle(Source{Path: dir}, true, fuzzLimits)
		checkLoadErr(t, err)
	})
}

// splitArchive reads a txtar-like archive: a line "-- NAME --" starts
// a file. (Its own parser: go-internal's txtar panics on "-- --".)
func splitArchive(data []byte) []bundleFile {
	var files []bundleFile
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		l := strings.TrimSuffix(string(line), "\n")
		if len(l) >= 7 && strings.HasPrefix(l, "-- ") && strings.HasSuffix(l, " --") {
			files = append(files, bundleFile{name: strings.TrimSpace(l[3 : len(l)-3])})
			continue
		}
		if len(files) > 0 {
			files[len(files)-1].data = append(files[len(files)-1].data, line...)
		}
	}
	return files
}

// insideWithoutLinks reports whether no existing element of name under
// dir is a symbolic link.
func insideWithoutLinks(dir, name string) bool {
	p := dir
	for _, el := range strings.Split(filepath.ToSlash(name), "/") {
		p = filepath.Join(p, el)
		fi, err := os.Lstat(p)
		if err != nil {
			return true
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return false
		}
	}
	return true
}

type fuzzKeyPair struct {
	priv []byte
	pub  *PublicKey
}

var fuzzKeyCache *fuzzKeyPair

// fuzzKey is a fixed Ed25519 key, so a signature found by the fuzzer
// stays valid as a regression seed.
func fuzzKey(t testing.TB) fuzzKeyPair {
	if fuzzKeyCache != nil {
		return *fuzzKeyCache
	}
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	privDER, _ := x509.MarshalPKCS8PrivateKey(priv)
	pubDER, _ := x509.MarshalPKIXPublicKey(priv.Public())
	pub, err := ParsePublicKey(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	if err != nil {
		t.Fatal(err)
	}
	fuzzKeyCache = &fuzzKeyPair{priv: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}), pub: pub}
	return *fuzzKeyCache
}

// signedTree is a signed bundle, unpacked in memory.
func signedTree(t testing.TB) (*bundleTree, []byte) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "f"), 0o755)
	os.WriteFile(filepath.Join(dir, ".manifest"), []byte(`{"revision": "1", "roots": ["f"]}`), 0o644)
	os.WriteFile(filepath.Join(dir, "f", "p.rego"), []byte(fuzzPolicy), 0o644)
	var b bytes.Buffer
	if _, err := BuildBundle(dir, &b, BuildOptions{Revision: "1", SigningKey: fuzzKey(t).priv}); err != nil {
		t.Fatal(err)
	}
	tree, err := readTarStream(&b, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range tree.files {
		if f.name == ".signatures.json" {
			return tree, f.data
		}
	}
	t.Fatal("no .signatures.json")
	return nil, nil
}

// FuzzVerifySignatures replaces a signed bundle's .signatures.json (and
// perhaps its policy) with fuzzed content: no panic, and nothing
// verifies unless it carries the genuine signature over the genuine
// policy.
func FuzzVerifySignatures(f *testing.F) {
	tree, genuine := signedTree(f)
	var policy []byte
	for _, file := range tree.files {
		if file.name == "f/p.rego" {
			policy = file.data
		}
	}
	f.Add(genuine, policy)
	f.Add(genuine, append(bytes.Clone(policy), '\n'))
	f.Add([]byte(`{"signatures": []}`), policy)
	f.Add([]byte(`{"signatures": ["e30.e30.e30"]}`), policy)
	f.Add([]byte(`{"signatures": ["eyJhbGciOiJub25lIn0.eyJmaWxlcyI6W119."]}`), policy)
	f.Add([]byte(`{"signatures": ["`+strings.Repeat("a", 4096)+`"], "plugin": "x"}`), policy)
	var want struct{ Signatures []string }
	json.Unmarshal(genuine, &want)
	f.Fuzz(func(t *testing.T, sig, rego []byte) {
		files := make([]bundleFile, 0, len(tree.files))
		for _, file := range tree.files {
			switch file.name {
			case ".signatures.json":
				file.data = sig
			case "f/p.rego":
				file.data = rego
			}
			files = append(files, file)
		}
		_, err := parseBundle(Source{Path: "fuzz", Key: fuzzKey(t).pub}, &bundleTree{files: files}, nil, fuzzLimits, "", "fuzz")
		checkLoadErr(t, err)
		if err != nil {
			return
		}
		var got struct{ Signatures []string }
		if json.Unmarshal(sig, &got) != nil || len(got.Signatures) != 1 || got.Signatures[0] != want.Signatures[0] || !bytes.Equal(rego, policy) {
			t.Fatalf("verified a bundle that is not the signed one:\nsignatures %q\npolicy %q", sig, rego)
		}
	})
}
