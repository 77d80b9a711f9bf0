package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopolicy/gopolicy/internal/corpus"
	"github.com/gopolicy/gopolicy/pkg/gopolicy"
)

// TestLibraryReproducesCLI: a program using only pkg/gopolicy reaches the
// decision the CLI prints, for the examples and every corpus repository.
// The CLI adds flags and printing, nothing else.
func TestLibraryReproducesCLI(t *testing.T) {
	dirs := []string{filepath.Join("..", "..", "examples", "drifted-module"), filepath.Join("..", "..", "examples", "tidy-module")}
	if root, ok := corpus.Optional(t); ok {
		entries, err := os.ReadDir(root)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.IsDir() {
				dirs = append(dirs, filepath.Join(root, e.Name()))
			}
		}
	}
	t.Setenv("GOPOLICY_CONFIG", "")
	ctx := context.Background()
	cfg := gopolicy.Config{Profile: "prod", Now: "2026-11-21", NoGoCommand: true, ToolVersion: toolVersion()}
	p, err := gopolicy.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run([]string{"eval", "--dir", dir, "--profile", "prod", "--now", "2026-11-21", "--no-go-command", "--format", "json"}, nil, &stdout, &stderr)
			res, err := p.Judge(ctx, gopolicy.Subject{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			if code != res.Outcome.ExitCode() {
				t.Fatalf("CLI exit %d, library outcome %s (%d); stderr: %s", code, res.Outcome, res.Outcome.ExitCode(), stderr.String())
			}
			var cli, lib any
			if err := json.Unmarshal(stdout.Bytes(), &cli); err != nil {
				t.Fatalf("CLI output: %v\n%s", err, stdout.String())
			}
			libJSON, _ := json.Marshal(res.Decision)
			if err := json.Unmarshal(libJSON, &lib); err != nil {
				t.Fatal(err)
			}
			a, _ := json.MarshalIndent(cli, "", " ")
			b, _ := json.MarshalIndent(lib, "", " ")
			if !bytes.Equal(a, b) {
				t.Fatalf("the CLI and the library decide differently:\nCLI:\n%s\nlibrary:\n%s", a, b)
			}
		})
	}
}
