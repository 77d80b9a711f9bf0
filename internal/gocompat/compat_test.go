package gocompat_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/gopolicy/gopolicy/internal/gocompat"
	"github.com/gopolicy/gopolicy/internal/gotest"
	"github.com/gopolicy/gopolicy/pkg/gopolicy"
)

// prefixes are the go command's scripts about module layouts, go.sum,
// vendoring, workspaces, toolchains, GOFLAGS and the environment.
var prefixes = []string{"mod_", "work_", "vendor_", "gotoolchain", "goflags", "env_", "malformed_gosum"}

// TestAgreeWithGoCommand runs the go command and gopolicy on every
// scenario of the go command's own module testscripts and compares them:
// where the go command builds, the policies that re-judge its rules
// (gocompat.Rejudging) must not deny; where it refuses for a module
// integrity or configuration reason, gopolicy must deny or report an
// error. Every exception is on the documented list in known.go.
//
// GOCOMPAT_RUN=regexp limits the scenarios; GOCOMPAT_TABLE=FILE writes
// the whole table there; -v prints it.
func TestAgreeWithGoCommand(t *testing.T) {
	goExe := gotest.GoExe(t)
	goroot, version := goEnv(t, goExe, "GOROOT"), goEnv(t, goExe, "GOVERSION")
	if !strings.HasPrefix(version, "go1.26") {
		t.Skipf("the documented list is for go1.26's testscripts; this is %s", version)
	}
	scriptDir := filepath.Join(goroot, "src", "cmd", "go", "testdata", "script")
	modDir := filepath.Join(goroot, "src", "cmd", "go", "testdata", "mod")
	if _, err := os.Stat(scriptDir); err != nil {
		t.Skipf("the go command's testscripts are not installed: %v", err)
	}
	all, err := gocompat.ParseScripts(scriptDir, prefixes)
	if err != nil {
		t.Fatal(err)
	}
	var filter *regexp.Regexp
	if s := os.Getenv("GOCOMPAT_RUN"); s != "" {
		filter = regexp.MustCompile(s)
	}
	var scenarios []gocompat.Scenario
	for _, sc := range all {
		if gocompat.Relevant(sc) && (filter == nil || filter.MatchString(sc.ID)) {
			scenarios = append(scenarios, sc)
		}
	}
	if len(scenarios) == 0 {
		t.Fatal("no scenarios")
	}

	root := t.TempDir()
	base := gocompat.Base{GoExe: goExe, Proxy: filepath.Join(root, "proxy"), GOCACHE: goEnv(t, goExe, "GOCACHE")}
	if err := gocompat.BuildProxy(modDir, base.Proxy); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := gopolicy.New(ctx, gopolicy.Config{Profile: "prod", NoGoCommand: true})
	if err != nil {
		t.Fatal(err)
	}

	rows := make([]gocompat.Row, len(scenarios))
	work := make(chan int)
	var wg sync.WaitGroup
	for range 2 * runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				rows[i] = judge(ctx, t, base, p, root, i, scenarios[i])
			}
		}()
	}
	for i := range scenarios {
		work <- i
	}
	close(work)
	wg.Wait()

	counts := map[string]int{}
	var failures []string
	for i, r := range rows {
		counts[r.Verdict]++
		if r.Verdict == gocompat.Disagree {
			failures = append(failures, fmt.Sprintf("%s (%s): go %s; gopolicy %s: %s", r.ID, scenarios[i].Command, r.Go, r.Gopolicy, r.Note))
		}
	}
	table := gocompat.Table(rows)
	if file := os.Getenv("GOCOMPAT_TABLE"); file != "" {
		if err := os.WriteFile(file, []byte(table), 0o644); err != nil {
			t.Error(err)
		}
	}
	if testing.Verbose() {
		t.Log("\n" + table)
	}
	t.Logf("%d scenarios: %d agree, %d disagree, %d cannot tell, %d not judged (the go command fails for a reason gopolicy does not judge)",
		len(rows), counts[gocompat.Agree], counts[gocompat.Disagree], counts[gocompat.CannotTell], counts[gocompat.NotJudged])
	for _, f := range failures {
		t.Error("disagreement not on the documented list: " + f)
	}
	if filter == nil {
		for id := range gocompat.KnownScenarios {
			if !slicesContainsID(rows, id) {
				t.Errorf("known.go lists %s, which is no longer a scenario", id)
			}
		}
	}
}

