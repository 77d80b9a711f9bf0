# METADATA
# title: The go command refuses this Go environment
# description: >-
#   Some settings make every go command fail before it builds anything: a
#   GOFLAGS entry that is not a flag ("-", "--", "---mod=mod") or names a flag
#   no go command has ("-typoflag"), -mod with a value the go command does not
#   support, a GOTOOLCHAIN it cannot read ("asdf", "go1.22+foo"), a pinned
#   language version instead of a release ("go1.21" names no toolchain), or
#   -mod=mod in a workspace.
# custom:
#   id: GP-ENV-009
#   version: 1.0.0
#   severity: high
#   requires: [goenv]
#   profiles: {dev: deny, ci: deny, prod: deny}
#   remediation: >-
#     Fix the setting where the finding says it comes from: `go env -w` (the
#     GOENV file), the shell, or the CI configuration. `go env` shows the
#     values the go command sees.
package gopolicy.policies.env.refused

import data.gopolicy.lib

violation contains {
	"msg": sprintf("GOFLAGS entry %q: %s; every go command fails", [f.raw, f.error]),
	"subject": "GOFLAGS",
	"evidence": [lib.env_evidence("GOFLAGS"), {"fact": sprintf("/goenv/goflags/%d", [i]), "value": f.raw}],
} if {
	some i, f in input.goenv.goflags
	f.error
}

violation contains {
	"msg": sprintf("GOTOOLCHAIN=%q: %s; the go command does not run", [tc.raw, tc.error]),
	"subject": "GOTOOLCHAIN",
	"evidence": [lib.env_evidence("GOTOOLCHAIN"), {"fact": "/goenv/toolchain/error", "value": tc.error}],
} if {
	tc := input.goenv.toolchain
	tc.error
}

violation contains {
	"msg": sprintf("%s; the go command refuses to load the workspace (set GOWORK=off to build the module alone)", [lib.build_mode.reason]),
	"subject": "GOFLAGS",
	"evidence": [lib.env_evidence("GOFLAGS"), lib.build_mode_evidence],
} if {
	lib.build_mode.mode == "refused"
	lib.build_mode.workspace
}

# With +auto or +path the go command runs the named minimum toolchain
# unless go.mod (go.work in a workspace) asks for a newer one. A minimum
# that is a language version (go1.21: no release has that name) cannot be
# fetched, and with +path one that is not on PATH cannot be found. (A
# release it must download may or may not exist: gopolicy cannot tell.)
violation contains {
	"msg": sprintf("GOTOOLCHAIN=%q: %s; the go command does not run", [tc.raw, why]),
	"subject": "GOTOOLCHAIN",
	"evidence": [lib.env_evidence("GOTOOLCHAIN"), {"fact": "/goenv/toolchain", "value": tc.name}],
} if {
	tc := input.goenv.toolchain
	tc.mode in {"auto", "path"}
	tc.name
	not tc.error
	not tc.on_path
	tc.name != object.get(object.get(object.get(input, "runner", {}), "go", {}), "version", "")
	not raised(tc.version)
	why := unavailable(tc)
}

unavailable(tc) := sprintf("cannot find %q in PATH", [tc.name]) if tc.mode == "path"

else := sprintf("invalid toolchain: %s is a language version but not a toolchain version (%s.x)", [tc.name, tc.name]) if {
	lib.go_version(tc.version)[2] == 0
}

# raised: a go or toolchain line asks for a newer Go than min.
raised(min) if {
	some v in lines
	lib.go_newer(v, min)
}

lines contains f.go.version if {
	f := module_file
	f.go
}

lines contains trim_prefix(f.toolchain.version, "go") if {
	f := module_file
	f.toolchain
	f.toolchain.version != "default"
}

module_file := input.gowork if object.get(object.get(object.get(input, "gowork", {}), "module_mode", {}), "workspace", false)

else := input.gomod
