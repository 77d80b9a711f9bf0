package gopolicy.admission.limits_test

import data.gopolicy.admission.limits
import data.gopolicy.admission_test as t

test_within_limits_passes if {
	c := t.ctr({"env": {"GOMAXPROCS": "2", "GOMEMLIMIT": "400MiB"}, "gomaxprocs": 2, "gomemlimit_bytes": 419430400, "cpu_limit_millis": 1500, "memory_limit_bytes": 536870912})
	count(limits.finding) == 0 with input as t.pod("prod", [c])
}

test_gomaxprocs_above_cpu_limit if {
	c := t.ctr({"env": {"GOMAXPROCS": "8"}, "gomaxprocs": 8, "cpu_limit_millis": 2000})
	some f in limits.finding with input as t.pod("prod", [c])
	f.msg == "container web: GOMAXPROCS=8 is above its CPU limit of 2000m"
}

test_gomemlimit_not_below_memory_limit if {
	c := t.ctr({"env": {"GOMEMLIMIT": "1GiB"}, "gomemlimit_bytes": 1073741824, "memory_limit_bytes": 536870912})
	some f in limits.finding with input as t.pod("prod", [c])
	f.policy == "GP-ADM-004"
}

test_build_settings_in_a_running_container if {
	some f in limits.finding with input as t.pod("prod", [t.ctr({"env": {"GOFLAGS": "-mod=mod"}})])
	f.policy == "GP-ADM-005"
}
