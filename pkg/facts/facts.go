// Package facts defines the facts document: the versioned contract between
// the collectors that gather facts and the engine that judges them.
//
// Every section is keyed by the name of the collector that produced it, and
// every collector has a status entry in Collectors, so a consumer can tell a
// fact that is absent because it does not apply (status "skipped") from one
// that is absent because gathering it failed (status "error").
package facts

import (
	"reflect"
	"strconv"
	"strings"
	"time"
)

// SchemaVersion names this version of the document. A consumer must refuse
// a document whose Schema it does not know.
const SchemaVersion = "gopolicy.dev/facts/v1"

// Collector statuses.
const (
	StatusOK      = "ok"
	StatusError   = "error"
	StatusSkipped = "skipped"
)

// Document is the whole facts document.
type Document struct {
	Schema string    `json:"schema"`
	Now    time.Time `json:"now"`
	Tool   Tool      `json:"tool"`
	// Dir is the absolute directory the collection ran for.
	Dir        string                     `json:"dir"`
	Collectors map[string]CollectorStatus `json:"collectors"`

	GoEnv    *GoEnv   `json:"goenv,omitempty"`
	Runner   *Runner  `json:"runner,omitempty"`
	GoMod    *GoMod   `json:"gomod,omitempty"`
	GoSum    *GoSum   `json:"gosum,omitempty"`
	Vendor   *Vendor  `json:"vendor,omitempty"`
	GoWork   *GoWork  `json:"gowork,omitempty"`
	Target   *Target  `json:"target,omitempty"`
	Binaries []Binary `json:"binaries,omitempty"`
	Rootfs   *Rootfs  `json:"rootfs,omitempty"`
	// Evidence is what the Sigstore bundles and facts attestations given
	// for the binaries proved (added in 0.4.0).
	Evidence *Evidence `json:"evidence,omitempty"`
	// Admission is the workload an admission request is about: its
	// namespace and each container's image, Go runtime environment and
	// limits (added in 0.5.0; written by gopolicy serve only).
	Admission *Admission `json:"admission,omitempty"`
}

// Sections lists the document's collector sections: the names policies
// may list in custom.requires.
func Sections() []string {
	var out []string
	t := reflect.TypeOf(Document{})
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		switch name {
		case "schema", "now", "tool", "dir", "collectors":
			continue
		}
		out = append(out, name)
	}
	return out
}

// SectionSince names the release that added each section after 0.3.0. A
// document from an earlier release lacks the section because nothing
// collected it then: policies that need it are not judged (skipped),
// where a missing section in a current document is an error.
var SectionSince = map[string]string{"evidence": "0.4.0", "admission": "0.5.0"}

// Predates reports whether a document written by gopolicy toolVersion
// predates section. A version that cannot be read does not predate
// anything: the section's absence is then an error, not an excuse.
func Predates(toolVersion, section string) bool {
	since, ok := SectionSince[section]
	if !ok {
		return false
	}
	have, ok := parseVersion(toolVersion)
	if !ok {
		return false
	}
	want, _ := parseVersion(since)
	for i := range have {
		if have[i] != want[i] {
			return have[i] < want[i]
		}
	}
	return false
}

// parseVersion reads MAJOR.MINOR.PATCH, ignoring a pre-release or build
// suffix.
func parseVersion(v string) ([3]int, bool) {
	var out [3]int
	v = strings.TrimPrefix(v, "v")
	if i := strings.IndexAny(v, "-+"); i >= 0 {
		v = v[:i]
	}
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return out, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return out, false
		}
		out[i] = n
	}
	return out, true
}

// Tool identifies the program that produced the document.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// CollectorStatus says how one collector fared.
type CollectorStatus struct {
	Status     string    `json:"status"`
	Reason     string    `json:"reason,omitempty"`
	Problems   []Problem `json:"problems,omitempty"`
	DurationMS float64   `json:"duration_ms"`
	// Notes say what the collector left out on purpose, so an empty
	// section is never read as "everything checked" (a directory scan's
	// subdirectories and non-executables; added in 0.4.0).
	Notes []string `json:"notes,omitempty"`
	// Attested, when set, says the section was not collected here but
	// taken from a verified facts attestation: which bundle, who signed
	// it, and when the build recorded it (added in 0.4.0).
	Attested *Attested `json:"attested,omitempty"`
}

// Attested names the attestation a section came from.
type Attested struct {
	// Input is the attestation (bundle) file.
	Input string `json:"input"`
	// Signer is the key fingerprint or the certificate identity.
	Signer string `json:"signer"`
	// CollectedAt is when the build collected the facts (the attested
	// document's now).
	CollectedAt time.Time `json:"collected_at"`
	// Binary is the judged binary whose digest the attestation names.
	Binary string `json:"binary"`
}

// Problem is something a collector could not read or understand, located
// as precisely as the input allows.
type Problem struct {
	Path    string `json:"path,omitempty"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

// Position renders "path:line" (or just path) for messages.
func (p Problem) Position() string {
	switch {
	case p.Path == "":
		return ""
	case p.Line > 0:
		return p.Path + ":" + strconv.Itoa(p.Line)
	default:
		return p.Path
	}
}

func (p Problem) String() string {
	if pos := p.Position(); pos != "" {
		return pos + ": " + p.Message
	}
	return p.Message
}
