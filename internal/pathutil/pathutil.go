// Package pathutil holds the one file-system search both the CLI and the
// collectors need.
package pathutil

import (
	"os"
	"path/filepath"
)

// FindUp returns the first regular file called name in dir or one of its
// parents, as the go command searches for go.mod and go.work; "" when
// there is none.
func FindUp(dir, name string) string {
	for d := dir; ; {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
		parent := filepath.Dir(d)
		if parent == d {
			return ""
		}
		d = parent
	}
}
