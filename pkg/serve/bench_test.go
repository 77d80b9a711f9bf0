package serve

import (
	"testing"

	"github.com/gopolicy/gopolicy/internal/ocitest"
)

// BenchmarkValidateCacheHit is one AdmissionReview whose image verdict is
// cached: decode, the admission policies, the response.
func BenchmarkValidateCacheHit(b *testing.B) {
	k := newKeys(b)
	s := newServer(b, k, "prod", nil)
	host := ocitest.Registry(b)
	hit := ocitest.PushImage(b, host, "bench/hit", "v1")
	pushReferrer(b, hit, attest(b, k.signer, hit))
	body := review("h", "apps", false, container("web", hit.String(), map[string]string{"GODEBUG": "http2client=0"}, map[string]string{"cpu": "1"}))
	if out := validate(b, s, body); !out.Response.Allowed {
		b.Fatalf("the attested image is not allowed: %+v", out.Response)
	}
	h := s.Handler()
	b.ReportAllocs()
	for b.Loop() {
		post(b, h, "/validate", body)
	}
}
