package gopolicy.policies.binary.secrets_test

import data.gopolicy.fixtures
import data.gopolicy.policies.binary.secrets

with_x(xs) := fixtures.with_binaries([fixtures.bin({"go": {"x_assignments": xs}})])

test_version_stamp_passes if {
	count(secrets.violation) == 0 with input as with_x([{"symbol": "main.version", "value": "1.2.3"}])
}

test_token_variable_is_a_violation if {
	some v in secrets.violation with input as with_x([{"symbol": "main.apiToken", "value": "s3cr3t-value-here"}])
	not contains(v.msg, "s3cr3t-value-here")
	contains(v.msg, "s3c… (17 characters)")
}

test_aws_key_value_is_a_violation if {
	count(secrets.violation) == 1 with input as with_x([{"symbol": "main.cfg", "value": "AKIAABCDEFGHIJKLMNOP"}])
}

test_url_with_password_is_a_violation if {
	count(secrets.violation) == 1 with input as with_x([{"symbol": "main.dsn", "value": "postgres://app:hunter2@db/app"}])
}
