package binary

import (
	"regexp"
	"strings"
	"unicode"

	"github.com/gopolicy/gopolicy/pkg/facts"
)

// Secrets never enter the facts (facts.Redact). Collection cannot read
// the policy data, so it carries its own detector with the same defaults
// as the built-in policy data (credential_name_pattern and
// credential_value_patterns in policies/gopolicy/config/data.json; a test
// keeps them equal). An -X value, or a stamp read back from the binary,
// is redacted when its symbol's name matches CredentialNamePattern or its
// value matches one of CredentialValuePatterns. GP-BIN-008 fires on the
// marker, and keeps its own checks, with the organisation's patterns, on
// names and on values that were not redacted.

// CredentialNamePattern matches symbol names that hold credentials.
const CredentialNamePattern = `(?i)(secret|passw(or)?d|token|api[_-]?key|credential|private[_-]?key|access[_-]?key)`

// CredentialValuePatterns match values that are credentials whatever
// their name: AWS access keys, GitHub and Slack tokens, PEM private keys,
// URLs with a password.
var CredentialValuePatterns = []string{
	`AKIA[0-9A-Z]{16}`,
	`gh[pousr]_[A-Za-z0-9]{36,}`,
	`xox[abpr]-[A-Za-z0-9-]{10,}`,
	`-----BEGIN [A-Z ]*PRIVATE KEY-----`,
	`^[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]+:[^/\s@]+@`,
}

var (
	credentialName   = regexp.MustCompile(CredentialNamePattern)
	credentialValues = func() []*regexp.Regexp {
		out := make([]*regexp.Regexp, len(CredentialValuePatterns))
		for i, p := range CredentialValuePatterns {
			out[i] = regexp.MustCompile(p)
		}
		return out
	}()
)

// hintLen is how much of a value a value pattern's match may show: every
// default pattern fixes at least its first three characters (a token
// type or a URL scheme), which say what kind of secret it was and nothing
// of the secret. A value whose match starts later shows nothing: its
// first characters are not the pattern's.
const hintLen = 3

// LooksSecret reports whether symbol=value looks like a credential, and
// the hint findings may show of it ("" when only the name matched).
func LooksSecret(symbol, value string) (secret bool, hint string) {
	if value == "" || isMarker(value) {
		return false, ""
	}
	for _, re := range credentialValues {
		if loc := re.FindStringIndex(value); loc != nil {
			// Only a match at the start fixes the first characters.
			if loc[0] == 0 && loc[1] >= hintLen && len(value) > 2*hintLen {
				hint = value[:hintLen]
			}
			return true, hint
		}
	}
	return credentialName.MatchString(symbol), ""
}

func isMarker(s string) bool {
	_, ok := facts.Redacted(s)
	return ok
}

// xArg is one -X assignment and the word it came from.
type xArg struct {
	x      facts.XAssignment
	arg    word
	prefix string // what precedes symbol=value in the word ("-X=")
}

// parseLDFlags extracts -X assignments and the strip flags from an
// -ldflags value as build info records it (the go command's quoting).
func parseLDFlags(s string) (args []xArg, stripSymbols, stripDWARF bool) {
	words, _ := splitWords(s)
	for i := 0; i < len(words); i++ {
		w := strings.TrimPrefix(strings.TrimPrefix(words[i].text, "-"), "-")
		var a xArg
		switch {
		case w == "X" && i+1 < len(words):
			i++
			a.arg = words[i]
		case strings.HasPrefix(w, "X="):
			a.arg = words[i]
			a.prefix = words[i].text[:len(words[i].text)-len(w)+2]
			a.arg.text = w[2:]
		case w == "s" || w == "s=true":
			stripSymbols, stripDWARF = true, true
			continue
		case w == "w" || w == "w=true":
			stripDWARF = true
			continue
		default:
			continue
		}
		if sym, val, ok := strings.Cut(a.arg.text, "="); ok {
			a.x = facts.XAssignment{Symbol: sym, Value: val}
			args = append(args, a)
		}
	}
	return args, stripSymbols, stripDWARF
}

