package oci

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
)

// A registry that answers a manifest request with more than
// MaxManifestSize, saying so in Content-Length or not, is refused after
// at most a little more than the cap, not read whole.
func TestHugeManifestsAreRefused(t *testing.T) {
	for _, declared := range []bool{true, false} {
		var served atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/v2/" {
				return // no authentication
			}
			w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
			if declared {
				w.Header().Set("Content-Length", "1073741824")
			}
			chunk := []byte(strings.Repeat(" ", 64<<10))
			for served.Load() < 256<<20 {
				if _, err := w.Write(chunk); err != nil {
					return
				}
				served.Add(int64(len(chunk)))
			}
		}))
		ref, err := name.ParseReference(strings.TrimPrefix(srv.URL, "http://") + "/huge/app:v1.att")
		if err != nil {
			t.Fatal(err)
		}
		_, err = (&Registry{}).bundlesIn(context.Background(), ref)
		srv.Close()
		if err == nil || !strings.Contains(err.Error(), "larger than") {
			t.Errorf("declared=%v: a huge manifest was not refused: %v", declared, err)
		}
		if n := served.Load(); n > 3*MaxManifestSize {
			t.Errorf("declared=%v: %d bytes served before giving up", declared, n)
		}
	}
}
