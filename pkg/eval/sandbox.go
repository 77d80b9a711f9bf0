package eval

import (
	"fmt"
	"regexp"
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"
)

// The sandbox. A policy may call the builtins listed in sandboxAllowed
// and nothing else: a decision must follow from the facts, the bundle
// and its data alone, so nothing that reaches the network, the file
// system, the clock, randomness or the host's configuration is there,
// nor anything one call of which can exhaust memory or run on without
// noticing the evaluation deadline. Every builtin of the OPA version
// gopolicy is built with is either allowed here, by family, or refused
// in sandboxDenied with its reason; a test fails when an OPA upgrade
// brings a builtin that is neither, so each new one is decided on.
// docs/security.md lists both.

// sandboxFamily is a group of allowed builtins and why they are safe.
type sandboxFamily struct {
	Name     string
	Why      string
	Builtins []string
}

var sandboxAllowed = []sandboxFamily{
	{"operators", "comparison, arithmetic, set operators and membership (the compiler's names for them)", []string{
		"eq", "assign", "equal", "neq", "gt", "gte", "lt", "lte",
		"plus", "minus", "mul", "div", "rem", "and", "or",
		"internal.member_2", "internal.member_3",
	}},
	{"compiler-generated", "template strings, and test-case reporting in policy tests", []string{
		"internal.template_string", "internal.test_case",
	}},
	{"numbers", "pure arithmetic; numbers.range stops at the deadline", []string{
		"abs", "ceil", "floor", "round", "format_int", "to_number",
		"numbers.range", "numbers.range_step",
		"bits.and", "bits.or", "bits.xor", "bits.negate", "bits.rsh",
	}},
	{"aggregates", "over values the policy already has", []string{
		"count", "sum", "product", "max", "min", "sort",
	}},
	{"arrays, sets and objects", "pure", []string{
		"array.concat", "array.flatten", "array.reverse", "array.slice",
		"intersection", "union",
		"object.filter", "object.get", "object.keys", "object.remove", "object.subset", "object.union", "object.union_n",
		"json.filter", "json.remove", "json.patch",
		"walk", "graph.reachable",
	}},
	{"strings", "pure; concat and replace stop at the deadline", []string{
		"concat", "contains", "endswith", "startswith", "indexof", "indexof_n",
		"lower", "upper", "replace", "split", "sprintf", "substring",
		"trim", "trim_left", "trim_prefix", "trim_right", "trim_space", "trim_suffix",
		"strings.any_prefix_match", "strings.any_suffix_match", "strings.count",
		"strings.replace_n", "strings.reverse", "strings.split_n",
	}},
	{"regular expressions and globs", "RE2, linear in the input; compiled patterns are cached", []string{
		"regex.match", "regex.is_valid", "regex.split", "regex.find_n",
		"regex.find_all_string_submatch_n", "regex.replace", "regex.template_match",
		"glob.match", "glob.quote_meta",
	}},
	{"types", "pure", []string{
		"is_array", "is_boolean", "is_null", "is_number", "is_object", "is_set", "is_string", "type_name",
	}},
	{"encodings", "decode and encode the policy's own values; no schema, no $ref", []string{
		"base64.decode", "base64.encode", "base64.is_valid",
		"base64url.decode", "base64url.encode", "base64url.encode_no_pad",
		"hex.decode", "hex.encode",
		"json.marshal", "json.unmarshal", "json.is_valid",
		"yaml.marshal", "yaml.unmarshal", "yaml.is_valid",
		"urlquery.decode", "urlquery.decode_object", "urlquery.encode", "urlquery.encode_object",
		"uri.parse", "uri.is_valid",
	}},
	{"versions, units and identifiers", "parse what they are given", []string{
		"semver.compare", "semver.is_valid", "units.parse", "units.parse_bytes", "uuid.parse",
	}},
	{"time, with explicit times", "every one takes the time it works on; the time zone \"Local\" is refused when the policy is compiled", []string{
		"time.add_date", "time.clock", "time.date", "time.diff", "time.format",
		"time.parse_duration_ns", "time.parse_ns", "time.parse_rfc3339_ns", "time.weekday",
	}},
	{"networks", "CIDR arithmetic on the strings given; no lookups; net.cidr_expand stops at the deadline", []string{
		"net.cidr_contains", "net.cidr_contains_matches", "net.cidr_intersects",
		"net.cidr_is_valid", "net.cidr_merge", "net.cidr_expand",
	}},
	{"cryptographic hashes and parsing", "deterministic; no randomness, no clock, no system trust store", []string{
		"crypto.md5", "crypto.sha1", "crypto.sha256",
		"crypto.hmac.md5", "crypto.hmac.sha1", "crypto.hmac.sha256", "crypto.hmac.sha512", "crypto.hmac.equal",
		"crypto.x509.parse_certificates", "crypto.x509.parse_certificate_request",
		"crypto.x509.parse_keypair", "crypto.x509.parse_rsa_private_key", "crypto.parse_private_keys",
	}},
	{"JSON Web Tokens, without the clock", "decoding, and checking a signature against the key given; no expiry check", []string{
		"io.jwt.decode",
		"io.jwt.verify_eddsa",
		"io.jwt.verify_es256", "io.jwt.verify_es384", "io.jwt.verify_es512",
		"io.jwt.verify_hs256", "io.jwt.verify_hs384", "io.jwt.verify_hs512",
		"io.jwt.verify_ps256", "io.jwt.verify_ps384", "io.jwt.verify_ps512",
		"io.jwt.verify_rs256", "io.jwt.verify_rs384", "io.jwt.verify_rs512",
	}},
	{"policy metadata", "the policy's own annotations", []string{
		"rego.metadata.chain", "rego.metadata.rule",
	}},
}

