package gomod

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/mod/modfile"

	"github.com/gopolicy/gopolicy/internal/pathutil"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

// LoadWork finds the workspace file the go command would use from dir:
// GOWORK=off disables workspaces, a GOWORK path names the file, and
// otherwise go.work is searched for upward.
func LoadWork(ctx context.Context, dir, gowork string) (*facts.GoWork, []facts.Problem) {
	w := &facts.GoWork{Godebug: []facts.Godebug{}, Use: []facts.WorkUse{}, Replace: []facts.Replace{}}
	switch gowork {
	case "off":
		w.Disabled = true
		return w, nil
	case "":
		w.File = pathutil.FindUp(dir, "go.work")
		if w.File == "" {
			return w, nil
		}
	default:
		w.File = gowork
		if !filepath.IsAbs(w.File) {
			return w, []facts.Problem{{Message: fmt.Sprintf("GOWORK=%s: the go command requires an absolute path", gowork)}}
		}
	}
	data, err := os.ReadFile(w.File)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && gowork == "" {
			return w, nil
		}
		return w, []facts.Problem{{Path: w.File, Message: "read go.work: " + err.Error()}}
	}
	f, err := modfile.ParseWork(w.File, data, nil)
	if err != nil {
		return w, ParseProblems(w.File, err)
	}
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
	base := filepath.Dir(w.File)
	for _, u := range f.Use {
		use := facts.WorkUse{Dir: u.Path, Line: u.Syntax.Start.Line}
		modDir := u.Path
		if !filepath.IsAbs(modDir) {
			modDir = filepath.Join(base, modDir)
		}
		if data, err := os.ReadFile(filepath.Join(modDir, "go.mod")); err == nil {
			use.Exists = true
			use.Module = modfile.ModulePath(data)
		}
		w.Use = append(w.Use, use)
	}
	w.Replace = replaceFacts(f.Replace)
	return w, nil
}
