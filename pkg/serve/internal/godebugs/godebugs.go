// Package godebugs turns the Go release's own table of GODEBUG settings
// ($GOROOT/src/internal/godebugs/table.go) into the data file the
// admission policies read (policies/gopolicy/admission/godebugs/data.json),
// so the list is never written by hand.
package godebugs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Setting is one known GODEBUG setting.
type Setting struct {
	Package   string `json:"package,omitempty"`
	Changed   int    `json:"changed,omitempty"`
	Old       string `json:"old,omitempty"`
	Opaque    bool   `json:"opaque,omitempty"`
	Immutable bool   `json:"immutable,omitempty"`
	// Removed is the minor version that removed the setting.
	Removed int `json:"removed,omitempty"`
}

// Table is the data file.
type Table struct {
	// GoVersion is the release the table comes from ("go1.26").
	GoVersion string             `json:"go_version"`
	Source    string             `json:"source"`
	Settings  map[string]Setting `json:"settings"`
}

// Parse reads table.go's var All (known settings) and var Removed
// (settings removed, with the minor version that removed them).
func Parse(src []byte) (map[string]Setting, error) {
	f, err := parser.ParseFile(token.NewFileSet(), "table.go", src, 0)
	if err != nil {
		return nil, err
	}
	out := map[string]Setting{}
	var perr error
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || (vs.Names[0].Name != "All" && vs.Names[0].Name != "Removed") || len(vs.Values) != 1 {
			return true
		}
		list, ok := vs.Values[0].(*ast.CompositeLit)
		if !ok {
			perr = fmt.Errorf("var %s is not a composite literal", vs.Names[0].Name)
			return false
		}
		for _, e := range list.Elts {
			lit, ok := e.(*ast.CompositeLit)
			if !ok {
				continue
			}
			var name string
			var s Setting
			for _, el := range lit.Elts {
				kv, ok := el.(*ast.KeyValueExpr)
				if !ok {
					continue
				}
				key := kv.Key.(*ast.Ident).Name
				switch v := kv.Value.(type) {
				case *ast.BasicLit:
					switch v.Kind {
					case token.STRING:
						str, _ := strconv.Unquote(v.Value)
						switch key {
						case "Name":
							name = str
						case "Package":
							s.Package = str
						case "Old":
							s.Old = str
						}
					case token.INT:
						n, _ := strconv.Atoi(v.Value)
						switch key {
						case "Changed":
							s.Changed = n
						case "Removed":
							s.Removed = n
						}
					}
				case *ast.Ident:
					switch key {
					case "Opaque":
						s.Opaque = v.Name == "true"
					case "Immutable":
						s.Immutable = v.Name == "true"
					}
				}
			}
			if name == "" {
				perr = fmt.Errorf("an entry of var All has no Name")
				return false
			}
			if old, ok := out[name]; ok && s.Removed != 0 {
				old.Removed = s.Removed
				s = old
			}
			out[name] = s
		}
		return false
	})
	if perr != nil {
		return nil, perr
	}
	if len(out) == 0 {
		return nil, errors.New("no var All table found")
	}
	return out, nil
}

var release = regexp.MustCompile(`^go1\.\d+`)

// Generate builds the data file from a GOROOT.
func Generate(goroot string) ([]byte, error) {
	src, err := os.ReadFile(filepath.Join(goroot, "src", "internal", "godebugs", "table.go"))
	if err != nil {
		return nil, err
	}
	settings, err := Parse(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", goroot, err)
	}
	version, err := os.ReadFile(filepath.Join(goroot, "VERSION"))
	if err != nil {
		return nil, err
	}
	first, _, _ := strings.Cut(string(version), "\n")
	t := Table{GoVersion: release.FindString(first), Source: "$GOROOT/src/internal/godebugs/table.go", Settings: settings}
	if t.GoVersion == "" {
		return nil, fmt.Errorf("%s/VERSION: %q is not a Go release", goroot, first)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(map[string]any{"go_version": t.GoVersion, "source": t.Source, "settings": t.Settings}); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
