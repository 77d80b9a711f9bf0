package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gopolicy/gopolicy/internal/safeio"
	"github.com/gopolicy/gopolicy/pkg/collect"
	"github.com/gopolicy/gopolicy/pkg/evidence"
	"github.com/gopolicy/gopolicy/pkg/facts"
	"github.com/gopolicy/gopolicy/pkg/gopolicy"
	"github.com/gopolicy/gopolicy/pkg/oci"
)

// keyPasswordVars hold a signing key's password; a flag would leave it in
// shell history and the process list.
var keyPasswordVars = []string{"GOPOLICY_KEY_PASSWORD", "COSIGN_PASSWORD"}

func (a *app) attestCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "attest --binary BIN --key KEY [-o FILE]",
		Short: "Sign the build's facts as an attestation bound to its binaries (a Sigstore bundle)",
		Long: `attest collects the facts of the build (the Go environment and the layer
that set each value, go.mod, go.sum, vendor/, the runner, and each
binary) and signs them as an in-toto statement whose subjects are the
binaries' SHA-256 digests (predicate type ` + evidence.FactsPredicateType + `),
in a DSSE envelope inside a Sigstore bundle. With --rekor-url the
signature is logged and the bundle carries the log entry and its
inclusion proof (and, from a Rekor v1 log, its signed entry timestamp;
a Rekor v2 log, --rekor-version 2, gives a checkpoint and no time), so
it can be verified offline.

With --image the statement also names the container image the binaries
ship in (a tag is resolved to its digest), and the attestation is pushed
to the image's registry twice: as an OCI 1.1 referrer of the image (a
Sigstore bundle artifact, where gopolicy serve and cosign v3 look) and
appended to cosign's sha256-<digest>.att tag (a DSSE envelope layer, where
cosign verify-attestation and policy-controller look, then the bundle).
Registry credentials come from the docker config and credential helpers.
--push=false only names the image.

Ship the bundle beside the binary. Anyone can later judge the binary as
if they had been at the build:

  gopolicy eval --binary BIN --attestation BIN.gopolicy.sigstore.json \
    --evidence-key KEY.pub --profile prod

The key is a PEM private key (ECDSA P-256 or Ed25519; PKCS#8, SEC 1, or
cosign's encrypted format, whose password is read from
GOPOLICY_KEY_PASSWORD or COSIGN_PASSWORD). Facts that could not be
collected are not attested (exit 2).`,
		Example: `  gopolicy attest --binary dist/api --key cosign.key -o dist/api.gopolicy.sigstore.json
  gopolicy attest --binary dist/api --key cosign.key --rekor-url http://rekor.internal
  gopolicy attest --binary dist/api --image registry.example/api:v1.4.0 --key cosign.key`,
		Args: cobra.NoArgs,
		RunE: a.runAttest,
	}
	f := cmd.Flags()
	f.String("dir", ".", "`DIR` of the Go project the binaries were built from")
	f.StringArray("binary", nil, "built binary `FILE` to attest (repeatable)")
	f.String("image", "", "also name this image (`REF`: NAME@sha256:DIGEST or NAME:TAG) and push the attestation to its registry")
	f.Bool("push", true, "with --image, store the attestation in the image's registry (referrer and .att tag)")
	f.Bool("insecure-registry", false, "allow plain HTTP to the image's registry (localhost and private addresses always may)")
	f.String("key", "", "PEM private key `FILE` to sign with")
	f.String("rekor-url", "", "Rekor log `URL` to record the signature in")
	f.Int("rekor-version", 1, "API `VERSION` of --rekor-url: 1 (Rekor v1) or 2 (Rekor v2, rekor-tiles: ECDSA keys only; a certificate also needs --tsa-url)")
	f.String("tsa-url", "", "RFC 3161 timestamp authority `URL` to timestamp the signature")
	f.StringP("output", "o", "", "bundle `FILE` to write (default: the first binary's path + .gopolicy.sigstore.json)")
	f.StringArray("stamp", nil, "string variable (`SYMBOL`) to read back from the binaries (repeatable)")
	f.Bool("no-go-command", false, "do not run 'go env -json' to cross-check the computed environment")
	return cmd
}

func (a *app) runAttest(cmd *cobra.Command, _ []string) error {
	v := a.v
	cfg, err := a.config(cmd)
	if err != nil {
		return err
	}
	binaries := v.GetStringSlice("binary")
	keyPath := v.GetString("key")
	if keyPath == "" {
		return errors.New("--key is required: the PEM private key to sign with")
	}
	pemBytes, err := safeio.ReadFile(keyPath, safeio.DefaultLimits().Key)
	if err != nil {
		return fmt.Errorf("read --key: %w", err)
	}
	var password []byte
	for _, name := range keyPasswordVars {
		if p, ok := os.LookupEnv(name); ok {
			password = []byte(p)
			break
		}
	}
	key, err := evidence.LoadPrivateKey(pemBytes, password)
	if err != nil {
		return fmt.Errorf("--key %s: %w", keyPath, err)
	}
	image := v.GetString("image")
	att, err := gopolicy.Attest(cmd.Context(), cfg, gopolicy.AttestRequest{
		Subject:      gopolicy.Subject{Dir: v.GetString("dir"), Binaries: binaries},
		Image:        image,
		Push:         image != "" && v.GetBool("push"),
		Registry:     &oci.Registry{Insecure: v.GetBool("insecure-registry")},
		Key:          key,
		RekorURL:     v.GetString("rekor-url"),
		RekorVersion: v.GetInt("rekor-version"),
		TSAURL:       v.GetString("tsa-url"),
	})
	if att == nil {
		return err
	}
	// The bundle is written even when the push failed: it is signed (and
	// maybe logged), and the push can be retried from it.
	out := v.GetString("output")
	if out == "" {
		out = binaries[0] + ".gopolicy.sigstore.json"
	}
	if werr := writeFileAtomic(out, att.Bundle); werr != nil {
		return errors.Join(err, werr)
	}
	if err != nil {
		fmt.Fprintf(a.stderr, "wrote %s\n", out)
		return err
	}
	var names []string
	for _, s := range att.Subjects {
		names = append(names, fmt.Sprintf("%s (sha256:%s)", s.Name, s.Digest["sha256"]))
	}
	fmt.Fprintf(a.stderr, "attested %s, signed by key %s", strings.Join(names, ", "), key.Fingerprint())
	if url := v.GetString("rekor-url"); url != "" {
		fmt.Fprintf(a.stderr, ", logged in %s", url)
	}
	fmt.Fprintf(a.stderr, "\nwrote %s\n", out)
	if p := att.Pushed; p != nil {
		fmt.Fprintf(a.stderr, "pushed to %s (referrer) and %s (%d layers on the tag)\n", p.Referrer, p.AttTag, p.AttLayers)
	}
	return nil
}

