package eval_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gopolicy/gopolicy/pkg/eval"
	"github.com/gopolicy/gopolicy/pkg/eval/bundletest"
)

// loadErr loads one bundle and returns the error, failing the test if
// loading takes long (a bundle read must never hang or stream forever).
func loadErr(t *testing.T, src eval.Source, opts ...eval.Options) error {
	t.Helper()
	o := eval.Options{}
	if len(opts) > 0 {
		o = opts[0]
	}
	o.Sources = []eval.Source{src}
	done := make(chan error, 1)
	go func() {
		_, err := eval.New(context.Background(), o)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("loading %s did not return within 30s", src.Path)
		return nil
	}
}

func wantBundleError(t *testing.T, err error, want ...string) {
	t.Helper()
	var be *eval.BundleError
	if !errors.As(err, &be) {
		t.Fatalf("err = %v (%T), want a *eval.BundleError", err, err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("err = %v\nwant it to mention %q", err, w)
		}
	}
}

// TestHostileTarballs: every entry of a .tar.gz is checked from its
// header before OPA reads it. The sparse case is the reproduction: a
// 208-byte archive declaring a 1 TiB sparse file made OPA's tar loader
// reserve 1 TiB and the process die with "fatal error: runtime: out of
// memory", with or without a key.
func TestHostileTarballs(t *testing.T) {
	cases := map[string][]string{
		"sparse":     {`entry "big.rego" is a sparse file (GNU sparse format, 1 TiB declared)`},
		"sparse-old": {`entry "big.rego" is a sparse file`},
		"huge":       {`entry "huge.rego": file of 1 TiB is larger than the 8 MiB limit per file`},
		"symlink":    {`entry "p.rego" is a symbolic link (to "/etc/passwd")`, "regular files and directories only"},
		"hardlink":   {`entry "p.rego" is a hard link (to "/etc/passwd")`},
		"chardev":    {`entry "zero" is a character device`},
		"fifo":       {`entry "pipe" is a named pipe (FIFO)`},
		"dotdot":     {`entry "../escape.rego": path leads outside the bundle`},
		"absolute":   {`entry "//etc/cron.d/x": absolute path`},
		"duplicate":  {`p.rego is in the archive twice`},
		"long-path":  {"longer than the 1024-byte limit"},
		"many":       {"more than 10000 entries"},
		"total":      {`entry "blob4": files add up to more than the 32 MiB limit per bundle`},
		"pax-stream": {"decompresses to more than"},
	}
	if len(cases) != len(bundletest.Kinds()) {
		t.Fatalf("cases for %d kinds, bundletest has %v", len(cases), bundletest.Kinds())
	}
	key := testKey(t)
	for _, kind := range bundletest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			data, err := bundletest.Tarball(kind)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), kind+".tar.gz")
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			// With or without a key: the check comes before verification.
			wantBundleError(t, loadErr(t, eval.Source{Path: path}), cases[kind]...)
			wantBundleError(t, loadErr(t, eval.Source{Path: path, Key: key.pub}), cases[kind]...)
		})
	}
}

// TestSparseTarballAllocatesNothing: refusing the 1 TiB entry costs no
// memory worth measuring.
func TestSparseTarballAllocatesNothing(t *testing.T) {
	data, _ := bundletest.Tarball("sparse")
	if len(data) > 384 {
		t.Fatalf("the sparse bomb is %d bytes, want it tiny", len(data))
	}
	path := filepath.Join(t.TempDir(), "sparse.tar.gz")
	os.WriteFile(path, data, 0o644)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	wantBundleError(t, loadErr(t, eval.Source{Path: path}), "sparse")
	runtime.ReadMemStats(&after)
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 16<<20 {
		t.Fatalf("refusing the sparse entry allocated %d bytes", grown)
	}
}

