# METADATA
# title: Binary needs libraries the image does not have
# description: >-
#   Each DT_NEEDED library and the interpreter are looked up inside the
#   image the way ld.so would (DT_RPATH/DT_RUNPATH, ld.so.conf, the default
#   and multiarch directories). One that is missing stops the binary at
#   start-up.
# custom:
#   id: GP-BIN-005
#   version: 1.1.0
#   severity: high
#   requires: [binaries, rootfs]
#   profiles: {dev: deny, ci: deny, prod: deny}
#   remediation: >-
#     Install the missing libraries in the image, or build the binary
#     statically (CGO_ENABLED=0).
package gopolicy.policies.binary.libraries

import data.gopolicy.lib

violation contains {
	"msg": sprintf("%s needs %s, which the image %s does not provide", [b.path, concat(", ", b.libraries.missing), input.rootfs.dir]),
	"subject": b.path,
	"evidence": [lib.binary_evidence(i, "libraries/missing", b.libraries.missing)],
} if {
	some i, b in input.binaries
	count(b.libraries.missing) > 0
}
