package gomod

import (
	"context"
	"errors"
	"fmt"
	"go/version"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/mod/modfile"

	"github.com/gopolicy/gopolicy/internal/pathutil"
	"github.com/gopolicy/gopolicy/internal/safeio"
	"github.com/gopolicy/gopolicy/pkg/collect/gomod/modulestxt"
	"github.com/gopolicy/gopolicy/pkg/collect/gosum/sumfile"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

// LoadWork finds the workspace file the go command would use from dir:
// GOWORK=off disables workspaces, a GOWORK path names the file, and
// otherwise ("" or "auto") go.work is searched for upward. It records the
// workspace's modules, its sum files (go.work.sum and each module's
// go.sum, checked together for conflicting hashes), its vendor directory
// (go work vendor) checked against all of its modules, and the module
// mode the go command picks from dir without -mod: it is the one place
// that knows both the directory and GOWORK.
func LoadWork(ctx context.Context, dir, gowork string) (*facts.GoWork, []facts.Problem) {
	w := &facts.GoWork{Godebug: []facts.Godebug{}, Use: []facts.WorkUse{}, Replace: []facts.Replace{}}
	problems := loadWork(ctx, w, dir, gowork)
	w.ModuleMode = moduleMode(ctx, dir, w)
	return w, problems
}

func loadWork(ctx context.Context, w *facts.GoWork, dir, gowork string) []facts.Problem {
	switch gowork {
	case "off":
		w.Disabled = true
		return nil
	case "", "auto":
		w.File = pathutil.FindUp(dir, "go.work")
		if w.File == "" {
			return nil
		}
	default:
		w.File = gowork
		if !filepath.IsAbs(w.File) {
			return []facts.Problem{{Message: fmt.Sprintf("GOWORK=%s: invalid GOWORK: not an absolute path", gowork)}}
		}
	}
	lim := safeio.LimitsFrom(ctx)
	data, err := safeio.ReadFile(w.File, lim.ModuleFile)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && (gowork == "" || gowork == "auto") {
			return nil
		}
		return []facts.Problem{{Path: w.File, Message: "read go.work: " + err.Error()}}
	}
	f, err := modfile.ParseWork(w.File, data, nil)
	if err != nil {
		return capProblems(ParseProblems(w.File, err), lim.Problems)
	}
	var problems []facts.Problem
	w.Found = true
	if f.Go != nil {
		w.Go = &facts.VersionLine{Version: f.Go.Version, Line: f.Go.Syntax.Start.Line}
	}
	if f.Toolchain != nil {
		w.Toolchain = &facts.VersionLine{Version: f.Toolchain.Name, Line: f.Toolchain.Syntax.Start.Line}
	}
	for _, d := range f.Godebug {
		w.Godebug = append(w.Godebug, facts.Godebug{Key: d.Key, Value: d.Value, Line: d.Syntax.Start.Line})
	}
	problems = append(problems, CheckGodebugs(w.File, f.Godebug)...)
	base := filepath.Dir(w.File)
	seen := map[string]bool{}
	var mains []modulestxt.Main
	sums := []sumfile.Source{}
	w.Sums = &facts.WorkSums{Files: []facts.SumFileInfo{}}
	addSum := func(path string) {
		sf, err := sumfile.Read(ctx, path)
		if err != nil {
			problems = append(problems, facts.Problem{Path: path, Message: "read go.sum: " + err.Error()})
			return
		}
		w.Sums.Files = append(w.Sums.Files, facts.SumFileInfo{File: path, Found: sf.Found, Lines: sf.Lines, Malformed: len(sf.Malformed) + sf.More})
		problems = append(problems, sf.Problems()...)
		sums = append(sums, sumfile.Source{File: path, Entries: sf.Entries})
	}
	addSum(w.File + ".sum")
	for _, u := range f.Use {
		use := facts.WorkUse{Dir: u.Path, Line: u.Syntax.Start.Line}
		modDir := u.Path
		if !filepath.IsAbs(modDir) {
			modDir = filepath.Join(base, modDir)
		}
		if seen[modDir] {
			problems = append(problems, facts.Problem{Path: w.File, Line: use.Line, Message: fmt.Sprintf("path %s appears multiple times in workspace", modDir)})
		}
		seen[modDir] = true
		gomod := filepath.Join(modDir, "go.mod")
		if mf, probs := parseUseModule(ctx, gomod); mf != nil {
			use.Exists = true
			use.Module = modulePath(mf)
			if mf.Go != nil {
				use.GoVersion = mf.Go.Version
			}
			use.Requires = len(mf.Require)
			mains = append(mains, modulestxt.Main{File: gomod, Dir: modDir, Mod: mf})
			addSum(filepath.Join(modDir, "go.sum"))
		} else {
			problems = append(problems, probs...)
		}
		w.Use = append(w.Use, use)
	}
	w.Replace = replaceFacts(f.Replace)
	repo := RepositoryRoot(base)
	for i, r := range w.Replace {
		if r.Local {
			w.Replace[i] = describeLocal(ctx, r, base, "", repo)
		}
	}
	w.Sums.Conflicts = sumfile.Conflicts(sums...)
	var vprobs []facts.Problem
	w.Vendor, vprobs = workspaceVendor(ctx, w.File, mains, f.Replace)
	problems = append(problems, vprobs...)
	return capProblems(problems, lim.Problems)
}

