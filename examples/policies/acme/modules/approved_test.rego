package acme.modules.approved_test

import data.acme.modules.approved

gomod(requires) := {"gomod": {"file": "go.mod", "require": requires}}

test_approved_module_passes if {
	count(approved.violation) == 0 with input as gomod([{"path": "golang.org/x/mod", "version": "v0.42.0", "line": 5}])
}

test_unapproved_module_is_reported_with_its_line if {
	vs := approved.violation with input as gomod([
		{"path": "golang.org/x/mod", "version": "v0.42.0", "line": 5},
		{"path": "github.com/spf13/cobra", "version": "v1.10.2", "line": 6},
	])
	count(vs) == 1
	some v in vs
	v.subject == "github.com/spf13/cobra"
	v.evidence[0].source == "go.mod:6"
	v.evidence[0].fact == "/gomod/require/1"
}

test_prefix_must_match_from_the_start if {
	count(approved.violation) == 1 with input as gomod([{"path": "evil.example/golang.org/x/mod", "version": "v1.0.0", "line": 3}])
}

test_prefixes_come_from_data if {
	count(approved.violation) == 0 with input as gomod([{"path": "github.com/spf13/cobra", "version": "v1.10.2", "line": 6}])
		with data.acme.modules.approved_prefixes as ["github.com/spf13/"]
}
