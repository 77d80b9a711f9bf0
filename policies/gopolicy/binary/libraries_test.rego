package gopolicy.policies.binary.libraries_test

import data.gopolicy.fixtures
import data.gopolicy.policies.binary.libraries

image := {"rootfs": {"dir": "/img", "ca_bundle_found": true}}

test_resolved_libraries_pass if {
	b := fixtures.bin({"libraries": {"resolved": {"libc.so.6": "/lib/x86_64-linux-gnu/libc.so.6"}, "missing": []}})
	count(libraries.violation) == 0 with input as object.union(fixtures.with_binaries([b]), image)
}

test_missing_library_is_a_violation if {
	b := fixtures.bin({"libraries": {"resolved": {}, "missing": ["/lib64/ld-linux-x86-64.so.2", "libc.so.6"]}})
	some v in libraries.violation with input as object.union(fixtures.with_binaries([b]), image)
	v.msg == "/dist/api needs /lib64/ld-linux-x86-64.so.2, libc.so.6, which the image /img does not provide"
}