// parseUseModule reads a workspace module's go.mod. One that does not
// exist is recorded (exists: false) without a problem: the go command
// reports it when it loads the workspace, and the facts say so.
func parseUseModule(ctx context.Context, path string) (*modfile.File, []facts.Problem) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	data, err := safeio.ReadFile(path, safeio.LimitsFrom(ctx).ModuleFile)
	if err != nil {
		return nil, []facts.Problem{{Path: path, Message: "read go.mod of a workspace module: " + err.Error()}}
	}
	f, err := modfile.Parse(path, data, FixVersion)
	if err != nil {
		return nil, ParseProblems(path, err)
	}
	return f, nil
}

// workspaceVendor checks the workspace root's vendor directory, if any,
// as checkVendorConsistency does in workspace mode.
func workspaceVendor(ctx context.Context, workFile string, mains []modulestxt.Main, replaces []*modfile.Replace) (*facts.Vendor, []facts.Problem) {
	dir := filepath.Join(filepath.Dir(workFile), "vendor")
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, nil
	}
	v := &facts.Vendor{Dir: dir, File: filepath.Join(dir, "modules.txt"), DirFound: true, Modules: []facts.VendorModule{}, Violations: []facts.VendorViolation{}}
	lim := safeio.LimitsFrom(ctx)
	data, err := safeio.ReadFile(v.File, lim.ModulesTxt)
	switch {
	case err == nil:
		v.Found = true
	case !errors.Is(err, fs.ErrNotExist):
		return nil, []facts.Problem{{Path: v.File, Message: "read vendor/modules.txt: " + err.Error()}}
	}
	list := modulestxt.Parse(data, lim.Problems)
	v.Modules, v.Workspace, v.IgnoredMore = list.Modules, list.Workspace, list.IgnoredMore
	if len(list.Ignored) > 0 {
		v.Ignored = list.Ignored
	}
	v.Violations = modulestxt.Check(list, v.File, mains, &modulestxt.Work{File: workFile, Replace: replaces}, "")
	return v, nil
}

// moduleMode mirrors modload.setDefaultBuildMod for dir.
func moduleMode(ctx context.Context, dir string, w *facts.GoWork) *facts.ModuleMode {
	m := &facts.ModuleMode{Default: "readonly"}
	var vendorDir, goVersion string
	if w.Found {
		m.Workspace = true
		m.GoVersionSource = "go.work"
		if w.Go != nil {
			goVersion = w.Go.Version
		}
		vendorDir = filepath.Join(filepath.Dir(w.File), "vendor")
		if modDir, name, err := Locate(dir); err == nil {
			m.ModFile = filepath.Join(modDir, name)
		}
	} else {
		modDir, name, err := Locate(dir)
		if err != nil {
			m.Default, m.Reason = "", "no go.mod in the directory or a parent: the go command is outside any module"
			return m
		}
		m.ModFile = filepath.Join(modDir, name)
		m.GoVersionSource = "go.mod"
		if data, err := safeio.ReadFile(m.ModFile, safeio.LimitsFrom(ctx).ModuleFile); err == nil {
			if f, err := modfile.ParseLax(m.ModFile, data, nil); err == nil && f.Go != nil {
				goVersion = f.Go.Version
			}
		}
		vendorDir = filepath.Join(modDir, "vendor")
	}
	m.GoVersion, m.VendorDir = goVersion, vendorDir
	fi, err := os.Stat(vendorDir)
	if err != nil || !fi.IsDir() {
		m.Reason = "no vendor directory"
		return m
	}
	m.VendorDirFound = true
	switch {
	case goVersion == "":
		m.Reason = fmt.Sprintf("Go version in %s is unspecified, so vendor directory was not used.", m.GoVersionSource)
	case version.Compare("go"+goVersion, "go1.14") < 0:
		m.Reason = fmt.Sprintf("Go version in %s is %s, so vendor directory was not used.", m.GoVersionSource, goVersion)
	default:
		workspaceTxt := modulestxt.IsWorkspaceFile(filepath.Join(vendorDir, "modules.txt"))
		switch {
		case workspaceTxt && !m.Workspace:
			m.Reason = "Outside workspace mode, but vendor directory is for a workspace."
		case !workspaceTxt && m.Workspace:
			m.Reason = "In workspace mode, but vendor directory is not for a workspace"
		default:
			m.Default = "vendor"
			m.Reason = fmt.Sprintf("Go version in %s is at least 1.14 and vendor directory exists.", m.GoVersionSource)
		}
	}
	return m
}
