package gopolicy.policies.binary.secrets_test

import data.gopolicy.fixtures
import data.gopolicy.policies.binary.secrets

with_x(xs) := fixtures.with_binaries([fixtures.bin({"go": {"x_assignments": xs}})])

with_stamps(list) := fixtures.with_binaries([fixtures.bin({"stamps": list})])

test_version_stamp_passes if {
	count(secrets.violation) == 0 with input as with_x([{"symbol": "main.version", "value": "1.2.3"}])
}

# What the collector writes: the value replaced by the marker, and the
# token type as the hint.
test_redacted_value_is_a_violation if {
	x := {"symbol": "main.cfg", "value": "[redacted: 40 characters]", "hint": "ghp"}
	some v in secrets.violation with input as with_x([x])
	v.msg == "/dist/api: -X main.cfg carries a value that looks like a credential (ghp… (40 characters))"
}

test_redacted_value_without_hint_shows_only_its_length if {
	x := {"symbol": "main.apiToken", "value": "[redacted: 17 characters]"}
	some v in secrets.violation with input as with_x([x])
	contains(v.msg, "(17 characters, redacted)")
}

# Older documents and organisation patterns: values not redacted.
test_token_variable_is_a_violation if {
	some v in secrets.violation with input as with_x([{"symbol": "main.apiToken", "value": "s3cr3t-value-here"}])
	not contains(v.msg, "s3c")
	contains(v.msg, "(17 characters)")
}

test_aws_key_value_is_a_violation if {
	some v in secrets.violation with input as with_x([{"symbol": "main.cfg", "value": "AKIAABCDEFGHIJKLMNOP"}])
	contains(v.msg, "AKI… (20 characters)")
	not contains(v.msg, "ABCDEFGHIJ")
}

test_url_with_password_is_a_violation if {
	count(secrets.violation) == 1 with input as with_x([{"symbol": "main.dsn", "value": "postgres://app:hunter2@db/app"}])
}

test_organisation_name_pattern_applies if {
	inp := with_x([{"symbol": "main.dsn", "value": "db.internal"}])
	count(secrets.violation) == 1 with input as inp with data.gopolicy.config.credential_name_pattern as "(?i)dsn"
}

test_stamp_holding_a_credential_is_a_violation if {
	s := {"symbol": "main.apiKey", "from_x": false, "status": "set", "value": "[redacted: 32 characters]"}
	some v in secrets.violation with input as with_stamps([s])
	v.msg == "/dist/api: main.apiKey holds a value that looks like a credential (32 characters, redacted)"
}

test_stamp_of_a_reported_x_assignment_is_reported_once if {
	b := fixtures.bin({
		"go": {"x_assignments": [{"symbol": "main.apiKey", "value": "[redacted: 32 characters]"}]},
		"stamps": [{"symbol": "main.apiKey", "from_x": true, "status": "set", "expected": "[redacted: 32 characters]", "value": "[redacted: 32 characters]"}],
	})
	count(secrets.violation) == 1 with input as fixtures.with_binaries([b])
}

test_plain_stamp_passes if {
	s := {"symbol": "main.version", "from_x": false, "status": "set", "value": "1.2.3"}
	count(secrets.violation) == 0 with input as with_stamps([s])
}

test_value_matched_later_shows_no_prefix if {
	some v in secrets.violation with input as with_x([{"symbol": "main.cfg", "value": "mypassAKIAABCDEFGHIJKLMNOP"}])
	contains(v.msg, "(26 characters)")
	not contains(v.msg, "myp")
}
