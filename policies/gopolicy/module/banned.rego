# METADATA
# title: go.mod requires a banned module
# description: >-
#   The organisation bans some modules outright, and some only in certain
#   builds: a cgo-only driver such as github.com/mattn/go-sqlite3 compiles
#   with CGO_ENABLED=0 but fails at run time.
# custom:
#   id: GP-MOD-007
#   version: 1.0.0
#   severity: medium
#   requires: [gomod, goenv]
#   profiles: {dev: warn, ci: deny, prod: deny}
#   remediation: >-
#     Replace the module with an approved alternative (the ban's reason names
#     one), or ask the policy owners to change banned_modules.
package gopolicy.policies.module.banned

import data.gopolicy.lib

violation contains {
	"msg": sprintf("%s %s is banned: %s", [r.path, r.version, ban.reason]),
	"subject": r.path,
	"evidence": array.concat(
		[lib.file_evidence(sprintf("/gomod/require/%d", [i]), sprintf("%s %s", [r.path, r.version]), input.gomod.file, r.line)],
		[lib.env_evidence("CGO_ENABLED") | ban.when == "cgo-disabled"],
	),
} if {
	some ban in data.gopolicy.config.banned_modules
	applies(ban)
	prefix := lib.literal_prefix(ban.path)
	some i, r in input.gomod.require
	startswith(r.path, prefix)
	lib.prefix_match(ban.path, r.path)
}

applies(ban) if not ban.when

applies(ban) if {
	ban.when == "cgo-disabled"
	input.goenv.vars.CGO_ENABLED.value != "1"
}
