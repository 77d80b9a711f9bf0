package binary

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gopolicy/gopolicy/pkg/collect/libc"
)

// Bounds for reading the dynamic segment of a file that may be hostile.
const (
	maxDynamicSize  = 64 << 10 // the PT_DYNAMIC segment
	maxStringTable  = 1 << 20  // DT_STRTAB
	maxVerneedFiles = 256      // Elf_Verneed entries
	maxVerneedAux   = 4096     // Elf_Vernaux entries in all
)

// noSectionTable presents an ELF file whose section table is unusable
// with e_shoff, e_shnum and e_shstrndx zeroed, so debug/elf reads the
// header and program headers, which is all the loader reads.
type noSectionTable struct {
	r      io.ReaderAt
	fields [][2]int64 // offset and size of each zeroed header field
}

func hideSectionTable(r io.ReaderAt) *noSectionTable {
	n := &noSectionTable{r: r}
	var ident [elf.EI_NIDENT]byte
	if _, err := r.ReadAt(ident[:], 0); err != nil {
		return n
	}
	switch elf.Class(ident[elf.EI_CLASS]) {
	case elf.ELFCLASS64:
		n.fields = [][2]int64{{0x28, 8}, {0x3c, 2}, {0x3e, 2}}
	case elf.ELFCLASS32:
		n.fields = [][2]int64{{0x20, 4}, {0x30, 2}, {0x32, 2}}
	}
	return n
}

func (n *noSectionTable) ReadAt(p []byte, off int64) (int, error) {
	c, err := n.r.ReadAt(p, off)
	for _, fl := range n.fields {
		for i := fl[0]; i < fl[0]+fl[1]; i++ {
			if j := i - off; j >= 0 && j < int64(c) {
				p[j] = 0
			}
		}
	}
	return c, err
}

// progDynamic reads the PT_DYNAMIC segment as the loader does, mapping
// the addresses it holds (DT_STRTAB, DT_VERNEED) to file offsets through
// the PT_LOAD segments.
func progDynamic(f *elf.File) (*dynamicInfo, error) {
	var dyn *elf.Prog
	for _, p := range f.Progs {
		if p.Type == elf.PT_DYNAMIC {
			dyn = p
			break
		}
	}
	if dyn == nil {
		return nil, errors.New("no PT_DYNAMIC segment")
	}
	if dyn.Filesz > maxDynamicSize {
		return nil, fmt.Errorf("PT_DYNAMIC segment of %d bytes", dyn.Filesz)
	}
	data := make([]byte, dyn.Filesz)
	if _, err := dyn.ReadAt(data, 0); err != nil {
		return nil, fmt.Errorf("read PT_DYNAMIC: %w", err)
	}
	entSize, word := 16, 8
	if f.Class == elf.ELFCLASS32 {
		entSize, word = 8, 4
	}
	readWord := func(b []byte) uint64 {
		if word == 8 {
			return f.ByteOrder.Uint64(b)
		}
		return uint64(f.ByteOrder.Uint32(b))
	}
	d := &dynamicInfo{}
	var strtab, strsz, verneed, verneednum uint64
	var haveStrtab bool
	var needed, rpath, runpath []uint64
	for off := 0; off+entSize <= len(data); off += entSize {
		tag := elf.DynTag(readWord(data[off:]))
		val := readWord(data[off+word:])
		switch tag {
		case elf.DT_NULL:
			off = len(data)
		case elf.DT_NEEDED:
			needed = append(needed, val)
		case elf.DT_RPATH:
			rpath = append(rpath, val)
		case elf.DT_RUNPATH:
			runpath = append(runpath, val)
		case elf.DT_STRTAB:
			strtab, haveStrtab = val, true
		case elf.DT_STRSZ:
			strsz = val
		case elf.DT_FLAGS:
			d.flags |= val
		case elf.DT_FLAGS_1:
			d.flags1 |= val
		case elf.DT_BIND_NOW:
			d.bindNow = true
		case elf.DT_VERNEED:
			verneed = val
		case elf.DT_VERNEEDNUM:
			verneednum = val
		}
	}
	if len(needed)+len(rpath)+len(runpath) == 0 && verneednum == 0 {
		return d, nil
	}
	if !haveStrtab {
		return nil, errors.New("PT_DYNAMIC names strings but has no DT_STRTAB")
	}
	if strsz == 0 || strsz > maxStringTable {
		return nil, fmt.Errorf("DT_STRSZ of %d bytes", strsz)
	}
	str := make([]byte, strsz)
	if err := readVaddr(f, strtab, str); err != nil {
		return nil, fmt.Errorf("read DT_STRTAB: %w", err)
	}
	get := func(i uint64) (string, error) {
		if i >= uint64(len(str)) {
			return "", fmt.Errorf("string offset %d past DT_STRSZ %d", i, len(str))
		}
		s := str[i:]
		if j := bytes.IndexByte(s, 0); j >= 0 {
			s = s[:j]
		}
		return string(s), nil
	}
	var err error
	for _, lists := range []struct {
		offs []uint64
		out  *[]string
	}{{needed, &d.needed}, {rpath, &d.rpath}, {runpath, &d.runpath}} {
		for _, o := range lists.offs {
			s, gerr := get(o)
			if gerr != nil {
				err = gerr
				continue
			}
			*lists.out = append(*lists.out, s)
		}
	}
	if err != nil {
		return nil, err
	}
	if verneednum > 0 {
		if d.versions, err = versionNeeds(f, verneed, verneednum, get); err != nil {
			return nil, fmt.Errorf("read DT_VERNEED: %w", err)
		}
	}
	return d, nil
}

// versionNeeds walks the Elf_Verneed list and returns the GLIBC_x.y
// versions it needs, each once.
func versionNeeds(f *elf.File, addr, num uint64, get func(uint64) (string, error)) ([]string, error) {
	if num > maxVerneedFiles {
		return nil, fmt.Errorf("DT_VERNEEDNUM %d", num)
	}
	seen := map[string]bool{}
	var out []string
	var entry [16]byte
	aux := 0
	for i := uint64(0); i < num; i++ {
		if err := readVaddr(f, addr, entry[:]); err != nil {
			return nil, err
		}
		bo := f.ByteOrder
		cnt := uint64(bo.Uint16(entry[2:]))
		auxOff := uint64(bo.Uint32(entry[8:]))
		next := uint64(bo.Uint32(entry[12:]))
		a := addr + auxOff
		for j := uint64(0); j < cnt; j++ {
			if aux++; aux > maxVerneedAux {
				return nil, errors.New("too many version needs")
			}
			var vna [16]byte
			if err := readVaddr(f, a, vna[:]); err != nil {
				return nil, err
			}
			name, err := get(uint64(bo.Uint32(vna[8:])))
			if err != nil {
				return nil, err
			}
			if v, ok := strings.CutPrefix(name, "GLIBC_"); ok && libc.IsVersion(v) && !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
			vnext := uint64(bo.Uint32(vna[12:]))
			if vnext == 0 {
				break
			}
			a += vnext
		}
		if next == 0 {
			break
		}
		addr += next
	}
	return out, nil
}

// readVaddr reads len(buf) bytes at a virtual address from the PT_LOAD
// segment that holds them in the file.
func readVaddr(f *elf.File, addr uint64, buf []byte) error {
	n := uint64(len(buf))
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD || addr < p.Vaddr {
			continue
		}
		off := addr - p.Vaddr
		if off >= p.Filesz || n > p.Filesz-off {
			continue
		}
		_, err := p.ReadAt(buf, int64(off))
		return err
	}
	return fmt.Errorf("address %#x is in no loaded segment", addr)
}
