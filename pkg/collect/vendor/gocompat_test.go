package vendor_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopolicy/gopolicy/internal/gotest"
	"github.com/gopolicy/gopolicy/pkg/collect/vendor"
)

// vendored returns a copy of a module vendored by the real go command
// (go mod vendor), with go.mod's go line set to goVersion.
func vendored(t *testing.T, env map[string]string, pristine, goVersion string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(pristine)); err != nil {
		t.Fatal(err)
	}
	edit(t, filepath.Join(dir, "go.mod"), "go 1.22\n", "go "+goVersion+"\n")
	return dir
}

// TestModulesTxtAsTheGoCommandReadsIt edits a real vendor/modules.txt in
// ways the go command accepts (or refuses) and checks gopolicy agrees.
func TestModulesTxtAsTheGoCommandReadsIt(t *testing.T) {
	env := gotest.Env(t)
	gotest.Proxy(t, env)
	pristine := gotest.Project(t, env)
	gotest.Go(t, env, pristine, "mod", "vendor")
	cases := []struct {
		name, goVersion, old, new string
		ignored                   int
		violations                int
		goOK                      bool
	}{
		{
			// Before go 1.14 the version of a path is the highest of the
			// blocks that list its packages.
			name: "module listed twice, highest first", goVersion: "1.13",
			old: "# example.com/lib v1.1.0\n", new: "# example.com/lib v1.1.0\nexample.com/lib\n# example.com/lib v1.0.0\nexample.com/lib\n# example.com/lib v1.1.0\n",
			goOK: true,
		},
		{
			name: "module listed twice, highest last", goVersion: "1.13",
			old: "# example.com/lib v1.1.0\n", new: "# example.com/lib v1.0.0\nexample.com/lib\n# example.com/lib v1.1.0\n",
			goOK: true,
		},
		{
			name: "vendored version is not the required one", goVersion: "1.13",
			old: "# example.com/lib v1.1.0\n## explicit; go 1.21\nexample.com/lib\n", new: "# example.com/lib v1.2.0\nexample.com/lib\n",
			violations: 1, goOK: false,
		},
		{
			// A "# " line with fewer than three fields is skipped: the
			// package lines after it stay with the module before it.
			name: "comment line inside a block", goVersion: "1.22",
			old: "## explicit; go 1.21\nexample.com/lib\n", new: "## explicit; go 1.21\n# handmade\nexample.com/lib\n",
			ignored: 1, goOK: true,
		},
		{
			name: "lines the go command ignores", goVersion: "1.22",
			old: "# example.com/lib v1.1.0\n", new: "stray/package\n#notamodule line\n# example.com/lib v1.1.0\n",
			ignored: 2, goOK: true,
		},
		{
			name: "module line without a version", goVersion: "1.22",
			old: "# example.com/other v1.2.0\n", new: "# example.com/junk notaversion\nexample.com/junk\n# example.com/other v1.2.0\n",
			ignored: 2, goOK: true,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := vendored(t, env, pristine, c.goVersion)
			edit(t, filepath.Join(dir, "vendor", "modules.txt"), c.old, c.new)
			v := load(t, dir)
			if len(v.Ignored) != c.ignored || len(v.Violations) != c.violations {
				t.Errorf("ignored=%+v violations=%+v", v.Ignored, v.Violations)
			}
			out, err := gotest.TryGo(t, env, dir, "build", "-mod=vendor", "-o", os.DevNull, ".")
			if (err == nil) != c.goOK {
				t.Errorf("go build -mod=vendor: err=%v\n%s", err, out)
			}
		})
	}
}

// A modules.txt written by go work vendor starts with "## workspace": it
// is read, not refused, and outside a workspace the go command does not
// build from it.
func TestWorkspaceModulesTxt(t *testing.T) {
	env := gotest.Env(t)
	gotest.Proxy(t, env)
	dir := gotest.Project(t, env)
	gotest.Go(t, env, dir, "mod", "vendor")
	edit(t, filepath.Join(dir, "vendor", "modules.txt"), "# example.com/lib", "## workspace\n# example.com/lib")
	v := load(t, dir)
	if !v.Workspace || v.ModeDefault || len(v.Ignored) != 0 {
		t.Fatalf("workspace=%v mode_default=%v ignored=%v", v.Workspace, v.ModeDefault, v.Ignored)
	}
	if got := strings.TrimSpace(gotest.Go(t, env, dir, "list", "-f", "{{.Dir}}", "example.com/lib")); strings.Contains(got, filepath.Join(dir, "vendor")) {
		t.Errorf("the go command built from a workspace's vendor directory outside the workspace: %s", got)
	}
}

func TestParseModulesTxtNeverFails(t *testing.T) {
	l := vendor.ParseModulesTxt([]byte("## workspace\n# a.example v1.0.0\n## explicit\na.example\n"))
	if !l.Workspace || len(l.Modules) != 1 || !l.Modules[0].Explicit || len(l.Ignored) != 0 {
		t.Fatalf("%+v", l)
	}
}
