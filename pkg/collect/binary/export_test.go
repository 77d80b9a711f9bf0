package binary

import (
	"io"

	"github.com/gopolicy/gopolicy/pkg/facts"
)

// AnalyseNoRecover is Analyse without its recover, so fuzz targets see
// parser panics instead of facts that record them.
var AnalyseNoRecover = analyse

// ReadPE and ReadMachO run one format's parser, then read every symbol's
// string the way a stamp is read, without recovering panics.
func ReadPE(r io.ReaderAt) (*facts.PEInfo, error) {
	info, img, err := readPE(r)
	exercise(img)
	return info, err
}

func ReadMachO(r io.ReaderAt) (*facts.MachOInfo, error) {
	info, img, err := readMachO(r)
	exercise(img)
	return info, err
}

func exercise(img image) {
	if img == nil {
		return
	}
	syms, err := img.symbols()
	if err != nil {
		return
	}
	n := 0
	for _, sym := range syms {
		if n++; n > 64 {
			break
		}
		var s facts.Stamp
		readString(img, sym, &s)
	}
}
