package gopolicy.policies.module.workspace_test

import data.gopolicy.fixtures
import data.gopolicy.policies.module.workspace

test_consistent_workspace_passes if {
	count(workspace.violation) == 0 with input as fixtures.in_workspace
	count(workspace.violation) == 0 with input as fixtures.v04
}

conflict := {"gowork": {"sums": {"conflicts": [{"module": "rsc.io/sampler", "version": "v1.3.0", "go_mod": true, "hashes": [
	{"module": "rsc.io/sampler", "version": "v1.3.0", "go_mod": true, "hash": "h1:U1hP", "line": 2, "file": "/src/a/go.sum"},
	{"module": "rsc.io/sampler", "version": "v1.3.0", "go_mod": true, "hash": "h1:T1hP", "line": 2, "file": "/src/b/go.sum"},
]}]}}}

test_conflicting_hashes_across_files if {
	some v in workspace.violation with input as object.union(fixtures.in_workspace, conflict)
	contains(v.msg, "v1.3.0/go.mod (/src/a/go.sum:2, /src/b/go.sum:2)")
	contains(v.msg, "SECURITY ERROR")
	v.evidence[1].source == "/src/b/go.sum:2"
}

test_zip_conflict_is_named_without_suffix if {
	inp := object.union(fixtures.in_workspace, {"gowork": {"sums": {"conflicts": [{"module": "rsc.io/sampler", "version": "v1.3.0", "go_mod": false, "hashes": [
		{"module": "rsc.io/sampler", "version": "v1.3.0", "go_mod": false, "hash": "h1:A", "line": 1, "file": "/src/go.work.sum"},
		{"module": "rsc.io/sampler", "version": "v1.3.0", "go_mod": false, "hash": "h1:B", "line": 1, "file": "/src/b/go.sum"},
	]}]}}})
	some v in workspace.violation with input as inp
	contains(v.msg, "rsc.io/sampler v1.3.0 (")
}

vendor_mode := fixtures.mod_flag_on(fixtures.in_workspace, "vendor")

test_vendor_mode_does_not_verify_sums if {
	inp := object.union(object.union(vendor_mode, conflict), {"gowork": {"vendor": {"violations": []}}})
	count(workspace.violation) == 0 with input as inp
}

test_workspace_vendor_violations if {
	inp := object.union(vendor_mode, {"gowork": {"vendor": {"violations": [{
		"rule": "required-not-explicit", "module": "example.com/x@v1.0.0",
		"message": "example.com/x@v1.0.0 is explicitly required in go.mod, but not marked as explicit in vendor/modules.txt",
		"file": "/src/vendor/modules.txt", "line": 3,
	}]}}})
	some v in workspace.violation with input as inp
	v.evidence[0].source == "/src/vendor/modules.txt:3"
}

test_mod_vendor_without_workspace_vendor_directory if {
	some v in workspace.violation with input as vendor_mode
	contains(v.msg, "no vendor directory")
}

test_module_newer_than_go_work if {
	inp := object.union(fixtures.in_workspace, {"gowork": {"go": {"version": "1.21.1", "line": 1}, "use": [{"dir": ".", "exists": true, "line": 2, "go_version": "1.21.2"}]}})
	some v in workspace.violation with input as inp
	v.msg == "module . listed in go.work requires go >= 1.21.2, but go.work lists go 1.21.1; the go command refuses the workspace"
}

test_go_work_without_go_line_means_1_18 if {
	inp := json.patch(fixtures.in_workspace, [
		{"op": "remove", "path": "/gowork/go"},
		{"op": "replace", "path": "/gowork/use", "value": [{"dir": ".", "exists": true, "line": 2, "go_version": "1.21"}]},
	])
	some v in workspace.violation with input as inp
	contains(v.msg, "go.work implicitly requires go 1.18")
}

test_old_modules_may_be_newer_than_go_work if {
	inp := object.union(fixtures.in_workspace, {"gowork": {"go": {"version": "1.18", "line": 1}, "use": [{"dir": ".", "exists": true, "line": 2, "go_version": "1.20"}]}})
	count(workspace.violation) == 0 with input as inp
}

test_go_work_newer_than_the_local_toolchain if {
	inp := object.union(fixtures.in_workspace, {"gowork": {"go": {"version": "1.99", "line": 1}, "use": []}})
	some v in workspace.violation with input as inp
	contains(v.msg, "go.work requires go 1.99 but the runner has go1.26.8 and GOTOOLCHAIN=local")
}

test_go_work_newer_than_the_pinned_toolchain if {
	inp := object.union(fixtures.in_workspace, {
		"gowork": {"go": {"version": "1.27", "line": 1}, "use": []},
		"goenv": {"toolchain": {"raw": "go1.26.8", "mode": "pinned", "name": "go1.26.8", "version": "1.26.8"}},
	})
	some v in workspace.violation with input as inp
	contains(v.msg, "GOTOOLCHAIN pins go1.26.8")
}
