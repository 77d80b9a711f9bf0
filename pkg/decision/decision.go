// Package decision is the outcome model every front door shares: a
// decision, its findings and their evidence, and the policies and bundles
// they came from. It depends on nothing but the standard library, so
// formats, waivers and reports can use it without the policy engine.
package decision

import (
	"fmt"
	"slices"
	"sort"
)

// Finding levels. A policy's enforcement in the chosen profile turns its
// violations into deny or warn; error means the policy could not be judged.
const (
	LevelDeny  = "deny"
	LevelWarn  = "warn"
	LevelError = "error"
	LevelPass  = "pass"
	// LevelSkip is a policy whose facts do not apply (no go.mod, say).
	LevelSkip = "skip"
	// LevelOff is a policy the profile switches off, or one another
	// bundle explicitly replaced or disabled.
	LevelOff = "off"
	// LevelWaived is a deny or warn finding a reviewed waiver covers. It
	// stays in the decision, with its waiver, but does not fail the run.
	LevelWaived = "waived"
)

// Decision is the outcome of judging one facts document. It is the public
// contract of `gopolicy eval --format json`.
type Decision struct {
	Allow   bool         `json:"allow"`
	Profile string       `json:"profile"`
	Bundle  BundleInfo   `json:"bundle"`
	Bundles []BundleInfo `json:"bundles"`
	// Dir is the directory the facts were collected for; reports resolve
	// relative locations against it.
	Dir string `json:"dir,omitempty"`
	// GoMod is the go.mod the facts were collected from, if any: reports
	// anchor findings that name no file of their own there.
	GoMod   string  `json:"gomod,omitempty"`
	Summary Summary `json:"summary"`
	// Findings holds one entry per violation, and one per policy that
	// passed, was skipped, was off or failed, so an auditor sees every
	// policy that was considered.
	Findings []Finding `json:"findings"`
	// InputErrors are facts that could not be gathered (unreadable or
	// malformed files). Any input error makes the decision fail with exit
	// status 2.
	InputErrors []InputError `json:"input_errors"`
	// Overrides lists built-in (or other bundles') policies that a bundle
	// explicitly replaced or disabled.
	Overrides []Override `json:"overrides"`
	// Waivers lists every waiver given, with what became of it, so stale
	// and expired waivers get cleaned up.
	Waivers []WaiverStatus `json:"waivers"`
	// Scope says what the facts covered and what they could not, so a
	// report never lets "nothing denied" pass for "everything checked".
	Scope *Scope `json:"scope,omitempty"`
}

// Scope is what a decision judged.
type Scope struct {
	// Module is the main module's path, GoMod its go.mod.
	Module string `json:"module,omitempty"`
	GoMod  string `json:"gomod,omitempty"`
	// Binaries counts the files given as binaries.
	Binaries int `json:"binaries"`
	// Rootfs is the image the binaries were judged in.
	Rootfs string `json:"rootfs,omitempty"`
	// NotJudged lists facts that were not collected, with why ("go.mod:
	// no go.mod or vendor.mod found in /src or any parent directory").
	NotJudged []string `json:"not_judged,omitempty"`
}

// Summary counts findings by level.
type Summary struct {
	Deny  int `json:"deny"`
	Warn  int `json:"warn"`
	Error int `json:"error"`
	Pass  int `json:"pass"`
	Skip  int `json:"skip"`
	Off   int `json:"off"`
	// Waived counts findings a waiver covers.
	Waived int `json:"waived"`
}

// Finding is one judged violation, or one policy's verdict.
type Finding struct {
	Policy      string     `json:"policy"`
	Title       string     `json:"title"`
	Version     string     `json:"version"`
	Severity    string     `json:"severity"`
	Level       string     `json:"level"`
	Message     string     `json:"message"`
	Subject     string     `json:"subject,omitempty"`
	Evidence    []Evidence `json:"evidence"`
	Remediation string     `json:"remediation"`
	Bundle      string     `json:"bundle"`
	// Waiver is the waiver that covers this finding (level waived), or an
	// expired or refused one that would have (the level is unchanged).
	Waiver *WaiverStatus `json:"waiver,omitempty"`
}

// Waiver states.
const (
	WaiverApplied   = "applied"
	WaiverExpired   = "expired"
	WaiverRefused   = "refused"
	WaiverUnmatched = "unmatched"
)

// WaiverStatus is one waiver as given, and what it did in this decision.
type WaiverStatus struct {
	Policy  string            `json:"policy"`
	Match   map[string]string `json:"match"`
	Reason  string            `json:"reason"`
	Owner   string            `json:"owner"`
	Expires string            `json:"expires"`
	Ticket  string            `json:"ticket,omitempty"`
	// Source is the file:line the waiver was read from.
	Source string `json:"source"`
	// Status is applied, expired (past its date: it no longer applies),
	// refused (it breaks a rule of the profile, such as the longest
	// allowed horizon) or unmatched (it covers no finding).
	Status string `json:"status"`
	// Note explains an expired, refused or unmatched waiver.
	Note string `json:"note,omitempty"`
	// Findings is how many findings the waiver matched.
	Findings int `json:"findings"`
}