// sandboxDenied is every other builtin, with the reason a policy may not
// call it.
var sandboxDenied = map[string]string{
	// The outside world.
	"http.send":          "reaches the network",
	"net.lookup_ip_addr": "reaches the network (DNS)",
	"opa.runtime":        "reads the process's environment and configuration",
	"time.now_ns":        "reads the clock",
	"io.jwt.decode_verify": "reads the clock to check a token's expiry (and fetches nothing, but the verdict " +
		"would change as the clock passes exp or nbf); use io.jwt.decode and io.jwt.verify_* with times from the facts",
	"crypto.x509.parse_and_verify_certificates":              "verifies against the clock and the host's trust store",
	"crypto.x509.parse_and_verify_certificates_with_options": "verifies against the clock and the host's trust store unless told otherwise",
	"json.match_schema":         "resolves $ref, which reads file:// paths (even /dev/zero) and URLs",
	"json.verify_schema":        "resolves $ref, which reads file:// paths (even /dev/zero) and URLs",
	"rand.intn":                 "random",
	"uuid.rfc4122":              "random",
	"io.jwt.encode_sign":        "random (ECDSA and PSS signatures use a random nonce); signing has no place in judging",
	"io.jwt.encode_sign_raw":    "random (ECDSA and PSS signatures use a random nonce); signing has no place in judging",
	"providers.aws.sign_req":    "signs HTTP requests for AWS; only useful with http.send",
	"trace":                     "writes to the tracer, outside the decision",
	"print":                     "writes outside the decision (print statements are removed when policies compile)",
	"internal.print":            "writes outside the decision",
	"strings.render_template":   "runs a Go text/template, which can loop ({{range 2000000000}}) in one call that never sees the deadline: it exhausted memory and killed the process",
	"bits.lsh":                  "one call can allocate without bound: bits.lsh(1, 100000000000) asks for a 12 GB number and killed the process",
	"json.marshal_with_options": "repeats its indent on every line, so one call can multiply a value's size by a string's length without seeing the deadline; use json.marshal",
	"graph.reachable_paths":     "lists every path, exponential in a dense graph, in one call that never sees the deadline; use graph.reachable",
	"regex.globs_match":         "intersects two patterns in one call that never sees the deadline, at a cost not bounded by their length; not needed by build policies",
	"rego.parse_module":         "parses Rego source at evaluation time; not needed by build policies",
	"graphql.is_valid":          "a GraphQL parser; not needed by build policies",
	"graphql.parse":             "a GraphQL parser; not needed by build policies",
	"graphql.parse_and_verify":  "a GraphQL parser; not needed by build policies",
	"graphql.parse_query":       "a GraphQL parser; not needed by build policies",
	"graphql.parse_schema":      "a GraphQL parser; not needed by build policies",
	"graphql.schema_is_valid":   "a GraphQL parser; not needed by build policies",
	// Deprecated: Rego v1, the only syntax gopolicy reads, refuses them.
	"all":              "deprecated (Rego v1 refuses it); use every",
	"any":              "deprecated (Rego v1 refuses it); use some ... in",
	"cast_array":       "deprecated (Rego v1 refuses it)",
	"cast_boolean":     "deprecated (Rego v1 refuses it)",
	"cast_null":        "deprecated (Rego v1 refuses it)",
	"cast_object":      "deprecated (Rego v1 refuses it)",
	"cast_set":         "deprecated (Rego v1 refuses it)",
	"cast_string":      "deprecated (Rego v1 refuses it)",
	"re_match":         "deprecated (Rego v1 refuses it); use regex.match",
	"set_diff":         "deprecated (Rego v1 refuses it); use the - operator",
	"net.cidr_overlap": "deprecated (Rego v1 refuses it); use net.cidr_contains",
}

