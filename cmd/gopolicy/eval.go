package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/gopolicy/gopolicy/internal/safeio"
	"github.com/gopolicy/gopolicy/pkg/collect/target"
	"github.com/gopolicy/gopolicy/pkg/decision"
	"github.com/gopolicy/gopolicy/pkg/gopolicy"

	"github.com/spf13/cobra"

	"github.com/gopolicy/gopolicy/pkg/output"
)

func addPolicyFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringArray("policy", nil, "extra policy bundle: a directory or .tar.gz `PATH` (repeatable); added to the built-in policies")
	f.Bool("no-builtin", false, "do not load the built-in policies (use only --policy bundles)")
	f.String("policy-key", "", "PEM public key `FILE` every --policy bundle must be signed with (see 'gopolicy policies build --signing-key'); unsigned or tampered bundles are refused")
}

func (a *app) evalCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "eval [DIR | BINARY | DIR/...]...",
		Short: "Judge a Go project, binaries (or a saved facts document) against the policies",
		Long: `eval collects the facts of a Go project (or reads them with --facts) and
judges them with the policies under a profile. Each policy's metadata says
whether its violations deny, warn or are off in each profile.

Arguments name what to judge, as go vet takes packages: a directory is a
Go project (go.mod is searched for upward), a file is a binary judged on
its own, and DIR/... is every module at or below DIR. Each is judged
separately and the exit status is the worst of them. Without arguments,
--dir (default .) and --binary say what to judge.

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
  gopolicy eval ./service ./dist/api
  gopolicy eval ./... --format sarif -o gopolicy.sarif
  GOSUMDB=off GOPROXY=direct gopolicy eval --profile prod
  gopolicy eval --dir ./service --format json --fail-on warn
  gopolicy eval --target linux/arm64 --policy ./org-policies
  gopolicy collect | gopolicy eval --facts -
  gopolicy eval --profile prod --waivers waivers.yaml --format sarif -o gopolicy.sarif
  gopolicy eval --policy org.tar.gz --policy-key org.pub.pem`,
		Args: cobra.ArbitraryArgs,
		RunE: a.runEval,
	}
	addCollectFlags(cmd)
	addPolicyFlags(cmd)
	f := cmd.Flags()
	f.String("facts", "", "judge this facts document (a `FILE`, or - for standard input) instead of collecting")
	f.String("profile", "ci", "enforcement `PROFILE`: dev, ci, prod, or one a policy bundle defines")
	f.String("format", "text", "output `FORMAT`: text, json, sarif (code scanning), junit (CI test reports) or github (Actions annotations)")
	f.String("fail-on", "deny", "lowest `LEVEL` that fails the run: deny or warn")
	f.StringP("output", "o", "", "write the report to this `FILE`; the human report then goes to standard error")
	f.StringArray("waivers", nil, "waiver `FILE` (repeatable); added to the waivers in gopolicy.yaml")
	f.String("now", "", "judge waiver expiry as of this `DATE` or RFC 3339 time instead of the clock (to reproduce a past decision)")
	f.BoolP("verbose", "v", false, "list passed and switched-off policies in text output")
	f.Duration("eval-timeout", 0, "stop policies still running after this `DURATION` (default 5s; a real judgement takes milliseconds); they become error findings")
	f.String("explain", "", "after the report, show why policy `ID` decided what it did: its violations and the trace of the rules it evaluated and the facts they read")
	return cmd
}

