package gopolicy.policies.module.local_replace_test

import data.gopolicy.fixtures
import data.gopolicy.policies.module.local_replace

test_module_replacement_passes if {
	inp := object.union(fixtures.clean, {"gomod": {"replace": [{"old_path": "github.com/a/b", "new_path": "github.com/acme/b", "new_version": "v1.0.1", "local": false, "line": 9}]}})
	count(local_replace.violation) == 0 with input as inp
}

test_directory_replacement_is_a_violation if {
	inp := object.union(fixtures.clean, {"gomod": {"replace": [{"old_path": "github.com/a/b", "new_path": "../b", "local": true, "line": 9}]}})
	some v in local_replace.violation with input as inp
	v.evidence[0].source == "/src/app/go.mod:9"
}

test_replacements_inside_the_repository_pass if {
	inp := object.union(fixtures.v04, {"gomod": {"replace": [
		{"old_path": "github.com/moby/moby/api", "new_path": "./api", "local": true, "location": "module", "line": 9},
		{"old_path": "golang.org/x/tools", "new_path": "..", "local": true, "location": "repository", "line": 10},
	]}})
	count(local_replace.violation) == 0 with input as inp
}

test_replacement_outside_the_repository_is_a_violation if {
	inp := object.union(fixtures.v04, {"gomod": {"replace": [{"old_path": "github.com/spf13/cobra", "new_path": "../cobra-fork", "local": true, "location": "outside", "missing": true, "line": 13}]}})
	some v in local_replace.violation with input as inp
	v.msg == "github.com/spf13/cobra is replaced by the local directory \"../cobra-fork\", outside the repository"
}
