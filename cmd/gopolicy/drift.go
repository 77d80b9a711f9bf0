package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/gopolicy/gopolicy/internal/safeio"
	"github.com/gopolicy/gopolicy/pkg/drift"
	"github.com/gopolicy/gopolicy/pkg/output"
)

func init() { registerCommand((*app).driftCommand) }

func (a *app) driftCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "drift A.facts.json B.facts.json [C.facts.json...]",
		Short: "Compare facts documents collected in different places and judge the differences",
		Long: `drift compares facts documents collected in different environments (a
developer machine, CI, the release builder): the effective Go environment
and the layer that set each value, the toolchain, the runner's OS, libc and
C compilers, go.mod requirements, go.sum hashes and the target. The
differences make a drift document of their own, judged by the drift
policies (GP-DRIFT-*), such as "the release builder's GOFLAGS differ from
CI's" or "two environments resolve a module to different hashes".

--format json writes the decision (the eval --format json model); --drift
FILE also writes the drift document the policies judged.

Exit status: 0 no drift that fails the profile; 1 drift denied; 2 a
document cannot be read or is not a facts document.`,
		Example: `  gopolicy collect > ci.json          # in CI
  gopolicy collect > release.json     # on the release builder
  gopolicy drift ci.json release.json --profile prod`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			v := a.v
			format, _ := cmd.Flags().GetString("format")
			if format != "text" && format != "json" {
				return fmt.Errorf("unknown format %q (known: json, text)", format)
			}
			var inputs []drift.Input
			for _, f := range args {
				data, err := safeio.ReadFile(f, safeio.DefaultLimits().Facts)
				if err != nil {
					return fmt.Errorf("read facts: %w", err)
				}
				inputs = append(inputs, drift.Input{Name: f, Data: data})
			}
			doc, err := drift.Compare(inputs)
			if err != nil {
				return err
			}
			if path, _ := cmd.Flags().GetString("drift"); path != "" {
				data, err := json.MarshalIndent(doc, "", "  ")
				if err != nil {
					return err
				}
				if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
					return fmt.Errorf("write drift document: %w", err)
				}
			}
			e, err := drift.Builtin(ctx)
			if err != nil {
				return err
			}
			profile := v.GetString("profile")
			known := false
			for _, p := range []string{"dev", "ci", "prod"} {
				known = known || p == profile
			}
			if !known {
				return fmt.Errorf("unknown profile %q for drift policies (known: dev, ci, prod)", profile)
			}
			d, err := e.Judge(ctx, doc, profile)
			if err != nil {
				return err
			}
			var f output.Formatter = output.Text{Verbose: v.GetBool("verbose"), Color: a.color(a.stdout)}
			if format == "json" {
				f = output.JSON{}
			}
			if err := f.Format(a.stdout, d); err != nil {
				return err
			}
			failOn := v.GetString("fail-on")
			if d.Summary.Deny > 0 || (failOn == "warn" && d.Summary.Warn > 0) {
				return exitStatus(exitDenied)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.String("profile", "ci", "enforcement `PROFILE`: dev, ci or prod")
	f.String("fail-on", "deny", "lowest `LEVEL` that fails: deny or warn")
	f.String("format", "text", "output `FORMAT`: text or json")
	f.String("drift", "", "also write the drift document the policies judged to `FILE`")
	f.BoolP("verbose", "v", false, "list passed policies too")
	return cmd
}
