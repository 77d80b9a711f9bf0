# METADATA
# title: Private-module patterns cover public modules
# description: >-
#   GONOSUMDB (which defaults to GOPRIVATE) switches checksum verification off
#   for every module it matches, and GONOPROXY sends them past the proxy. A
#   pattern such as "*", "github.com" or "golang.org/x" silently covers public
#   modules the project depends on.
# custom:
#   id: GP-ENV-003
#   version: 1.0.0
#   severity: high
#   requires: [goenv, gomod]
#   profiles: {dev: warn, ci: deny, prod: deny}
#   remediation: >-
#     Narrow GOPRIVATE/GONOSUMDB/GONOPROXY to your organisation's own paths
#     (for example github.com/your-org/*). If a matched module really is
#     private, declare its prefix in the policy configuration
#     private_module_prefixes.
package gopolicy.policies.env.private_patterns

import data.gopolicy.lib

effects := {
	"GONOSUMDB": "checksum verification is off",
	"GONOPROXY": "the module proxy is bypassed",
}

violation contains {
	"msg": sprintf("%s pattern %q covers %d public module(s) in go.mod, so %s for them: %s", [name, pattern, count(matched), effect, concat(", ", matched)]),
	"subject": pattern,
	"evidence": array.concat([lib.env_evidence(name)], [lib.file_evidence(sprintf("/gomod/require/%d", [i]), r.path, input.gomod.file, r.line) |
		some i, r in input.gomod.require
		r.path in matched
	]),
} if {
	some name, effect in effects
	some pattern in lib.patterns(input.goenv.vars[name].value)
	prefix := lib.literal_prefix(pattern)
	matched := sort([r.path |
		some r in input.gomod.require
		startswith(r.path, prefix)
		lib.prefix_match(pattern, r.path)
		lib.is_public(r.path)
	])
	count(matched) > 0
}
