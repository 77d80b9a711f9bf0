# METADATA
# title: Binary lacks required hardening
# description: >-
#   Position-independent code (ASLR), read-only relocations and a
#   non-executable stack make memory-corruption bugs in cgo code harder to
#   exploit. What is required is organisation data (config "hardening"):
#   require_pie, require_relro (none, partial, full), require_nx. Only
#   facts that were read are judged: a file whose headers could not be
#   parsed has no format section, and GP-BIN-014 denies it instead.
# custom:
#   id: GP-BIN-012
#   version: 1.0.1
#   severity: medium
#   requires: [binaries]
#   profiles: {dev: off, ci: warn, prod: deny}
#   remediation: >-
#     Build with -buildmode=pie (ELF) and an external linker with
#     -extldflags '-Wl,-z,relro,-z,now' for full RELRO; never link with an
#     executable stack.
package gopolicy.policies.binary.hardening

import data.gopolicy.lib

cfg := data.gopolicy.config.hardening

relro_rank := {"none": 0, "partial": 1, "full": 2}

violation contains {
	"msg": sprintf("%s is not position-independent (PIE/ASLR required)", [b.path]),
	"subject": b.path,
	"evidence": [lib.binary_evidence(i, sprintf("%s/%s", [b.format, field]), false)],
} if {
	cfg.require_pie
	some i, b in input.binaries
	field := {"elf": "pie", "macho": "pie", "pe": "aslr"}[b.format]
	b[b.format][field] == false
}

violation contains {
	"msg": sprintf("%s has %s RELRO; %s is required", [b.path, b.elf.relro, cfg.require_relro]),
	"subject": b.path,
	"evidence": [lib.binary_evidence(i, "elf/relro", b.elf.relro)],
} if {
	some i, b in input.binaries
	relro_rank[b.elf.relro] < relro_rank[cfg.require_relro]
}

violation contains {
	"msg": sprintf("%s has an executable stack or data (NX required)", [b.path]),
	"subject": b.path,
	"evidence": [lib.binary_evidence(i, sprintf("%s/nx", [b.format]), false)],
} if {
	cfg.require_nx
	some i, b in input.binaries
	b.format in {"elf", "pe"}
	b[b.format].nx == false
}
