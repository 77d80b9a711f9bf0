package gopolicy

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gopolicy/gopolicy/pkg/decision"
)

// scopeNames are the sections a scope reports when they were not judged,
// with the words a person reads.
var scopeNames = map[string]string{
	"gomod": "go.mod", "goenv": "the Go environment", "runner": "the runner",
	"gosum": "go.sum", "vendor": "vendor/", "gowork": "go.work", "target": "the target",
}

// scopeOf reads what a facts document covered: the module, how many
// binaries, the image, and the facts that were not collected and why.
// Binaries and the rootfs count as not judged only when they were asked
// for and failed; nobody needs telling that no --rootfs was given.
func scopeOf(doc map[string]any) *decision.Scope {
	sc := &decision.Scope{}
	if mod, ok := doc["gomod"].(map[string]any); ok {
		sc.GoMod, _ = mod["file"].(string)
		if m, ok := mod["module"].(map[string]any); ok {
			sc.Module, _ = m["path"].(string)
		}
		// A module lent by a verified attestation was not read here.
		if cs, ok := doc["collectors"].(map[string]any); ok {
			if st, ok := cs["gomod"].(map[string]any); ok && st["attested"] != nil && sc.Module != "" {
				sc.Module += " (attested)"
			}
		}
	}
	nonGo := 0
	if bins, ok := doc["binaries"].([]any); ok {
		sc.Binaries = len(bins)
		for _, b := range bins {
			m, _ := b.(map[string]any)
			g, _ := m["go"].(map[string]any)
			if m["error"] == nil && g != nil && g["is_go"] == false {
				nonGo++
			}
		}
	}
	if r, ok := doc["rootfs"].(map[string]any); ok {
		sc.Rootfs, _ = r["dir"].(string)
	}
	collectors, _ := doc["collectors"].(map[string]any)
	names := make([]string, 0, len(collectors))
	for n := range collectors {
		names = append(names, n)
	}
	sort.Strings(names)
	// Collectors skipped for one reason (no go.mod, artefacts only) are
	// named together, once.
	var reasons []string
	labels := map[string][]string{}
	for _, n := range names {
		st, _ := collectors[n].(map[string]any)
		status, _ := st["status"].(string)
		reason, _ := st["reason"].(string)
		label, known := scopeNames[n]
		switch {
		case status == "skipped" && known:
		case status == "error" && doc[n] == nil:
			if !known {
				label = n
			}
			reason = "could not be read"
		default:
			continue
		}
		if _, seen := labels[reason]; !seen {
			reasons = append(reasons, reason)
		}
		labels[reason] = append(labels[reason], label)
	}
	for _, r := range reasons {
		sc.NotJudged = append(sc.NotJudged, fmt.Sprintf("%s: %s", strings.Join(labels[r], ", "), r))
	}
	for _, n := range names {
		st, _ := collectors[n].(map[string]any)
		notes, _ := st["notes"].([]any)
		for _, note := range notes {
			if s, ok := note.(string); ok {
				sc.NotJudged = append(sc.NotJudged, s)
			}
		}
	}
	if nonGo > 0 {
		sc.NotJudged = append(sc.NotJudged, fmt.Sprintf("how %d of the binaries were built: they are not Go programs, so the Go policies (build settings, stamps, dependencies, evidence) do not apply; platform, libc, library and hardening policies do", nonGo))
	}
	return sc
}
