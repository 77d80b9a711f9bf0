package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/gopolicy/gopolicy/pkg/collect/target"
	"github.com/gopolicy/gopolicy/pkg/gopolicy"
	"github.com/gopolicy/gopolicy/pkg/report"
)

func init() { registerCommand((*app).reportCommand) }

func (a *app) reportCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report [DIR | BINARY | DIR/...]... -o OUTDIR",
		Short: "Judge many artefacts into an audit report directory (HTML, JSON, Markdown, CSV, SARIF, JUnit, OpenReports)",
		Long: `report judges many artefacts with one set of compiled policies and writes an
audit report directory as it goes: every facts document judged and every
decision are stored, so the report can be re-verified later ('gopolicy
report verify'), compared with another ('gopolicy report diff') and merged
from shards ('gopolicy report merge').

Arguments name what to judge: DIR/... is every module at or below DIR; a
directory holding a go.mod is a project; any other directory means every
file below it, each a binary judged on its own; a file is a binary. --dir,
--binary and --facts (all repeatable) add projects, binaries (a directory
meaning every file below it) and stored facts documents.

A failure on one artefact (an unreadable file, a malformed document) is
recorded on that artefact and never stops the run. On a terminal a
progress line is drawn on standard error.

OUTDIR receives report.json, index.html (self-contained), report.md,
findings.csv, openreports.yaml (openreports.io/v1alpha1 Report),
policyreport.yaml (wgpolicyk8s.io/v1alpha2 PolicyReport), report.sarif,
report.junit.xml, facts/NNNN.json and decisions/NNNN.json.

Exit status: 0 every artefact allowed; 1 one denied; 2 one could not be
judged, or a usage or policy error.`,
		Example: `  gopolicy report ./dist/... -o audit
  gopolicy report --binary ./dist --profile prod -o audit
  gopolicy report ./services/... --jobs 8 -o audit
  gopolicy report --facts a.json --facts b.json -o audit
  gopolicy report ./dist --shard 1/4 --now 2026-06-01 -o shard1
  gopolicy report merge audit shard1 shard2 shard3 shard4
  gopolicy report verify audit
  gopolicy report diff last-week audit`,
		Args: cobra.ArbitraryArgs,
		RunE: a.runReport,
	}
	f := cmd.Flags()
	f.StringArray("dir", nil, "`DIR` of a Go project to judge (repeatable)")
	f.StringArray("binary", nil, "compiled artefact to judge: a `PATH` to a file, or a directory meaning every file below it (repeatable)")
	f.StringArray("facts", nil, "stored facts document `FILE` to judge (repeatable)")
	f.String("target", "", "platform the artefacts will run on, as `GOOS/GOARCH`; default: the runner")
	f.String("target-libc", "", "C library of the target: `LIBC` is glibc[:VERSION], musl[:VERSION] or none")
	f.Bool("target-static", false, "the target requires statically linked binaries")
	f.Bool("no-go-command", false, "do not run 'go env -json' to cross-check the computed environment")
	f.Bool("no-hash", false, "skip the SHA-256 of binaries (the only step that reads whole files)")
	f.StringArray("stamp", nil, "string variable (`SYMBOL`) to read back from binaries (repeatable)")
	addEvidenceFlags(cmd)
	addPolicyFlags(cmd)
	addJudgeFlags(cmd)
	f.StringP("output", "o", "", "`OUTDIR` to write the report into (created; a previous report in it is replaced)")
	f.Int("jobs", 4, "judge at most `N` artefacts at a time")
	f.String("shard", "", "judge only shard `I/N` of the artefacts (every N-th from the I-th); combine shards with 'gopolicy report merge'")
	cmd.AddCommand(a.reportVerifyCommand(), a.reportDiffCommand(), a.reportMergeCommand())
	return cmd
}

// addJudgeFlags are how a report's artefacts are judged.
func addJudgeFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.String("profile", "ci", "enforcement `PROFILE`: dev, ci, prod, or one a policy bundle defines")
	f.String("fail-on", "deny", "lowest `LEVEL` that fails an artefact: deny or warn")
	f.StringArray("waivers", nil, "waiver `FILE` (repeatable); added to the waivers in gopolicy.yaml")
	f.String("now", "", "judge waiver expiry and date the facts as of this `DATE` or RFC 3339 time (default: when the run starts; shards of one run need the same)")
}

func (a *app) runReport(cmd *cobra.Command, args []string) error {
	ctx := cmd.Context()
	v := a.v
	outDir := v.GetString("output")
	if outDir == "" {
		return errors.New("report needs -o OUTDIR")
	}
	shard, shards, err := report.ParseShard(v.GetString("shard"))
	if err != nil {
		return err
	}
	cfg, err := a.config(cmd)
	if err != nil {
		return err
	}
	started := time.Now().UTC()
	if cfg.Now == "" {
		cfg.Now = started.Truncate(time.Second).Format(time.RFC3339)
	}
	now, err := gopolicy.ParseNow(cfg.Now)
	if err != nil {
		return err
	}
	dirs, _ := cmd.Flags().GetStringArray("dir")
	bins, _ := cmd.Flags().GetStringArray("binary")
	factsFiles, _ := cmd.Flags().GetStringArray("facts")
	inputs, err := report.Expand(ctx, report.Sources{
		Args: args, Dirs: dirs, Binaries: bins, Facts: factsFiles,
		Base: gopolicy.Subject{
			Attestations: v.GetStringSlice("attestation"), Bundles: v.GetStringSlice("bundle"),
			Target: target.Spec{Platform: v.GetString("target"), Libc: v.GetString("target-libc"), Static: v.GetBool("target-static"), Source: "flag"},
		},
	})
	if err != nil {
		return err
	}
	p, err := gopolicy.New(ctx, cfg)
	if err != nil {
		return err
	}
	meta := report.Metadata{
		Tool: "gopolicy", ToolVersion: toolVersion(), Profile: p.Profile(), FailOn: cfg.FailOn, Now: cfg.Now,
		Started: started, Bundle: p.Engine().BundleSummary(), Bundles: p.Engine().Bundles(),
		Subjects: len(inputs), Shard: v.GetString("shard"), NoHash: cfg.NoHash,
	}
	w, err := report.Create(outDir, meta)
	if err != nil {
		return err
	}
	var progress io.Writer
	if isTerminal(a.stderr) {
		progress = a.stderr
	}
	opts := report.Options{Jobs: v.GetInt("jobs"), Shard: shard, Shards: shards, Progress: progress, Now: now, FailOn: cfg.FailOn}
	if err := report.Run(ctx, p, cfg, inputs, w, opts); err != nil {
		w.Close(time.Now().UTC())
		return err
	}
	sum, err := w.Close(time.Now().UTC())
	if err != nil {
		return err
	}
	a.printReportSummary(sum, outDir)
	if code := sum.ExitCode(); code != exitAllowed {
		return exitStatus(code)
	}
	return nil
}