// TestTarballLimitsAreOptions: the caps come from eval.Options.
func TestTarballLimitsAreOptions(t *testing.T) {
	dir := writeBundle(t, orgPolicy)
	path := filepath.Join(t.TempDir(), "org.tar.gz")
	writeTarball(t, dir, path, "/")
	small := eval.Limits{MaxFileBytes: 100}
	wantBundleError(t, loadErr(t, eval.Source{Path: path}, eval.Options{Limits: small}), `entry "/org/naming.rego": file of`, "larger than the 100 B limit per file")
	wantBundleError(t, loadErr(t, eval.Source{Path: path}, eval.Options{Limits: eval.Limits{MaxEntries: 1}}), "more than 1 entries")
	wantBundleError(t, loadErr(t, eval.Source{Path: path}, eval.Options{Limits: eval.Limits{MaxArchiveBytes: 64}}), "archive of", "larger than the 64 B limit")
	wantBundleError(t, loadErr(t, eval.Source{Path: path}, eval.Options{Limits: eval.Limits{MaxPathLength: 8}}), "longer than the 8-byte limit")
	if err := loadErr(t, eval.Source{Path: path}); err != nil {
		t.Fatal(err)
	}
	// A gzip stream that decompresses past the cap is refused even when
	// no entry is over any cap (zero padding after the archive).
	var raw bytes.Buffer
	zw := gzip.NewWriter(&raw)
	tw := tar.NewWriter(zw)
	body := []byte("package p\n")
	tw.WriteHeader(&tar.Header{Name: "p.rego", Mode: 0o644, Size: int64(len(body))})
	tw.Write(body)
	tw.Close()
	zw.Write(make([]byte, 4<<20))
	zw.Close()
	padded := filepath.Join(t.TempDir(), "padded.tar.gz")
	os.WriteFile(padded, raw.Bytes(), 0o644)
	wantBundleError(t, loadErr(t, eval.Source{Path: padded}, eval.Options{Limits: eval.Limits{MaxTotalBytes: 1 << 20, MaxEntries: 4}}), "decompresses to more than")
}

// TestNotABundle: a path that is neither a directory nor a gzip file is
// refused at once, whatever it is: /dev/zero must not be read forever,
// a FIFO without a writer must not block.
func TestNotABundle(t *testing.T) {
	wantBundleError(t, loadErr(t, eval.Source{Path: "/dev/zero"}), "is a character device, not a directory or a .tar.gz bundle")
	text := filepath.Join(t.TempDir(), "x.rego")
	os.WriteFile(text, []byte("package x\n"), 0o644)
	wantBundleError(t, loadErr(t, eval.Source{Path: text}), "not a directory or a .tar.gz bundle")
	if fifo := mkfifo(t, filepath.Join(t.TempDir(), "pipe")); fifo != "" {
		wantBundleError(t, loadErr(t, eval.Source{Path: fifo}), "is a named pipe (FIFO), not a directory or a .tar.gz bundle")
	}
}

