package binary

import (
	"encoding/binary"
	"errors"
	"slices"
	"sort"
	"unicode/utf8"

	"github.com/gopolicy/gopolicy/pkg/facts"
)

var errNoSymbols = errors.New("no symbol table")

// maxStampLen bounds a stamp read; a version string is short, and a bogus
// length must not make us allocate gigabytes.
const maxStampLen = 64 << 10

type symbol struct {
	addr, size uint64
	sized      bool // the format records symbol sizes (ELF)
	// room is the distance to the next symbol's address, for formats
	// without sizes (PE, Mach-O): a variable cannot be larger. 0: unknown.
	room uint64
}

// setRoom fills in each symbol's room from the sorted distinct addresses.
func setRoom(m map[string]symbol) {
	addrs := make([]uint64, 0, len(m))
	for _, s := range m {
		addrs = append(addrs, s.addr)
	}
	slices.Sort(addrs)
	addrs = slices.Compact(addrs)
	for name, s := range m {
		i, _ := slices.BinarySearch(addrs, s.addr)
		if i+1 < len(addrs) {
			s.room = addrs[i+1] - s.addr
			m[name] = s
		}
	}
}

// image is the little of an executable format that reading a Go string
// variable needs.
type image interface {
	symbols() (map[string]symbol, error)
	read(addr uint64, n int) ([]byte, error)
	ptrSize() int
	order() binary.ByteOrder
}

// readStamps reads back every -X target recorded in build info and every
// configured stamp variable. A symbol that is absent was never set: the
// linker silently ignores -X for a misspelt path or a constant.
func readStamps(img image, g *facts.GoBuild, configured []string) []facts.Stamp {
	if img == nil || g == nil || !g.IsGo {
		return nil
	}
	want := map[string]*facts.Stamp{}
	var order []string
	add := func(sym string) *facts.Stamp {
		if s, ok := want[sym]; ok {
			return s
		}
		s := &facts.Stamp{Symbol: sym}
		want[sym] = s
		order = append(order, sym)
		return s
	}
	for _, x := range g.XAssignments {
		s := add(x.Symbol)
		s.FromX, s.Expected = true, x.Value
	}
	for _, sym := range configured {
		add(sym)
	}
	if len(order) == 0 {
		return nil
	}
	sort.Strings(order)
	syms, err := img.symbols()
	out := make([]facts.Stamp, 0, len(order))
	for _, name := range order {
		s := want[name]
		if err != nil {
			s.Status, s.Detail = facts.StampUnverifiable, "the binary has no symbol table (built with -s or stripped): cannot verify"
			out = append(out, *s)
			continue
		}
		sym, ok := syms[name]
		if !ok {
			s.Status, s.Detail = facts.StampMissing, "no such variable in the binary: the path is misspelt, the name is a constant, or the package is not linked"
			out = append(out, *s)
			continue
		}
		readString(img, sym, s)
		redactStamp(s, isMarker(s.Expected))
		out = append(out, *s)
	}
	return out
}

func readString(img image, sym symbol, s *facts.Stamp) {
	ps := img.ptrSize()
	if sym.sized && sym.size != uint64(2*ps) {
		s.Status, s.Detail = facts.StampNotString, "the symbol is not a string variable"
		return
	}
	if !sym.sized && sym.room > 0 && sym.room < uint64(2*ps) {
		s.Status, s.Detail = facts.StampNotString, "the symbol is smaller than a string header: not a string variable"
		return
	}
	hdr, err := img.read(sym.addr, 2*ps)
	if err != nil {
		s.Status, s.Detail = facts.StampUnverifiable, "read string header: "+err.Error()
		return
	}
	var ptr, n uint64
	if ps == 8 {
		ptr, n = img.order().Uint64(hdr), img.order().Uint64(hdr[8:])
	} else {
		ptr, n = uint64(img.order().Uint32(hdr)), uint64(img.order().Uint32(hdr[4:]))
	}
	if n == 0 {
		s.Status = facts.StampEmpty
		return
	}
	if n > maxStampLen {
		s.Status, s.Detail = facts.StampNotString, "string length is implausible"
		return
	}
	data, err := img.read(ptr, int(n))
	if err != nil {
		s.Status, s.Detail = facts.StampUnverifiable, "read string data: "+err.Error()
		return
	}
	if !utf8.Valid(data) {
		s.Status, s.Detail = facts.StampNotString, "the value is not text"
		return
	}
	s.Status, s.Value = facts.StampSet, string(data)
}