func (a *app) runEval(cmd *cobra.Command, args []string) error {
	ctx := cmd.Context()
	v := a.v
	wd, err := os.Getwd()
	if err != nil {
		return fmt.Errorf("working directory: %w", err)
	}
	outOpts := output.Options{Verbose: v.GetBool("verbose"), BaseDir: wd, ToolVersion: toolVersion()}
	if v.GetString("output") == "" {
		outOpts.Color = a.color(a.stdout)
	}
	formatter, err := output.New(v.GetString("format"), outOpts)
	if err != nil {
		return err
	}
	cfg, err := a.config(cmd)
	if err != nil {
		return err
	}
	var subjects []gopolicy.Item
	if len(args) > 0 {
		for _, flag := range []string{"dir", "binary", "rootfs", "facts"} {
			if cmd.Flags().Changed(flag) {
				return fmt.Errorf("--%s cannot be combined with arguments: name what to judge either way, not both", flag)
			}
		}
		if subjects, err = a.subjectsFromArgs(cmd, args); err != nil {
			return err
		}
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
	// One subject, whether named by an argument or by flags, is one
	// report; several are judged together.
	single := a.subject(cmd)
	if len(subjects) == 1 {
		single, subjects = subjects[0].Subject, nil
	}
	var res *gopolicy.Result
	if len(subjects) > 0 || factsJSON != nil {
		p, err := gopolicy.New(ctx, cfg)
		if err != nil {
			return err
		}
		if len(subjects) > 0 {
			return a.judgeAll(ctx, p, subjects, formatter, outOpts)
		}
		if res, err = p.JudgeFacts(ctx, factsJSON); err != nil {
			return err
		}
	} else if res, err = gopolicy.JudgeOnce(ctx, cfg, single); err != nil {
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
	if v.GetString("output") != "" && v.GetString("format") != "text" {
		if err := (output.Text{Verbose: outOpts.Verbose, Color: a.color(a.stderr)}).Format(a.stderr, d); err != nil {
			return err
		}
	}
	if id := v.GetString("explain"); id != "" {
		if err := a.explain(ctx, cfg, res, id); err != nil {
			return err
		}
	}
	if code := res.Outcome.ExitCode(); code != exitAllowed {
		return exitStatus(code)
	}
	return nil
}

// explain prints why one policy decided what it did, after the report.
func (a *app) explain(ctx context.Context, cfg gopolicy.Config, res *gopolicy.Result, id string) error {
	p, err := gopolicy.New(ctx, cfg)
	if err != nil {
		return err
	}
	ex, err := p.Explain(ctx, res.Facts, id)
	if err != nil {
		return err
	}
	w := a.stdout
	if a.v.GetString("output") != "" || a.v.GetString("format") != "text" {
		w = a.stderr
	}
	fmt.Fprintf(w, "\nEXPLAIN %s %s (v%s), %s:%d\n", ex.Policy.ID, ex.Policy.Title, ex.Policy.Version, ex.Policy.File, ex.Policy.Line)
	for _, f := range res.Decision.Findings {
		if f.Policy == ex.Policy.ID {
			fmt.Fprintf(w, "verdict: %s: %s\n", f.Level, f.Message)
		}
	}
	fmt.Fprintf(w, "violations: %d\n", len(ex.Violations))
	if ex.Trace == "" {
		fmt.Fprintln(w, "trace: no rule of the policy was evaluated (its facts were missing or it is switched off)")
		return nil
	}
	fmt.Fprintf(w, "trace (rules evaluated, the facts they read, where each failed or succeeded):\n%s", ex.Trace)
	return nil
}

// subjectsFromArgs turns arguments into what to judge: a directory is a
// project, a file a binary, DIR/... every module below DIR. The target
// and the rest of the collection flags apply to each.
func (a *app) subjectsFromArgs(cmd *cobra.Command, args []string) ([]gopolicy.Item, error) {
	base := a.subject(cmd)
	var items []gopolicy.Item
	for _, arg := range args {
		if root, ok := strings.CutSuffix(arg, "/..."); ok || arg == "..." {
			if arg == "..." {
				root = "."
			}
			dirs, err := gopolicy.Modules(cmd.Context(), root)
			if err != nil {
				return nil, err
			}
			for _, d := range dirs {
				s := base
				s.Dir, s.Binaries, s.Rootfs, s.Attestations, s.Bundles = d, nil, "", nil, nil
				items = append(items, gopolicy.Item{Name: d, Subject: s})
			}
			continue
		}
		fi, err := os.Stat(arg)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", arg, errors.Unwrap(err))
		}
		s := base
		s.Dir, s.Binaries, s.Rootfs = "", nil, ""
		if fi.IsDir() {
			s.Dir = arg
		} else {
			s.Binaries = []string{arg}
		}
		items = append(items, gopolicy.Item{Name: arg, Subject: s})
	}
	return items, nil
}

// judgeAll judges several subjects, one report after another (one SARIF
// log, one JUnit document), with progress on a terminal.
func (a *app) judgeAll(ctx context.Context, p *gopolicy.Pipeline, items []gopolicy.Item, f output.Formatter, opts output.Options) error {
	w := a.stdout
	var file *os.File
	if path := a.v.GetString("output"); path != "" {
		var err error
		if file, err = os.Create(path); err != nil {
			return fmt.Errorf("create report: %w", err)
		}
		defer file.Close()
		w = file
	}
	var progress io.Writer
	if isTerminal(a.stderr) {
		progress = a.stderr
	}
	outcome, err := p.JudgeAll(ctx, items, output.NewHandler(f, w, progress), 4)
	if err != nil {
		return err
	}
	if file != nil {
		if err := file.Close(); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	if code := outcome.ExitCode(); code != exitAllowed {
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
		Binaries:     v.GetStringSlice("binary"),
		Recursive:    v.GetBool("recursive"),
		Rootfs:       v.GetString("rootfs"),
		Attestations: v.GetStringSlice("attestation"),
		Bundles:      v.GetStringSlice("bundle"),
		Target:       target.Spec{Platform: v.GetString("target"), Libc: v.GetString("target-libc"), Static: v.GetBool("target-static"), Source: "flag"},
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

// readFacts reads --facts: a regular file or standard input, bounded.
func (a *app) readFacts(src string) ([]byte, error) {
	max := safeio.DefaultLimits().Facts
	if src == "-" {
		data, err := safeio.ReadAll(a.stdin, "standard input", max)
		if err != nil {
			return nil, fmt.Errorf("read facts: %w", err)
		}
		return data, nil
	}
	data, err := safeio.ReadFile(src, max)
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
