# METADATA
# title: go.mod replaces a module with a directory outside the repository
# description: >-
#   A replace directive pointing at a directory outside the repository
#   (=> ../fork) makes the build depend on files that no go.sum hash covers
#   and no review of the repository shows. A directory inside the module
#   (=> ./api) or elsewhere in the same repository (gopls's => .., etcd's
#   => ../api) is reviewed with it, and is not reported. The repository is
#   the nearest directory with .git; without one, the two modules' paths
#   must follow the directory layout, as modules of one repository do.
# custom:
#   id: GP-MOD-003
#   version: 1.1.0
#   severity: medium
#   requires: [gomod]
#   profiles: {dev: off, ci: warn, prod: deny}
#   remediation: >-
#     Publish the fork as a module version and replace with that version,
#     move it into the repository, or use a go.work file for local
#     development instead of go.mod.
package gopolicy.policies.module.local_replace

import data.gopolicy.lib

violation contains {
	"msg": sprintf("%s is replaced by the local directory %q%s", [r.old_path, r.new_path, where[object.get(r, "location", "")]]),
	"subject": r.old_path,
	"evidence": [lib.file_evidence(sprintf("/gomod/replace/%d", [i]), r.new_path, input.gomod.file, r.line)],
} if {
	some i, r in input.gomod.replace
	r.local
	not object.get(r, "location", "") in {"module", "repository"}
}

where := {
	"": "",
	"outside": ", outside the repository",
}
