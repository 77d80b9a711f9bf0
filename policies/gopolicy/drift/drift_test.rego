package gopolicy.drift.drift_test

import data.gopolicy.drift.build_settings
import data.gopolicy.drift.lib
import data.gopolicy.drift.module_hashes
import data.gopolicy.drift.requirements
import data.gopolicy.drift.runner
import data.gopolicy.drift.toolchain

diff(category, key, a, b) := {
	"category": category, "key": key, "fact": "/x",
	"values": [
		{"environment": "ci.json", "present": true, "value": a, "source": "process environment"},
		{"environment": "release.json", "present": b != null, "value": b},
	],
}

doc(ds) := {"drift": {"version": "gopolicy.drift/v1", "environments": [], "compared": {}, "differences": ds}}

none := doc([])

test_no_drift_no_findings if {
	count(build_settings.finding) == 0 with input as none
	count(module_hashes.finding) == 0 with input as none
	count(toolchain.finding) == 0 with input as none
	count(requirements.finding) == 0 with input as none
	count(runner.finding) == 0 with input as none
}

test_goflags_differ if {
	some f in build_settings.finding with input as doc([diff("goenv", "GOFLAGS", "-mod=mod", "-trimpath")])
	f.subject == "GOFLAGS"
	f.msg == "GOFLAGS differs between environments: -mod=mod in ci.json, -trimpath in release.json"
	count(f.evidence) == 2
	f.evidence[0].fact == "ci.json#/x"
	f.evidence[0].source == "process environment"
}

test_irrelevant_variable_passes if {
	count(build_settings.finding) == 0 with input as doc([diff("goenv", "GOPATH", "/a", "/b")])
}

test_hashes_differ if {
	some f in module_hashes.finding with input as doc([diff("gosum", "example.com/m@v1.0.0", "h1:a=", "h1:b=")])
	f.subject == "example.com/m@v1.0.0"
}

test_toolchain_differs if {
	count(toolchain.finding) == 1 with input as doc([diff("toolchain", "go version", "go1.26.8", "go1.25.1")])
}

test_requirement_absent if {
	some f in requirements.finding with input as doc([diff("gomod", "example.com/m", "v1.0.0", null)])
	f.msg == "example.com/m is required differently: v1.0.0 in ci.json, (absent) in release.json"
}

test_runner_and_target if {
	fs := runner.finding with input as doc([diff("runner", "libc", "glibc 2.36", "musl 1.2.5"), diff("target", "platform", "linux/amd64", "linux/arm64")])
	count(fs) == 2
	msgs := {f.msg | some f in fs}
	"the runner's libc differs: glibc 2.36 in ci.json, musl 1.2.5 in release.json" in msgs
	"the target differs: linux/amd64 in ci.json, linux/arm64 in release.json" in msgs
}

test_evidence_absent_value if {
	ev := lib.evidence(diff("gomod", "m", "v1", null))
	ev[1].value == "(absent)"
	ev[1].source == ""
}

test_empty_value_is_named if {
	lib.values_text(diff("goenv", "GOFLAGS", "", "-mod=mod")) == "(empty) in ci.json, -mod=mod in release.json"
}
