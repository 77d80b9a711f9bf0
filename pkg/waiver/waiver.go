// Package waiver reads waivers (reviewed exceptions to policy findings)
// and applies them to decisions. A waiver is data, not Rego: who accepted
// which finding, why, and until when.
package waiver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/gopolicy/gopolicy/internal/fileline"
)

// Waiver is one reviewed exception.
type Waiver struct {
	Policy string
	// Match selects findings: keys subject, fact, value, source, each a
	// glob where * matches any run of characters (slashes included).
	Match   map[string]string
	Reason  string
	Owner   string
	Expires time.Time
	// ExpiresText is the date as written.
	ExpiresText string
	Ticket      string
	File        string
	Line        int
}

// Source is the waiver's file:line.
func (w Waiver) Source() string { return fmt.Sprintf("%s:%d", w.File, w.Line) }

// MatchKeys are the keys a waiver's match may use.
var MatchKeys = []string{"subject", "fact", "value", "source"}

var fields = []string{"policy", "match", "reason", "owner", "expires", "ticket"}

// Error is a malformed waiver file, located at file:line.
type Error = fileline.Error

// ParseFile reads a waiver file: a mapping with one key, waivers, holding
// a list of waivers (or the list alone).
func ParseFile(name string, data []byte) ([]Waiver, error) {
	return parse(name, data, false)
}

// ParseConfig reads the waivers key of a gopolicy.yaml; other keys
// belong to the rest of the configuration.
func ParseConfig(name string, data []byte) ([]Waiver, error) {
	return parse(name, data, true)
}

func parse(name string, data []byte, config bool) ([]Waiver, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			if config {
				return nil, nil
			}
			return nil, &Error{File: name, Msg: "empty waiver file"}
		}
		return nil, yamlError(name, err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	var list *yaml.Node
	switch root.Kind {
	case yaml.SequenceNode:
		if config {
			return nil, &Error{File: name, Line: root.Line, Msg: "the configuration must be a mapping"}
		}
		list = root
	case yaml.MappingNode:
		for i := 0; i+1 < len(root.Content); i += 2 {
			k, v := root.Content[i], root.Content[i+1]
			if k.Value == "waivers" {
				list = v
				continue
			}
			if !config {
				return nil, &Error{File: name, Line: k.Line, Msg: fmt.Sprintf("unknown key %q (a waiver file holds only waivers)", k.Value)}
			}
		}
		if list == nil {
			if config {
				return nil, nil
			}
			return nil, &Error{File: name, Line: root.Line, Msg: "no waivers key"}
		}
	default:
		return nil, &Error{File: name, Line: root.Line, Msg: "want a list of waivers"}
	}
	if list.Kind == yaml.ScalarNode && list.Tag == "!!null" {
		return nil, nil
	}
	if list.Kind != yaml.SequenceNode {
		return nil, &Error{File: name, Line: list.Line, Msg: "waivers must be a list"}
	}
	var out []Waiver
	for _, item := range list.Content {
		w, err := parseOne(name, item)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

func yamlError(name string, err error) error {
	m := yamlLineRE.FindStringSubmatch(err.Error())
	if m == nil {
		return &Error{File: name, Msg: err.Error()}
	}
	line := 0
	fmt.Sscan(m[1], &line)
	return &Error{File: name, Line: line, Msg: m[2]}
}

func parseOne(name string, n *yaml.Node) (Waiver, error) {
	w := Waiver{File: name, Line: n.Line}
	if n.Kind != yaml.MappingNode {
		return w, &Error{File: name, Line: n.Line, Msg: "a waiver must be a mapping with policy, match, reason, owner and expires"}
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !slices.Contains(fields, k.Value) {
			return w, &Error{File: name, Line: k.Line, Msg: fmt.Sprintf("unknown waiver field %q (known: %s)", k.Value, strings.Join(fields, ", "))}
		}
		if seen[k.Value] {
			return w, &Error{File: name, Line: k.Line, Msg: fmt.Sprintf("waiver field %q given twice", k.Value)}
		}
		seen[k.Value] = true
		if k.Value == "match" {
			m, err := parseMatch(name, v)
			if err != nil {
				return w, err
			}
			w.Match = m
			continue
		}
		if v.Kind != yaml.ScalarNode {
			return w, &Error{File: name, Line: v.Line, Msg: fmt.Sprintf("waiver field %q must be a string", k.Value)}
		}
		s := strings.TrimSpace(v.Value)
		switch k.Value {
		case "policy":
			w.Policy = s
		case "reason":
			w.Reason = s
		case "owner":
			w.Owner = s
		case "ticket":
			w.Ticket = s
		case "expires":
			t, err := ParseTime(s)
			if err != nil {
				return w, &Error{File: name, Line: v.Line, Msg: fmt.Sprintf("expires %q: want a date (2026-12-31) or an RFC 3339 time", s)}
			}
			w.Expires, w.ExpiresText = t, s
		}
	}
	for _, required := range []string{"policy", "match", "reason", "owner", "expires"} {
		if !seen[required] {
			return w, &Error{File: name, Line: n.Line, Msg: fmt.Sprintf("waiver has no %s (every waiver needs policy, match, reason, owner and expires)", required)}
		}
	}
	for field, val := range map[string]string{"policy": w.Policy, "reason": w.Reason, "owner": w.Owner} {
		if val == "" {
			return w, &Error{File: name, Line: n.Line, Msg: fmt.Sprintf("waiver %s is empty", field)}
		}
	}
	return w, nil
}

func parseMatch(name string, n *yaml.Node) (map[string]string, error) {
	if n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		return nil, &Error{File: name, Line: n.Line, Msg: "match must be a mapping with at least one of " + strings.Join(MatchKeys, ", ")}
	}
	m := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !slices.Contains(MatchKeys, k.Value) {
			return nil, &Error{File: name, Line: k.Line, Msg: fmt.Sprintf("unknown match key %q (known: %s)", k.Value, strings.Join(MatchKeys, ", "))}
		}
		if v.Kind != yaml.ScalarNode || v.Value == "" {
			return nil, &Error{File: name, Line: v.Line, Msg: fmt.Sprintf("match %s must be a non-empty string", k.Value)}
		}
		if _, dup := m[k.Value]; dup {
			return nil, &Error{File: name, Line: k.Line, Msg: fmt.Sprintf("match key %q given twice", k.Value)}
		}
		m[k.Value] = v.Value
	}
	return m, nil
}

// ParseTime reads a date, meaning the end of that day in UTC (a waiver
// "expires 2026-12-31" still holds on the 31st), or an RFC 3339 time.
func ParseTime(s string) (time.Time, error) {
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		return d.AddDate(0, 0, 1), nil
	}
	return time.Parse(time.RFC3339, s)
}
