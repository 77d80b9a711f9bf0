package gopolicy.policies.binary.stamps_test

import data.gopolicy.fixtures
import data.gopolicy.policies.binary.stamps

stamped(list) := fixtures.with_binaries([fixtures.bin({"stamps": list})])

test_correct_stamp_passes if {
	inp := stamped([{"symbol": "main.version", "expected": "1.2.3", "from_x": true, "status": "set", "value": "1.2.3"}])
	count(stamps.violation) == 0 with input as inp with data.gopolicy.config.required_stamps as ["main.version"]
}

test_misspelt_stamp_is_a_violation if {
	inp := stamped([{"symbol": "main.verison", "expected": "1.2.3", "from_x": true, "status": "missing", "detail": "no such variable in the binary"}])
	some v in stamps.violation with input as inp
	v.msg == "/dist/api: -X main.verison=1.2.3 has no effect: no such variable in the binary"
}

test_required_empty_stamp_is_a_violation if {
	inp := stamped([{"symbol": "main.version", "from_x": false, "status": "empty"}])
	some v in stamps.violation with input as inp with data.gopolicy.config.required_stamps as ["main.version"]
	contains(v.msg, "is empty")
}

test_required_stamp_on_stripped_binary_cannot_be_verified if {
	inp := stamped([{"symbol": "main.version", "from_x": false, "status": "unverifiable"}])
	some v in stamps.violation with input as inp with data.gopolicy.config.required_stamps as ["main.version"]
	contains(v.msg, "cannot be verified")
}

test_required_stamp_not_collected_is_a_violation if {
	some v in stamps.violation with input as stamped([]) with data.gopolicy.config.required_stamps as ["main.version"]
	contains(v.msg, "--stamp")
}

test_required_misspelt_stamp_is_not_set if {
	inp := stamped([{"symbol": "main.version", "from_x": true, "status": "missing", "detail": "no such variable in the binary"}])
	some v in stamps.violation with input as inp with data.gopolicy.config.required_stamps as ["main.version"]
	v.msg == "/dist/api: required stamp main.version is not set: no such variable in the binary"
}
