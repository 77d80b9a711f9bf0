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
