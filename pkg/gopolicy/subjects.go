package gopolicy

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// maxModuleWalk bounds the search for modules below a directory.
const maxModuleWalk = 500000

// Modules lists the directories holding a go.mod (or vendor.mod) at or
// below root, the way `./...` names every package: vendor/, testdata/,
// and directories starting with . or _ are not entered, as the go
// command skips them. The result is sorted, so runs are deterministic.
func Modules(ctx context.Context, root string) ([]string, error) {
	fi, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", root, unwrapPath(err))
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s: not a directory", root)
	}
	var dirs []string
	seen := 0
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("%s: %w", p, unwrapPath(err))
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if seen++; seen > maxModuleWalk {
			return fmt.Errorf("%s: more than %d entries below it; name the modules instead", root, maxModuleWalk)
		}
		if d.IsDir() {
			name := d.Name()
			if p != root && (name == "vendor" || name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return fs.SkipDir
			}
			return nil
		}
		if (d.Name() == "go.mod" || d.Name() == "vendor.mod") && d.Type().IsRegular() {
			dir := filepath.Dir(p)
			if len(dirs) == 0 || dirs[len(dirs)-1] != dir {
				dirs = append(dirs, dir)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(dirs) == 0 {
		return nil, fmt.Errorf("%s/...: no go.mod in it or below it", root)
	}
	sort.Strings(dirs)
	return dirs, nil
}

// unwrapPath drops the operation and path a *fs.PathError repeats.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
