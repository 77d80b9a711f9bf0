package eval

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/gobwas/glob"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/topdown/builtins"

	"github.com/gopolicy/gopolicy/internal/safeio"
)

// Two allowed builtins could, in one call, run for ever or exhaust memory
// without seeing the evaluation deadline: glob.match, whose backtracking
// matcher is exponential (glob.match("*a*a*a*a*a*a*a*ab*a", [], s) with
// s 3,000 a's ran for minutes; {*a*a*a*a*a*b,*a*a*a*a*c}*a asked for 4 GB
// and killed the process), and regex.replace, whose output is the input
// times the replacement (regex.replace(s, "", s) with a 1 MB s asks for
// 1 TB). The built-in policies use both, and the facts reach them (the
// patterns of GOPRIVATE, module paths), so they stay allowed, with these
// implementations registered in their place. OPA's builtin table is the
// process's; gopolicy is the only user of OPA in its process.
func init() {
	topdown.RegisterBuiltinFunc(ast.GlobMatch.Name, boundedGlobMatch)
	if opaRegexReplace != nil {
		topdown.RegisterBuiltinFunc(ast.RegexReplace.Name, boundedRegexReplace)
	}
}

// maxBuiltinResult caps the string one regex.replace call may build.
const maxBuiltinResult = 64 << 20

// boundedGlobMatch is glob.match with OPA's arguments, syntax and errors
// (the pattern is checked by the same glob package), matched by an
// equivalent RE2 expression, in time linear in the input.
func boundedGlobMatch(_ topdown.BuiltinContext, operands []*ast.Term, iter func(*ast.Term) error) error {
	pattern, err := builtins.StringOperand(operands[0].Value, 1)
	if err != nil {
		return err
	}
	var delimiters []rune
	switch operands[1].Value.(type) {
	case ast.Null:
	case *ast.Array:
		delimiters, err = builtins.RuneSliceOperand(operands[1].Value, 2)
		if err != nil {
			return err
		}
		if len(delimiters) == 0 {
			delimiters = []rune{'.'}
		}
	default:
		return builtins.NewOperandTypeErr(2, operands[1].Value, "array", "null")
	}
	subject, err := builtins.StringOperand(operands[2].Value, 3)
	if err != nil {
		return err
	}
	re, err := compileGlob(string(pattern), delimiters)
	if err != nil {
		return err
	}
	if !utf8.ValidString(string(subject)) && strings.ContainsRune(string(pattern), utf8.RuneError) {
		// RE2 reads an invalid byte as U+FFFD; the glob package compares
		// literal text byte by byte. Refuse the one case they differ.
		return errors.New("a pattern with U+FFFD cannot be matched against invalid UTF-8")
	}
	return iter(ast.InternedTerm(re.MatchString(string(subject))))
}

var (
	globCacheMu sync.Mutex
	globCache   = map[string]*regexp.Regexp{}
)

// compileGlob checks a pattern with the glob package (so exactly the
// patterns OPA accepts compile, with its errors) and translates it.
func compileGlob(pattern string, delimiters []rune) (*regexp.Regexp, error) {
	key := pattern + "\x00" + string(delimiters)
	globCacheMu.Lock()
	re, ok := globCache[key]
	globCacheMu.Unlock()
	if ok {
		return re, nil
	}
	if _, err := glob.Compile(pattern, delimiters...); err != nil {
		return nil, err
	}
	expr, err := globRegexp(pattern, delimiters)
	if err != nil {
		return nil, err
	}
	re, err = regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("glob pattern too complex: %w", err)
	}
	globCacheMu.Lock()
	if len(globCache) >= 100 {
		for k := range globCache {
			delete(globCache, k)
			break
		}
	}
	globCache[key] = re
	globCacheMu.Unlock()
	return re, nil
}