// RedactLDFlags parses an -ldflags value as ParseLDFlags does and
// replaces each -X value that looks like a credential, in the
// assignments and in the string itself, with facts.Redact's marker. The
// rewritten word is quoted so the string still parses to the same
// assignments. A string with an unterminated quote (the go command never
// records one) cannot be rewritten that way: holding a secret, it is
// replaced whole.
func RedactLDFlags(s string) (redacted string, xs []facts.XAssignment, stripSymbols, stripDWARF bool) {
	args, stripSymbols, stripDWARF := parseLDFlags(s)
	_, quotable := splitWords(s)
	xs = make([]facts.XAssignment, 0, len(args))
	var out strings.Builder
	last := 0
	for _, a := range args {
		x := a.x
		if secret, hint := LooksSecret(x.Symbol, x.Value); secret {
			x.Value, x.Hint = facts.Redact(x.Value), hint
			out.WriteString(s[last:a.arg.start])
			out.WriteString(quoteWord(a.prefix + x.Symbol + "=" + x.Value))
			last = a.arg.end
		}
		xs = append(xs, x)
	}
	if last == 0 {
		return s, xs, stripSymbols, stripDWARF
	}
	if !quotable {
		return facts.Redact(s), xs, stripSymbols, stripDWARF
	}
	out.WriteString(s[last:])
	return out.String(), xs, stripSymbols, stripDWARF
}

// quoteWord quotes w for the go command's flag splitting; the marker holds
// spaces. A word holding both quote characters cannot be quoted: its
// quotes are dropped (it only ever holds a symbol name and the marker).
func quoteWord(w string) string {
	switch {
	case !strings.Contains(w, "'"):
		return "'" + w + "'"
	case !strings.Contains(w, `"`):
		return `"` + w + `"`
	}
	return "'" + strings.NewReplacer("'", "", `"`, "").Replace(w) + "'"
}

// word is one word of a flag string and where it lies in the string,
// quotes included.
type word struct {
	text       string
	start, end int
}

// splitWords splits like internal/quoted.Split (spaces separate words,
// single or double quotes group one, nothing is unescaped), keeping each
// word's place; a string with an unterminated quote is split at spaces,
// as ParseLDFlags falls back to, and ok is false.
func splitWords(s string) (words []word, ok bool) {
	for i := 0; i < len(s); {
		c := s[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			i++
			continue
		}
		if c == '"' || c == '\'' {
			end := strings.IndexByte(s[i+1:], c)
			if end < 0 {
				return fieldWords(s), false
			}
			words = append(words, word{text: s[i+1 : i+1+end], start: i, end: i + 2 + end})
			i += 2 + end
			continue
		}
		j := strings.IndexAny(s[i:], " \t\n\r")
		if j < 0 {
			j = len(s) - i
		}
		words = append(words, word{text: s[i : i+j], start: i, end: i + j})
		i += j
	}
	return words, true
}

// fieldWords splits at white space as strings.Fields does.
func fieldWords(s string) []word {
	var words []word
	start := -1
	for i, r := range s {
		switch space := unicode.IsSpace(r); {
		case space && start >= 0:
			words = append(words, word{text: s[start:i], start: start, end: i})
			start = -1
		case !space && start < 0:
			start = i
		}
	}
	if start >= 0 {
		words = append(words, word{text: s[start:], start: start, end: len(s)})
	}
	return words
}

// redactStamp replaces a stamp's expected and read-back values when they
// are, or hold, a secret: the stamp's -X assignment was redacted, or the
// symbol or value looks like a credential.
func redactStamp(s *facts.Stamp, xRedacted bool) {
	secret := xRedacted
	if !secret {
		secret, _ = LooksSecret(s.Symbol, s.Value)
	}
	if !secret {
		return
	}
	if s.Expected != "" && !isMarker(s.Expected) {
		s.Expected = facts.Redact(s.Expected)
	}
	if s.Value != "" {
		s.Value = facts.Redact(s.Value)
	}
}