// sandboxAllowedSet is the allow-list as a set.
var sandboxAllowedSet = func() map[string]bool {
	m := map[string]bool{}
	for _, f := range sandboxAllowed {
		for _, b := range f.Builtins {
			m[b] = true
		}
	}
	return m
}()

// Capabilities are the builtins a gopolicy policy may call: the
// allow-list above, intersected with the builtins of this OPA version.
// Network access is allowed to no host.
func Capabilities() *ast.Capabilities {
	caps := ast.CapabilitiesForThisVersion()
	caps.Builtins = slices.DeleteFunc(caps.Builtins, func(b *ast.Builtin) bool { return !sandboxAllowedSet[b.Name] })
	caps.AllowNet = []string{}
	return caps
}

var undefinedFunc = regexp.MustCompile(`^undefined function (\S+)$`)

// explainSandbox adds to "undefined function X" the reason gopolicy
// refuses X, when it does.
func explainSandbox(errs ast.Errors) ast.Errors {
	for _, e := range errs {
		m := undefinedFunc.FindStringSubmatch(e.Message)
		if m == nil {
			continue
		}
		if why, ok := sandboxDenied[m[1]]; ok {
			e.Message += fmt.Sprintf(": gopolicy's sandbox does not allow it: %s (see docs/security.md)", why)
		}
	}
	return errs
}

// tzFunctions take [ns, tz] arrays; their time zone may not be "Local".
var tzFunctions = map[string]bool{
	"time.clock": true, "time.date": true, "time.diff": true, "time.format": true, "time.weekday": true,
}

// sandboxErrors refuses what the capabilities cannot express: the time
// zone "Local" is the zone of the machine gopolicy runs on, so a policy
// naming it would judge the same facts differently on another machine.
func sandboxErrors(modules map[string]*ast.Module) ast.Errors {
	var errs ast.Errors
	keys := make([]string, 0, len(modules))
	for k := range modules {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	check := func(op string, args []*ast.Term, at *ast.Location) {
		if !tzFunctions[op] {
			return
		}
		for _, arg := range args {
			ast.WalkTerms(arg, func(t *ast.Term) bool {
				if s, ok := t.Value.(ast.String); ok && s == "Local" {
					loc := t.Location
					if loc == nil {
						loc = at
					}
					errs = append(errs, ast.NewError(ast.CompileErr, loc, "%s: the time zone \"Local\" is the zone of the machine gopolicy runs on, so the verdict would change with it; use \"UTC\" or a named zone such as \"Europe/Berlin\"", op))
				}
				return false
			})
		}
	}
	for _, k := range keys {
		// A call is an expression (time.clock(x)) or a term inside one
		// ([h, m, s] := time.clock(x)).
		ast.NewGenericVisitor(func(x any) bool {
			switch v := x.(type) {
			case *ast.Expr:
				if v.IsCall() {
					check(v.Operator().String(), v.Operands(), v.Location)
				}
			case ast.Call:
				if len(v) > 0 {
					check(v[0].String(), v[1:], v[0].Location)
				}
			}
			return false
		}).Walk(modules[k])
	}
	return errs
}
