package facts

import (
	"fmt"
	"regexp"
	"strconv"
)

// Secrets never enter the facts document: collectors replace a value
// that carries a credential (a token in GOPROXY's userinfo or in GOFLAGS,
// a password in an -ldflags -X value) with a marker that keeps what
// policies need to know, that a secret was there and how long it was,
// and nothing that would let a reader use it. Everything downstream (every
// report format, stored documents, attestations) therefore sees only the
// marker.

var redactedRE = regexp.MustCompile(`^\[redacted: (\d+) characters\]$`)

// Redact returns the marker that stands for secret.
func Redact(secret string) string {
	return fmt.Sprintf("[redacted: %d characters]", len(secret))
}

// Redacted reports whether s is a marker, and the length of the secret
// it stands for.
func Redacted(s string) (length int, ok bool) {
	m := redactedRE.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil
}
