# METADATA
# title: go.mod replaces a module with a local directory
# description: >-
#   A replace directive pointing at a directory (=> ../fork) makes the build
#   depend on files outside the module that no go.sum hash covers and no
#   review of go.mod shows.
# custom:
#   id: GP-MOD-003
#   version: 1.0.0
#   severity: medium
#   requires: [gomod]
#   profiles: {dev: off, ci: warn, prod: deny}
#   remediation: >-
#     Publish the fork as a module version and replace with that version, or
#     use a go.work file for local development instead of go.mod.
package gopolicy.policies.module.local_replace

import data.gopolicy.lib

violation contains {
	"msg": sprintf("%s is replaced by the local directory %q", [r.old_path, r.new_path]),
	"subject": r.old_path,
	"evidence": [lib.file_evidence(sprintf("/gomod/replace/%d", [i]), r.new_path, input.gomod.file, r.line)],
} if {
	some i, r in input.gomod.replace
	r.local
}
