package output

import (
	"encoding/json"
	"io"

	"github.com/gopolicy/gopolicy/pkg/decision"
)

// JSON writes the decision as one JSON object: the documented contract.
type JSON struct{}

// Format implements Formatter.
func (JSON) Format(w io.Writer, d *decision.Decision) error { return encodeJSON(w, d) }

// FormatAll writes the decisions as a JSON array.
func (JSON) FormatAll(w io.Writer, ds []*decision.Decision) error {
	if ds == nil {
		ds = []*decision.Decision{}
	}
	return encodeJSON(w, ds)
}

func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
