package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"
	"github.com/spf13/cobra"

	"github.com/gopolicy/gopolicy/pkg/eval"
	"github.com/gopolicy/gopolicy/pkg/gopolicy"
	"github.com/gopolicy/gopolicy/pkg/policydoc"
)

func (a *app) lintCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lint [DIR...]",
		Short: "Check policy bundles: metadata, strict compile, opa fmt",
		Long: `lint is the quality gate for a policy library. Each DIR (default: the
built-in policies) must load (every policy has METADATA with id, title,
semantic version, severity and remediation; profiles and requires are
well formed), compile in strict mode (no unused variables, imports or
arguments), and be formatted as 'opa fmt' writes it.

--fix rewrites unformatted files in place, after checking that the
formatted module parses to the same policy.

Exit status: 0 clean; 1 problems found; 2 a bundle could not be read.`,
		Example: `  gopolicy policies lint ./org-policies
  gopolicy policies lint ./org-policies --fix`,
		RunE: func(cmd *cobra.Command, dirs []string) error {
			fix, _ := cmd.Flags().GetBool("fix")
			sources, only, err := a.bundlesUnderTest(cmd, dirs, false, true)
			if err != nil {
				return err
			}
			if fix {
				for _, dir := range dirs {
					n, err := formatTree(dir)
					if err != nil {
						return err
					}
					if n > 0 {
						fmt.Fprintf(a.stderr, "formatted %d file(s) in %s\n", n, dir)
					}
				}
			}
			// Loading checks metadata and the ordinary compile.
			if _, err := eval.New(cmd.Context(), eval.Options{Sources: sources}); err != nil {
				return err
			}
			problems, err := eval.Lint(sources, only)
			if err != nil {
				return err
			}
			for _, p := range problems {
				fmt.Fprintln(a.stdout, p)
			}
			if len(problems) > 0 {
				fmt.Fprintf(a.stdout, "FAIL: %d problem(s)\n", len(problems))
				return exitStatus(exitDenied)
			}
			fmt.Fprintln(a.stdout, "PASS: metadata, strict compile and formatting are clean")
			return nil
		},
	}
	cmd.Flags().Bool("fix", false, "rewrite unformatted .rego files in place")
	cmd.Flags().Bool("no-builtin", false, "do not load the built-in policies beside DIR")
	return cmd
}

// bundlesUnderTest loads the built-in bundle (unless --no-builtin) beside
// the bundles in dirs, and returns the indexes of those the command works
// on: dirs, or the built-in bundle alone when none is given, plus the
// built-in one when withBuiltin. Test and lint share it so both resolve
// data.gopolicy.lib the same way.
func (a *app) bundlesUnderTest(cmd *cobra.Command, dirs []string, withBuiltin, dirsOnly bool) ([]eval.Source, []int, error) {
	noBuiltin := a.v.GetBool("no-builtin")
	var sources []eval.Source
	var only []int
	if !noBuiltin {
		sources = append(sources, gopolicy.Builtin())
		if len(dirs) == 0 || withBuiltin {
			only = append(only, 0)
		}
	} else if len(dirs) == 0 {
		return nil, nil, fmt.Errorf("nothing to %s: --no-builtin needs a DIR", cmd.Name())
	}
	for _, dir := range dirs {
		fi, err := os.Stat(dir)
		switch {
		case err != nil:
			return nil, nil, fmt.Errorf("policy bundle %s: %w", dir, errors.Unwrap(err))
		case dirsOnly && !fi.IsDir():
			return nil, nil, fmt.Errorf("policy directory %s: not a directory", dir)
		}
		only = append(only, len(sources))
		sources = append(sources, eval.Source{Path: dir})
	}
	return sources, only, nil
}

// formatTree formats every .rego file under dir, refusing any rewrite
// that would change what the module means.
func formatTree(dir string) (int, error) {
	changed := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".rego") {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		out, err := format.SourceWithOpts(path, raw, format.Opts{RegoVersion: ast.RegoV1})
		if err != nil {
			return fmt.Errorf("format %s: %w", path, err)
		}
		if bytes.Equal(out, raw) {
			return nil
		}
		before, err := ast.ParseModuleWithOpts(path, string(raw), ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			return fmt.Errorf("parse %s: %w", path, err)
		}
		after, err := ast.ParseModuleWithOpts(path, string(out), ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil || !before.Equal(after) {
			return fmt.Errorf("%s: the formatter would change the policy's meaning; format it by hand", path)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if err := os.WriteFile(path, out, info.Mode().Perm()); err != nil {
			return err
		}
		changed++
		return nil
	})
	return changed, err
}

func (a *app) docCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "doc",
		Short: "Generate the Markdown policy reference (one page per policy)",
		Long: `doc writes one Markdown page per policy, and an index, from the policies'
METADATA. With --check it writes nothing and fails when the pages in the
output directory differ from what would be generated, so CI keeps the
reference up to date.`,
		Example: `  gopolicy policies doc -o docs/policies
  gopolicy policies doc -o docs/policies --check
  gopolicy policies doc --policy ./org-policies --no-builtin -o org-docs`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, _ := cmd.Flags().GetString("output")
			if out == "" {
				return errors.New("--output is required (for example -o docs/policies)")
			}
			e, err := a.engine(cmd)
			if err != nil {
				return err
			}
			pages := policydoc.Render(e.Policies(), e.Profiles(), e.Bundles())
			check, _ := cmd.Flags().GetBool("check")
			if check {
				stale := stalePages(out, pages)
				for _, s := range stale {
					fmt.Fprintln(a.stdout, s)
				}
				if len(stale) > 0 {
					fmt.Fprintf(a.stdout, "FAIL: %s is out of date; run: gopolicy policies doc -o %s\n", out, out)
					return exitStatus(exitDenied)
				}
				fmt.Fprintf(a.stdout, "PASS: %s is up to date (%d pages)\n", out, len(pages))
				return nil
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return fmt.Errorf("create %s: %w", out, err)
			}
			for _, name := range stalePagesToRemove(out, pages) {
				if err := os.Remove(filepath.Join(out, name)); err != nil {
					return fmt.Errorf("remove stale page: %w", err)
				}
			}
			for name, data := range pages {
				if err := os.WriteFile(filepath.Join(out, name), data, 0o644); err != nil {
					return fmt.Errorf("write page: %w", err)
				}
			}
			fmt.Fprintf(a.stdout, "wrote %d pages to %s\n", len(pages), out)
			return nil
		},
	}
	addPolicyFlags(cmd)
	cmd.Flags().StringP("output", "o", "", "`DIR` for the pages")
	cmd.Flags().Bool("check", false, "write nothing; fail when the directory is out of date")
	return cmd
}

// stalePages lists the differences between a directory and the pages.
func stalePages(dir string, pages map[string][]byte) []string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(pages)) {
		have, err := os.ReadFile(filepath.Join(dir, name))
		switch {
		case err != nil:
			out = append(out, "missing "+filepath.Join(dir, name))
		case !bytes.Equal(have, pages[name]):
			out = append(out, "outdated "+filepath.Join(dir, name))
		}
	}
	for _, name := range stalePagesToRemove(dir, pages) {
		out = append(out, "no longer generated "+filepath.Join(dir, name))
	}
	return out
}

// stalePagesToRemove lists Markdown pages of policies that no longer exist.
func stalePagesToRemove(dir string, pages map[string][]byte) []string {
	entries, _ := os.ReadDir(dir)
	var out []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".md") && pages[e.Name()] == nil {
			out = append(out, e.Name())
		}
	}
	return out
}