func (a *app) printReportSummary(sum report.Summary, outDir string) {
	f := sum.Findings
	fmt.Fprintf(a.stdout, "%s: %d artefacts: %d allowed, %d denied, %d errors; findings: %d denied, %d warnings, %d waived, %d errors\nreport: %s\n",
		map[string]string{"allowed": "ALLOWED", "denied": "DENIED", "error": "ERROR"}[sum.Outcome()],
		sum.Artefacts, sum.Allowed, sum.Denied, sum.Errors, f.Deny, f.Warn, f.Waived, f.Error, outDir)
}

func (a *app) reportVerifyCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "verify OUTDIR",
		Short: "Re-judge every facts document a report stored and check the verdicts are the same",
		Long: `verify re-judges every facts document stored in a report directory with this
gopolicy's policies, under the report's profile, fail-on level and time, and
checks each verdict is the one recorded. A facts file whose SHA-256 is not
the one report.json records was altered: it is reported, not re-judged.
The policy bundles must be the report's (the built-in bundle's digest must
match; give the same --policy bundles and waivers).

Exit status: 0 every verdict reproduced; 1 something changed or the
policies differ; 2 the report cannot be read.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			r, err := report.Read(args[0])
			if err != nil {
				return err
			}
			cfg, err := a.config(cmd)
			if err != nil {
				return err
			}
			cfg.Profile, cfg.FailOn, cfg.Now, cfg.NoHash = r.Metadata.Profile, r.Metadata.FailOn, r.Metadata.Now, r.Metadata.NoHash
			p, err := gopolicy.New(ctx, cfg)
			if err != nil {
				return err
			}
			res, err := report.Verify(ctx, args[0], p, cfg.FailOn)
			if err != nil {
				return err
			}
			for _, b := range res.Bundles {
				fmt.Fprintf(a.stdout, "POLICIES DIFFER: %s\n", b)
			}
			for _, c := range res.Changes {
				fmt.Fprintf(a.stdout, "CHANGED %s (artefact %d, was %s)\n", c.Subject, c.Index+1, c.Was)
				for _, why := range c.Why {
					fmt.Fprintf(a.stdout, "        %s\n", why)
				}
			}
			if res.OK() {
				fmt.Fprintf(a.stdout, "VERIFIED: %d artefacts, %d verdicts reproduced (%d without facts: their collection failed)\n", res.Artefacts, res.Same-res.NoFacts, res.NoFacts)
				return nil
			}
			fmt.Fprintf(a.stdout, "NOT VERIFIED: %d artefacts, %d the same, %d changed\n", res.Artefacts, res.Same, len(res.Changes))
			return exitStatus(exitDenied)
		},
	}
	addPolicyFlags(cmd)
	cmd.Flags().StringArray("waivers", nil, "waiver `FILE` (repeatable): the same waivers the report was made with")
	return cmd
}

func (a *app) reportDiffCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "Compare two report directories: new, fixed and still-open findings",
		Long: `diff compares the open findings (deny, warn, error) of two report
directories, matched by artefact subject, policy and finding subject.

Exit status: 0 no new findings; 1 new findings; 2 a report cannot be read.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := report.DiffReports(args[0], args[1])
			if err != nil {
				return err
			}
			switch format, _ := cmd.Flags().GetString("format"); format {
			case "json":
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(d); err != nil {
					return err
				}
			case "text":
				if err := d.WriteText(a.stdout); err != nil {
					return err
				}
			default:
				return fmt.Errorf("unknown format %q (known: json, text)", format)
			}
			if len(d.Added) > 0 {
				return exitStatus(exitDenied)
			}
			return nil
		},
	}
	cmd.Flags().String("format", "text", "output `FORMAT`: text or json")
	return cmd
}

func (a *app) reportMergeCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "merge OUTDIR SHARD...",
		Short: "Combine the shard directories of one report run into one report",
		Long: `merge combines report directories made with --shard i/n (every shard of
one run, made with the same policies, profile and --now) into OUTDIR: the
same report an unsharded run writes.

Exit status: that of the merged report (0 allowed, 1 denied, 2 error).`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			sum, err := report.Merge(args[0], args[1:])
			if err != nil {
				return err
			}
			a.printReportSummary(sum, args[0])
			if code := sum.ExitCode(); code != exitAllowed {
				return exitStatus(code)
			}
			return nil
		},
	}
}
