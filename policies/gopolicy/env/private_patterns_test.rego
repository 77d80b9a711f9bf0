package gopolicy.policies.env.private_patterns_test

import data.gopolicy.fixtures
import data.gopolicy.policies.env.private_patterns

test_no_patterns_pass if {
	count(private_patterns.violation) == 0 with input as fixtures.clean
}

test_org_pattern_passes_when_declared_private if {
	inp := object.union(fixtures.with_env({"GONOSUMDB": "github.com/acme/*"}), {"gomod": {"require": [{"path": "github.com/acme/lib", "version": "v1.0.0", "line": 5}]}})
	count(private_patterns.violation) == 0 with input as inp with data.gopolicy.config.private_module_prefixes as ["github.com/acme"]
}

test_wildcard_covers_public_modules if {
	inp := fixtures.with_env({"GONOSUMDB": "*"})
	some v in private_patterns.violation with input as inp
	v.subject == "*"
	contains(v.msg, "github.com/spf13/cobra")
	contains(v.msg, "golang.org/x/mod")
	count(v.evidence) == 3
}

test_golang_org_x_pattern_via_gonoproxy if {
	inp := fixtures.with_env({"GONOPROXY": "golang.org/x"})
	vs := private_patterns.violation with input as inp
	count(vs) == 1
	some v in vs
	contains(v.msg, "proxy is bypassed")
}

test_prefix_match_is_by_path_element if {
	data.gopolicy.lib.prefix_match("github.com/spf13", "github.com/spf13/cobra")
	not data.gopolicy.lib.prefix_match("github.com/spf1", "github.com/spf13/cobra")
	data.gopolicy.lib.prefix_match("github.com/*", "github.com/spf13/cobra")
}
