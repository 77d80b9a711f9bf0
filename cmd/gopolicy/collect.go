package main

import (
	"fmt"

	"github.com/gopolicy/gopolicy/pkg/evidence"

	"github.com/spf13/cobra"

	"github.com/gopolicy/gopolicy/pkg/facts"
	"github.com/gopolicy/gopolicy/pkg/gopolicy"
)

// addCollectFlags are shared by collect and eval.
func addCollectFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.String("dir", ".", "`DIR` of the Go project (go.mod is searched for upward, like the go command)")
	f.String("target", "", "platform the artefact will run on, as `GOOS/GOARCH` (e.g. linux/amd64); default: the runner")
	f.String("target-libc", "", "C library of the target: `LIBC` is glibc[:VERSION], musl[:VERSION] or none")
	f.Bool("target-static", false, "the target requires statically linked binaries")
	f.Bool("no-go-command", false, "do not run 'go env -json' to cross-check the computed environment")
	f.StringArray("binary", nil, "compiled artefact to check: a `PATH` to a file, or a directory meaning every file in it (repeatable)")
	f.Bool("recursive", false, "scan directories given with --binary down their subdirectories too")
	f.String("rootfs", "", "`DIR` of an unpacked image or sysroot the binaries run in; supplies the target when --target is not given")
	f.Bool("no-hash", false, "skip the SHA-256 of binaries (the only step that reads whole files)")
	f.StringArray("stamp", nil, "string variable (`SYMBOL`) to read back from binaries, e.g. main.version (repeatable; -X targets are always read)")
	addEvidenceFlags(cmd)
}

// addEvidenceFlags are the evidence inputs and the trust they are
// verified against, offline.
func addEvidenceFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringArray("attestation", nil, "gopolicy facts attestation `FILE` of the binaries (a Sigstore bundle from 'gopolicy attest'; repeatable)")
	f.StringArray("bundle", nil, "Sigstore bundle `FILE` of a binary, such as cosign sign-blob --bundle writes (repeatable)")
	f.String("trusted-root", "", "Sigstore trusted_root.json `FILE` to verify evidence against: Fulcio CAs, Rekor log keys, timestamp authorities")
	f.StringArray("evidence-key", nil, "PEM public key `FILE` of an allowed key signer (repeatable)")
	f.StringArray("log-key", nil, "PEM public key `FILE` of a private Rekor v1 log not in the trusted root (repeatable)")
	f.String("certificate-identity-regexp", "", "allowed keyless signer: a `REGEXP` the whole certificate identity (SAN) must match; with --certificate-oidc-issuer")
	f.String("certificate-oidc-issuer", "", "allowed keyless signer: the OIDC `ISSUER` of the certificate, e.g. https://token.actions.githubusercontent.com")
	f.Int("tlog-entries", 0, "verified transparency-log entries each bundle must carry (`N`)")
	f.String("rekor-search", "", "also search this Rekor v1 log `URL` for each binary's SHA-256 (an extra: search by hash is incomplete, so finding nothing proves nothing; needs --log-key)")
}

// evidenceTrust is the trust the settings name.
func (a *app) evidenceTrust() gopolicy.EvidenceTrust {
	v := a.v
	t := gopolicy.EvidenceTrust{
		TrustedRoot: v.GetString("trusted-root"),
		Keys:        v.GetStringSlice("evidence-key"),
		LogKeys:     v.GetStringSlice("log-key"),
		TlogEntries: v.GetInt("tlog-entries"),
		SearchURL:   v.GetString("rekor-search"),
	}
	if san, issuer := v.GetString("certificate-identity-regexp"), v.GetString("certificate-oidc-issuer"); san != "" || issuer != "" {
		t.Identities = []evidence.Identity{{SANRegexp: san, Issuer: issuer}}
	}
	return t
}

func (a *app) collectCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "collect",
		Short: "Print the facts document for a Go project",
		Long: `collect gathers every fact gopolicy judges into one JSON document (schema
` + facts.SchemaVersion + `) and prints it. Save it to judge later or elsewhere with
'gopolicy eval --facts FILE'. Problems reading inputs are recorded in the
document under "collectors" and make the command exit 2.`,
		Example: `  gopolicy collect --dir ./service > facts.json
  gopolicy collect --target linux/arm64 --target-libc glibc:2.31`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.config(cmd)
			if err != nil {
				return err
			}
			doc, err := gopolicy.Collect(cmd.Context(), cfg, a.subject(cmd))
			if err != nil {
				return err
			}
			data, err := gopolicy.MarshalFacts(doc)
			if err != nil {
				return err
			}
			if _, err := a.stdout.Write(data); err != nil {
				return fmt.Errorf("write facts: %w", err)
			}
			if n := a.reportCollectorProblems(doc); n > 0 {
				return exitStatus(exitError)
			}
			return nil
		},
	}
	addCollectFlags(cmd)
	return cmd
}

// reportCollectorProblems prints one line per problem on stderr.
func (a *app) reportCollectorProblems(doc *facts.Document) int {
	n := 0
	for _, name := range sortedKeys(doc.Collectors) {
		for _, p := range doc.Collectors[name].Problems {
			fmt.Fprintf(a.stderr, "gopolicy: %s\n", p)
			n++
		}
	}
	return n
}
