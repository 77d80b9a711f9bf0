# METADATA
# title: Binary's dependencies cannot be checked
# description: >-
#   Dependency policies need Go build information with module data and
#   hashes. Go binaries built in GOPATH mode or with their module
#   information removed, and builds that recorded no hashes (vendor builds,
#   local replacements) cannot be checked; this is reported so that those
#   policies never pass silently. Executables that are not Go programs are
#   judged by the platform, libc and library policies only, and the
#   decision's scope counts them: there is nothing Go to rebuild.
# custom:
#   id: GP-BIN-015
#   version: 2.0.0
#   severity: low
#   requires: [binaries]
#   profiles: {dev: warn, ci: warn, prod: warn}
#   remediation: >-
#     Build in module mode with the go command (not GOPATH mode), and do not
#     strip build information.
package gopolicy.policies.binary.module_info

import data.gopolicy.lib

violation contains {
	"msg": sprintf("%s has no module information (GOPATH-mode build or removed build info): its dependencies are unknown", [b.path]),
	"subject": b.path,
	"evidence": [lib.binary_evidence(i, "go/has_module_info", false)],
} if {
	some i, b in input.binaries
	b.go.is_go
	not b.go.has_module_info
}

violation contains {
	"msg": sprintf("%s records no hash for %d dependencies (%s): they cannot be compared with go.sum", [b.path, count(unsummed), concat(", ", unsummed)]),
	"subject": b.path,
	"evidence": [lib.binary_evidence(i, "go/deps", unsummed)],
} if {
	some i, b in input.binaries
	b.go.has_module_info
	unsummed := [sprintf("%s@%s", [d.path, d.version]) |
		some d in b.go.deps
		object.get(object.get(d, "replace", d), "sum", "") == ""
	]
	count(unsummed) > 0
}
