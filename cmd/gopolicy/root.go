package main

import (
	"fmt"
	"io"
	"maps"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/gopolicy/gopolicy/internal/pathutil"
	"github.com/gopolicy/gopolicy/pkg/eval"
	"github.com/gopolicy/gopolicy/pkg/facts"
	"github.com/gopolicy/gopolicy/pkg/gopolicy"
)

// version is the release this source is, or follows: the newest version
// in CHANGELOG.md (a test keeps them equal).
const version = "0.5.0"

// toolVersion follows one rule: a binary installed by version (go install
// ...@v0.4.0) reports that release; any other build reports the
// CHANGELOG's version with the VCS revision it was built from as semver
// build metadata (0.5.0+7f42d13d22c3, .dirty for a modified tree), never
// a pseudo-version that looks like no release at all.
func toolVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return version
	}
	return versionOf(bi)
}

func versionOf(bi *debug.BuildInfo) string {
	if v := bi.Main.Version; semver.IsValid(v) && !module.IsPseudoVersion(v) && semver.Build(v) == "" {
		return strings.TrimPrefix(v, "v")
	}
	var rev string
	var modified bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev == "" {
		return version
	}
	v := version + "+" + rev[:min(12, len(rev))]
	if modified {
		v += ".dirty"
	}
	return v
}

type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	v              *viper.Viper
	configFile     string
	trustConfig    bool
	// file is the configuration file read for this run, if any.
	file *gopolicy.ConfigFile
}

func newRootCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, v: viper.New()}
	root := &cobra.Command{
		Use:   "gopolicy",
		Short: "Check Go builds against policy, and explain every finding",
		Long: `gopolicy collects facts about a Go build (the effective Go environment and
where each value came from, the runner, go.mod, go.sum, vendor/, go.work)
into one versioned JSON document, and judges them with versioned Rego
policies. Every finding names the policy, the facts it used, where each
value came from, and how to fix it.

Settings come from flags, then GOPOLICY_* environment variables (for
example GOPOLICY_PROFILE=prod), then gopolicy.yaml found in the working
directory or a parent, then defaults.`,
		Example: `  gopolicy eval --profile prod
  gopolicy eval --dir ./service --format json
  gopolicy collect > facts.json && gopolicy eval --facts facts.json
  gopolicy policies list`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       toolVersion(),
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return a.loadConfig(cmd)
		},
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return fmt.Errorf("%w (see '%s --help')", err, cmd.CommandPath())
	})
	root.PersistentFlags().StringVar(&a.configFile, "config", "", "configuration `FILE` (default: "+gopolicy.ConfigFileName+" in the working directory or a parent, trusted only to add waivers and tighten; see --trust-config)")
	root.PersistentFlags().BoolVar(&a.trustConfig, "trust-config", false, "trust a "+gopolicy.ConfigFileName+" found by searching upward as if named with --config (in CI it belongs to the code being judged)")
	// -v means --verbose wherever it exists; the version has no shorthand.
	root.Flags().Bool("version", false, "print gopolicy's version")
	root.AddCommand(a.collectCommand(), a.evalCommand(), a.attestCommand(), a.verifyAttestationCommand(), a.testCommand(), a.policiesCommand(), a.versionCommand())
	for _, c := range commands {
		root.AddCommand(c(a))
	}
	root.AddCommand(helpTopics()...)
	return root
}

// commands is the registration table for front doors that live in files
// of their own (serve, report): each adds itself from an init function.
var commands []func(*app) *cobra.Command

// registerCommand adds a subcommand to every root command built.
func registerCommand(c func(*app) *cobra.Command) { commands = append(commands, c) }

// unboundFlags are read from the command line only: --waivers names files
// (the file's waivers key holds waivers themselves), and a subcommand's
// own --format (policies list, test) must not take eval's report format
// from gopolicy.yaml.
var unboundFlags = map[string]bool{"config": true, "help": true, "waivers": true, "trust-config": true}

