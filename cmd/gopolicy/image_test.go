package main

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// dockerfile is what TestContainerImage understands of the Dockerfile:
// the build stage's environment and go build command, and the final
// stage's files, user and entrypoint.
type dockerfile struct {
	buildEnv   []string
	buildArgs  []string // after "go build"
	buildOut   string   // -o path in the build stage
	copies     [][2]string
	user       string
	entrypoint []string
	finalBase  string
}

// parseDockerfile reads the two-stage Dockerfile; an instruction of the
// final stage it cannot reproduce is an error, so the image built here
// can never silently differ from the one docker builds.
func parseDockerfile(data string) (*dockerfile, error) {
	df := &dockerfile{}
	stage := 0
	for n, line := range strings.Split(data, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		instr, rest, _ := strings.Cut(line, " ")
		switch {
		case instr == "FROM":
			stage++
			if stage == 2 {
				df.finalBase = strings.Fields(rest)[0]
			}
		case stage == 1 && instr == "ENV":
			df.buildEnv = append(df.buildEnv, strings.Fields(rest)...)
		case stage == 1 && instr == "RUN" && strings.HasPrefix(rest, "go build "):
			args := strings.Fields(strings.TrimPrefix(rest, "go build "))
			for i, a := range args {
				if a == "-o" && i+1 < len(args) {
					df.buildOut = args[i+1]
					args = append(args[:i:i], args[i+2:]...)
					break
				}
			}
			df.buildArgs = args
		case stage == 1:
			// WORKDIR, COPY of the sources, go mod download: the test
			// builds from a clean clone instead.
		case instr == "COPY":
			f := strings.Fields(rest)
			if len(f) != 3 || f[0] != "--from=build" {
				return nil, fmt.Errorf("Dockerfile:%d: final-stage COPY %q: only COPY --from=build SRC DST is reproduced", n+1, rest)
			}
			df.copies = append(df.copies, [2]string{f[1], f[2]})
		case instr == "USER":
			df.user = rest
		case instr == "ENTRYPOINT":
			if err := json.Unmarshal([]byte(rest), &df.entrypoint); err != nil {
				return nil, fmt.Errorf("Dockerfile:%d: ENTRYPOINT: %w", n+1, err)
			}
		default:
			return nil, fmt.Errorf("Dockerfile:%d: final-stage %s is not reproduced by this test", n+1, instr)
		}
	}
	if df.finalBase != "scratch" || df.buildOut == "" || len(df.entrypoint) == 0 {
		return nil, fmt.Errorf("Dockerfile: want a build stage with go build -o and a FROM scratch stage with an ENTRYPOINT; got %+v", df)
	}
	return df, nil
}

