package binary

import (
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/gopolicy/gopolicy/pkg/collect/libc"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

// elfGOARCH maps ELF machines to Go's names.
var elfGOARCH = map[elf.Machine]string{
	elf.EM_X86_64: "amd64", elf.EM_386: "386", elf.EM_AARCH64: "arm64", elf.EM_ARM: "arm",
	elf.EM_RISCV: "riscv64", elf.EM_PPC64: "ppc64", elf.EM_S390: "s390x", elf.EM_MIPS: "mips",
	elf.EM_LOONGARCH: "loong64",
}

// readELF reads an ELF file's headers. When the section table cannot be
// read (it lies past the end of a truncated file, or its string table
// index is bad), the file is read again as readelf -l reads it, from the
// program headers alone: the returned info is then partial, err says
// why, and buildInfo is a reader that hides the broken section table
// from debug/buildinfo too. A nil image means nothing could be read.
func readELF(r io.ReaderAt) (info *facts.ELFInfo, img image, buildInfo io.ReaderAt, err error) {
	f, err := elf.NewFile(r)
	if err == nil {
		info, err = elfInfo(f)
		if err != nil {
			return nil, nil, nil, err
		}
		return info, &elfImage{f}, r, nil
	}
	hidden := hideSectionTable(r)
	pf, perr := elf.NewFile(hidden)
	if perr != nil {
		return nil, nil, nil, fmt.Errorf("read ELF headers: %w", err)
	}
	info, perr = elfInfo(pf)
	if perr != nil {
		return nil, nil, nil, fmt.Errorf("read ELF headers: %w; program headers: %v", err, perr)
	}
	info.SectionTableError = err.Error()
	return info, &elfImage{pf}, hidden, fmt.Errorf("the ELF section table is unreadable (%v): only the program headers were read", err)
}

// elfInfo fills the facts from an ELF file. Dynamic linking is read from
// the .dynamic section with its symbols when there is one, else from the
// PT_DYNAMIC segment, which is what the loader reads. A dynamic table
// that cannot be read is an error: its absence would read as "static".
func elfInfo(f *elf.File) (*facts.ELFInfo, error) {
	info := &facts.ELFInfo{
		Class:         f.Class.String(),
		Machine:       f.Machine.String(),
		GOARCH:        elfGOARCH[f.Machine],
		Type:          f.Type.String(),
		Needed:        []string{},
		GlibcVersions: []facts.VersionSymbols{},
		RELRO:         "none",
	}
	if f.Machine == elf.EM_PPC64 && f.ByteOrder == binary.LittleEndian {
		info.GOARCH = "ppc64le"
	}
	if f.Machine == elf.EM_MIPS && f.ByteOrder == binary.LittleEndian {
		info.GOARCH = "mipsle"
	}
	var hasRelro, stackSeen, stackExec, hasDynamic bool
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_INTERP:
			data, err := readProg(p)
			if err != nil {
				return nil, fmt.Errorf("read ELF interpreter: %w", err)
			}
			info.Interpreter = strings.TrimRight(string(data), "\x00")
		case elf.PT_GNU_RELRO:
			hasRelro = true
		case elf.PT_GNU_STACK:
			stackSeen = true
			stackExec = p.Flags&elf.PF_X != 0
		case elf.PT_DYNAMIC:
			hasDynamic = true
		}
	}
	info.NX = stackSeen && !stackExec
	if len(f.Sections) == 0 {
		info.SectionTableError = "the file has no section table"
	}
	var dyn *dynamicInfo
	if f.Section(".dynamic") != nil {
		var err error
		if dyn, err = sectionDynamic(f, info); err != nil {
			if !hasDynamic {
				return nil, fmt.Errorf("read ELF dynamic section: %w", err)
			}
			dyn = nil
		}
	}
	if dyn == nil && hasDynamic {
		var err error
		if dyn, err = progDynamic(f); err != nil {
			return nil, fmt.Errorf("read ELF dynamic segment: %w", err)
		}
		for _, v := range dyn.versions {
			info.GlibcVersions = append(info.GlibcVersions, facts.VersionSymbols{Version: v, Symbols: []string{}})
		}
		sortVersions(info)
	}
	if dyn != nil {
		info.Needed = append(info.Needed, dyn.needed...)
		info.RPath, info.RunPath = splitPaths(dyn.rpath), splitPaths(dyn.runpath)
		now := dyn.bindNow || dyn.flags&uint64(elf.DF_BIND_NOW) != 0 || dyn.flags1&uint64(elf.DF_1_NOW) != 0
		if hasRelro {
			info.RELRO = "partial"
			if now {
				info.RELRO = "full"
			}
		}
		info.PIE = f.Type == elf.ET_DYN && (dyn.flags1&uint64(elf.DF_1_PIE) != 0 || info.Interpreter != "")
	} else if hasRelro {
		info.RELRO = "partial"
	}
	if f.Type == elf.ET_DYN && info.Interpreter == "" && len(info.Needed) == 0 && f.Entry != 0 {
		// A static PIE has no interpreter and no libraries.
		info.PIE = true
	}
	info.Static = info.Interpreter == "" && len(info.Needed) == 0
	info.Stripped = f.Section(".symtab") == nil
	info.GNUBuildID = noteDesc(f, ".note.gnu.build-id", "GNU", true)
	info.GoBuildID = noteDesc(f, ".note.go.buildid", "Go", false)
	return info, nil
}

