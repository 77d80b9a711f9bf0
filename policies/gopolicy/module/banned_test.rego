package gopolicy.policies.module.banned_test

import data.gopolicy.fixtures
import data.gopolicy.policies.module.banned

sqlite := object.union(fixtures.clean, {"gomod": {"require": [{"path": "github.com/mattn/go-sqlite3", "version": "v1.14.22", "indirect": false, "line": 8}]}})

test_no_banned_module_passes if {
	count(banned.violation) == 0 with input as fixtures.clean
}

test_cgo_only_driver_with_cgo_off_is_a_violation if {
	some v in banned.violation with input as sqlite
	contains(v.msg, "needs cgo")
	count(v.evidence) == 2
}

test_cgo_only_driver_with_cgo_on_passes if {
	count(banned.violation) == 0 with input as object.union(sqlite, fixtures.with_env({"CGO_ENABLED": "1"}))
}

test_unconditional_ban if {
	vs := banned.violation with input as fixtures.clean with data.gopolicy.config.banned_modules as [{"path": "github.com/spf13", "reason": "use the standard flag package"}]
	count(vs) == 1
}
