package main

import (
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/gopolicy/gopolicy/pkg/collect/target"
	"github.com/gopolicy/gopolicy/pkg/decision"
	"github.com/gopolicy/gopolicy/pkg/gopolicy"

	"github.com/spf13/cobra"

	"github.com/gopolicy/gopolicy/pkg/output"
)

func addPolicyFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringArray("policy", nil, "extra policy bundle: a directory or .tar.gz (repeatable); added to the built-in policies")
	f.Bool("no-builtin", false, "do not load the built-in policies (use only --policy bundles)")
	f.String("policy-key", "", "PEM public key every --policy bundle must be signed with (see 'gopolicy policies build --signing-key'); unsigned or tampered bundles are refused")
}

func (a *app) evalCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "eval",
		Short: "Judge a Go project (or a saved facts document) against the policies",
		Long: `eval collects the facts of a Go project (or reads them with --facts) and
judges them with the policies under a profile. Each policy's metadata says
whether its violations deny, warn or are off in each profile.

Waivers (the waivers: list in gopolicy.yaml, and --waivers files) accept
individual findings for a time: a waived finding is reported as WAIVED
with its waiver and does not fail the run; expired, over-long (see
waiver_max_days) and unmatched waivers are reported.

--format sarif, junit or github writes a CI report; with --output FILE the
report goes to the file and the human report to standard error.

Exit status: 0 allowed; 1 denied (or warnings with --fail-on warn);
2 usage, input or policy error (unreadable or malformed go.mod, go.sum,
modules.txt, facts or waiver file; unknown profile or format; a policy that
does not compile; a bundle whose signature does not verify; a policy whose
facts could not be collected).`,
		Example: `  gopolicy eval --profile prod
  GOSUMDB=off GOPROXY=direct gopolicy eval --profile prod
  gopolicy eval --dir ./service --format json --fail-on warn
  gopolicy eval --target linux/arm64 --policy ./org-policies
  gopolicy collect | gopolicy eval --facts -
  gopolicy eval --profile prod --waivers waivers.yaml --format sarif -o gopolicy.sarif
  gopolicy eval --policy org.tar.gz --policy-key org.pub.pem`,
		Args: cobra.NoArgs,
		RunE: a.runEval,
	}
	addCollectFlags(cmd)
	addPolicyFlags(cmd)
	f := cmd.Flags()
	f.String("facts", "", "judge this facts document (a file, or - for standard input) instead of collecting")
	f.String("profile", "ci", "enforcement profile: dev, ci, prod, or one a policy bundle defines")
	f.String("format", "text", "output format: text, json, sarif (code scanning), junit (CI test reports) or github (Actions annotations)")
	f.String("fail-on", "deny", "lowest level that fails the run: deny or warn")
	f.StringP("output", "o", "", "write the report to this file; the human report then goes to standard error")
	f.StringArray("waivers", nil, "waiver file (repeatable); added to the waivers in gopolicy.yaml")
	f.String("now", "", "judge waiver expiry as of this date or RFC 3339 time instead of the clock (to reproduce a past decision)")
	f.BoolP("verbose", "v", false, "list passed and switched-off policies in text output")
	return cmd
}

func (a *app) runEval(cmd *cobra.Command, _ []string) error {
	ctx := cmd.Context()
	v := a.v
	wd, err := os.Getwd()
	if err != nil {
		return fmt.Errorf("working directory: %w", err)
	}
	outOpts := output.Options{Verbose: v.GetBool("verbose"), BaseDir: wd, ToolVersion: toolVersion()}
	formatter, err := output.New(v.GetString("format"), outOpts)
	if err != nil {
		return err
	}
	cfg, err := a.config(cmd)
	if err != nil {
		return err
	}
	var factsJSON []byte
	if src := v.GetString("facts"); src != "" {
		for _, flag := range []string{"target", "target-libc", "target-static", "dir", "binary", "rootfs", "stamp", "no-hash"} {
			if cmd.Flags().Changed(flag) {
				return fmt.Errorf("--%s cannot be combined with --facts: the facts document already records it", flag)
			}
		}
		if factsJSON, err = a.readFacts(src); err != nil {
			return err
		}
	}
	p, err := gopolicy.New(ctx, cfg)
	if err != nil {
		return err
	}
	var res *gopolicy.Result
	if factsJSON != nil {
		res, err = p.JudgeFacts(ctx, factsJSON)
	} else {
		res, err = p.Judge(ctx, a.subject(cmd))
	}
	if err != nil {
		return err
	}
	d := res.Decision
	// The text report says input errors itself; next to any other
	// format they go to stderr, so a CI log shows them once either way.
	if v.GetString("format") != "text" || v.GetString("output") != "" {
		for _, ie := range d.InputErrors {
			fmt.Fprintf(a.stderr, "gopolicy: %s\n", ie)
		}
	}
	if err := a.writeReport(formatter, d); err != nil {
		return err
	}
	if v.GetString("output") != "" {
		if err := (output.Text{Verbose: outOpts.Verbose}).Format(a.stderr, d); err != nil {
			return err
		}
	}
	if code := res.Outcome.ExitCode(); code != exitAllowed {
		return exitStatus(code)
	}
	return nil
}

// subject is what the flags say to judge. A project directory is judged
// when --dir is given, or when nothing else is: `--binary` alone judges
// the artefacts, not the machine gopolicy runs on.
func (a *app) subject(cmd *cobra.Command) gopolicy.Subject {
	v := a.v
	s := gopolicy.Subject{
		Binaries: v.GetStringSlice("binary"),
		Rootfs:   v.GetString("rootfs"),
		Target:   target.Spec{Platform: v.GetString("target"), Libc: v.GetString("target-libc"), Static: v.GetBool("target-static"), Source: "flag"},
	}
	if v.IsSet("dir") || (len(s.Binaries) == 0 && s.Rootfs == "") {
		s.Dir = v.GetString("dir")
	}
	return s
}

func (a *app) writeReport(f output.Formatter, d *decision.Decision) error {
	path := a.v.GetString("output")
	if path == "" {
		return f.Format(a.stdout, d)
	}
	file, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create report: %w", err)
	}
	if err := f.Format(file, d); err != nil {
		file.Close()
		return fmt.Errorf("write report %s: %w", path, err)
	}
	return file.Close()
}

func (a *app) readFacts(src string) ([]byte, error) {
	if src == "-" {
		data, err := io.ReadAll(a.stdin)
		if err != nil {
			return nil, fmt.Errorf("read facts from standard input: %w", err)
		}
		return data, nil
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return nil, fmt.Errorf("read facts: %w", err)
	}
	return data, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