// dynamicInfo is the dynamic table's content gopolicy uses.
type dynamicInfo struct {
	needed, rpath, runpath []string
	flags, flags1          uint64
	bindNow                bool
	versions               []string // GLIBC_ versions needed (segment only)
}

// sectionDynamic reads the dynamic table through the section headers,
// with the symbols behind each GLIBC version.
func sectionDynamic(f *elf.File, info *facts.ELFInfo) (*dynamicInfo, error) {
	d := &dynamicInfo{}
	libs, err := f.ImportedLibraries()
	if err != nil {
		return nil, err
	}
	d.needed = libs
	if d.rpath, err = f.DynString(elf.DT_RPATH); err != nil {
		return nil, err
	}
	if d.runpath, err = f.DynString(elf.DT_RUNPATH); err != nil {
		return nil, err
	}
	flags, err := f.DynValue(elf.DT_FLAGS)
	if err != nil {
		return nil, err
	}
	flags1, _ := f.DynValue(elf.DT_FLAGS_1)
	bindNow, _ := f.DynValue(elf.DT_BIND_NOW)
	for _, v := range flags {
		d.flags |= v
	}
	for _, v := range flags1 {
		d.flags1 |= v
	}
	d.bindNow = len(bindNow) > 0
	readVersionNeeds(f, info)
	return d, nil
}

func splitPaths(vals []string) []string {
	var out []string
	for _, v := range vals {
		out = append(out, strings.Split(v, ":")...)
	}
	return out
}

func readProg(p *elf.Prog) ([]byte, error) {
	if p.Filesz > 4096 {
		return nil, errors.New("segment too large")
	}
	data := make([]byte, p.Filesz)
	_, err := p.ReadAt(data, 0)
	return data, err
}