// globRegexp translates a glob pattern into an anchored RE2 expression,
// following the glob package's lexer: `*` is any run of non-separators,
// `**` any run, `?` one non-separator, `[...]` a class (a range `[a-z]`
// or a set with `\` escapes, `!` negating; classes ignore separators),
// `{a,b}` alternatives (`,` and `}` are literal outside braces), `\c` a
// literal c.
func globRegexp(pattern string, seps []rune) (string, error) {
	single := `(?s:.)`
	if len(seps) > 0 {
		var c strings.Builder
		c.WriteString("[^")
		for _, r := range seps {
			fmt.Fprintf(&c, `\x{%x}`, r)
		}
		c.WriteString("]")
		single = c.String()
	}
	var b strings.Builder
	b.WriteString(`\A(?:`)
	depth := 0
	rs := []rune(pattern)
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; {
		case r == '\\':
			if i+1 == len(rs) {
				return "", errors.New("trailing backslash")
			}
			i++
			b.WriteString(literal(rs[i]))
		case r == '*':
			if i+1 < len(rs) && rs[i+1] == '*' {
				i++
				b.WriteString(`(?s:.*)`)
			} else {
				b.WriteString(single + "*")
			}
		case r == '?':
			b.WriteString(single)
		case r == '{':
			depth++
			b.WriteString("(?:")
		case r == ',' && depth > 0:
			b.WriteString("|")
		case r == '}' && depth > 0:
			depth--
			b.WriteString(")")
		case r == '[':
			n, class, err := globClass(rs[i+1:])
			if err != nil {
				return "", err
			}
			b.WriteString(class)
			i += n
		default:
			b.WriteString(literal(r))
		}
	}
	if depth != 0 {
		return "", errors.New("unclosed {")
	}
	b.WriteString(`)\z`)
	return b.String(), nil
}

func literal(r rune) string { return fmt.Sprintf(`\x{%x}`, r) }

// globClass translates the class after a `[` and returns how many runes
// it took, the closing `]` included.
func globClass(rs []rune) (int, string, error) {
	i, not := 0, ""
	if i < len(rs) && rs[i] == '!' {
		not = "^"
		i++
	}
	if i+1 < len(rs) && rs[i+1] == '-' {
		// A range: lo, "-", hi (taken as they are, even `]` or `\`), "]".
		if i+3 >= len(rs) || rs[i+3] != ']' {
			return 0, "", errors.New("unclosed range")
		}
		lo, hi := rs[i], rs[i+2]
		if hi < lo {
			return 0, "", errors.New("range out of order")
		}
		return i + 4, fmt.Sprintf(`[%s\x{%x}-\x{%x}]`, not, lo, hi), nil
	}
	var set []rune
	for ; i < len(rs); i++ {
		switch r := rs[i]; {
		case r == '\\':
			if i+1 == len(rs) {
				return 0, "", errors.New("trailing backslash")
			}
			i++
			set = append(set, rs[i])
		case r == ']':
			if len(set) == 0 {
				if not == "" {
					return i + 1, `[^\x00-\x{10ffff}]`, nil // matches nothing
				}
				return i + 1, `(?s:.)`, nil
			}
			var c strings.Builder
			c.WriteString("[" + not)
			for _, s := range set {
				fmt.Fprintf(&c, `\x{%x}`, s)
			}
			c.WriteString("]")
			return i + 1, c.String(), nil
		default:
			set = append(set, r)
		}
	}
	return 0, "", errors.New("unclosed [")
}

// opaRegexReplace is OPA's regex.replace, which boundedRegexReplace calls
// once it knows the result is small enough.
var opaRegexReplace = topdown.GetBuiltin(ast.RegexReplace.Name)

// boundedRegexReplace is regex.replace, refusing a result over
// maxBuiltinResult before building it. Each match adds at most the
// replacement with every $ expanded to the whole input; only when that
// bound is over the cap are the matches counted.
func boundedRegexReplace(bctx topdown.BuiltinContext, operands []*ast.Term, iter func(*ast.Term) error) error {
	s, err1 := builtins.StringOperand(operands[0].Value, 1)
	pattern, err2 := builtins.StringOperand(operands[1].Value, 2)
	value, err3 := builtins.StringOperand(operands[2].Value, 3)
	if err1 != nil || err2 != nil || err3 != nil {
		return opaRegexReplace(bctx, operands, iter)
	}
	n := int64(len(s))
	per := int64(len(value)) + int64(strings.Count(string(value), "$"))*n
	if per > 0 && n+(n+1)*per > maxBuiltinResult {
		re, err := regexp.Compile(string(pattern))
		if err != nil {
			return opaRegexReplace(bctx, operands, iter)
		}
		// Count the matches as ReplaceAllString finds them, building at
		// most the input again.
		var matches int64
		re.ReplaceAllStringFunc(string(s), func(string) string { matches++; return "" })
		if n+matches*per > maxBuiltinResult {
			return fmt.Errorf("the result could be larger than %s (%d matches in %s of input, each replaced by up to %s); refused", safeio.Size(maxBuiltinResult), matches, safeio.Size(n), safeio.Size(per))
		}
	}
	return opaRegexReplace(bctx, operands, iter)
}
