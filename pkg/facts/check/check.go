// Package check validates a facts document against the facts schema
// wherever one enters gopolicy from outside (a saved file, a request, an
// attestation), so a document of the wrong shape is refused with the JSON
// pointer that is wrong instead of being judged: a section of the wrong
// type, or a list set to null, would otherwise read as "no violations".
package check

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gopolicy/gopolicy/pkg/facts"
)

// Error is a facts document that does not match the schema, or is not a
// JSON object at all.
type Error struct {
	// Pointer is the JSON pointer of the first offending value ("" for
	// the whole document).
	Pointer string
	// Message says what is wrong there, in words.
	Message string
}

func (e *Error) Error() string {
	if e.Pointer == "" {
		return "facts document: " + e.Message
	}
	return fmt.Sprintf("facts document: %s: %s", e.Pointer, e.Message)
}

// Document decodes and validates a facts document. It returns the
// document decoded with numbers kept as json.Number, ready for the engine.
func Document(data []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &Error{Message: "the document is empty (expected a JSON object written by 'gopolicy collect')"}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &Error{Message: "not valid JSON: " + DescribeJSONError(data, err)}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, &Error{Message: "not valid JSON: more than one value in the document"}
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, &Error{Message: fmt.Sprintf("the document is a JSON %s, not an object (expected what 'gopolicy collect' writes)", jsonType(v))}
	}
	if s, ok := doc["schema"].(string); !ok || s != facts.SchemaVersion {
		return nil, &Error{Pointer: "/schema", Message: schemaMismatch(doc["schema"])}
	}
	if err := validateDocument(doc); err != nil {
		return nil, err
	}
	return doc, nil
}

func schemaMismatch(v any) string {
	switch s := v.(type) {
	case nil:
		return fmt.Sprintf("missing: this is not a gopolicy facts document (want schema %q)", facts.SchemaVersion)
	case string:
		return fmt.Sprintf("%q is not %q, the facts schema this gopolicy judges", s, facts.SchemaVersion)
	}
	return fmt.Sprintf("want the string %q, got a JSON %s", facts.SchemaVersion, jsonType(v))
}

func toolVersion(doc map[string]any) string {
	tool, _ := doc["tool"].(map[string]any)
	v, _ := tool["version"].(string)
	return v
}

func pointer(loc []string) string {
	var b strings.Builder
	for _, p := range loc {
		b.WriteString("/" + escape(p))
	}
	return b.String()
}

func escape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func article(t string) string {
	switch t {
	case "null":
		return "null"
	case "array", "object", "integer":
		return "an " + t
	}
	return "a " + t
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	}
	return "object"
}

// DescribeJSONError says what is wrong with JSON that does not decode,
// with the line of the error where the decoder gives an offset.
func DescribeJSONError(data []byte, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	off := int64(-1)
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the document ends too early (truncated?)"
	}
	if off < 0 {
		return err.Error()
	}
	line := 1 + bytes.Count(data[:min(int(off), len(data))], []byte("\n"))
	return fmt.Sprintf("line %d: %v", line, err)
}
