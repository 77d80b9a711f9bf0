// Package vendor reads vendor/modules.txt and applies the go command's own
// vendor consistency rules (cmd/go/internal/modload/vendor.go), reporting
// each broken rule at the line to change. The reading and the rules are
// in modulestxt, which the workspace collector shares.
package vendor

import (
	"context"
	"errors"
	"go/version"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gopolicy/gopolicy/internal/safeio"
	"github.com/gopolicy/gopolicy/pkg/collect/gomod"
	"github.com/gopolicy/gopolicy/pkg/collect/gomod/modulestxt"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

// ParseModulesTxt parses modules.txt exactly as the go command reads it,
// keeping line numbers; lines the go command ignores are listed (all of
// them: modulestxt.Parse caps them).
func ParseModulesTxt(data []byte) *modulestxt.List {
	return modulestxt.Parse(data, int(^uint(0)>>1))
}

// Collect reads vendor/modules.txt next to the module and checks it with
// the go command's rules, whether or not the go command would build from
// it (the build mode is judged from the environment, gowork and these
// facts together). toolchain is the go version that will build
// ("go1.26.8"); empty skips the go-version rule.
func Collect(ctx context.Context, m *gomod.Module, toolchain string) (*facts.Vendor, []facts.Problem) {
	dir := filepath.Join(m.Dir, "vendor")
	v := &facts.Vendor{Dir: dir, File: filepath.Join(dir, "modules.txt"), Modules: []facts.VendorModule{}, Violations: []facts.VendorViolation{}}
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		return v, nil
	}
	v.DirFound = true
	lim := safeio.LimitsFrom(ctx)
	data, err := safeio.ReadFile(v.File, lim.ModulesTxt)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// vendor/ without modules.txt: every requirement is inconsistent.
	case err != nil:
		return nil, []facts.Problem{{Path: v.File, Message: "read vendor/modules.txt: " + err.Error()}}
	default:
		v.Found = true
	}
	list := modulestxt.Parse(data, lim.Problems)
	// The go command builds from vendor/ by default when go.mod says go
	// 1.14 or later and modules.txt was not written for a workspace.
	if g := m.Facts.Go; g != nil && !list.Workspace {
		v.ModeDefault = version.Compare("go"+g.Version, "go1.14") >= 0
	}
	v.Modules = list.Modules
	v.Workspace = list.Workspace
	if len(list.Ignored) > 0 {
		v.Ignored = list.Ignored
	}
	v.IgnoredMore = list.IgnoredMore
	v.Violations = modulestxt.Check(list, v.File, []modulestxt.Main{{File: m.Facts.File, Dir: m.Dir, Mod: m.File}}, nil, toolchain)
	return v, nil
}
