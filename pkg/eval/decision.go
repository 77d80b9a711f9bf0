package eval

import "fmt"

// Finding levels. A policy's enforcement in the chosen profile turns its
// violations into deny or warn; error means the policy could not be judged.
const (
	LevelDeny  = "deny"
	LevelWarn  = "warn"
	LevelError = "error"
	LevelPass  = "pass"
	// LevelSkip is a policy whose facts do not apply (no go.mod, say).
	LevelSkip = "skip"
	// LevelOff is a policy the profile switches off.
	LevelOff = "off"
)

// Decision is the outcome of judging one facts document. It is the public
// contract of `gopolicy eval --format json`.
type Decision struct {
	Allow   bool         `json:"allow"`
	Profile string       `json:"profile"`
	Bundle  BundleInfo   `json:"bundle"`
	Bundles []BundleInfo `json:"bundles"`
	Summary Summary      `json:"summary"`
	// Findings holds one entry per violation, and one per policy that
	// passed, was skipped, was off or failed, so an auditor sees every
	// policy that was considered.
	Findings []Finding `json:"findings"`
	// InputErrors are facts that could not be gathered (unreadable or
	// malformed files). Any input error makes the decision fail with exit
	// status 2.
	InputErrors []InputError `json:"input_errors"`
}

// Summary counts findings by level.
type Summary struct {
	Deny  int `json:"deny"`
	Warn  int `json:"warn"`
	Error int `json:"error"`
	Pass  int `json:"pass"`
	Skip  int `json:"skip"`
	Off   int `json:"off"`
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
}

// Evidence is one fact a finding rests on.
type Evidence struct {
	// Fact is a JSON pointer into the facts document.
	Fact  string `json:"fact"`
	Value any    `json:"value"`
	// Source says where the value came from: an environment layer, or
	// file:line.
	Source string `json:"source,omitempty"`
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
	}
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
