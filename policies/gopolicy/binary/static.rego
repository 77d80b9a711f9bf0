# METADATA
# title: Binary is not statically linked but the target requires it
# description: >-
#   Scratch and distroless-static images have no dynamic loader and no
#   libraries. A binary with an interpreter or DT_NEEDED entries does not
#   start there. CGO_ENABLED=0 alone does not make a static binary:
#   -buildmode=pie still needs the loader. Linking is judged from the file,
#   and only when its headers were read (an unparsable file is GP-BIN-014's).
# custom:
#   id: GP-BIN-004
#   version: 1.0.0
#   severity: high
#   requires: [binaries, target]
#   profiles: {dev: warn, ci: deny, prod: deny}
#   remediation: >-
#     Build with CGO_ENABLED=0 and the default -buildmode=exe, or link
#     statically (-ldflags '-linkmode external -extldflags -static').
package gopolicy.policies.binary.static

import data.gopolicy.lib

violation contains {
	"msg": sprintf("%s is dynamically linked (%s) but the target requires static binaries", [b.path, why(b)]),
	"subject": b.path,
	"evidence": [lib.binary_evidence(i, "elf/static", false), {"fact": "/target/static", "value": true, "source": sprintf("target (%s)", [input.target.source])}],
} if {
	input.target.static
	some i, b in input.binaries
	b.format == "elf"
	b.elf.static == false
}

why(b) := sprintf("interpreter %s, libraries %s", [b.elf.interpreter, concat(", ", b.elf.needed)]) if {
	b.elf.interpreter
	count(b.elf.needed) > 0
} else := sprintf("interpreter %s, no libraries: a PIE still needs the loader", [b.elf.interpreter]) if {
	b.elf.interpreter
} else := sprintf("libraries %s", [concat(", ", b.elf.needed)])
