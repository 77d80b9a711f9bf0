package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/gopolicy/gopolicy/internal/pathutil"
)

// version is stamped at release with -ldflags "-X main.version=..."; a
// `go install` build reports its module version instead.
var version = "0.3.0"

func toolVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return strings.TrimPrefix(bi.Main.Version, "v")
	}
	return version
}

// configName is searched for from the working directory upward.
const configName = "gopolicy.yaml"

// configKeys are the keys a configuration file may set.
var configKeys = []string{
	"profile", "policy", "no-builtin", "format", "target", "target-libc", "target-static",
	"fail-on", "verbose", "no-go-command", "policy_data",
	"binary", "rootfs", "no-hash", "stamp",
	"waivers", "waiver_max_days", "policy-key",
}

type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	v              *viper.Viper
	configFile     string
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
	root.PersistentFlags().StringVar(&a.configFile, "config", "", "configuration file (default: "+configName+" in the working directory or a parent)")
	root.AddCommand(a.collectCommand(), a.evalCommand(), a.testCommand(), a.policiesCommand(), a.versionCommand())
	return root
}

// loadConfig layers the configuration: flags over GOPOLICY_* over the file.
func (a *app) loadConfig(cmd *cobra.Command) error {
	v := a.v
	v.SetEnvPrefix("GOPOLICY")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()
	var bindErr error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		// --waivers names files; the file's waivers key holds waivers
		// themselves, read with their line numbers in loadWaivers.
		if f.Name == "config" || f.Name == "help" || f.Name == "waivers" {
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
	if file == "" {
		wd, err := os.Getwd()
		if err != nil {
			return fmt.Errorf("working directory: %w", err)
		}
		file = pathutil.FindUp(wd, configName)
	}
	if file == "" {
		return nil
	}
	a.configFile = file
	v.SetConfigFile(file)
	v.SetConfigType("yaml")
	if err := v.ReadInConfig(); err != nil {
		var nf viper.ConfigFileNotFoundError
		if errors.As(err, &nf) || errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("config %s: file not found", file)
		}
		return fmt.Errorf("config %s: %v", file, strings.TrimPrefix(err.Error(), "While parsing config: "))
	}
	var unknown []string
	for _, k := range configFileKeys(v) {
		if !slices.Contains(configKeys, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("config %s: unknown key(s) %s (known: %s)", file, strings.Join(unknown, ", "), strings.Join(configKeys, ", "))
	}
	return nil
}

// configFileKeys lists the top-level keys the file sets.
func configFileKeys(v *viper.Viper) []string {
	seen := map[string]bool{}
	var keys []string
	for _, k := range v.AllKeys() {
		top, _, _ := strings.Cut(k, ".")
		if v.InConfig(top) && !seen[top] {
			seen[top] = true
			keys = append(keys, top)
		}
	}
	return keys
}

// policyPaths returns --policy values; paths from the config file are
// relative to the file, not to the working directory.
func (a *app) policyPaths(cmd *cobra.Command) []string {
	paths := a.v.GetStringSlice("policy")
	fromFile := !cmd.Flags().Changed("policy") && os.Getenv("GOPOLICY_POLICY") == "" && a.v.InConfig("policy")
	if !fromFile {
		return paths
	}
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = a.relativeToConfig(p)
	}
	return out
}

// relativeToConfig resolves a path written in the configuration file.
func (a *app) relativeToConfig(p string) string {
	if filepath.IsAbs(p) || a.configFile == "" {
		return p
	}
	return filepath.Join(filepath.Dir(a.configFile), p)
}

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print gopolicy's version and the built-in policy bundle's revision",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info, err := builtinBundleInfo(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "gopolicy %s\npolicies %s %s (%s)\nfacts schema %s\n", toolVersion(), info.Name, info.Revision, info.Digest, factsSchema)
			return nil
		},
	}
}