// Override is a policy a bundle explicitly took over.
type Override struct {
	// Policy is the id of the policy that no longer runs.
	Policy string `json:"policy"`
	// Bundle owns the replaced policy.
	Bundle string `json:"bundle"`
	// Action is replaced or disabled.
	Action string `json:"action"`
	// By is the bundle that replaced or disabled it, ReplacedBy the
	// policy that runs instead.
	By         string `json:"by"`
	ReplacedBy string `json:"replaced_by,omitempty"`
	Reason     string `json:"reason"`
}

// Evidence is one fact a finding rests on.
type Evidence struct {
	// Fact is a JSON pointer into the facts document.
	Fact  string `json:"fact"`
	Value any    `json:"value"`
	// Source says where the value came from: an environment layer, or
	// file:line.
	Source string `json:"source,omitempty"`
	// File and Line locate the value when it was read from a file (a
	// go.mod line, a binary), so a report can link to it on any machine
	// without re-reading or re-parsing anything. Line is 0 for a whole file.
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
}

// InputError is a problem a collector recorded.
type InputError struct {
	Collector string `json:"collector"`
	Path      string `json:"path,omitempty"`
	Line      int    `json:"line,omitempty"`
	Message   string `json:"message"`
}

func (s *Summary) add(level string) {
	switch level {
	case LevelDeny:
		s.Deny++
	case LevelWarn:
		s.Warn++
	case LevelError:
		s.Error++
	case LevelPass:
		s.Pass++
	case LevelSkip:
		s.Skip++
	case LevelOff:
		s.Off++
	case LevelWaived:
		s.Waived++
	}
}

// Recount recomputes the summary and the verdict after findings changed
// level (waivers are applied after evaluation).
func (d *Decision) Recount() {
	d.Summary = Summary{}
	for _, f := range d.Findings {
		d.Summary.add(f.Level)
	}
	// By level, then policy, then subject (a module or a binary's path),
	// so a scan of many files reads in path order.
	sort.SliceStable(d.Findings, func(i, j int) bool {
		a, b := d.Findings[i], d.Findings[j]
		if ra, rb := levelRank(a.Level), levelRank(b.Level); ra != rb {
			return ra < rb
		}
		if a.Policy != b.Policy {
			return a.Policy < b.Policy
		}
		return a.Subject < b.Subject
	})
	d.Allow = d.Summary.Deny == 0 && d.Summary.Error == 0 && len(d.InputErrors) == 0
}

// String renders "path:line: message", the form editors and CI logs link.
func (e InputError) String() string {
	switch {
	case e.Path != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Message)
	case e.Path != "":
		return e.Path + ": " + e.Message
	}
	return e.Collector + ": " + e.Message
}

// Override actions.
const (
	OverrideReplaced = "replaced"
	OverrideDisabled = "disabled"
)

// Describe says who took the policy over, and how.
func (o Override) Describe() string {
	if o.Action == OverrideReplaced {
		return fmt.Sprintf("replaced by %s from bundle %s", o.ReplacedBy, o.By)
	}
	return fmt.Sprintf("disabled by bundle %s: %s", o.By, o.Reason)
}

// Policy is one policy's metadata, read from its METADATA annotation.
type Policy struct {
	ID          string            `json:"id"`
	Title       string            `json:"title"`
	Version     string            `json:"version"`
	Severity    string            `json:"severity"`
	Description string            `json:"description"`
	Remediation string            `json:"remediation"`
	Profiles    map[string]string `json:"profiles"`
	// Requires names the facts sections (collectors) the policy reads.
	Requires []string `json:"requires"`
	// Replaces lists policies of other bundles this one stands in for.
	Replaces []string `json:"replaces,omitempty"`
	Package  string   `json:"package"`
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Bundle   string   `json:"bundle"`
}

// Enforcement is the level the policy's violations get in profile.
func (p Policy) Enforcement(profile string) string {
	if e, ok := p.Profiles[profile]; ok {
		return e
	}
	return LevelDeny
}

// BundleInfo identifies a loaded bundle in every decision, so a decision
// can be reproduced from the facts and the exact policies.
type BundleInfo struct {
	Name     string   `json:"name"`
	Revision string   `json:"revision"`
	Digest   string   `json:"digest"`
	Roots    []string `json:"roots,omitempty"`
	Source   string   `json:"source"`
	// SignedBy is the fingerprint of the key whose signature was verified
	// before the bundle was used; empty when no key was required.
	SignedBy string `json:"signed_by,omitempty"`
}

func levelRank(level string) int {
	return slices.Index([]string{LevelError, LevelDeny, LevelWarn, LevelWaived, LevelPass, LevelSkip, LevelOff}, level)
}
