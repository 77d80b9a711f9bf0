package attested

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/gopolicy/gopolicy/pkg/facts"
)

// bindOrder tries the binaries a bundle names first, and keeps the rest:
// the order only saves work, verification still decides.
func TestBindOrder(t *testing.T) {
	bins := []facts.Binary{{Path: "a", SHA256: "aa"}, {Path: "b", SHA256: "bb"}, {Path: "c", SHA256: "cc"}}
	statement, _ := json.Marshal(map[string]any{"subject": []any{map[string]any{"name": "c", "digest": map[string]string{"sha256": "CC"}}}})
	dsse, _ := json.Marshal(map[string]any{"dsseEnvelope": map[string]any{"payload": base64.StdEncoding.EncodeToString(statement)}})
	message, _ := json.Marshal(map[string]any{"messageSignature": map[string]any{"messageDigest": map[string]any{"digest": base64.StdEncoding.EncodeToString([]byte{0xbb})}}})
	for name, c := range map[string]struct {
		data []byte
		want string
	}{
		"statement subject":  {dsse, "cab"},
		"message digest":     {message, "bac"},
		"not a bundle":       {[]byte("{"), "abc"},
		"payload not base64": {[]byte(`{"dsseEnvelope": {"payload": "%%%"}}`), "abc"},
	} {
		var got string
		for _, b := range bindOrder(c.data, bins) {
			got += b.Path
		}
		if got != c.want {
			t.Errorf("%s: order %s, want %s", name, got, c.want)
		}
	}
}
