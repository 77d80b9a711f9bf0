# METADATA
# title: File could not be analysed as a binary
# description: >-
#   A file given with --binary that looks like an executable (an ELF, PE
#   or Mach-O magic number, or an execute bit on a #! script or on binary
#   content) but is truncated, corrupt or in a format gopolicy does not
#   read still runs, and may carry anything, a credential included: no
#   other binary policy can check it, so it is denied in every profile.
#   The same holds for a file named explicitly that is not an executable
#   at all, for an entry of a scanned directory that is not a regular file
#   (a named pipe, socket or device, never read), and for a file over the
#   size limit. A directory scan leaves out regular files that are not
#   executables (a README, checksums); an ELF file whose section table is
#   unreadable is denied too, with what its program headers give recorded.
# custom:
#   id: GP-BIN-014
#   version: 2.0.0
#   severity: high
#   requires: [binaries]
#   profiles: {dev: deny, ci: deny, prod: deny}
#   remediation: >-
#     Rebuild the file if it is truncated or corrupt; point --binary at the
#     built executables only (remove the named pipe, socket or device from
#     the directory); raise the binary size limit for a larger executable;
#     waive a script or an unsupported format explicitly, by path.
package gopolicy.policies.binary.unreadable

import data.gopolicy.lib

violation contains {
	"msg": sprintf("%s could not be analysed: %s", [b.path, b.error]),
	"subject": b.path,
	"evidence": array.concat(
		[lib.binary_evidence(i, "error", b.error)],
		[lib.binary_evidence(i, "kind", b.kind) | b.kind],
	),
} if {
	some i, b in input.binaries
	b.error
}
