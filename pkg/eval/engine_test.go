package eval_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gopolicy/gopolicy/pkg/decision"
	"github.com/gopolicy/gopolicy/pkg/facts"

	"github.com/gopolicy/gopolicy/internal/gotest"
	"github.com/gopolicy/gopolicy/pkg/eval"
	"github.com/gopolicy/gopolicy/policies"
)

var builtin = eval.Source{Name: policies.Name, FS: policies.FS}

const orgPolicy = `-- .manifest --
{"revision": "2024.1", "roots": ["org"]}
-- org/naming.rego --
# METADATA
# title: Module path must be under the organisation
# custom:
#   id: ORG-001
#   version: 1.0.0
#   severity: medium
#   requires: [gomod]
#   profiles: {dev: off, prod: deny, strict: deny}
#   remediation: Rename the module to example.com/...
package org.naming

violation contains {"msg": sprintf("module %s is outside example.com", [input.gomod.module.path]), "evidence": [{"fact": "/gomod/module/path", "value": input.gomod.module.path}]} if {
	not startswith(input.gomod.module.path, "example.com/")
}
`

func writeBundle(t *testing.T, archive string) string {
	dir := t.TempDir()
	gotest.WriteTree(t, dir, archive)
	return dir
}

func doc(t *testing.T, overrides map[string]any) []byte {
	t.Helper()
	d := map[string]any{
		"schema": facts.SchemaVersion,
		"collectors": map[string]any{
			"gomod": map[string]any{"status": "ok"},
		},
		"gomod": map[string]any{"module": map[string]any{"path": "other.org/app"}},
	}
	for k, v := range overrides {
		d[k] = v
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newEngine(t *testing.T, sources ...eval.Source) *eval.Engine {
	t.Helper()
	e, err := eval.New(context.Background(), eval.Options{Sources: sources})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestUserBundleAddsPoliciesAndProfiles(t *testing.T) {
	e := newEngine(t, builtin, eval.Source{Path: writeBundle(t, orgPolicy)})
	if len(e.Bundles()) != 2 || !strings.Contains(e.BundleSummary().Revision, "2024.1") {
		t.Fatalf("bundles %+v", e.Bundles())
	}
	d, err := e.Evaluate(context.Background(), doc(t, nil), "strict")
	if err != nil {
		t.Fatal(err)
	}
	var org *decision.Finding
	for i, f := range d.Findings {
		if f.Policy == "ORG-001" {
			org = &d.Findings[i]
		}
	}
	if org == nil || org.Level != decision.LevelDeny || org.Evidence[0].Value != "other.org/app" || d.Allow {
		t.Fatalf("ORG-001 finding %+v allow=%v", org, d.Allow)
	}
	// In dev the policy is off, and says so.
	d, _ = e.Evaluate(context.Background(), doc(t, nil), "dev")
	for _, f := range d.Findings {
		if f.Policy == "ORG-001" && f.Level != decision.LevelOff {
			t.Fatalf("dev: %+v", f)
		}
	}
}

func TestTarballBundle(t *testing.T) {
	dir := writeBundle(t, orgPolicy)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, name := range []string{".manifest", "org/naming.rego"} {
		data, _ := os.ReadFile(filepath.Join(dir, name))
		tw.WriteHeader(&tar.Header{Name: "/" + name, Mode: 0o644, Size: int64(len(data))})
		tw.Write(data)
	}
	tw.Close()
	zw.Close()
	path := filepath.Join(t.TempDir(), "org.tar.gz")
	os.WriteFile(path, buf.Bytes(), 0o644)
	e := newEngine(t, eval.Source{Path: path})
	if got := e.Bundles()[0]; got.Revision != "2024.1" || !strings.HasPrefix(got.Digest, "sha256:") {
		t.Fatalf("%+v", got)
	}
	if len(e.Policies()) != 1 {
		t.Fatalf("policies %+v", e.Policies())
	}
}

func TestBadBundles(t *testing.T) {
	cases := map[string]struct {
		archive string
		want    string
	}{
		"compile error names file and line": {
			archive: "-- p.rego --\npackage x\n\nviolation contains msg if {\n\tmsg := input.a +\n}\n",
			want:    "p.rego:",
		},
		"network builtin refused": {
			archive: "-- p.rego --\n# METADATA\n# title: t\n# custom:\n#   id: X-1\n#   version: 1.0.0\n#   severity: low\n#   remediation: r\npackage x\n\nviolation contains r.body if r := http.send({\"method\": \"get\", \"url\": \"http://127.0.0.1\"})\n",
			want:    "http.send",
		},
		"clock refused": {
			archive: "-- p.rego --\npackage x\n\nviolation contains t if t := time.now_ns()\n",
			want:    "time.now_ns",
		},
		"incomplete metadata": {
			archive: "-- p.rego --\n# METADATA\n# title: t\n# custom:\n#   id: X-1\n#   version: one\n#   severity: huge\npackage x\n\nviolation contains 1 if false\n",
			want:    "custom.severity",
		},
		"no violation rule": {
			archive: "-- p.rego --\n# METADATA\n# title: t\n# custom:\n#   id: X-1\n#   version: 1.0.0\n#   severity: low\n#   remediation: r\npackage x\n\ndeny contains 1 if false\n",
			want:    "defines no violation rule",
		},
		"requires an unknown section": {
			archive: "-- p.rego --\n# METADATA\n# title: t\n# custom:\n#   id: X-1\n#   version: 1.0.0\n#   severity: low\n#   remediation: r\n#   requires: [gomod, go_sum]\npackage x\n\nviolation contains 1 if false\n",
			want:    `custom.requires names "go_sum", which is no facts section`,
		},
		"zero policies": {
			archive: "-- p.rego --\npackage x\n\nallow := true\n",
			want:    "no policies found",
		},
		"violation rules without METADATA": {
			archive: "-- a/p.rego --\n# A policy whose author forgot the metadata.\npackage x\n\nviolation contains 1 if false\n",
			want:    "a/p.rego:2: package x defines violation rules but has no policy METADATA with custom.id, so it would never run",
		},
		"misspelt METADATA": {
			archive: "-- p.rego --\n# Metadata\n# title: t\n# custom:\n#   id: X-1\npackage x\n\nviolation contains 1 if false\n",
			want:    "p.rego:5: package x defines violation rules but has no policy METADATA",
		},
		"overlapping roots": {
			archive: "-- .manifest --\n{\"roots\": [\"gopolicy/extra\"]}\n-- p.rego --\npackage gopolicy.extra\n",
			want:    "overlaps",
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			sources := []eval.Source{{Path: writeBundle(t, c.archive)}}
			if name == "overlapping roots" {
				sources = append([]eval.Source{builtin}, sources...)
			}
			_, err := eval.New(context.Background(), eval.Options{Sources: sources})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to mention %q", err, c.want)
			}
		})
	}
}

func TestFailClosed(t *testing.T) {
	e := newEngine(t, eval.Source{Path: writeBundle(t, orgPolicy+`-- org/crash.rego --
# METADATA
# title: Crashes on bad input
# custom:
#   id: ORG-002
#   version: 1.0.0
#   severity: low
#   remediation: none
package org.crash

violation contains {"msg": "n"} if to_number(input.gomod.module.path) > 1
`)})
	ctx := context.Background()
	t.Run("eval error lands on the policy that failed", func(t *testing.T) {
		d, err := e.Evaluate(ctx, doc(t, nil), "prod")
		if err != nil {
			t.Fatal(err)
		}
		levels := map[string]string{}
		for _, f := range d.Findings {
			levels[f.Policy] = f.Level
		}
		if levels["ORG-002"] != decision.LevelError || levels["ORG-001"] != decision.LevelDeny || d.Allow {
			t.Fatalf("levels %v", levels)
		}
	})
	t.Run("facts a collector failed to produce", func(t *testing.T) {
		d, _ := e.Evaluate(ctx, doc(t, map[string]any{"gomod": nil, "collectors": map[string]any{"gomod": map[string]any{"status": "error", "problems": []any{map[string]any{"path": "go.mod", "line": 3, "message": "unknown directive"}}}}}), "prod")
		if d.Findings[0].Policy != "ORG-001" || d.Findings[0].Level != decision.LevelError || !strings.Contains(d.Findings[0].Message, "go.mod:3: unknown directive") || len(d.InputErrors) != 1 {
			t.Fatalf("%+v", d.Findings[0])
		}
	})
	t.Run("facts missing from the document", func(t *testing.T) {
		d, _ := e.Evaluate(ctx, doc(t, map[string]any{"gomod": nil, "collectors": map[string]any{}}), "prod")
		if d.Findings[0].Level != decision.LevelError || d.Allow {
			t.Fatalf("%+v", d.Findings[0])
		}
	})
	t.Run("facts that do not apply are skipped, visibly", func(t *testing.T) {
		d, _ := e.Evaluate(ctx, doc(t, map[string]any{"gomod": nil, "collectors": map[string]any{"gomod": map[string]any{"status": "skipped", "reason": "no go.mod"}}}), "prod")
		var skipped bool
		for _, f := range d.Findings {
			skipped = skipped || (f.Policy == "ORG-001" && f.Level == decision.LevelSkip)
		}
		if !skipped {
			t.Fatalf("%+v", d.Findings)
		}
	})
	t.Run("bad documents and profiles", func(t *testing.T) {
		var fe *eval.InputFormatError
		if _, err := e.Evaluate(ctx, []byte("{\n\"schema\": 1,,\n}"), "prod"); !errors.As(err, &fe) || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("malformed JSON: %v", err)
		}
		if _, err := e.Evaluate(ctx, []byte(`{"schema": "gopolicy.dev/facts/v0"}`), "prod"); !errors.As(err, &fe) {
			t.Errorf("wrong schema: %v", err)
		}
		var pe *eval.UnknownProfileError
		if _, err := e.Evaluate(ctx, doc(t, nil), "production"); !errors.As(err, &pe) {
			t.Errorf("unknown profile: %v", err)
		}
	})
}

