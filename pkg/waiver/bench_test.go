package waiver

import (
	"fmt"
	"testing"
	"time"

	"github.com/gopolicy/gopolicy/pkg/decision"
)

// BenchmarkApply: 100 waivers over 2,000 findings, a large service's
// decision with a long-lived exception list.
func BenchmarkApply(b *testing.B) {
	var ws []Waiver
	for i := range 100 {
		w, err := ParseTime("2030-01-01")
		if err != nil {
			b.Fatal(err)
		}
		ws = append(ws, Waiver{Policy: fmt.Sprintf("GP-MOD-%03d", i%10), Match: map[string]string{"subject": fmt.Sprintf("example.com/m%d*", i), "fact": "/gomod/require/*"}, Reason: "r", Owner: "o", Expires: w, ExpiresText: "2030-01-01", File: "w.yaml", Line: i + 1})
	}
	now := time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC)
	for b.Loop() {
		b.StopTimer()
		d := &decision.Decision{Profile: "prod"}
		for i := range 2000 {
			d.Findings = append(d.Findings, decision.Finding{Policy: fmt.Sprintf("GP-MOD-%03d", i%10), Level: decision.LevelDeny, Subject: fmt.Sprintf("example.com/m%d", i),
				Evidence: []decision.Evidence{{Fact: fmt.Sprintf("/gomod/require/%d", i), Value: "v", Source: "go.mod:1"}}})
		}
		b.StartTimer()
		if err := Apply(d, ws, Options{Now: now}); err != nil {
			b.Fatal(err)
		}
	}
}
