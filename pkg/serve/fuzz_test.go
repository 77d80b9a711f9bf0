package serve

import (
	"testing"
)

// FuzzDecodeAdmissionReview: any body is a review and a workload, or a
// RequestError (a 400 with a reason); never a panic.
func FuzzDecodeAdmissionReview(f *testing.F) {
	f.Add(review("u", "ns", false, container("c", "example.com/app:v1", map[string]string{"GODEBUG": "tlsrsakex=1", "GOMEMLIMIT": "1GiB"}, map[string]string{"cpu": "500m"})))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"x","kind":{"kind":"CronJob"},"operation":"CREATE","object":{"spec":{"jobTemplate":{"spec":{"template":{"spec":{"containers":[{"name":"a","image":"b"}]}}}}}}}}`))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"x","kind":{"kind":"ReplicationController"},"operation":"UPDATE","object":{"spec":{}}}}`))
	f.Add([]byte(`[[[[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, w, err := DecodeAdmissionReview(data, DefaultMaxJSONDepth)
		if err != nil {
			if _, ok := err.(*RequestError); !ok {
				t.Fatalf("error %T is not a RequestError: %v", err, err)
			}
			return
		}
		if r.Request == nil || r.Request.UID == "" || w == nil {
			t.Fatal("accepted a review without a request or uid")
		}
		if w.Spec != nil {
			for _, c := range Containers(w.Spec) {
				if c.Env == nil {
					t.Fatal("nil env")
				}
			}
		}
	})
}

// FuzzDecodeProviderRequest: the same for Gatekeeper's requests.
func FuzzDecodeProviderRequest(f *testing.F) {
	f.Add([]byte(`{"apiVersion":"externaldata.gatekeeper.sh/v1beta1","kind":"ProviderRequest","request":{"keys":["example.com/app:v1","example.com/app@sha256:0000000000000000000000000000000000000000000000000000000000000000"]}}`))
	f.Add([]byte(`{"apiVersion":"externaldata.gatekeeper.sh/v1beta1","kind":"ProviderRequest","request":{"keys":null}}`))
	f.Add([]byte(`{"a":"\"[["}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeProviderRequest(data, DefaultMaxJSONDepth)
		if err != nil {
			if _, ok := err.(*RequestError); !ok {
				t.Fatalf("error %T is not a RequestError: %v", err, err)
			}
			return
		}
		if len(r.Request.Keys) > MaxKeys {
			t.Fatal("too many keys accepted")
		}
	})
}

func FuzzParseMemLimit(f *testing.F) {
	for _, s := range []string{"1GiB", "512MiB", "off", "9999999999999TiB", "12B", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n := ParseMemLimit(s); n < -1 {
			t.Fatalf("%q: %d", s, n)
		}
	})
}
