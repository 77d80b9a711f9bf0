package serve

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gopolicy/gopolicy/internal/ocitest"
)

// TestLoad offers a fixed rate of AdmissionReviews over TLS on 127.0.0.1
// for a bounded time and reports p50/p99: cache hits (one attested image
// by digest), and misses (a new attested image per request: resolve,
// fetch, verify, judge). GOPOLICY_LOAD=1 runs it; GOPOLICY_LOAD_RATE and
// GOPOLICY_LOAD_SECONDS change the defaults (500/s, 5 s).
func TestLoad(t *testing.T) {
	if os.Getenv("GOPOLICY_LOAD") == "" {
		t.Skip("GOPOLICY_LOAD is not set: the load test runs on demand (GOPOLICY_LOAD=1 go test ./pkg/serve -run TestLoad -v)")
	}
	rate, seconds := envInt("GOPOLICY_LOAD_RATE", 500), envInt("GOPOLICY_LOAD_SECONDS", 5)
	host := os.Getenv("GOPOLICY_REGISTRY")
	if host == "" {
		host = ocitest.Registry(t)
	}
	k := newKeys(t)
	s := newServer(t, k, "prod", nil)
	srv := httptest.NewUnstartedServer(s.Handler())
	srv.TLS = &tls.Config{MinVersion: tls.VersionTLS13}
	srv.StartTLS()
	defer srv.Close()
	client := srv.Client()
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 256

	hit := ocitest.PushImage(t, host, "gopolicy-load/hit", "v1")
	pushReferrer(t, hit, attest(t, k.signer, hit))
	hitBody := review("h", "apps", false, container("web", hit.String(), map[string]string{"GODEBUG": "http2client=0"}, map[string]string{"cpu": "1"}))
	validate(t, s, hitBody) // warm

	run := func(name string, n int, body func(i int) []byte) {
		lat := make([]time.Duration, n)
		var failed int
		var mu sync.Mutex
		var wg sync.WaitGroup
		tick := time.NewTicker(time.Second / time.Duration(rate))
		defer tick.Stop()
		start := time.Now()
		for i := range n {
			<-tick.C
			wg.Add(1)
			go func() {
				defer wg.Done()
				t0 := time.Now()
				resp, err := client.Post(srv.URL+"/validate", "application/json", bytes.NewReader(body(i)))
				if err == nil {
					resp.Body.Close()
				}
				lat[i] = time.Since(t0)
				if err != nil || resp.StatusCode != 200 {
					mu.Lock()
					failed++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		slices.Sort(lat)
		p := func(q float64) time.Duration { return lat[int(float64(len(lat)-1)*q)] }
		msg := fmt.Sprintf("%s: %d requests at %d/s in %v: p50 %v p99 %v max %v, %d failed", name, n, rate, time.Since(start).Round(time.Millisecond), p(0.5), p(0.99), lat[len(lat)-1], failed)
		t.Log(msg)
		fmt.Println(msg)
		if failed > 0 {
			t.Errorf("%s: %d requests failed", name, failed)
		}
	}
	run("cache hits", rate*seconds, func(int) []byte { return hitBody })

	// Misses: each request a different attested image (prepared first).
	misses := min(rate*seconds, envInt("GOPOLICY_LOAD_MISSES", 500))
	bodies := make([][]byte, misses)
	for i := range bodies {
		d := ocitest.PushImage(t, host, "gopolicy-load/miss", "m"+strconv.Itoa(i))
		pushReferrer(t, d, attest(t, k.signer, d))
		bodies[i] = review("m", "apps", false, container("web", d.String(), nil, nil))
	}
	run("cache misses (resolve, fetch, verify, judge)", misses, func(i int) []byte { return bodies[i] })
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}
