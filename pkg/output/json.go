package output

import (
	"encoding/json"
	"io"

	"github.com/gopolicy/gopolicy/pkg/eval"
)

// JSON writes the decision as one JSON object: the documented contract.
type JSON struct{}

// Format implements Formatter.
func (JSON) Format(w io.Writer, d *eval.Decision) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(d)
}
