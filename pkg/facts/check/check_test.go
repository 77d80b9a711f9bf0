package check

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/gopolicy/gopolicy/pkg/facts"
)

// schemaValidator is the checked-in JSON Schema, compiled with a general
// validator: the reference the fast checker must agree with.
func schemaValidator(tb testing.TB) *jsonschema.Schema {
	tb.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(facts.SchemaJSON))
	if err != nil {
		tb.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	// Formats are assertions here, as they are for the checker: "now"
	// that is not a time is an error, not an annotation.
	c.AssertFormat()
	const url = "https://gopolicy.dev/schema/facts/v1.json"
	if err := c.AddResource(url, doc); err != nil {
		tb.Fatal(err)
	}
	s, err := c.Compile(url)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// agree checks that the fast checker and the JSON Schema accept and
// refuse the same document.
func agree(tb testing.TB, s *jsonschema.Schema, data []byte) {
	tb.Helper()
	_, err := Document(data)
	inst, perr := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if perr != nil {
		if err == nil {
			tb.Fatalf("the checker accepts a document that is not JSON:\n%s", data)
		}
		return
	}
	if _, ok := inst.(map[string]any); !ok {
		if err == nil {
			tb.Fatalf("the checker accepts a document that is not an object:\n%s", data)
		}
		return
	}
	// Documents that hold more than one JSON value are refused by the
	// checker alone; the schema sees the first value.
	var extra json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	_ = dec.Decode(&extra)
	if dec.More() {
		return
	}
	schemaErr := s.Validate(inst)
	if (err == nil) != (schemaErr == nil) {
		tb.Fatalf("checker: %v\nschema: %v\ndocument:\n%.2000s", err, schemaErr, data)
	}
}

func seedDocuments(tb testing.TB) [][]byte {
	tb.Helper()
	var out [][]byte
	for _, pattern := range []string{"../../gopolicy/testdata/facts-0.3.0/*.facts.json", "../../../examples/policies/fixtures/*.facts.json"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			tb.Fatal(err)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				tb.Fatal(err)
			}
			out = append(out, data)
		}
	}
	if len(out) == 0 {
		tb.Fatal("no seed documents found")
	}
	return out
}

// mutations change one value of a document in the ways a hostile or
// broken producer would: each node replaced by a value of every other JSON
// type, deleted, or given a sibling nobody knows.
func mutations(doc any, apply func(mutated any)) {
	replacements := []any{nil, "x", json.Number("1"), json.Number("1.5"), true, []any{}, map[string]any{}}
	var walk func(v any, set func(any))
	walk = func(v any, set func(any)) {
		for _, r := range replacements {
			set(r)
			apply(doc)
		}
		set(v)
		switch x := v.(type) {
		case map[string]any:
			for _, k := range sortedKeys(x) {
				child := x[k]
				delete(x, k)
				apply(doc)
				x[k] = child
				walk(child, func(nv any) { x[k] = nv })
			}
			x["unknown_field"] = true
			apply(doc)
			delete(x, "unknown_field")
		case []any:
			for i := range x {
				walk(x[i], func(nv any) { x[i] = nv })
			}
		}
	}
	walk(doc, func(any) {})
}

// The checker agrees with the JSON Schema on real documents and on every
// single mutation of them.
func TestCheckerAgreesWithSchema(t *testing.T) {
	s := schemaValidator(t)
	n := 0
	for _, data := range seedDocuments(t) {
		if _, err := Document(data); err != nil {
			t.Fatalf("a valid document is refused: %v", err)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var doc any
		if err := dec.Decode(&doc); err != nil {
			t.Fatal(err)
		}
		mutations(doc, func(mutated any) {
			out, err := json.Marshal(mutated)
			if err != nil {
				t.Fatal(err)
			}
			agree(t, s, out)
			n++
		})
	}
	t.Logf("%d mutated documents, checker and schema agree on all", n)
}

// FuzzDocument: no input makes the checker panic, and it accepts exactly
// what the JSON Schema accepts.
func FuzzDocument(f *testing.F) {
	for _, d := range seedDocuments(f) {
		f.Add(d)
	}
	f.Add([]byte(`{"schema":"gopolicy.dev/facts/v1"}`))
	f.Add([]byte(`[]`))
	s := schemaValidator(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		agree(t, s, data)
	})
}

func BenchmarkDocument(b *testing.B) {
	data := seedDocuments(b)[0]
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Document(data); err != nil {
			b.Fatal(err)
		}
	}
}
