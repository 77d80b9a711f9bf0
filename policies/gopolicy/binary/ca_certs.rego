# METADATA
# title: Image has no CA certificates
# description: >-
#   A Go binary verifies TLS peers against the system's CA certificates. In
#   an image without them (scratch, a bare static image) every HTTPS call,
#   including to the module proxy and checksum database, fails with
#   "x509: certificate signed by unknown authority".
# custom:
#   id: GP-BIN-006
#   version: 1.0.0
#   severity: medium
#   requires: [binaries, rootfs]
#   profiles: {dev: warn, ci: warn, prod: warn}
#   remediation: >-
#     Copy a CA bundle into the image (/etc/ssl/certs/ca-certificates.crt),
#     or embed roots with `import _ "golang.org/x/crypto/x509roots/fallback"`.
package gopolicy.policies.binary.ca_certs

import data.gopolicy.lib

violation contains {
	"msg": sprintf("%s runs in an image without CA certificates: its HTTPS calls will fail", [b.path]),
	"subject": b.path,
	"evidence": [{"fact": "/rootfs/ca_bundle_found", "value": false, "source": input.rootfs.dir}, lib.binary_evidence(i, "go/is_go", true)],
} if {
	not input.rootfs.ca_bundle_found
	some i, b in input.binaries
	b.go.is_go
}