// writeFileAtomic writes beside the target and renames, so a failed run
// never leaves half a file where a pipeline expects a whole one.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func (a *app) verifyAttestationCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "verify-attestation FILE... --binary BIN",
		Short: "Verify attestations and Sigstore bundles of a binary offline, and print what they prove",
		Long: `verify-attestation verifies each bundle FILE against the binary, offline,
with the trust given (--trusted-root, --evidence-key, --log-key, the
allowed keyless identity), and prints every verification step, the
signer, the log entries and timestamps, and for a gopolicy attestation
the facts it carries. It judges nothing: 'gopolicy eval --attestation'
does.

Exit status: 0 every bundle verified; 1 one did not; 2 usage or input
error.`,
		Example: `  gopolicy verify-attestation dist/api.gopolicy.sigstore.json --binary dist/api --evidence-key cosign.pub
  gopolicy verify-attestation api.sigstore.json --binary api --trusted-root trusted_root.json \
    --certificate-oidc-issuer https://token.actions.githubusercontent.com \
    --certificate-identity-regexp '^https://github.com/acme/api/'`,
		Args: cobra.MinimumNArgs(1),
		RunE: a.runVerifyAttestation,
	}
	f := cmd.Flags()
	f.StringArray("binary", nil, "the binary `FILE` the bundles are about")
	f.String("format", "text", "output `FORMAT`: text or json")
	addEvidenceFlags(cmd)
	cmd.Flags().MarkHidden("attestation")
	cmd.Flags().MarkHidden("bundle")
	return cmd
}

func (a *app) runVerifyAttestation(cmd *cobra.Command, files []string) error {
	cfg, err := a.config(cmd)
	if err != nil {
		return err
	}
	bins := a.v.GetStringSlice("binary")
	if len(bins) == 0 {
		return errors.New("--binary is required: the binary the bundles must be bound to")
	}
	doc, err := gopolicy.Collect(cmd.Context(), cfg, gopolicy.Subject{
		Binaries: bins, Attestations: files,
		Collectors: []string{collect.Binaries, collect.Evidence},
	})
	if err != nil {
		return err
	}
	for _, name := range []string{collect.Binaries, collect.Evidence} {
		for _, p := range doc.Collectors[name].Problems {
			return fmt.Errorf("%s", p)
		}
	}
	format, _ := cmd.Flags().GetString("format")
	switch format {
	case "json":
		if err := a.writeJSON(doc.Evidence); err != nil {
			return err
		}
	case "text":
		printEvidence(a.stdout, doc.Evidence)
	default:
		return fmt.Errorf("unknown format %q (known: json, text)", format)
	}
	for _, in := range doc.Evidence.Inputs {
		if !in.Verified {
			return exitStatus(exitDenied)
		}
	}
	return nil
}

func printEvidence(w io.Writer, ev *facts.Evidence) {
	for _, in := range ev.Inputs {
		verdict := "VERIFIED"
		if !in.Verified {
			verdict = "NOT VERIFIED"
		}
		fmt.Fprintf(w, "%s  %s (%s)\n", verdict, in.Path, in.Kind)
		if in.Artifact.Path != "" {
			fmt.Fprintf(w, "  binary     %s %s (bound: %v)\n", in.Artifact.Path, in.Artifact.Digest, in.Artifact.Matched)
		}
		if s := in.Signer; s != nil {
			if s.Kind == facts.SignerKey {
				fmt.Fprintf(w, "  signer     key %s (%s), allowed: %v\n", s.KeyFingerprint, s.KeyAlgorithm, s.Allowed)
			} else {
				fmt.Fprintf(w, "  signer     %s from %s, allowed: %v\n", s.SAN, s.Issuer, s.Allowed)
			}
		}
		for _, e := range in.LogEntries {
			fmt.Fprintf(w, "  log entry  index %d in log %s: inclusion proof %v, SET %v\n", e.LogIndex, e.LogID, e.InclusionProofVerified, e.SETVerified)
		}
		for _, t := range in.Timestamps {
			fmt.Fprintf(w, "  timestamp  %s (%s)\n", t.Time.Format("2006-01-02T15:04:05Z07:00"), t.Kind)
		}
		for _, st := range in.Steps {
			mark := "ok  "
			switch {
			case !st.OK:
				mark = "FAIL"
			case st.Skipped:
				mark = "skip"
			}
			fmt.Fprintf(w, "  %s %-12s %s\n", mark, st.Name, st.Reason)
		}
		if in.Error != "" {
			fmt.Fprintf(w, "  error      %s\n", in.Error)
		}
	}
}
