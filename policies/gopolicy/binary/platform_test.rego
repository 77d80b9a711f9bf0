package gopolicy.policies.binary.platform_test

import data.gopolicy.fixtures
import data.gopolicy.policies.binary.platform

test_linux_binary_for_linux_target_passes if {
	count(platform.violation) == 0 with input as fixtures.targeting(fixtures.with_binaries([fixtures.elf_bin]), {"os": "linux", "arch": "amd64"})
}

test_pe_for_linux_target_is_a_violation if {
	exe := {"path": "/dist/api.exe", "format": "pe", "go": {"goos": "windows"}, "pe": {"goarch": "amd64"}}
	some v in platform.violation with input as fixtures.targeting(fixtures.with_binaries([exe]), {"os": "linux", "arch": "amd64"})
	v.msg == "/dist/api.exe is a Windows PE executable (GOOS=windows) but the target is linux/amd64"
}

test_arm64_binary_on_amd64_runner_is_a_violation if {
	arm := fixtures.bin({"elf": {"goarch": "arm64"}})
	some v in platform.violation with input as fixtures.with_binaries([arm])
	contains(v.msg, "built for arm64 but the runner is linux/amd64")
}

test_elf_for_windows_target_is_a_violation if {
	some v in platform.violation with input as fixtures.targeting(fixtures.with_binaries([fixtures.elf_bin]), {"os": "windows", "arch": "amd64"})
	v.msg == "/dist/api is an ELF executable (GOOS=linux) but the target is windows/amd64"
}