// TestBundleDirSpecialFiles: a bundle directory holds regular files and
// directories only. On the code before, a FIFO or a symbolic link was
// silently left out of the bundle (and of its digest), so what was
// judged was not what the directory held.
func TestBundleDirSpecialFiles(t *testing.T) {
	t.Run("symlink to /dev/zero", func(t *testing.T) {
		dir := writeBundle(t, orgPolicy)
		if err := os.Symlink("/dev/zero", filepath.Join(dir, "org", "data.json")); err != nil {
			t.Skip(err)
		}
		wantBundleError(t, loadErr(t, eval.Source{Path: dir}), `entry "org/data.json" is a symbolic link (to "/dev/zero")`)
	})
	t.Run("symlink to a policy outside", func(t *testing.T) {
		dir := writeBundle(t, orgPolicy)
		outside := filepath.Join(t.TempDir(), "other.rego")
		os.WriteFile(outside, []byte("package org.other\n"), 0o644)
		if err := os.Symlink(outside, filepath.Join(dir, "org", "other.rego")); err != nil {
			t.Skip(err)
		}
		wantBundleError(t, loadErr(t, eval.Source{Path: dir}), `entry "org/other.rego" is a symbolic link`)
	})
	t.Run("fifo", func(t *testing.T) {
		dir := writeBundle(t, orgPolicy)
		if mkfifo(t, filepath.Join(dir, "org", "data.json")) == "" {
			return
		}
		wantBundleError(t, loadErr(t, eval.Source{Path: dir}), `entry "org/data.json" is a named pipe (FIFO)`)
	})
	t.Run("names a tarball may not hold", func(t *testing.T) {
		for name, want := range map[string]string{"x\xe9.rego": "name is not valid UTF-8", `a\b.rego`: "backslash in path"} {
			dir := writeBundle(t, orgPolicy)
			if err := os.WriteFile(filepath.Join(dir, "org", name), []byte("package org.x\n"), 0o644); err != nil {
				t.Skip(err)
			}
			wantBundleError(t, loadErr(t, eval.Source{Path: dir}), want)
		}
	})
	t.Run("limits", func(t *testing.T) {
		dir := writeBundle(t, orgPolicy)
		wantBundleError(t, loadErr(t, eval.Source{Path: dir}, eval.Options{Limits: eval.Limits{MaxFileBytes: 100}}), `entry "org/naming.rego": file of`)
		wantBundleError(t, loadErr(t, eval.Source{Path: dir}, eval.Options{Limits: eval.Limits{MaxTotalBytes: 500}}), "files add up to more than the 500 B limit per bundle")
		wantBundleError(t, loadErr(t, eval.Source{Path: dir}, eval.Options{Limits: eval.Limits{MaxEntries: 2}}), "more than 2 entries")
		wantBundleError(t, loadErr(t, eval.Source{Path: dir}, eval.Options{Limits: eval.Limits{MaxPathLength: 10}}), `entry "org/naming.rego": path of 15 bytes is longer than the 10-byte limit`)
	})
}

type keyPair struct {
	priv []byte
	pub  *eval.PublicKey
}

func testKey(t testing.TB) keyPair {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	privDER, _ := x509.MarshalPKCS8PrivateKey(priv)
	pubDER, _ := x509.MarshalPKIXPublicKey(pub)
	k, err := eval.ParsePublicKey(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	if err != nil {
		t.Fatal(err)
	}
	return keyPair{priv: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}), pub: k}
}

