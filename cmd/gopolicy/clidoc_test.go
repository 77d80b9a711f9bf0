package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

var updateDocs = flag.Bool("update", false, "rewrite docs/cli.md and the README's command reference from the commands' help")

// TestCLIReference keeps docs/cli.md and the README's command and flag
// tables equal to what the commands' own help says: one source of truth.
// After changing a command, run: go test ./cmd/gopolicy -run TestCLIReference -update
func TestCLIReference(t *testing.T) {
	root := newRootCommand(nil, io.Discard, io.Discard)
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	files := map[string]func([]byte) []byte{
		filepath.Join("..", "..", "docs", "cli.md"): func([]byte) []byte { return cliReference(root) },
		filepath.Join("..", "..", "README.md"): func(old []byte) []byte {
			out := replaceBetween(old, "commands", commandTable(root))
			eval, _, _ := root.Find([]string{"eval"})
			return replaceBetween(out, "eval-flags", flagTable(eval))
		},
	}
	for path, render := range files {
		old, err := os.ReadFile(path)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		want := render(old)
		if *updateDocs {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if !bytes.Equal(old, want) {
			t.Errorf("%s is out of date with the commands' help: run go test ./cmd/gopolicy -run TestCLIReference -update", path)
		}
	}
}

// visible lists the commands a reader needs, in help order.
func visible(c *cobra.Command) []*cobra.Command {
	var out []*cobra.Command
	for _, sub := range c.Commands() {
		if sub.Hidden || sub.Name() == "help" || sub.Name() == "completion" && c.HasParent() {
			continue
		}
		out = append(out, sub)
	}
	return out
}

func cliReference(root *cobra.Command) []byte {
	var b strings.Builder
	b.WriteString("# Command reference\n\n")
	b.WriteString("Generated from the commands' own help by `go test ./cmd/gopolicy -run TestCLIReference -update`;\n")
	b.WriteString("`gopolicy COMMAND --help` prints the same.\n")
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		fmt.Fprintf(&b, "\n## %s\n\n%s\n\n```\n%s\n```\n", c.CommandPath(), c.Short, c.UseLine())
		if c.Long != "" {
			fmt.Fprintf(&b, "\n```\n%s\n```\n", strings.TrimSpace(c.Long))
		}
		if c.Example != "" {
			fmt.Fprintf(&b, "\nExamples:\n\n```\n%s\n```\n", c.Example)
		}
		if fs := c.NonInheritedFlags(); fs.HasAvailableFlags() {
			fmt.Fprintf(&b, "\nFlags:\n\n```\n%s```\n", fs.FlagUsages())
		}
		for _, sub := range visible(c) {
			walk(sub)
		}
	}
	walk(root)
	return []byte(b.String())
}

func commandTable(root *cobra.Command) string {
	var b strings.Builder
	b.WriteString("| command | what it does |\n|---|---|\n")
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range visible(c) {
			if sub.Runnable() || sub.Name() == "completion" {
				use := strings.TrimSuffix(sub.UseLine(), " [flags]")
				if sub.Name() == "completion" {
					use = sub.CommandPath() + " bash|zsh|fish|powershell"
				}
				fmt.Fprintf(&b, "| `%s` | %s |\n", strings.ReplaceAll(use, "|", "\\|"), sub.Short)
			}
			if sub.Name() != "completion" {
				walk(sub)
			}
		}
	}
	walk(root)
	return b.String()
}

func flagTable(c *cobra.Command) string {
	var b strings.Builder
	b.WriteString("| flag | default | meaning |\n|---|---|---|\n")
	add := func(f *pflag.Flag) {
		if f.Hidden || f.Name == "help" {
			return
		}
		name := "--" + f.Name
		if f.Shorthand != "" {
			name = "-" + f.Shorthand + ", " + name
		}
		varname, usage := pflag.UnquoteUsage(f)
		if varname != "" && f.Value.Type() != "bool" {
			name += " " + strings.ToUpper(varname)
		}
		def := f.DefValue
		if def == "[]" || def == "false" && f.Value.Type() == "bool" {
			def = ""
		}
		if def != "" {
			def = "`" + def + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", name, def, strings.ReplaceAll(usage, "|", "\\|"))
	}
	c.NonInheritedFlags().VisitAll(add)
	c.InheritedFlags().VisitAll(add)
	return b.String()
}

// replaceBetween puts body between <!-- name:begin --> and
// <!-- name:end --> markers.
func replaceBetween(doc []byte, name, body string) []byte {
	re := regexp.MustCompile(`(?s)(<!-- ` + name + `:begin -->\n).*?(<!-- ` + name + `:end -->)`)
	return re.ReplaceAll(doc, []byte("${1}"+strings.ReplaceAll(body, "$", "$$")+"${2}"))
}
