package oci

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// A registry that wants a password: the in-process one behind HTTP Basic
// authentication, as private registries answer.
func privateRegistry(t *testing.T, user, pass string) string {
	t.Helper()
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != user || p != pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="private"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func TestPullSecretsReachAPrivateRegistry(t *testing.T) {
	host := privateRegistry(t, "robot", "s3cret")
	tag, err := name.NewTag(host + "/private/app:v1")
	if err != nil {
		t.Fatal(err)
	}
	img, _ := random.Image(64, 1)
	if err := remote.Write(tag, img, remote.WithAuth(&authn.Basic{Username: "robot", Password: "s3cret"})); err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()

	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	auth := base64.StdEncoding.EncodeToString([]byte("robot:s3cret"))
	other := write("other.json", `{"auths":{"elsewhere.example":{"auth":"`+base64.StdEncoding.EncodeToString([]byte("x:y"))+`"}}}`)
	right := write("right.json", `{"auths":{"`+host+`":{"auth":"`+auth+`"}},"credsStore":"evil"}`)

	resolve := func(kc authn.Keychain) error {
		_, err := (&Registry{Keychain: kc}).Resolve(context.Background(), tag)
		return err
	}
	// Without the secret, the image cannot be seen.
	var nf *NotFoundError
	if err := resolve(PullSecrets{other}); !errors.As(err, &nf) {
		t.Fatalf("without credentials: %v, want not found (401)", err)
	}
	// With it, the tag resolves; the credential store the file names is
	// never run (it does not exist, and would fail the lookup).
	d, err := (&Registry{Keychain: authn.NewMultiKeychain(PullSecrets{other, right}, authn.DefaultKeychain)}).Resolve(context.Background(), tag)
	if err != nil {
		t.Fatalf("with the pull secret: %v", err)
	}
	if d.DigestStr() != want.String() {
		t.Errorf("resolved %s, want %s", d.DigestStr(), want)
	}

	// A rotated Secret is used without a restart: the same keychain reads
	// the file again when the registry asks.
	rotating := write("rotating.json", `{"auths":{"`+host+`":{"auth":"`+base64.StdEncoding.EncodeToString([]byte("robot:old"))+`"}}}`)
	kc := PullSecrets{rotating}
	if err := resolve(kc); !errors.As(err, &nf) {
		t.Fatalf("with outdated credentials: %v, want not found (401)", err)
	}
	write("rotating.json", `{"auths":{"`+host+`":{"auth":"`+auth+`"}}}`)
	if err := resolve(kc); err != nil {
		t.Fatalf("after the Secret rotated: %v", err)
	}

	// A secret that is not a docker config, or not a regular file, is an
	// error, never anonymous access in silence.
	bad := write("bad.json", `{"auths": [}`)
	if err := resolve(PullSecrets{bad}); err == nil || !strings.Contains(err.Error(), "pull secret") {
		t.Errorf("malformed pull secret: %v", err)
	}
	if err := resolve(PullSecrets{dir}); err == nil || !strings.Contains(err.Error(), "pull secret") {
		t.Errorf("a directory as pull secret: %v", err)
	}
}