func TestConcurrentEvaluation(t *testing.T) {
	e := newEngine(t, builtin, eval.Source{Path: writeBundle(t, orgPolicy)})
	facts := doc(t, nil)
	want, err := e.Evaluate(context.Background(), facts, "prod")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				got, err := e.Evaluate(context.Background(), facts, "prod")
				if err != nil || got.Summary != want.Summary {
					t.Errorf("concurrent result differs: %v %+v", err, got.Summary)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestConfigOverridesData(t *testing.T) {
	e, err := eval.New(context.Background(), eval.Options{Sources: []eval.Source{builtin}, Config: map[string]any{
		"banned_modules": []any{map[string]any{"path": "github.com/spf13/cobra", "reason": "use flag"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	facts := doc(t, map[string]any{
		"collectors": map[string]any{"gomod": map[string]any{"status": "ok"}, "goenv": map[string]any{"status": "ok"}},
		"goenv":      map[string]any{"vars": map[string]any{}, "goproxy": []any{}, "gosumdb": map[string]any{"known": true, "key_valid": true}, "goflags": []any{}, "conflicts": []any{}, "go_command": map[string]any{"disagreements": []any{}}},
		"gomod":      map[string]any{"file": "go.mod", "module": map[string]any{"path": "example.com/a"}, "require": []any{map[string]any{"path": "github.com/spf13/cobra", "version": "v1.0.0", "line": 4}}, "replace": []any{}},
	})
	d, err := e.Evaluate(context.Background(), facts, "prod")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range d.Findings {
		if f.Policy == "GP-MOD-007" && f.Level == decision.LevelDeny && strings.Contains(f.Message, "use flag") {
			return
		}
	}
	t.Fatalf("configured ban not applied: %+v", d.Findings)
}
