# METADATA
# title: Binary's dependencies differ from go.sum
# description: >-
#   The build records each dependency's h1: hash. A dependency missing from
#   the repository's go.sum, or with another hash, means the binary was
#   built from other sources than the ones reviewed.
# custom:
#   id: GP-BIN-011
#   version: 1.0.0
#   severity: critical
#   requires: [binaries, gosum]
#   profiles: {dev: warn, ci: deny, prod: deny}
#   remediation: >-
#     Rebuild from the repository at the reviewed commit with -mod=readonly;
#     find out where the other module version came from.
package gopolicy.policies.binary.deps_sum

import data.gopolicy.lib

sums := {sprintf("%s@%s", [e.module, e.version]): e |
	some e in input.gosum.entries
	not e.go_mod
}

# used is the module that actually went into the build.
used(d) := d.replace if d.replace.path

else := d

violation contains {
	"msg": sprintf("%s was built with %s %s, which go.sum does not list", [b.path, m.path, m.version]),
	"subject": sprintf("%s %s@%s", [b.path, m.path, m.version]),
	"evidence": [lib.binary_evidence(i, sprintf("go/deps/%d", [j]), m.sum)],
} if {
	some i, b in input.binaries
	some j, d in b.go.deps
	m := used(d)
	object.get(m, "sum", "") != ""
	not sums[sprintf("%s@%s", [m.path, m.version])]
}

violation contains {
	"msg": sprintf("%s was built with %s %s hash %s, but go.sum line %d records %s", [b.path, m.path, m.version, m.sum, e.line, e.hash]),
	"subject": sprintf("%s %s@%s", [b.path, m.path, m.version]),
	"evidence": [
		lib.binary_evidence(i, sprintf("go/deps/%d", [j]), m.sum),
		lib.file_evidence(sprintf("/gosum/entries/%d", [k]), e.hash, input.gosum.file, e.line),
	],
} if {
	some i, b in input.binaries
	some j, d in b.go.deps
	m := used(d)
	object.get(m, "sum", "") != ""
	e := sums[sprintf("%s@%s", [m.path, m.version])]
	e.hash != m.sum
	some k, ek in input.gosum.entries
	ek == e
}
