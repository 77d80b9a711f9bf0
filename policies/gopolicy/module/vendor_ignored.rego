# METADATA
# title: vendor/modules.txt has lines the go command ignores
# description: >-
#   The go command skips lines of vendor/modules.txt it does not understand (a
#   package line before any module, a module line without a version, a
#   replacement it cannot parse) without a word. Such a line was most likely
#   meant to say something the build now does not see; `go mod vendor` never
#   writes one.
# custom:
#   id: GP-MOD-008
#   version: 1.0.0
#   severity: low
#   requires: [vendor]
#   profiles: {dev: warn, ci: warn, prod: warn}
#   remediation: >-
#     Run `go mod vendor` (`go work vendor` in a workspace) to rewrite
#     vendor/modules.txt, and commit the result.
package gopolicy.policies.module.vendor_ignored

import data.gopolicy.lib

violation contains {
	"msg": sprintf("vendor/modules.txt line %d is ignored by the go command (%s): %s", [l.line, l.reason, l.text]),
	"subject": sprintf("%s:%d", [input.vendor.file, l.line]),
	"evidence": [lib.file_evidence(sprintf("/vendor/ignored/%d", [i]), l.text, input.vendor.file, l.line)],
} if {
	some i, l in object.get(input.vendor, "ignored", [])
}

violation contains {
	"msg": sprintf("vendor/modules.txt line %d is ignored by the go command (%s): %s", [l.line, l.reason, l.text]),
	"subject": sprintf("%s:%d", [input.gowork.vendor.file, l.line]),
	"evidence": [lib.file_evidence(sprintf("/gowork/vendor/ignored/%d", [i]), l.text, input.gowork.vendor.file, l.line)],
} if {
	some i, l in object.get(object.get(object.get(input, "gowork", {}), "vendor", {}), "ignored", [])
}

violation contains {
	"msg": sprintf("vendor/modules.txt has %d more lines the go command ignores", [n]),
	"subject": "more lines",
	"evidence": [{"fact": "/vendor/ignored_more", "value": n, "source": input.vendor.file, "file": input.vendor.file}],
} if {
	n := object.get(input.vendor, "ignored_more", 0)
	n > 0
}
