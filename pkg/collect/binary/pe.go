package binary

import (
	"debug/pe"
	"encoding/binary"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/gopolicy/gopolicy/pkg/facts"
)

var peMachines = map[uint16][2]string{
	pe.IMAGE_FILE_MACHINE_AMD64: {"amd64", "amd64"},
	pe.IMAGE_FILE_MACHINE_I386:  {"i386", "386"},
	pe.IMAGE_FILE_MACHINE_ARM64: {"arm64", "arm64"},
	pe.IMAGE_FILE_MACHINE_ARMNT: {"armnt", "arm"},
}

var peSubsystems = map[uint16]string{
	pe.IMAGE_SUBSYSTEM_WINDOWS_GUI: "windows-gui", pe.IMAGE_SUBSYSTEM_WINDOWS_CUI: "windows-console",
	pe.IMAGE_SUBSYSTEM_NATIVE: "native", pe.IMAGE_SUBSYSTEM_EFI_APPLICATION: "efi-application",
}

func readPE(r io.ReaderAt) (*facts.PEInfo, image, error) {
	f, err := pe.NewFile(r)
	if err != nil {
		return nil, nil, fmt.Errorf("read PE headers: %w", err)
	}
	m := peMachines[f.Machine]
	info := &facts.PEInfo{Machine: m[0], GOARCH: m[1], DLLs: []string{}}
	if info.Machine == "" {
		info.Machine = fmt.Sprintf("%#x", f.Machine)
	}
	var dll, sub uint16
	var imageBase uint64
	switch oh := f.OptionalHeader.(type) {
	case *pe.OptionalHeader64:
		dll, sub, imageBase = oh.DllCharacteristics, oh.Subsystem, oh.ImageBase
	case *pe.OptionalHeader32:
		dll, sub, imageBase = oh.DllCharacteristics, oh.Subsystem, uint64(oh.ImageBase)
	}
	info.Subsystem = peSubsystems[sub]
	if info.Subsystem == "" {
		info.Subsystem = fmt.Sprintf("%d", sub)
	}
	info.ASLR = dll&pe.IMAGE_DLLCHARACTERISTICS_DYNAMIC_BASE != 0
	info.HighEntropyVA = dll&pe.IMAGE_DLLCHARACTERISTICS_HIGH_ENTROPY_VA != 0
	info.NX = dll&pe.IMAGE_DLLCHARACTERISTICS_NX_COMPAT != 0
	info.Stripped = len(f.Symbols) == 0
	// ImportedLibraries is a stub in debug/pe; the DLL names come with the
	// imported symbols as "symbol:dll".
	if syms, err := f.ImportedSymbols(); err == nil {
		seen := map[string]bool{}
		for _, s := range syms {
			if _, lib, ok := strings.Cut(s, ":"); ok && !seen[strings.ToLower(lib)] {
				seen[strings.ToLower(lib)] = true
				info.DLLs = append(info.DLLs, lib)
			}
		}
		sort.Strings(info.DLLs)
	}
	return info, &peImage{f: f, base: imageBase}, nil
}

type peImage struct {
	f    *pe.File
	base uint64
}

func (p *peImage) Close() error { return nil }

func (p *peImage) ptrSize() int {
	if _, ok := p.f.OptionalHeader.(*pe.OptionalHeader64); ok {
		return 8
	}
	return 4
}

func (p *peImage) order() binary.ByteOrder { return binary.LittleEndian }

func (p *peImage) symbols() (map[string]symbol, error) {
	if len(p.f.Symbols) == 0 {
		return nil, errNoSymbols
	}
	m := make(map[string]symbol, len(p.f.Symbols))
	for _, s := range p.f.Symbols {
		if s.SectionNumber <= 0 || int(s.SectionNumber) > len(p.f.Sections) {
			continue
		}
		sec := p.f.Sections[s.SectionNumber-1]
		m[s.Name] = symbol{addr: p.base + uint64(sec.VirtualAddress) + uint64(s.Value)}
	}
	setRoom(m)
	return m, nil
}

func (p *peImage) read(addr uint64, n int) ([]byte, error) {
	if addr < p.base {
		return nil, fmt.Errorf("address %#x below image base", addr)
	}
	rva := addr - p.base
	for _, s := range p.f.Sections {
		start, end := uint64(s.VirtualAddress), uint64(s.VirtualAddress)+uint64(s.VirtualSize)
		if rva < start || rva+uint64(n) > end {
			continue
		}
		buf := make([]byte, n)
		off := rva - start
		if off+uint64(n) > uint64(s.Size) {
			// Beyond the raw data the section is zero-filled (.bss).
			return buf, nil
		}
		if _, err := s.ReadAt(buf, int64(off)); err != nil {
			return nil, err
		}
		return buf, nil
	}
	return nil, fmt.Errorf("address %#x is in no section", addr)
}