// TestContainerImage builds gopolicy's image as the Dockerfile says (from
// a clean clone, so VCS stamps are those of HEAD), pushes it to a registry
// on 127.0.0.1, attests it with gopolicy attest --image, and judges the
// image's binary and root filesystem with gopolicy's own prod policies:
// they must allow it with no warning.
func TestContainerImage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds gopolicy: not in -short")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(root, ".git")); err != nil || !fi.IsDir() {
		t.Skip("not a git checkout: the image's binary is stamped with the revision it is built from")
	}
	data, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	df, err := parseDockerfile(string(data))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	work := t.TempDir()
	src := filepath.Join(work, "src")
	if out, err := exec.CommandContext(ctx, "git", "clone", "-q", root, src).CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	goenv := filepath.Join(work, "goenv")
	if err := os.WriteFile(goenv, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// The builder's own environment, as docker's build stage has it: no
	// GOENV file, and the Dockerfile's ENV over that.
	env := append(os.Environ(), "GOENV="+goenv, "GOFLAGS=", "GOWORK=off")
	env = append(env, df.buildEnv...)
	bin := filepath.Join(work, "out", filepath.Base(df.buildOut))
	build := exec.CommandContext(ctx, "go", append(append([]string{"build"}, df.buildArgs[:len(df.buildArgs)-1]...), "-o", bin, df.buildArgs[len(df.buildArgs)-1])...)
	build.Dir, build.Env = src, env
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	// The final stage: FROM scratch, each COPY --from=build, USER,
	// ENTRYPOINT. Files the build stage has but this test did not build
	// come from this machine (Debian, as golang:*-bookworm is).
	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	for _, c := range df.copies {
		from := c[0]
		if from == df.buildOut {
			from = bin
		}
		content, err := os.ReadFile(from)
		if err != nil {
			t.Fatalf("COPY --from=build %s: %v", c[0], err)
		}
		mode := int64(0o644)
		if from == bin {
			mode = 0o755
		}
		dir := strings.TrimPrefix(filepath.Dir(c[1]), "/")
		if dir != "" && dir != "." {
			parts := strings.Split(dir, "/")
			for i := range parts {
				tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: strings.Join(parts[:i+1], "/") + "/", Mode: 0o755})
			}
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: strings.TrimPrefix(c[1], "/"), Mode: mode, Size: int64(len(content))}); err != nil {
			t.Fatal(err)
		}
		tw.Write(content)
	}
	tw.Close()
	l, err := tarball.LayerFromReader(bytes.NewReader(layer.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, l)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.User, cf.Config.Entrypoint = df.user, df.entrypoint
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	ref, err := name.NewTag(strings.TrimPrefix(srv.URL, "http://") + "/gopolicy/gopolicy:test")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}

	if df.user == "" || strings.HasPrefix(df.user, "0") || strings.HasPrefix(df.user, "root") {
		t.Errorf("the image runs as %q: want a non-root user", df.user)
	}

	// Attest as a release job would, from the clean clone, and judge
	// what a cluster would see: the image's root filesystem and binary.
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	pubDER, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	keyFile, pubFile := filepath.Join(work, "k.pem"), filepath.Join(work, "k.pub")
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	os.WriteFile(pubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644)
	rootfs := filepath.Join(work, "rootfs")
	extract(t, img, rootfs)
	imgBin := filepath.Join(rootfs, df.entrypoint[0])
	att := filepath.Join(work, "image.att.json")

	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "GO") || k == "CGO_ENABLED" {
			t.Setenv(k, v)
		}
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"attest", "--dir", src, "--binary", imgBin, "--image", ref.String(), "--key", keyFile, "-o", att}, nil, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("attest exited %d:\n%s", code, stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	code = run([]string{"eval", "--rootfs", rootfs, "--binary", imgBin, "--attestation", att, "--evidence-key", pubFile, "--profile", "prod", "--format", "json"}, nil, &stdout, &stderr)
	var dec struct {
		Allow   bool `json:"allow"`
		Summary struct {
			Pass int `json:"pass"`
		} `json:"summary"`
		Findings []struct {
			Policy  string `json:"policy"`
			Level   string `json:"level"`
			Message string `json:"message"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &dec); err != nil {
		t.Fatalf("eval exited %d: %v\n%s\n%s", code, err, stdout.String(), stderr.String())
	}
	var bad []string
	for _, f := range dec.Findings {
		if f.Level == "deny" || f.Level == "warn" || f.Level == "error" {
			bad = append(bad, f.Level+" "+f.Policy+": "+f.Message)
		}
	}
	if code != 0 || !dec.Allow || len(bad) > 0 || dec.Summary.Pass == 0 {
		t.Fatalf("gopolicy's own image under prod: exit %d, %d passed, findings:\n%s", code, dec.Summary.Pass, strings.Join(bad, "\n"))
	}
	t.Logf("gopolicy's image passes its own prod policies: %d passed", dec.Summary.Pass)
}

// extract unpacks an image's flattened filesystem.
func extract(t *testing.T, img v1.Image, dir string) {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(p, dir+string(filepath.Separator)) {
			t.Fatalf("layer entry %q escapes the root", h.Name)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			os.MkdirAll(p, 0o755)
		case tar.TypeReg:
			os.MkdirAll(filepath.Dir(p), 0o755)
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, os.FileMode(h.Mode)&0o777); err != nil {
				t.Fatal(err)
			}
		}
	}
}
