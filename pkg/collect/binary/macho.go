package binary

import (
	"debug/macho"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/gopolicy/gopolicy/pkg/facts"
)

const lcCodeSignature = 0x1d

var machoGOARCH = map[macho.Cpu]string{macho.CpuAmd64: "amd64", macho.CpuArm64: "arm64", macho.Cpu386: "386", macho.CpuArm: "arm"}

func readMachO(r io.ReaderAt) (*facts.MachOInfo, image, error) {
	f, err := macho.NewFile(r)
	if err != nil {
		ff, ferr := macho.NewFatFile(r)
		if ferr != nil || len(ff.Arches) == 0 {
			return nil, nil, fmt.Errorf("read Mach-O headers: %w", err)
		}
		f = ff.Arches[0].File
	}
	info := &facts.MachOInfo{CPU: f.Cpu.String(), GOARCH: machoGOARCH[f.Cpu], PIE: f.Flags&macho.FlagPIE != 0, Dylibs: []string{}}
	if libs, err := f.ImportedLibraries(); err == nil {
		info.Dylibs = append(info.Dylibs, libs...)
	}
	for _, l := range f.Loads {
		raw := l.Raw()
		if len(raw) >= 4 && f.ByteOrder.Uint32(raw) == lcCodeSignature {
			info.CodeSigned = true
		}
	}
	info.Stripped = !hasDefinedSymbols(f)
	return info, &machoImage{f}, nil
}

// hasDefinedSymbols reports whether the symbol table names anything the
// binary defines. The Go linker's -s still leaves a symbol table on
// darwin, holding only the symbols imported from dylibs (section 0), so
// "a symbol table exists" does not mean "not stripped".
func hasDefinedSymbols(f *macho.File) bool {
	if f.Symtab == nil {
		return false
	}
	for _, s := range f.Symtab.Syms {
		if s.Sect != 0 {
			return true
		}
	}
	return false
}

type machoImage struct{ f *macho.File }

func (m *machoImage) Close() error { return nil }

func (m *machoImage) ptrSize() int {
	if m.f.Magic == macho.Magic64 {
		return 8
	}
	return 4
}

func (m *machoImage) order() binary.ByteOrder { return m.f.ByteOrder }

func (m *machoImage) symbols() (map[string]symbol, error) {
	if !hasDefinedSymbols(m.f) {
		return nil, errNoSymbols
	}
	out := make(map[string]symbol, len(m.f.Symtab.Syms))
	for _, s := range m.f.Symtab.Syms {
		// Mach-O symbol names carry a leading underscore.
		name := s.Name
		if len(name) > 0 && name[0] == '_' {
			name = name[1:]
		}
		if s.Sect == 0 {
			continue // imported from a dylib: no address here
		}
		out[name] = symbol{addr: s.Value}
	}
	setRoom(out)
	return out, nil
}

func (m *machoImage) read(addr uint64, n int) ([]byte, error) {
	for _, s := range m.f.Sections {
		if addr < s.Addr || addr+uint64(n) > s.Addr+s.Size {
			continue
		}
		buf := make([]byte, n)
		if s.Offset == 0 { // zero-fill section
			return buf, nil
		}
		if _, err := s.ReadAt(buf, int64(addr-s.Addr)); err != nil {
			return nil, err
		}
		return buf, nil
	}
	return nil, fmt.Errorf("address %#x is in no section", addr)
}