// loadConfig layers the settings: flags over GOPOLICY_* over the file.
// Finding the file is the CLI's business; reading it is the library's.
func (a *app) loadConfig(cmd *cobra.Command) error {
	v := a.v
	v.SetEnvPrefix("GOPOLICY")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()
	ownFormat := cmd.Name() != "eval" && cmd.Name() != "collect"
	var bindErr error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if unboundFlags[f.Name] || (ownFormat && f.Name == "format") {
			return
		}
		if err := v.BindPFlag(f.Name, f); err != nil && bindErr == nil {
			bindErr = err
		}
	})
	if bindErr != nil {
		return bindErr
	}
	file := a.configFile
	if file == "" {
		file = os.Getenv("GOPOLICY_CONFIG")
	}
	// A file the caller names is the caller's; one found by searching
	// upward may be the judged repository's, and may only tighten.
	trusted := file != "" || a.trustConfig || os.Getenv("GOPOLICY_TRUST_CONFIG") == "1"
	if file == "" {
		wd, err := os.Getwd()
		if err != nil {
			return fmt.Errorf("working directory: %w", err)
		}
		file = pathutil.FindUp(wd, gopolicy.ConfigFileName)
	}
	if file == "" {
		return nil
	}
	cf, err := gopolicy.ReadConfigFile(file)
	if err != nil {
		return err
	}
	if !trusted {
		if err := cf.CheckDiscovered(); err != nil {
			return err
		}
	}
	a.configFile, a.file = file, cf
	settings := cf.Settings
	if ownFormat {
		settings = maps.Clone(settings)
		delete(settings, "format")
	}
	return v.MergeConfigMap(settings)
}

// config is the pipeline configuration the settings describe.
func (a *app) config(cmd *cobra.Command) (gopolicy.Config, error) {
	v := a.v
	cfg := gopolicy.Config{
		Profile:     v.GetString("profile"),
		FailOn:      v.GetString("fail-on"),
		NoBuiltin:   v.GetBool("no-builtin"),
		Bundles:     v.GetStringSlice("policy"),
		BundleKey:   v.GetString("policy-key"),
		Now:         v.GetString("now"),
		Stamps:      v.GetStringSlice("stamp"),
		NoHash:      v.GetBool("no-hash"),
		NoGoCommand: v.GetBool("no-go-command"),
		ToolVersion: toolVersion(),
		Evidence:    a.evidenceTrust(),
		EvalTimeout: v.GetDuration("eval-timeout"),
	}
	if a.file != nil {
		cfg.PolicyData = a.file.PolicyData
		cfg.Waivers = a.file.Waivers
		cfg.WaiverMaxDays = a.file.WaiverMaxDays
	}
	if f := cmd.Flags().Lookup("waivers"); f != nil {
		files, err := cmd.Flags().GetStringArray("waivers")
		if err != nil {
			return cfg, err
		}
		cfg.WaiverFiles = files
	}
	return cfg, nil
}

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print gopolicy's version and the built-in policy bundle's revision",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := eval.New(cmd.Context(), eval.Options{Sources: []eval.Source{gopolicy.Builtin()}})
			if err != nil {
				return err
			}
			info := e.BundleSummary()
			fmt.Fprintf(a.stdout, "gopolicy %s\npolicies %s %s (%s)\nfacts schema %s\n", toolVersion(), info.Name, info.Revision, info.Digest, facts.SchemaVersion)
			return nil
		},
	}
}

// isTerminal reports a writer that is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// color is whether to colour a report written to w: on a terminal, unless
// NO_COLOR is set (https://no-color.org) or the terminal is dumb.
func (a *app) color(w io.Writer) bool {
	if _, set := os.LookupEnv("NO_COLOR"); set || os.Getenv("TERM") == "dumb" {
		return false
	}
	return isTerminal(w)
}
