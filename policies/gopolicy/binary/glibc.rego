# METADATA
# title: Binary needs a newer glibc than the target has
# description: >-
#   A cgo binary built on a new distribution links against the newest glibc
#   symbol versions it finds (GLIBC_2.34 for pthread_create on Debian 12) and
#   dies at start-up on an older target ("version `GLIBC_2.34' not found").
# custom:
#   id: GP-BIN-002
#   version: 1.1.0
#   severity: high
#   requires: [binaries, target]
#   profiles: {dev: deny, ci: deny, prod: deny}
#   remediation: >-
#     Build on (or against a sysroot of) the oldest glibc you support, build
#     with CGO_ENABLED=0, or raise the target's glibc.
package gopolicy.policies.binary.glibc

import data.gopolicy.lib

violation contains {
	"msg": sprintf("%s needs GLIBC_%s (%s) but the target has glibc %s", [b.path, b.elf.glibc_max, concat(", ", b.elf.glibc_max_symbols), have]),
	"subject": b.path,
	"evidence": [
		lib.binary_evidence(i, "elf/glibc_max", b.elf.glibc_max),
		{"fact": "/target/libc/version", "value": have, "source": sprintf("target (%s)", [input.target.source])},
	],
} if {
	input.target.libc.flavour == "glibc"
	have := input.target.libc.version
	some i, b in input.binaries
	b.elf.glibc_max
	lib.dotted(b.elf.glibc_max) > lib.dotted(have)
}
