package eval

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gobwas/glob"
)

// globAgrees checks compileGlob against the glob package OPA uses.
func globAgrees(t *testing.T, pattern, subject string, seps []rune) {
	t.Helper()
	want, werr := glob.Compile(pattern, seps...)
	re, err := compileGlob(pattern, seps)
	if werr != nil {
		if err == nil || err.Error() != werr.Error() {
			t.Fatalf("pattern %q: glob says %v, compileGlob %v", pattern, werr, err)
		}
		return
	}
	if err != nil {
		t.Fatalf("pattern %q (separators %q): glob compiles it, compileGlob: %v", pattern, string(seps), err)
	}
	if !utf8.ValidString(subject) && strings.ContainsRune(pattern, utf8.RuneError) {
		return // refused by boundedGlobMatch
	}
	if got, w := re.MatchString(subject), want.Match(subject); got != w {
		t.Fatalf("pattern %q (separators %q, regexp %s) on %q: got %v, glob %v", pattern, string(seps), re, subject, got, w)
	}
}

var globSeeds = []struct {
	pattern, subject string
	seps             string
}{
	{"", "", ""}, {"abc", "abc", ""}, {"a*c", "abbbc", ""}, {"a*a*a*a*b", "aaaaaaab", ""},
	{"**a*b", "axc.ab", "."}, {"*a**b", "xa.b", "."}, {"{*,**,?}", "a.b", "."}, {"{a,ab}c", "abc", ""},
	{"{*.google.*,yandex.*}", "www.google.com", "."}, {"[!a]*", "this is a test3", ""},
	{"[a-z][!a-x]*cat*[h][!b]*eyes*", "my cat has very bright eyes", ""}, {`\*`, "*", ""},
	{"*ä", "åä", ""}, {"{,a}{a,}a", "a", ""}, {"{{a,b},c}d", "bd", ""}, {"*{*0,}", "1", ""},
	{"[!a]", "\ufffd", ""}, {"[]", "a", ""}, {"[!]", "a", ""}, {"[]-a]", "^", ""}, {`[\-z]`, "a", ""},
	{"[a-]", "a", ""}, {"[!!]", "a", ""}, {"a}b,c", "a}b,c", ""}, {"{a,b", "a", ""}, {`a\`, "a", ""},
	{"[a-z0-9]", "a", ""}, {"[z-a]", "a", ""}, {"golang.org/x/*", "golang.org/x/mod", "/"},
	{"*.corp.example.com", "git.corp.example.com", "/"}, {"?", "/", "/"}, {"[/]", "/", "/"},
	{"**", "a/b", "/"}, {"*", "a/b", "/"}, {"a?c", "a\xffc", ""}, {"\xff", "\xff", ""},
}

func TestGlobMatchAgreesWithOPA(t *testing.T) {
	for _, s := range globSeeds {
		globAgrees(t, s.pattern, s.subject, []rune(s.seps))
	}
}

// FuzzGlobMatch compares the linear-time glob.match with the glob
// package's backtracking matcher on inputs small enough for the latter.
func FuzzGlobMatch(f *testing.F) {
	for _, s := range globSeeds {
		f.Add(s.pattern, s.subject, s.seps)
	}
	f.Fuzz(func(t *testing.T, pattern, subject, seps string) {
		if len(pattern) > 32 || len(subject) > 64 || len(seps) > 4 || strings.Count(pattern, "*") > 5 || strings.Count(pattern, "{") > 4 {
			t.Skip("too slow for the backtracking matcher")
		}
		globAgrees(t, pattern, subject, []rune(seps))
	})
}
