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

func readELF(r io.ReaderAt) (*facts.ELFInfo, image, error) {
	f, err := elf.NewFile(r)
	if err != nil {
		return nil, nil, fmt.Errorf("read ELF headers: %w", err)
	}
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
	var hasRelro, stackSeen, stackExec bool
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_INTERP:
			data, err := readProg(p)
			if err != nil {
				return nil, nil, fmt.Errorf("read ELF interpreter: %w", err)
			}
			info.Interpreter = strings.TrimRight(string(data), "\x00")
		case elf.PT_GNU_RELRO:
			hasRelro = true
		case elf.PT_GNU_STACK:
			stackSeen = true
			stackExec = p.Flags&elf.PF_X != 0
		}
	}
	info.NX = stackSeen && !stackExec
	if f.Section(".dynamic") != nil {
		if libs, err := f.ImportedLibraries(); err == nil {
			info.Needed = append(info.Needed, libs...)
		}
		info.RPath = dynStrings(f, elf.DT_RPATH)
		info.RunPath = dynStrings(f, elf.DT_RUNPATH)
		flags, _ := f.DynValue(elf.DT_FLAGS)
		flags1, _ := f.DynValue(elf.DT_FLAGS_1)
		bindNow, _ := f.DynValue(elf.DT_BIND_NOW)
		now := len(bindNow) > 0 || anyBit(flags, uint64(elf.DF_BIND_NOW)) || anyBit(flags1, uint64(elf.DF_1_NOW))
		if hasRelro {
			info.RELRO = "partial"
			if now {
				info.RELRO = "full"
			}
		}
		info.PIE = f.Type == elf.ET_DYN && (anyBit(flags1, uint64(elf.DF_1_PIE)) || info.Interpreter != "")
		readVersionNeeds(f, info)
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
	return info, &elfImage{f}, nil
}

func readProg(p *elf.Prog) ([]byte, error) {
	if p.Filesz > 4096 {
		return nil, errors.New("segment too large")
	}
	data := make([]byte, p.Filesz)
	_, err := p.ReadAt(data, 0)
	return data, err
}

func anyBit(vals []uint64, bit uint64) bool {
	for _, v := range vals {
		if v&bit != 0 {
			return true
		}
	}
	return false
}

func dynStrings(f *elf.File, tag elf.DynTag) []string {
	vals, err := f.DynString(tag)
	if err != nil {
		return nil
	}
	var out []string
	for _, v := range vals {
		out = append(out, strings.Split(v, ":")...)
	}
	return out
}

// readVersionNeeds records the GLIBC_x.y versions the binary's imported
// symbols need, comparing versions numerically (2.3.2 < 2.34) and leaving
// out GLIBC_PRIVATE, which is not a release.
func readVersionNeeds(f *elf.File, info *facts.ELFInfo) {
	syms, err := f.ImportedSymbols()
	if err != nil {
		return
	}
	byVersion := map[string][]string{}
	for _, s := range syms {
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