// readVersionNeeds records the GLIBC_x.y versions the binary's imported
// symbols need, comparing versions numerically (2.3.2 < 2.34) and leaving
// out GLIBC_PRIVATE, which is not a release.
func readVersionNeeds(f *elf.File, info *facts.ELFInfo) {
	// The dynamic symbols, not ImportedSymbols: that leaves out weak
	// undefined symbols such as __cxa_finalize@GLIBC_2.2.5, whose version
	// the loader still requires.
	syms, err := f.DynamicSymbols()
	if err != nil {
		return
	}
	byVersion := map[string][]string{}
	for _, s := range syms {
		if s.Section != elf.SHN_UNDEF {
			continue
		}
		if b := elf.ST_BIND(s.Info); b != elf.STB_GLOBAL && b != elf.STB_WEAK {
			continue
		}
		v, ok := strings.CutPrefix(s.Version, "GLIBC_")
		if !ok || !libc.IsVersion(v) {
			continue
		}
		byVersion[v] = append(byVersion[v], s.Name)
	}
	// Versions required without a symbol (verneed entries) count too.
	if needs, err := f.DynamicVersionNeeds(); err == nil {
		for _, n := range needs {
			for _, d := range n.Needs {
				if v, ok := strings.CutPrefix(d.Dep, "GLIBC_"); ok && libc.IsVersion(v) {
					if _, seen := byVersion[v]; !seen {
						byVersion[v] = []string{}
					}
				}
			}
		}
	}
	for v, names := range byVersion {
		sort.Strings(names)
		info.GlibcVersions = append(info.GlibcVersions, facts.VersionSymbols{Version: v, Symbols: names})
	}
	sortVersions(info)
}

// sortVersions orders GlibcVersions numerically and sets GlibcMax.
func sortVersions(info *facts.ELFInfo) {
	sort.Slice(info.GlibcVersions, func(i, j int) bool {
		return libc.CompareVersions(info.GlibcVersions[i].Version, info.GlibcVersions[j].Version) < 0
	})
	if n := len(info.GlibcVersions); n > 0 {
		info.GlibcMax = info.GlibcVersions[n-1].Version
		info.GlibcMaxSymbols = info.GlibcVersions[n-1].Symbols
	}
}

// noteDesc returns the descriptor of the first note in a section.
func noteDesc(f *elf.File, section, owner string, asHex bool) string {
	s := f.Section(section)
	if s == nil || s.Type == elf.SHT_NOBITS || s.Size > 1024 {
		return ""
	}
	data, err := s.Data()
	if err != nil || len(data) < 12 {
		return ""
	}
	bo := f.ByteOrder
	namesz, descsz := bo.Uint32(data[0:]), bo.Uint32(data[4:])
	nameEnd := 12 + int(namesz)
	descStart := 12 + int((namesz+3)&^3)
	if nameEnd > len(data) || descStart+int(descsz) > len(data) || descStart < 12 {
		return ""
	}
	if strings.TrimRight(string(data[12:nameEnd]), "\x00") != owner {
		return ""
	}
	desc := data[descStart : descStart+int(descsz)]
	if asHex {
		return hex.EncodeToString(desc)
	}
	return string(desc)
}

type elfImage struct{ f *elf.File }

func (e *elfImage) Close() error { return nil }

func (e *elfImage) ptrSize() int {
	if e.f.Class == elf.ELFCLASS64 {
		return 8
	}
	return 4
}

func (e *elfImage) order() binary.ByteOrder { return e.f.ByteOrder }

func (e *elfImage) symbols() (map[string]symbol, error) {
	syms, err := e.f.Symbols()
	if err != nil {
		return nil, errNoSymbols
	}
	m := make(map[string]symbol, len(syms))
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) == elf.STT_OBJECT {
			m[s.Name] = symbol{addr: s.Value, size: s.Size, sized: true}
		}
	}
	return m, nil
}

func (e *elfImage) read(addr uint64, n int) ([]byte, error) {
	for _, s := range e.f.Sections {
		if s.Addr == 0 || addr < s.Addr || addr+uint64(n) > s.Addr+s.Size {
			continue
		}
		if s.Type == elf.SHT_NOBITS {
			return make([]byte, n), nil
		}
		buf := make([]byte, n)
		if _, err := s.ReadAt(buf, int64(addr-s.Addr)); err != nil {
			return nil, err
		}
		return buf, nil
	}
	return nil, fmt.Errorf("address %#x is in no section", addr)
}
