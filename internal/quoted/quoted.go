// Package quoted splits flag strings the way the go command does for
// GOFLAGS and -ldflags (cmd/internal/quoted): spaces separate words, and
// single or double quotes group a word.
package quoted

import (
	"errors"
	"strings"
)

// Split splits s into words.
func Split(s string) ([]string, error) {
	var words []string
	for len(s) > 0 {
		if s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[0] == '\r' {
			s = s[1:]
			continue
		}
		if s[0] == '"' || s[0] == '\'' {
			q := s[0]
			end := strings.IndexByte(s[1:], q)
			if end < 0 {
				return nil, errors.New("unterminated " + string(q) + " string")
			}
			words = append(words, s[1:1+end])
			s = s[2+end:]
			continue
		}
		i := strings.IndexAny(s, " \t\n\r")
		if i < 0 {
			i = len(s)
		}
		words = append(words, s[:i])
		s = s[i:]
	}
	return words, nil
}
