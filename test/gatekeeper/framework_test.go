package gatekeeper

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// The deny findings prod gives the debug build (no -trimpath), and the
// message attestation.rego gives an image without an attestation.
var (
	deniedIDs      = []string{"GP-BIN-009"}
	unattestedWhy  = "no gopolicy facts attestation was found (neither an OCI referrer nor a .att tag)"
	prodUndecided  = "denied by failure mode deny-on-error of profile prod"
	sendFailPrefix = "gopolicy: failed to send external data request: "
)

// TestGatekeeperFramework runs examples/gatekeeper through Gatekeeper's
// constraint framework and Rego driver, whose external_data builtin
// calls a running gopolicy server over mutual TLS 1.3, and checks what
// Gatekeeper's audit and webhook would report for each kind of image,
// then that a gopolicy outage denies (fail closed).
func TestGatekeeperFramework(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	e := newEnv(t)
	prod := e.startServer(t, "prod")
	p := e.provider(t, prod.url)
	gk, providers := e.gatekeeper(t, ctx, p)

	// expect reviews a Pod both ways and compares the violations with
	// want, decision ids aside; a want ending in "…" is a prefix.
	expect := func(t *testing.T, namespace string, images []string, want ...string) {
		t.Helper()
		audit, webhook := reviewPod(t, ctx, gk, pod(namespace, images...))
		for point, got := range map[string][]violation{"audit": audit, "webhook": webhook} {
			if len(got) != len(want) {
				t.Errorf("%s: %d violations, want %d: %+v", point, len(got), len(want), got)
				continue
			}
			for i, v := range got {
				if v.Action != "deny" {
					t.Errorf("%s: enforcement action %q, want deny (constraint.yaml)", point, v.Action)
				}
				msg, w := anyDecision(v.Msg), want[i]
				if prefix, ok := strings.CutSuffix(w, "…"); ok {
					if !strings.HasPrefix(msg, prefix) {
						t.Errorf("%s: violation\n  %q\nwant prefix\n  %q", point, msg, prefix)
					}
				} else if msg != w {
					t.Errorf("%s: violation\n  %q\nwant\n  %q", point, msg, w)
				}
			}
		}
	}

	t.Run("allowed image", func(t *testing.T) {
		expect(t, "apps", []string{e.allowed})
		expect(t, "apps", []string{e.allowedDigest})
	})

	var deniedMsg string
	t.Run("denied image names the findings", func(t *testing.T) {
		resp, code, err := e.ask(t, ctx, p, e.denied)
		if err != nil || code != 200 || len(resp.Response.Items) != 1 {
			t.Fatalf("provider: %d %v %+v", code, err, resp)
		}
		ids, listed := denyFindings(t, resp.Response.Items[0].Value)
		if !slices.Equal(ids, deniedIDs) || !strings.Contains(listed, "was built without -trimpath") {
			t.Fatalf("gopolicy's deny findings for the debug build: %v (%s), want %v", ids, listed, deniedIDs)
		}
		deniedMsg = fmt.Sprintf("gopolicy denied image %s (decision *): %s", e.denied, listed)
		expect(t, "apps", []string{e.denied}, deniedMsg)
	})

	unattestedMsg := fmt.Sprintf("gopolicy denied image %s (decision *): GP-ADM-001: container image: image %s (%s): %s",
		e.unattested, e.unattested, e.unattestedDigest[strings.Index(e.unattestedDigest, "@")+1:], unattestedWhy)
	t.Run("unattested image is denied by GP-ADM-001 in prod", func(t *testing.T) {
		expect(t, "apps", []string{e.unattested}, unattestedMsg)
	})

	t.Run("one request for a Pod's images", func(t *testing.T) {
		if deniedMsg == "" {
			t.Skip("the denied image's message is unknown")
		}
		expect(t, "apps", []string{e.allowed, e.unattested, e.denied}, deniedMsg, unattestedMsg)
	})

	t.Run("excluded namespace is not reviewed", func(t *testing.T) {
		expect(t, "kube-system", []string{e.denied, e.unattested})
	})

	t.Run("unreachable registry is denied under deny-on-error", func(t *testing.T) {
		start := time.Now()
		expect(t, "apps", []string{e.unreachable},
			"gopolicy: gopolicy could not decide (the registry could not be reached in time for any image); "+prodUndecided,
			fmt.Sprintf("gopolicy: image %s: gopolicy could not decide (…", e.unreachable))
		if d := time.Since(start); d > 4*serverDeadline+2*time.Second {
			t.Errorf("two reviews took %v: gopolicy's deadline is %v", d, serverDeadline)
		}
	})

	t.Run("dev profile fails open and only warns", func(t *testing.T) {
		// The Provider edited to point at a dev server, as Gatekeeper's
		// provider controller applies it, and back afterwards.
		dev := e.startServer(t, "dev")
		if err := providers.Upsert(e.provider(t, dev.url)); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := providers.Upsert(p); err != nil {
				t.Fatal(err)
			}
		}()
		expect(t, "apps", []string{e.allowed, e.denied, e.unattested, e.unreachable})
	})

	t.Run("gopolicy down is denied (fail closed)", func(t *testing.T) {
		if err := prod.stop(); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		expect(t, "apps", []string{e.allowed}, sendFailPrefix+"…")
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("reviews with gopolicy down took %v", d)
		}
		audit, _ := reviewPod(t, ctx, gk, pod("apps", e.allowed))
		if len(audit) == 1 && !strings.Contains(audit[0].Msg, prod.url) {
			t.Errorf("the violation does not name the provider's url %s: %q", prod.url, audit[0].Msg)
		}
	})
}
