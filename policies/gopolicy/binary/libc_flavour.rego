# METADATA
# title: Binary's C library does not match the target's
# description: >-
#   A binary linked against glibc has /lib64/ld-linux-x86-64.so.2 as its
#   interpreter and does not start on Alpine (musl); a musl binary needs
#   /lib/ld-musl-x86_64.so.1, which glibc images lack. The shell reports
#   "not found" for a file that is there.
# custom:
#   id: GP-BIN-003
#   version: 1.1.0
#   severity: high
#   requires: [binaries, target]
#   profiles: {dev: deny, ci: deny, prod: deny}
#   remediation: >-
#     Build with CGO_ENABLED=0, or build against the target's C library (for
#     Alpine: CC=musl-gcc or build inside an Alpine image).
package gopolicy.policies.binary.libc_flavour

import data.gopolicy.lib

violation contains {
	"msg": sprintf("%s is linked against %s (interpreter %s) but the target uses %s", [b.path, have, b.elf.interpreter, want]),
	"subject": b.path,
	"evidence": [
		lib.binary_evidence(i, "elf/interpreter", b.elf.interpreter),
		{"fact": "/target/libc/flavour", "value": want, "source": sprintf("target (%s)", [input.target.source])},
	],
} if {
	want := input.target.libc.flavour
	want in {"glibc", "musl"}
	some i, b in input.binaries
	have := lib.libc_of(b)
	have != want
}
