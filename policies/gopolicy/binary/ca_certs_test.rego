package gopolicy.policies.binary.ca_certs_test

import data.gopolicy.fixtures
import data.gopolicy.policies.binary.ca_certs

test_image_with_certificates_passes if {
	count(ca_certs.violation) == 0 with input as object.union(fixtures.with_binaries([fixtures.elf_bin]), {"rootfs": {"dir": "/img", "ca_bundle_found": true}})
}

test_image_without_certificates_warns if {
	count(ca_certs.violation) == 1 with input as object.union(fixtures.with_binaries([fixtures.elf_bin]), {"rootfs": {"dir": "/img", "ca_bundle_found": false}})
}
