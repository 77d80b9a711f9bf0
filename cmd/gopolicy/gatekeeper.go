package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/gopolicy/gopolicy/internal/safeio"
	"github.com/gopolicy/gopolicy/pkg/gopolicy"
	"github.com/gopolicy/gopolicy/pkg/serve"
)

func init() { registerCommand((*app).gatekeeperCommand) }

func (a *app) gatekeeperCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "gatekeeper",
		Short: "Connect OPA Gatekeeper to gopolicy serve (external data)",
		Args:  cobra.NoArgs,
	}
	export := &cobra.Command{
		Use:   "export [-o DIR]",
		Short: "Render Gatekeeper's Provider, ConstraintTemplate and Constraint for gopolicy serve",
		Long: `export renders the three manifests Gatekeeper needs to ask gopolicy serve
about every image of a Pod, in the order they must be applied:

  provider.yaml            externaldata.gatekeeper.sh/v1beta1 Provider: the
                           URL of gopolicy's Service, its CA, the timeout
  constrainttemplate.yaml  a ConstraintTemplate whose Rego calls
                           external_data and turns gopolicy's answers into
                           violations: a denied image, a per-image error
                           and a system error (fail closed) all violate
  constraint.yaml          the Constraint: enforcementAction and the
                           namespaces never judged

The template records the policy bundle the verdicts come from (the
configured bundles, or the built-in one). Without -o the manifests are
written to standard output as one YAML stream.

Gatekeeper allows external data 3 seconds at most; gopolicy serve answers
within its --deadline (2.5s by default). See docs/admission.md.`,
		Example: `  gopolicy gatekeeper export -o gatekeeper/ --ca-file ca.pem
  gopolicy gatekeeper export --enforcement-action dryrun | kubectl apply -f -`,
		Args: cobra.NoArgs,
		RunE: a.runGatekeeperExport,
	}
	def := serve.DefaultGatekeeperOptions()
	f := export.Flags()
	f.StringP("output", "o", "", "`DIR` to write provider.yaml, constrainttemplate.yaml and constraint.yaml into (default: standard output)")
	f.String("provider", def.Provider, "external-data provider `NAME`")
	f.String("service", def.Service, "`NAME` of gopolicy's Service")
	f.String("namespace", def.Namespace, "`NAMESPACE` gopolicy runs in")
	f.Int("port", def.Port, "Service `PORT`")
	f.String("ca-file", "", "PEM CA `FILE` that signed gopolicy's serving certificate (default: a placeholder to fill in)")
	f.Int("timeout", def.TimeoutSeconds, "`SECONDS` Gatekeeper waits for an answer")
	f.String("enforcement-action", def.EnforcementAction, "the Constraint's `ACTION`: deny, dryrun or warn")
	f.StringSlice("exclude-namespace", def.ExcludedNamespaces, "`NAMESPACE`s never judged (comma-separated or repeated)")
	addPolicyFlags(export)
	cmd.AddCommand(export)
	return cmd
}

func (a *app) runGatekeeperExport(cmd *cobra.Command, _ []string) error {
	flags := cmd.Flags()
	cfg, err := a.config(cmd)
	if err != nil {
		return err
	}
	eng, err := gopolicy.NewEngine(cmd.Context(), cfg)
	if err != nil {
		return err
	}
	b := eng.BundleSummary()
	o := serve.GatekeeperOptions{Bundle: b.Name + " " + b.Revision}
	o.Provider, _ = flags.GetString("provider")
	o.Service, _ = flags.GetString("service")
	o.Namespace, _ = flags.GetString("namespace")
	o.Port, _ = flags.GetInt("port")
	o.TimeoutSeconds, _ = flags.GetInt("timeout")
	o.EnforcementAction, _ = flags.GetString("enforcement-action")
	o.ExcludedNamespaces, _ = flags.GetStringSlice("exclude-namespace")
	if ca, _ := flags.GetString("ca-file"); ca != "" {
		if o.CA, err = safeio.ReadFile(ca, safeio.DefaultLimits().Key); err != nil {
			return fmt.Errorf("--ca-file: %w", err)
		}
	}
	files, err := serve.GatekeeperManifests(o)
	if err != nil {
		return err
	}
	dir, _ := flags.GetString("output")
	if dir == "" {
		for i, name := range serve.GatekeeperFiles {
			if i > 0 {
				fmt.Fprintln(a.stdout, "---")
			}
			a.stdout.Write(files[name])
		}
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range serve.GatekeeperFiles {
		if err := writeFileAtomic(filepath.Join(dir, name), files[name]); err != nil {
			return err
		}
		fmt.Fprintf(a.stderr, "wrote %s\n", filepath.Join(dir, name))
	}
	return nil
}
