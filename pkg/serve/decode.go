package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// Default request bounds: the API server sends at most ~3 MiB objects,
// and no Kubernetes object nests anywhere near 100 levels.
const (
	DefaultMaxBodyBytes = 3 << 20
	DefaultMaxJSONDepth = 100
	// MaxKeys bounds the keys of one ProviderRequest.
	MaxKeys = 1000
)

// RequestError is a malformed request: it is answered with 400 and the
// reason.
type RequestError struct{ Reason string }

func (e *RequestError) Error() string { return e.Reason }

func badRequest(format string, args ...any) error {
	return &RequestError{Reason: fmt.Sprintf(format, args...)}
}

// readBody reads a POSTed JSON body, bounded in size.
func readBody(r *http.Request, max int64) ([]byte, error) {
	if r.Method != http.MethodPost {
		return nil, badRequest("method %s not allowed: POST a JSON document", r.Method)
	}
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, max))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, badRequest("request body over the %d-byte limit", max)
		}
		return nil, badRequest("read request body: %v", err)
	}
	return data, nil
}

// checkDepth refuses JSON nested deeper than max, before any decoder
// recurses into it.
func checkDepth(data []byte, max int) error {
	depth := 0
	inString, escaped := false, false
	for _, c := range data {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
			if depth > max {
				return badRequest("JSON nested deeper than %d levels", max)
			}
		case '}', ']':
			depth--
		}
	}
	return nil
}

// decodeStrict decodes one JSON value into v: bounded depth, no trailing
// data.
func decodeStrict(data []byte, maxDepth int, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return badRequest("empty request body")
	}
	if err := checkDepth(data, maxDepth); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return badRequest("malformed JSON: %v", err)
	}
	if dec.More() {
		return badRequest("trailing data after the JSON document")
	}
	return nil
}

// DecodeProviderRequest decodes and checks a Gatekeeper ProviderRequest.
func DecodeProviderRequest(data []byte, maxDepth int) (*ProviderRequest, error) {
	var req ProviderRequest
	if err := decodeStrict(data, maxDepth, &req); err != nil {
		return nil, err
	}
	if req.APIVersion != ExternalDataAPIVersion {
		return nil, badRequest("apiVersion %q: want %s", req.APIVersion, ExternalDataAPIVersion)
	}
	if req.Kind != "ProviderRequest" {
		return nil, badRequest("kind %q: want ProviderRequest", req.Kind)
	}
	if len(req.Request.Keys) > MaxKeys {
		return nil, badRequest("%d keys: at most %d per request", len(req.Request.Keys), MaxKeys)
	}
	return &req, nil
}
