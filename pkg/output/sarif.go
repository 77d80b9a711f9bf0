package output

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/gopolicy/gopolicy/pkg/decision"
)

// SARIF writes a SARIF 2.1.0 log for code-scanning tools: one rule per
// policy, one result per finding to act on (waived findings are results
// with an accepted external suppression).
type SARIF struct {
	// BaseDir is the repository root locations are made relative to.
	BaseDir     string
	ToolVersion string
}

// securitySeverity maps a policy severity onto the 0–10 scale code
// scanning reads from the security-severity property (over 9 critical,
// 7–8.9 high, 4–6.9 medium, under 4 low).
var securitySeverity = map[string]string{
	"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "1.0",
}

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool               sarifTool                `json:"tool"`
	Invocations        []sarifInvocation        `json:"invocations"`
	OriginalURIBaseIDs map[string]sarifArtifact `json:"originalUriBaseIds,omitempty"`
	Results            []sarifResult            `json:"results"`
	Properties         map[string]any           `json:"properties,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifText      `json:"shortDescription"`
	Help                 sarifText      `json:"help"`
	DefaultConfiguration sarifConfig    `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifSuppression struct {
	Kind          string         `json:"kind"`
	Status        string         `json:"status"`
	Justification string         `json:"justification"`
	Properties    map[string]any `json:"properties,omitempty"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Level               string             `json:"level"`
	Message             sarifText          `json:"message"`
	Locations           []sarifLocation    `json:"locations,omitempty"`
	PartialFingerprints map[string]string  `json:"partialFingerprints"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	Properties          map[string]any     `json:"properties"`
}

const srcRoot = "%SRCROOT%"

// Format implements Formatter.
func (s SARIF) Format(w io.Writer, d *decision.Decision) error {
	return s.FormatAll(w, []*decision.Decision{d})
}

// FormatAll writes one SARIF log with a run per decision.
func (s SARIF) FormatAll(w io.Writer, ds []*decision.Decision) error {
	runs := make([]sarifRun, 0, len(ds))
	for _, d := range ds {
		runs = append(runs, s.run(d))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: runs})
}

func (s SARIF) run(d *decision.Decision) sarifRun {
	run := sarifRun{
		Tool:        sarifTool{Driver: sarifDriver{Name: "gopolicy", Version: s.ToolVersion, InformationURI: "https://github.com/gopolicy/gopolicy", Rules: []sarifRule{}}},
		Invocations: []sarifInvocation{{ExecutionSuccessful: len(d.InputErrors) == 0 && d.Summary.Error == 0}},
		Results:     []sarifResult{},
		Properties:  map[string]any{"profile": d.Profile, "allow": d.Allow, "bundles": d.Bundles},
	}
	if s.BaseDir != "" {
		run.OriginalURIBaseIDs = map[string]sarifArtifact{srcRoot: {URI: fileURI(s.BaseDir) + "/"}}
	}
	ruleIndex := map[string]int{}
	for _, f := range d.Findings {
		if _, ok := ruleIndex[f.Policy]; ok {
			continue
		}
		ruleIndex[f.Policy] = len(run.Tool.Driver.Rules)
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
			ID:                   f.Policy,
			Name:                 ruleName(f.Title),
			ShortDescription:     sarifText{Text: f.Title},
			Help:                 sarifText{Text: strings.TrimSpace(f.Remediation), Markdown: "**How to fix:** " + strings.TrimSpace(f.Remediation)},
			DefaultConfiguration: sarifConfig{Level: "error"},
			Properties: map[string]any{
				"security-severity": securitySeverity[f.Severity],
				"severity":          f.Severity,
				"version":           f.Version,
				"bundle":            f.Bundle,
				"tags":              []string{"security", "go-build", "policy"},
			},
		})
	}
	for _, f := range violations(d) {
		r := sarifResult{
			RuleID:              f.Policy,
			RuleIndex:           ruleIndex[f.Policy],
			Level:               sarifLevel(f),
			Message:             sarifText{Text: f.Message},
			PartialFingerprints: map[string]string{"gopolicyFinding/v1": fingerprint(f)},
			Properties:          map[string]any{"gopolicy-level": f.Level, "policy-version": f.Version, "evidence": f.Evidence},
		}
		if f.Subject != "" {
			r.Properties["subject"] = f.Subject
		}
		for _, l := range locations(f, d, s.BaseDir) {
			r.Locations = append(r.Locations, sarifLoc(l))
		}
		if f.Level == decision.LevelWaived && f.Waiver != nil {
			props := map[string]any{"owner": f.Waiver.Owner, "expires": f.Waiver.Expires, "source": f.Waiver.Source}
			if f.Waiver.Ticket != "" {
				props["ticket"] = f.Waiver.Ticket
			}
			r.Suppressions = []sarifSuppression{{Kind: "external", Status: "accepted", Justification: f.Waiver.Reason, Properties: props}}
		}
		run.Results = append(run.Results, r)
	}
	for _, ie := range d.InputErrors {
		n := sarifNotification{Level: "error", Message: sarifText{Text: ie.String()}}
		if ie.Path != "" {
			n.Locations = []sarifLocation{sarifLoc(relocate(ie.Path, ie.Line, d.Dir, s.BaseDir))}
		}
		run.Invocations[0].ToolExecutionNotifications = append(run.Invocations[0].ToolExecutionNotifications, n)
	}
	return run
}

func sarifLevel(f decision.Finding) string {
	switch f.Level {
	case decision.LevelWarn:
		return "warning"
	case decision.LevelWaived:
		return "note"
	}
	return "error"
}

func sarifLoc(l location) sarifLocation {
	loc := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: l.Path}}}
	if l.Relative {
		loc.PhysicalLocation.ArtifactLocation.URIBaseID = srcRoot
		loc.PhysicalLocation.ArtifactLocation.URI = (&url.URL{Path: l.Path}).EscapedPath()
	} else {
		loc.PhysicalLocation.ArtifactLocation.URI = fileURI(l.Path)
	}
	if l.Line > 0 {
		loc.PhysicalLocation.Region = &sarifRegion{StartLine: l.Line}
	}
	return loc
}

func fileURI(path string) string {
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return (&url.URL{Scheme: "file", Path: p}).String()
}

// ruleName turns a title into the PascalCase identifier SARIF viewers
// show next to the id.
func ruleName(title string) string {
	var b strings.Builder
	for _, word := range strings.FieldsFunc(title, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) {
		b.WriteString(strings.ToUpper(word[:1]) + word[1:])
	}
	return b.String()
}

// fingerprint identifies a finding across runs by its policy, subject
// and the kinds of facts it points at (list indexes left out), not by
// values or line numbers, so code scanning keeps one alert when a line
// moves.
func fingerprint(f decision.Finding) string {
	h := sha256.New()
	h.Write([]byte(f.Policy + "\x00" + f.Subject))
	for _, e := range f.Evidence {
		h.Write([]byte("\x00" + indexRE.ReplaceAllString(e.Fact, "/*")))
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

var indexRE = regexp.MustCompile(`/\d+`)
