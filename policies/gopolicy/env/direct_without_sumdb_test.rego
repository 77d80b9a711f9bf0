package gopolicy.policies.env.direct_without_sumdb_test

import data.gopolicy.fixtures
import data.gopolicy.policies.env.direct_without_sumdb

direct_off := object.union(fixtures.with_env({"GOPROXY": "direct", "GOSUMDB": "off"}), {"goenv": {
	"gosumdb": {"raw": "off", "off": true},
	"goproxy": [{"raw": "direct", "kind": "direct", "fallback_on": "", "reachable": true}],
}})

test_clean_passes if {
	count(direct_without_sumdb.violation) == 0 with input as fixtures.clean
}

test_direct_with_sumdb_off_is_a_violation if {
	some v in direct_without_sumdb.violation with input as direct_off
	count(v.evidence) == 2
}

test_proxy_only_with_sumdb_off_passes if {
	inp := object.union(direct_off, {"goenv": {"goproxy": [{"raw": "https://proxy.example.com", "kind": "proxy", "scheme": "https", "fallback_on": "", "reachable": true}]}})
	count(direct_without_sumdb.violation) == 0 with input as inp
}

test_direct_after_off_is_unreachable if {
	inp := object.union(direct_off, {"goenv": {"goproxy": [
		{"raw": "off", "kind": "off", "fallback_on": "", "reachable": true},
		{"raw": "direct", "kind": "direct", "fallback_on": "", "reachable": false},
	]}})
	count(direct_without_sumdb.violation) == 0 with input as inp
}
