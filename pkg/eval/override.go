package eval

import (
	"fmt"
	"github.com/gopolicy/gopolicy/pkg/decision"
	"maps"
	"slices"
	"sort"
	"strings"
)

// takeover is a policy that no longer runs because another bundle
// explicitly replaced or disabled it.
type takeover struct {
	policy   decision.Policy
	override decision.Override
}

// Overrides lists the policies that bundles took over.
func (e *Engine) Overrides() []decision.Override {
	out := []decision.Override{}
	for _, t := range e.takenOver {
		out = append(out, t.override)
	}
	return out
}

// disableEntry is one entry of a manifest's metadata.gopolicy.disable.
type disableEntry struct{ policy, reason string }

// manifestDisables reads metadata.gopolicy.disable: a bundle switches off
// another bundle's policy only by naming it, with a reason, in its
// manifest, which is signed with the bundle.
func manifestDisables(lb *loadedBundle) ([]disableEntry, error) {
	gp, _ := lb.bundle.Manifest.Metadata["gopolicy"].(map[string]any)
	raw, present := gp["disable"]
	if !present {
		return nil, nil
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf(".manifest metadata.gopolicy.disable must be a list of {policy, reason}")
	}
	var out []disableEntry
	for i, item := range list {
		m, _ := item.(map[string]any)
		id, _ := m["policy"].(string)
		reason, _ := m["reason"].(string)
		if id == "" || strings.TrimSpace(reason) == "" {
			return nil, fmt.Errorf(".manifest metadata.gopolicy.disable[%d] needs a policy id and a reason", i)
		}
		out = append(out, disableEntry{id, reason})
	}
	return out, nil
}

// applyOverrides removes the policies other bundles replaced or disabled
// and records who did it. Taking over a policy of one's own bundle, an
// unknown policy, or one already taken over is an error: an override
// must be deliberate and unambiguous.
func applyOverrides(policies []decision.Policy, bundles []*loadedBundle) ([]decision.Policy, []takeover, error) {
	byID := map[string]decision.Policy{}
	for _, p := range policies {
		byID[p.ID] = p
	}
	taken := map[string]takeover{}
	var problems []string
	claim := func(target, by string, o decision.Override) {
		victim, ok := byID[target]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("bundle %s %s unknown policy %s", by, o.Action, target))
			return
		case victim.Bundle == by:
			problems = append(problems, fmt.Sprintf("bundle %s %s its own policy %s; edit or remove it instead", by, o.Action, target))
			return
		}
		if prev, dup := taken[target]; dup {
			problems = append(problems, fmt.Sprintf("policy %s is taken over twice (by bundle %s and bundle %s)", target, prev.override.By, by))
			return
		}
		o.Policy, o.Bundle, o.By = target, victim.Bundle, by
		taken[target] = takeover{policy: victim, override: o}
	}
	for _, p := range policies {
		for _, target := range p.Replaces {
			claim(target, p.Bundle, decision.Override{Action: decision.OverrideReplaced, ReplacedBy: p.ID, Reason: p.Title})
		}
	}
	for _, lb := range bundles {
		entries, err := manifestDisables(lb)
		if err != nil {
			return nil, nil, &BundleError{lb.info.Source, err}
		}
		for _, d := range entries {
			claim(d.policy, lb.info.Name, decision.Override{Action: decision.OverrideDisabled, Reason: d.reason})
		}
	}
	for id, t := range taken {
		// A policy that stands in for another must itself run.
		if t.override.Action == decision.OverrideReplaced {
			if _, gone := taken[t.override.ReplacedBy]; gone {
				problems = append(problems, fmt.Sprintf("policy %s replaces %s but is itself taken over", t.override.ReplacedBy, id))
			}
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, nil, fmt.Errorf("policy overrides: %s", strings.Join(problems, "; "))
	}
	kept := slices.DeleteFunc(slices.Clone(policies), func(p decision.Policy) bool { _, gone := taken[p.ID]; return gone })
	var out []takeover
	for _, id := range slices.Sorted(maps.Keys(taken)) {
		out = append(out, taken[id])
	}
	return kept, out, nil
}

// stringList reads a metadata value that may be one string or a list.
func stringList(v any) ([]string, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		return []string{x}, nil
	case []any:
		var out []string
		for _, item := range x {
			s, ok := item.(string)
			if !ok || s == "" {
				return nil, fmt.Errorf("must list policy ids")
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("must list policy ids")
}
