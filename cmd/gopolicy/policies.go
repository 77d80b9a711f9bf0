package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/gopolicy/gopolicy/pkg/decision"
	"github.com/gopolicy/gopolicy/pkg/eval"
	"github.com/gopolicy/gopolicy/pkg/gopolicy"

	"github.com/spf13/cobra"
)

func (a *app) policiesCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policies",
		Short: "List, show, document and build policy bundles",
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List every policy with its id, version, severity and enforcement per profile",
		Example: `  gopolicy policies list
  gopolicy policies list --policy ./org-policies --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := a.engine(cmd)
			if err != nil {
				return err
			}
			if format, _ := cmd.Flags().GetString("format"); format == "json" {
				return a.writeJSON(map[string]any{"bundles": e.Bundles(), "policies": e.Policies()})
			}
			if f, _ := cmd.Flags().GetString("format"); f != "text" {
				return fmt.Errorf("unknown format %q (known: json, text)", f)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			profiles := e.Profiles()
			fmt.Fprintf(tw, "ID\tVERSION\tSEVERITY\t%s\tTITLE\n", strings.ToUpper(strings.Join(profiles, "\t")))
			for _, p := range e.Policies() {
				var enf []string
				for _, prof := range profiles {
					enf = append(enf, p.Enforcement(prof))
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.ID, p.Version, p.Severity, strings.Join(enf, "\t"), p.Title)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			for _, b := range e.Bundles() {
				fmt.Fprintf(a.stdout, "\nbundle %s revision %s %s (%s)", b.Name, b.Revision, b.Digest, b.Source)
			}
			fmt.Fprintln(a.stdout)
			return nil
		},
	}
	show := &cobra.Command{
		Use:     "show ID",
		Short:   "Show one policy: what it checks, why, which facts it needs and how to fix a finding",
		Example: `  gopolicy policies show GP-ENV-002`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine(cmd)
			if err != nil {
				return err
			}
			for _, p := range e.Policies() {
				if !strings.EqualFold(p.ID, args[0]) {
					continue
				}
				if format, _ := cmd.Flags().GetString("format"); format == "json" {
					return a.writeJSON(p)
				}
				a.printPolicy(p, e.Profiles())
				return nil
			}
			return fmt.Errorf("unknown policy %q (see 'gopolicy policies list')", args[0])
		},
	}
	for _, c := range []*cobra.Command{list, show} {
		addPolicyFlags(c)
		c.Flags().String("format", "text", "output `FORMAT`: text or json")
	}
	cmd.AddCommand(list, show, a.buildCommand(), a.lintCommand(), a.docCommand())
	return cmd
}

func (a *app) printPolicy(p decision.Policy, profiles []string) {
	w := a.stdout
	fmt.Fprintf(w, "%s  %s\n", p.ID, p.Title)
	fmt.Fprintf(w, "version:     %s\nseverity:    %s\n", p.Version, p.Severity)
	var enf []string
	for _, prof := range profiles {
		enf = append(enf, prof+"="+p.Enforcement(prof))
	}
	fmt.Fprintf(w, "profiles:    %s\n", strings.Join(enf, " "))
	fmt.Fprintf(w, "requires:    %s\n", strings.Join(p.Requires, ", "))
	fmt.Fprintf(w, "package:     %s\n", p.Package)
	fmt.Fprintf(w, "defined in:  %s:%d (bundle %s)\n\n", p.File, p.Line, p.Bundle)
	fmt.Fprintf(w, "%s\n\nfix: %s\n", strings.TrimSpace(p.Description), strings.TrimSpace(p.Remediation))
}

func (a *app) writeJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// engine compiles the policies the settings name, for the commands that
// list or document them.
func (a *app) engine(cmd *cobra.Command) (*eval.Engine, error) {
	cfg, err := a.config(cmd)
	if err != nil {
		return nil, err
	}
	return gopolicy.NewEngine(cmd.Context(), cfg)
}
