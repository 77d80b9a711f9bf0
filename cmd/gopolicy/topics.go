package main

import (
	"github.com/spf13/cobra"

	"github.com/gopolicy/gopolicy/pkg/facts"
)

// helpTopics are `gopolicy help TOPIC` pages: commands with no action.
func helpTopics() []*cobra.Command {
	return []*cobra.Command{
		{
			Use:   "facts",
			Short: "The facts document: what is collected, and how it is versioned",
			Long: `The facts document (schema ` + facts.SchemaVersion + `) is everything gopolicy
judges, in one JSON object. 'gopolicy collect' prints it; 'gopolicy eval'
builds and judges it; 'gopolicy eval --facts FILE' judges a saved one.

Sections, each named after the collector that fills it:

  goenv     the effective Go environment: every variable's value and the
            layer that set it (process, the go env -w file, $GOROOT/go.env,
            default), conflicts between layers, GOPROXY/GOSUMDB/GOFLAGS
            taken apart, and 'go env -json' to cross-check
  runner    the machine that builds: OS, distribution, C library, Go
            toolchain, C compilers
  gomod     go.mod (or vendor.mod) with file lines; nested modules
  gosum     go.sum: malformed lines, conflicting hashes, missing hashes
  vendor    vendor/modules.txt checked with the go command's rules
  gowork    the go.work in force
  target    where the artefact runs (--target, --target-libc, --rootfs)
  binaries  each --binary: hash, build info, ELF/PE/Mach-O headers, libc
            needs, hardening, -X stamps read back
  rootfs    an unpacked image: distribution, libc, CA certificates

'collectors' says how each fared: ok, error (with problems, each a
file:line and a message) or skipped (with the reason). A policy whose
facts are missing is an error, one whose facts do not apply is skipped:
never a pass.

Judging --binary or --rootfs without --dir collects only the artefacts'
facts: the machine gopolicy runs on did not build them.

A document from outside (--facts) is validated against the schema; a
wrong type, a null list or an unknown section is an error naming the
JSON pointer. v1 only grows: older documents stay valid and keep their
verdicts; a newer document with facts this version does not know is
refused, never judged in part.

Reference: docs/facts.md; schema: pkg/facts/facts.v1.schema.json.`,
		},
		{
			Use:   "profiles",
			Short: "Profiles: how strictly each policy is enforced (dev, ci, prod)",
			Long: `A profile decides what each policy's violations mean: deny (the run fails,
exit 1), warn (reported, passes unless --fail-on warn) or off. Each
policy's METADATA sets its enforcement per profile; 'gopolicy policies
list' shows the table.

  dev    a developer's machine: hygiene warns, risks that make a build
         unverifiable deny
  ci     the default: most policies deny
  prod   release builds: everything denies, waivers may run at most
         90 days (waiver_max_days)

Profiles relax hygiene, never certainty: a finding that says an artefact
cannot run where it is declared to run, or that checksums are off while
modules come straight from VCS, denies in every profile.

Bundles may define their own profiles by naming them in their policies'
METADATA; --profile NAME then selects them. Choose with --profile,
GOPOLICY_PROFILE or 'profile:' in gopolicy.yaml.`,
		},
		{
			Use:   "exit-status",
			Short: "Exit status: 0 allowed, 1 denied, 2 could not decide",
			Long: `Every command that judges exits with:

  0  allowed: no deny finding (and no warning with --fail-on warn)
  1  denied: a deny finding, or a warning with --fail-on warn
  2  could not decide: a usage error, an input that cannot be read
     (a malformed go.mod, go.sum, modules.txt, facts document or waiver
     file), a policy that does not compile or whose facts are missing, or
     a bundle whose signature does not verify

When several subjects are judged (arguments, DIR/...), the worst status
wins. 'gopolicy test' exits 1 when a test fails, 2 when a policy or
fixture cannot be read.`,
		},
	}
}
