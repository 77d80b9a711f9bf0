package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gopolicy/gopolicy/pkg/collect"
	"github.com/gopolicy/gopolicy/pkg/collect/binary"
	"github.com/gopolicy/gopolicy/pkg/collect/target"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

const factsSchema = facts.SchemaVersion

// addCollectFlags are shared by collect and eval.
func addCollectFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.String("dir", ".", "directory of the Go project (go.mod is searched for upward, like the go command)")
	f.String("target", "", "platform the artefact will run on, as GOOS/GOARCH (e.g. linux/amd64); default: the runner")
	f.String("target-libc", "", "C library of the target: glibc[:VERSION], musl[:VERSION] or none")
	f.Bool("target-static", false, "the target requires statically linked binaries")
	f.Bool("no-go-command", false, "do not run `go env -json` to cross-check the computed environment")
	f.StringArray("binary", nil, "compiled artefact to check: a file, or a directory meaning every file in it (repeatable)")
	f.String("rootfs", "", "unpacked image or sysroot the binaries run in; supplies the target when --target is not given")
	f.Bool("no-hash", false, "skip the SHA-256 of binaries (the only step that reads whole files)")
	f.StringArray("stamp", nil, "string variable to read back from binaries, e.g. main.version (repeatable; -X targets are always read)")
}

func (a *app) collectOptions() collect.Options {
	v := a.v
	spec := target.Spec{Platform: v.GetString("target"), Libc: v.GetString("target-libc"), Static: v.GetBool("target-static"), Source: "flag"}
	return collect.Options{
		Dir:           v.GetString("dir"),
		Target:        spec,
		SkipGoCommand: v.GetBool("no-go-command"),
		ToolVersion:   toolVersion(),
		Binaries:      v.GetStringSlice("binary"),
		Rootfs:        v.GetString("rootfs"),
		Binary:        binary.Options{NoHash: v.GetBool("no-hash"), Stamps: a.stamps()},
	}
}

func (a *app) collectCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "collect",
		Short: "Print the facts document for a Go project",
		Long: `collect gathers every fact gopolicy judges into one JSON document (schema
` + factsSchema + `) and prints it. Save it to judge later or elsewhere with
'gopolicy eval --facts FILE'. Problems reading inputs are recorded in the
document under "collectors" and make the command exit 2.`,
		Example: `  gopolicy collect --dir ./service > facts.json
  gopolicy collect --target linux/arm64 --target-libc glibc:2.31`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			doc, err := collect.Collect(cmd.Context(), a.collectOptions())
			if err != nil {
				return err
			}
			data, err := marshalFacts(doc)
			if err != nil {
				return err
			}
			if _, err := a.stdout.Write(data); err != nil {
				return fmt.Errorf("write facts: %w", err)
			}
			if n := a.reportCollectorProblems(doc); n > 0 {
				return exitStatus(exitError)
			}
			return nil
		},
	}
	addCollectFlags(cmd)
	return cmd
}

// stamps are the variables to read back: --stamp, plus the stamps the
// policies are configured to require, so that a required stamp is always
// in the facts.
func (a *app) stamps() []string {
	stamps := a.v.GetStringSlice("stamp")
	if req, ok := a.v.GetStringMap("policy_data")["required_stamps"].([]any); ok {
		for _, r := range req {
			if s, ok := r.(string); ok {
				stamps = append(stamps, s)
			}
		}
	}
	return stamps
}

func marshalFacts(doc *facts.Document) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encode facts: %w", err)
	}
	return buf.Bytes(), nil
}

// reportCollectorProblems prints one line per problem on stderr.
func (a *app) reportCollectorProblems(doc *facts.Document) int {
	n := 0
	for _, name := range sortedKeys(doc.Collectors) {
		for _, p := range doc.Collectors[name].Problems {
			fmt.Fprintf(a.stderr, "gopolicy: %s\n", p)
			n++
		}
	}
	return n
}

func collectFacts(ctx context.Context, opts collect.Options) (*facts.Document, error) {
	doc, err := collect.Collect(ctx, opts)
	var ie *collect.InputError
	if errors.As(err, &ie) {
		return nil, ie
	}
	return doc, err
}