// buildSigned packs dir into a signed tarball the way `gopolicy policies
// build --signing-key` does.
func buildSigned(t testing.TB, dir string, key keyPair) []byte {
	var buf bytes.Buffer
	if _, err := eval.BuildBundle(dir, &buf, eval.BuildOptions{Revision: "7", SigningKey: key.priv}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// untar unpacks a tarball as `tar xzf` does: a leading "/" is dropped.
func untar(t testing.TB, data []byte, dir string) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(hdr.Name, "/")))
		if hdr.Typeflag == tar.TypeDir {
			os.MkdirAll(p, 0o755)
			continue
		}
		os.MkdirAll(filepath.Dir(p), 0o755)
		body, _ := io.ReadAll(tr)
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// writeTarball packs a directory as `tar czf OUT -C DIR .` (prefix "./")
// or as OPA's writer does (prefix "/").
func writeTarball(t testing.TB, dir, out, prefix string) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	if prefix == "./" {
		tw.WriteHeader(&tar.Header{Name: "./", Typeflag: tar.TypeDir, Mode: 0o755})
	}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		name := prefix + filepath.ToSlash(rel)
		if fi.IsDir() {
			return tw.WriteHeader(&tar.Header{Name: name + "/", Typeflag: tar.TypeDir, Mode: 0o755})
		}
		body, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))}); err != nil {
			return err
		}
		_, err = tw.Write(body)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	tw.Close()
	zw.Close()
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSignedBundleUnpacked is the reproduction: a correctly signed
// tarball, unpacked with tar xzf and given as a directory with its key,
// was refused with "bundle missing .signatures.json file": OPA's
// directory loader, rooted at ".", strips the leading dot of
// ".signatures.json" and so never finds it. Both forms now reach OPA in
// the tarball's layout and verify alike.
func TestSignedBundleUnpacked(t *testing.T) {
	key := testKey(t)
	src := writeBundle(t, orgPolicy+"-- org/data.json --\n{\"org\": {\"prefix\": \"example.com/\"}}\n-- README.md --\nnot part of the bundle\n")
	archive := buildSigned(t, src, key)
	tarPath := filepath.Join(t.TempDir(), "org.tar.gz")
	os.WriteFile(tarPath, archive, 0o644)
	fromTar := newEngine(t, eval.Source{Path: tarPath, Key: key.pub})

	unpack := func(t *testing.T) string {
		dir := t.TempDir()
		untar(t, archive, dir)
		return dir
	}
	t.Run("the same files verify as a directory", func(t *testing.T) {
		dir := unpack(t)
		if _, err := os.Stat(filepath.Join(dir, ".signatures.json")); err != nil {
			t.Fatal(err)
		}
		e := newEngine(t, eval.Source{Path: dir, Key: key.pub})
		if got, want := e.Bundles()[0].SignedBy, key.pub.Fingerprint; got != want {
			t.Fatalf("signed by %q, want %q", got, want)
		}
		a, _ := e.Evaluate(context.Background(), doc(t, nil), "strict")
		b, _ := fromTar.Evaluate(context.Background(), doc(t, nil), "strict")
		if a.Summary != b.Summary || len(a.Findings) != len(b.Findings) || a.Findings[0].Message != b.Findings[0].Message {
			t.Fatalf("directory judged %+v, tarball %+v", a.Summary, b.Summary)
		}
	})
	t.Run("repacked with tar czf -C dir . (./ names)", func(t *testing.T) {
		dir := unpack(t)
		out := filepath.Join(t.TempDir(), "repacked.tar.gz")
		writeTarball(t, dir, out, "./")
		newEngine(t, eval.Source{Path: out, Key: key.pub})
	})
	t.Run("a changed file is refused", func(t *testing.T) {
		dir := unpack(t)
		f := filepath.Join(dir, "org", "naming.rego")
		data, _ := os.ReadFile(f)
		os.WriteFile(f, append(data, "\n# harmless-looking edit\n"...), 0o644)
		wantBundleError(t, loadErr(t, eval.Source{Path: dir, Key: key.pub}), "signature verification failed", "org/naming.rego: digest mismatch")
	})
	t.Run("changed data is refused", func(t *testing.T) {
		dir := unpack(t)
		os.WriteFile(filepath.Join(dir, "org", "data.json"), []byte(`{"org": {"prefix": "evil.com/"}}`), 0o644)
		wantBundleError(t, loadErr(t, eval.Source{Path: dir, Key: key.pub}), "signature verification failed", "org/data.json")
	})
	t.Run("an added file is refused", func(t *testing.T) {
		dir := unpack(t)
		os.WriteFile(filepath.Join(dir, "org", "extra.rego"), []byte("package org.extra\n"), 0o644)
		wantBundleError(t, loadErr(t, eval.Source{Path: dir, Key: key.pub}), "org/extra.rego not included in bundle signature")
	})
	t.Run("a removed file is refused", func(t *testing.T) {
		dir := unpack(t)
		os.Remove(filepath.Join(dir, "org", "naming.rego"))
		wantBundleError(t, loadErr(t, eval.Source{Path: dir, Key: key.pub}), "org/naming.rego", "not found in the target bundle")
	})
	t.Run("a removed signature is refused", func(t *testing.T) {
		dir := unpack(t)
		os.Remove(filepath.Join(dir, ".signatures.json"))
		wantBundleError(t, loadErr(t, eval.Source{Path: dir, Key: key.pub}), "bundle missing .signatures.json file")
	})
	t.Run("another key is refused", func(t *testing.T) {
		wantBundleError(t, loadErr(t, eval.Source{Path: unpack(t), Key: testKey(t).pub}), "signature verification failed")
	})
	t.Run("hidden directories keep their dot", func(t *testing.T) {
		// OPA's loader also stripped the dot of ".hidden/p.rego"; the
		// signature names the file as it is.
		src := writeBundle(t, orgPolicy+"-- .hidden/p.rego --\npackage org.hidden\n")
		dir := t.TempDir()
		untar(t, buildSigned(t, src, key), dir)
		if _, err := os.Stat(filepath.Join(dir, ".hidden", "p.rego")); err != nil {
			t.Fatal(err)
		}
		newEngine(t, eval.Source{Path: dir, Key: key.pub})
	})
}
