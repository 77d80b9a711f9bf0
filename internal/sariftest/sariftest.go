// Package sariftest validates SARIF logs in tests against the OASIS SARIF
// 2.1.0 JSON schema, which CI provides through GOPOLICY_SARIF_SCHEMA.
package sariftest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// ErrNoSchema means GOPOLICY_SARIF_SCHEMA is not set: only the structural
// checks ran.
var ErrNoSchema = errors.New("GOPOLICY_SARIF_SCHEMA is not set: validated the structure only, not against the SARIF schema")

// Validate checks that data is a SARIF 2.1.0 log: always its version and
// runs, and against the schema when GOPOLICY_SARIF_SCHEMA names it.
func Validate(data []byte) error {
	var head struct {
		Version string            `json:"version"`
		Runs    []json.RawMessage `json:"runs"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if head.Version != "2.1.0" || len(head.Runs) == 0 {
		return fmt.Errorf("version %q with %d runs, want 2.1.0 with at least one run", head.Version, len(head.Runs))
	}
	path := os.Getenv("GOPOLICY_SARIF_SCHEMA")
	if path == "" {
		return ErrNoSchema
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("GOPOLICY_SARIF_SCHEMA: %w", err)
	}
	defer f.Close()
	schemaDoc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return fmt.Errorf("read SARIF schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("sarif-2.1.0.json", schemaDoc); err != nil {
		return err
	}
	schema, err := c.Compile("sarif-2.1.0.json")
	if err != nil {
		return fmt.Errorf("compile SARIF schema: %w", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return err
	}
	if err := schema.Validate(doc); err != nil {
		return fmt.Errorf("SARIF log does not validate: %w", err)
	}
	return nil
}

// Require fails the test unless data is valid SARIF 2.1.0; without the
// schema it logs that only the structure was checked.
func Require(tb testing.TB, data []byte) {
	tb.Helper()
	err := Validate(data)
	if errors.Is(err, ErrNoSchema) {
		tb.Log(err)
		return
	}
	if err != nil {
		tb.Fatal(err)
	}
}