func slicesContainsID(rows []gocompat.Row, id string) bool {
	for _, r := range rows {
		if r.ID == id {
			return true
		}
	}
	return false
}

func judge(ctx context.Context, t *testing.T, base gocompat.Base, p *gopolicy.Pipeline, root string, i int, sc gocompat.Scenario) gocompat.Row {
	row := gocompat.Row{ID: sc.ID}
	work := filepath.Join(root, fmt.Sprintf("s%d", i))
	if keep := os.Getenv("GOCOMPAT_KEEP"); keep != "" {
		// Debugging: keep the scenario's tree and environment.
		work = filepath.Join(keep, strings.ReplaceAll(sc.ID, ":", "_"))
	} else {
		defer gocompat.RemoveAll(work)
	}
	dir, err := sc.Write(work)
	if err != nil {
		t.Errorf("%s: %v", sc.ID, err)
		return row
	}
	env, err := base.Env(sc, work)
	if err != nil {
		t.Errorf("%s: %v", sc.ID, err)
		return row
	}
	g := base.RunGo(ctx, sc, dir, env)
	row.Go = gocompat.GoSummary(g)
	res, err := p.Judge(ctx, gopolicy.Subject{Dir: dir, Env: env})
	var pr gocompat.PolicyResult
	if err != nil {
		pr = gocompat.PolicyResult{Outcome: "error", Errors: []string{err.Error()}}
	} else {
		pr = gocompat.Reduce(string(res.Outcome), res.Decision)
		pr.Mode = buildMode(res.Facts)
	}
	row.Gopolicy = gocompat.PolicySummary(pr)
	row.Verdict, row.Note = gocompat.Compare(g, pr)
	if k, ok := gocompat.KnownScenarios[sc.ID]; ok {
		if row.Verdict == gocompat.Disagree || row.Verdict == k.Verdict {
			row.Verdict, row.Note = k.Verdict, k.Reason
		} else {
			row.Note = "known.go expects " + k.Verdict + " but the verdict is " + row.Verdict + "; " + row.Note
			row.Verdict = gocompat.Disagree
		}
	}
	if row.Verdict == gocompat.Disagree && row.Note != "" {
		row.Note += " | go: " + g.Message
	}
	return row
}

// buildMode reads the build mode's parts from the facts for the table:
// the layout's default, the workspace, and GOFLAGS's -mod.
func buildMode(data []byte) string {
	var doc struct {
		GoEnv *struct {
			ModFlag *struct {
				Value string `json:"value"`
			} `json:"mod_flag"`
		} `json:"goenv"`
		GoWork *struct {
			ModuleMode *struct {
				Workspace bool   `json:"workspace"`
				Default   string `json:"default"`
			} `json:"module_mode"`
		} `json:"gowork"`
	}
	if json.Unmarshal(data, &doc) != nil || doc.GoWork == nil || doc.GoWork.ModuleMode == nil {
		return ""
	}
	mm := doc.GoWork.ModuleMode
	s := mm.Default
	if s == "" {
		s = "no module"
	}
	if mm.Workspace {
		s = "workspace " + s
	}
	if doc.GoEnv != nil && doc.GoEnv.ModFlag != nil {
		s += " -mod=" + doc.GoEnv.ModFlag.Value
	}
	return s
}

func goEnv(t *testing.T, goExe, name string) string {
	t.Helper()
	out, err := exec.Command(goExe, "env", name).Output()
	if err != nil {
		t.Fatalf("go env %s: %v", name, err)
	}
	return strings.TrimSpace(string(out))
}
