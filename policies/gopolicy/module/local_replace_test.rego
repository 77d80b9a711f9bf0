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
