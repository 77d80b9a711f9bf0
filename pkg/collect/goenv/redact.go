package goenv

import (
	"regexp"
	"sort"
	"strings"

	"github.com/gopolicy/gopolicy/internal/quoted"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

// Credentials never enter the facts (see facts.Redact): a token in a
// proxy URL's userinfo, or in GOFLAGS, is replaced by the marker
// wherever the variable's value appears (its layers, the explanation of
// where it came from, the parsed GOPROXY and GOFLAGS, what `go env -json`
// said).

// urlVars hold URLs whose userinfo is a credential.
var urlVars = map[string]bool{"GOPROXY": true, "GOSUMDB": true, "HTTP_PROXY": true, "HTTPS_PROXY": true}

// userinfoRE finds the userinfo of URLs in a list (GOPROXY separates them
// with , and |; GOSUMDB puts one after a space).
var userinfoRE = regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.-]*://([^/@\s,|]+)@`)

// schemelessRE is a proxy variable without a scheme, which net/http reads
// as http://: user:pass@host:port.
var schemelessRE = regexp.MustCompile(`^([^/@\s:]+:[^/@\s]+)@`)

// The credential patterns of the built-in policy data
// (credential_name_pattern and credential_value_patterns in
// policies/gopolicy/config/data.json), which GP-BIN-008 applies to -X
// values found in binaries.
var (
	credentialNameRE   = regexp.MustCompile(`(?i)(secret|passw(or)?d|token|api[_-]?key|credential|private[_-]?key|access[_-]?key)`)
	credentialValueRES = []*regexp.Regexp{
		regexp.MustCompile(`AKIA[0-9A-Z]{16}`),
		regexp.MustCompile(`gh[pousr]_[A-Za-z0-9]{36,}`),
		regexp.MustCompile(`xox[abpr]-[A-Za-z0-9-]{10,}`),
		regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----[^']*`),
	}
)

// Secrets returns the credentials a variable's value carries: the
// userinfo of proxy URLs; in GOFLAGS, the value of every -X assignment
// whose variable name looks like a credential (main.token,
// main.apiKey), and every value that looks like one (an AWS key id, a
// GitHub or Slack token, a private key, a URL's userinfo).
func Secrets(name, value string) []string {
	var out []string
	add := func(s string) {
		if s != "" {
			out = append(out, s)
		}
	}
	if urlVars[name] {
		for _, m := range userinfoRE.FindAllStringSubmatch(value, -1) {
			add(m[1])
		}
		if name == "HTTP_PROXY" || name == "HTTPS_PROXY" {
			if m := schemelessRE.FindStringSubmatch(value); m != nil {
				add(m[1])
			}
		}
	}
	if name == "GOFLAGS" {
		for _, m := range userinfoRE.FindAllStringSubmatch(value, -1) {
			add(m[1])
		}
		for _, re := range credentialValueRES {
			for _, m := range re.FindAllString(value, -1) {
				add(m)
			}
		}
		words, err := quoted.Split(value)
		if err != nil {
			words = strings.Fields(value)
		}
		for _, w := range words {
			if _, val, ok := strings.Cut(w, "="); ok && strings.Contains(val, "-X") {
				for _, x := range xAssignments(val) {
					if credentialNameRE.MatchString(x[0]) {
						add(x[1])
					}
				}
			}
		}
	}
	return out
}

// xAssignments returns the [symbol, value] pairs of -X in an -ldflags
// value: "-X a.b=v", "-X=a.b=v" and "--X".
func xAssignments(ldflags string) [][2]string {
	words, err := quoted.Split(ldflags)
	if err != nil {
		words = strings.Fields(ldflags)
	}
	var out [][2]string
	for i := 0; i < len(words); i++ {
		w := strings.TrimPrefix(words[i], "-")
		var arg string
		switch {
		case w == "-X" || w == "X":
			if i+1 >= len(words) {
				continue
			}
			i++
			arg = words[i]
		case strings.HasPrefix(w, "X=") || strings.HasPrefix(w, "-X="):
			_, arg, _ = strings.Cut(w, "=")
		default:
			continue
		}
		if sym, val, ok := strings.Cut(arg, "="); ok {
			out = append(out, [2]string{sym, val})
		}
	}
	return out
}

// redact replaces every secret in s by its marker, longest first.
func redact(s string, secrets []string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, facts.Redact(sec))
		}
	}
	return s
}

func sortSecrets(secrets []string) []string {
	sort.Slice(secrets, func(i, j int) bool { return len(secrets[i]) > len(secrets[j]) })
	return secrets
}

// redactEnv removes credentials from every place a variable's value is
// recorded and returns the secrets found, per variable.
func redactEnv(env *facts.GoEnv) map[string][]string {
	secrets := map[string][]string{}
	for name, v := range env.Vars {
		if !urlVars[name] && name != "GOFLAGS" {
			continue
		}
		var list []string
		for _, l := range v.Layers {
			list = append(list, Secrets(name, l.Value)...)
		}
		if len(list) > 0 {
			secrets[name] = sortSecrets(list)
		}
	}
	for name, list := range secrets {
		v := env.Vars[name]
		v.Value = redact(v.Value, list)
		v.Origin = redact(v.Origin, list)
		for i := range v.Layers {
			v.Layers[i].Value = redact(v.Layers[i].Value, list)
		}
		env.Vars[name] = v
	}
	for i, c := range env.Conflicts {
		if list := secrets[c.Var]; list != nil {
			env.Conflicts[i].Winner.Value = redact(c.Winner.Value, list)
			env.Conflicts[i].Shadowed.Value = redact(c.Shadowed.Value, list)
		}
	}
	if list := secrets["GOPROXY"]; list != nil {
		for i := range env.GoProxy {
			env.GoProxy[i].Raw = redact(env.GoProxy[i].Raw, list)
			env.GoProxy[i].URL = redact(env.GoProxy[i].URL, list)
		}
	}
	if list := secrets["GOSUMDB"]; list != nil {
		env.GoSumDB.Raw = redact(env.GoSumDB.Raw, list)
		env.GoSumDB.URL = redact(env.GoSumDB.URL, list)
	}
	if list := secrets["GOFLAGS"]; list != nil {
		for i := range env.GoFlags {
			env.GoFlags[i].Raw = redact(env.GoFlags[i].Raw, list)
			env.GoFlags[i].Value = redact(env.GoFlags[i].Value, list)
			env.GoFlags[i].Error = redact(env.GoFlags[i].Error, list)
		}
	}
	return secrets
}
