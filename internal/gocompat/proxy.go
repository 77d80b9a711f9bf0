package gocompat

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/txtar"
	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

// BuildProxy turns the go command's test modules (testdata/mod: one txtar
// archive per module version, named path_version.txt with "/" written as
// "_", holding ".mod", ".info" and the zip's files) into a module proxy
// directory for GOPROXY=file://dst: <escaped path>/@v/list, and .info,
// .mod and .zip per version.
//
// The go command's own test proxy serves the archives' files as the zip;
// golang.org/x/mod/zip builds the same zip when every file is one a
// module zip may hold. Some test modules are deliberately broken (files
// outside the module's prefix, names a module zip must not have): those
// are written file by file as the test proxy writes them, so the hashes
// in the scripts' go.sum files still match.
//
// The fake toolchain modules (golang.org/toolchain) are left out: a
// scenario must not download and run another go command.
func BuildProxy(modDir, dst string) error {
	entries, err := os.ReadDir(modDir)
	if err != nil {
		return err
	}
	versions := map[string][]string{}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".txt")
		if !ok {
			continue
		}
		i := strings.LastIndex(name, "_v")
		if i < 0 {
			continue
		}
		modPath, err := module.UnescapePath(strings.ReplaceAll(name[:i], "_", "/"))
		if err != nil {
			continue
		}
		vers, err := module.UnescapeVersion(name[i+1:])
		if err != nil || modPath == "golang.org/toolchain" {
			continue
		}
		ar, err := txtar.ParseFile(filepath.Join(modDir, e.Name()))
		if err != nil {
			return err
		}
		mv := module.Version{Path: modPath, Version: vers}
		if err := writeVersion(dst, mv, ar); err != nil {
			return fmt.Errorf("%s: %w", e.Name(), err)
		}
		if !module.IsPseudoVersion(vers) && module.Check(modPath, vers) == nil {
			versions[modPath] = append(versions[modPath], vers)
		} else if _, ok := versions[modPath]; !ok {
			versions[modPath] = nil
		}
	}
	for modPath, vs := range versions {
		esc, err := module.EscapePath(modPath)
		if err != nil {
			return err
		}
		sort.Strings(vs)
		list := strings.Join(vs, "\n")
		if list != "" {
			list += "\n"
		}
		if err := writeFile(filepath.Join(dst, esc, "@v", "list"), []byte(list)); err != nil {
			return err
		}
	}
	return nil
}

func writeVersion(dst string, mv module.Version, ar *txtar.Archive) error {
	esc, err := module.EscapePath(mv.Path)
	if err != nil {
		return err
	}
	escVers, err := module.EscapeVersion(mv.Version)
	if err != nil {
		return err
	}
	base := filepath.Join(dst, esc, "@v", escVers)
	var content []txtar.File
	for _, f := range ar.Files {
		switch f.Name {
		case ".info":
			if err := writeFile(base+".info", f.Data); err != nil {
				return err
			}
		case ".mod":
			if err := writeFile(base+".mod", f.Data); err != nil {
				return err
			}
		case ".zip":
		default:
			content = append(content, f)
		}
	}
	var buf bytes.Buffer
	if err := modZip(&buf, mv, content); err != nil {
		return err
	}
	return writeFile(base+".zip", buf.Bytes())
}

type archiveFile struct{ f txtar.File }

func (a archiveFile) Path() string { return a.f.Name }
func (a archiveFile) Lstat() (fs.FileInfo, error) {
	return fileInfo{name: path.Base(a.f.Name), size: int64(len(a.f.Data))}, nil
}
func (a archiveFile) Open() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(a.f.Data)), nil
}

// fileInfo describes an archive file to golang.org/x/mod/zip: a regular
// file of its size.
type fileInfo struct {
	name string
	size int64
}

func (fi fileInfo) Name() string       { return fi.name }
func (fi fileInfo) Size() int64        { return fi.size }
func (fi fileInfo) Mode() fs.FileMode  { return 0o644 }
func (fi fileInfo) ModTime() time.Time { return time.Time{} }
func (fi fileInfo) IsDir() bool        { return false }
func (fi fileInfo) Sys() any           { return nil }

// modZip writes the module zip with golang.org/x/mod/zip when every file
// is valid in a module zip, and file by file (as the go command's test
// proxy does) otherwise.
func modZip(buf *bytes.Buffer, mv module.Version, content []txtar.File) error {
	files := make([]modzip.File, 0, len(content))
	plain := true
	for _, f := range content {
		if strings.HasPrefix(f.Name, "/") {
			plain = false
		}
		files = append(files, archiveFile{f})
	}
	if plain {
		cf, err := modzip.CheckFiles(files)
		if err == nil && len(cf.Omitted) == 0 && len(cf.Invalid) == 0 {
			if err := modzip.Create(buf, mv, files); err == nil {
				return nil
			}
			buf.Reset()
		}
	}
	z := zip.NewWriter(buf)
	for _, f := range content {
		name := mv.Path + "@" + mv.Version + "/" + f.Name
		if strings.HasPrefix(f.Name, "/") {
			name = f.Name[1:]
		}
		w, err := z.Create(name)
		if err != nil {
			return err
		}
		if _, err := w.Write(f.Data); err != nil {
			return err
		}
	}
	return z.Close()
}

func writeFile(p string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, data, 0o644)
}
