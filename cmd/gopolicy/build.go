package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/gopolicy/gopolicy/pkg/eval"
	"github.com/gopolicy/gopolicy/pkg/gopolicy"
)

func (a *app) buildCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "build DIR",
		Short: "Pack a policy directory into an OPA bundle, with a revision and optionally a signature",
		Long: `build checks that the policies in DIR compile and carry valid metadata
(next to the built-in policies, which they may import, unless --no-builtin),
then writes an OPA bundle (.tar.gz) with the revision in its manifest.

With --signing-key the bundle carries OPA's .signatures.json: a JWT over
the SHA-256 of every file. 'gopolicy eval --policy BUNDLE --policy-key
PUB.pem' verifies it before using any policy, and refuses an unsigned,
tampered or differently signed bundle. The algorithm follows from the
key: RSA (2048 bits or more) RS256, ECDSA ES256/ES384/ES512, Ed25519 EdDSA.`,
		Example: `  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out signing.pem
  openssl pkey -in signing.pem -pubout -out signing.pub.pem
  gopolicy policies build ./org-policies --revision 2026.11.1 --signing-key signing.pem -o org.tar.gz
  gopolicy eval --policy org.tar.gz --policy-key signing.pub.pem`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
				return fmt.Errorf("policy directory %s: not a directory", dir)
			}
			out, _ := cmd.Flags().GetString("output")
			if out == "" {
				return fmt.Errorf("--output is required (for example -o %s.tar.gz)", filepath.Base(filepath.Clean(dir)))
			}
			noBuiltin, _ := cmd.Flags().GetBool("no-builtin")
			var sources []eval.Source
			if !noBuiltin {
				sources = append(sources, gopolicy.Builtin())
			}
			sources = append(sources, eval.Source{Path: dir})
			if _, err := eval.New(cmd.Context(), eval.Options{Sources: sources}); err != nil {
				return err
			}
			opts := eval.BuildOptions{}
			opts.Revision, _ = cmd.Flags().GetString("revision")
			if keyPath, _ := cmd.Flags().GetString("signing-key"); keyPath != "" {
				key, err := os.ReadFile(keyPath)
				if err != nil {
					return fmt.Errorf("read --signing-key: %w", err)
				}
				opts.SigningKey = key
			}
			// Write beside the target and rename, so a failed build never
			// leaves half a bundle where a pipeline expects a whole one.
			tmp, err := os.CreateTemp(filepath.Dir(out), ".gopolicy-bundle-*")
			if err != nil {
				return fmt.Errorf("create bundle: %w", err)
			}
			defer os.Remove(tmp.Name())
			info, err := eval.BuildBundle(dir, tmp, opts)
			if cerr := tmp.Close(); err == nil && cerr != nil {
				err = fmt.Errorf("write bundle: %w", cerr)
			}
			if err != nil {
				return err
			}
			// CreateTemp makes the file private; a bundle is meant to be shared.
			if err := os.Chmod(tmp.Name(), 0o644); err != nil {
				return fmt.Errorf("write bundle: %w", err)
			}
			if err := os.Rename(tmp.Name(), out); err != nil {
				return fmt.Errorf("write bundle: %w", err)
			}
			signed := "unsigned"
			if opts.SigningKey != nil {
				signed = "signed"
			}
			fmt.Fprintf(a.stdout, "built %s: revision %s, %s, %s\n", out, info.Revision, info.Digest, signed)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringP("output", "o", "", "bundle `FILE` to write (.tar.gz)")
	f.String("revision", "", "`REVISION` to record in the manifest (default: the .manifest's revision)")
	f.String("signing-key", "", "PEM private key `FILE` (RSA, ECDSA or Ed25519) to sign the bundle with")
	f.Bool("no-builtin", false, "check the policies alone, without the built-in bundle beside them")
	return cmd
}
