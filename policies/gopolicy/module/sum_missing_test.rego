package gopolicy.policies.module.sum_missing_test

import data.gopolicy.fixtures
import data.gopolicy.policies.module.sum_missing

test_complete_go_sum_passes if {
	count(sum_missing.violation) == 0 with input as fixtures.clean
}

test_missing_hashes_are_violations if {
	inp := object.union(fixtures.clean, {"gosum": {"missing": [
		{"module": "github.com/spf13/cobra", "version": "v1.10.2", "kind": "h1", "require_line": 6},
		{"module": "github.com/spf13/cobra", "version": "v1.10.2", "kind": "go.mod", "require_line": 6},
	]}})
	vs := sum_missing.violation with input as inp
	count(vs) == 2
	some v in vs
	v.evidence[0].source == "/src/app/go.mod:6"
}

missing(inp, list) := object.union(inp, {"gosum": {"missing": list}})

graph := {"module": "golang.org/x/mod", "version": "v0.42.0", "kind": "go.mod", "require_line": 7, "need": "graph"}

used := {"module": "github.com/spf13/cobra", "version": "v1.10.2", "kind": "h1", "require_line": 6, "need": "build", "imported_by": "main.go:5 imports github.com/spf13/cobra"}

tested := {"module": "github.com/spf13/cobra", "version": "v1.10.2", "kind": "h1", "require_line": 6, "need": "test", "imported_by": "main_test.go:5 imports github.com/spf13/cobra"}

unused := {"module": "golang.org/x/mod", "version": "v0.42.0", "kind": "h1", "require_line": 7, "need": "unknown"}

test_readonly_mode_denies_what_the_go_command_needs if {
	vs := sum_missing.violation with input as missing(fixtures.v04, [graph, used, tested, unused])
	count(vs) == 3
	some g in vs
	contains(g.msg, "to load the module graph")
	some b in vs
	contains(b.msg, "main.go:5 imports github.com/spf13/cobra, so the build extracts the module")
	some t in vs
	contains(t.msg, "in a test, so go test and go vet extract the module")
	every v in vs {
		v.evidence[1].value == "readonly"
	}
}

test_a_zip_nobody_is_known_to_import_is_not_denied if {
	count(sum_missing.violation) == 0 with input as missing(fixtures.v04, [unused])
}

test_vendor_mode_does_not_read_go_sum if {
	count(sum_missing.violation) == 0 with input as missing(fixtures.vendored, [graph, used])
}

test_workspace_adds_missing_sums_to_go_work_sum if {
	count(sum_missing.violation) == 0 with input as missing(fixtures.in_workspace, [graph, used])
}

test_mod_mode_adds_missing_sums if {
	count(sum_missing.violation) == 0 with input as missing(fixtures.with_mod_flag("mod"), [graph, used])
}

test_more_missing_hashes_are_counted if {
	inp := object.union(missing(fixtures.v04, [graph]), {"gosum": {"missing_more": 41}})
	some v in sum_missing.violation with input as inp
	v.msg == "go.sum lacks 41 more hashes the go command needs"
	count(sum_missing.violation) == 0 with input as object.union(fixtures.vendored, {"gosum": {"missing_more": 41}})
}
