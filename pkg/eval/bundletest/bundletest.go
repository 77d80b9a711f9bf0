// Package bundletest writes hostile policy bundles for tests: tarballs
// with entries archive/tar's writer refuses to produce (sparse files,
// links, devices, paths that leave the bundle) and decompression bombs.
package bundletest

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Kinds lists the hostile tarballs Tarball can write.
func Kinds() []string {
	kinds := make([]string, 0, len(builders))
	for k := range builders {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	return kinds
}

// Tarball returns a gzip'd tar of the given kind:
//
//	sparse      one PAX (GNU 1.0) sparse file declaring 1 TiB: a few hundred bytes
//	sparse-old  one old-GNU sparse file ('S') declaring 1 TiB
//	huge        a regular file declaring 1 TiB, its data missing
//	symlink     p.rego, a symbolic link to /etc/passwd
//	hardlink    p.rego, a hard link to /etc/passwd
//	chardev     zero, a character device 1,5 (/dev/zero)
//	fifo        pipe, a named pipe
//	dotdot      ../escape.rego
//	absolute    //etc/cron.d/x (a leading "/" is OPA's layout; two are not)
//	duplicate   p.rego twice, the second different
//	long-path   a path of 5000 bytes
//	many        20,000 empty files
//	total       five 7 MiB files of zeros: each under the per-file cap, 35 MiB together
//	pax-stream  200 PAX headers of 1 MiB each and no file: a decompression bomb no entry reveals
func Tarball(kind string) ([]byte, error) {
	b, ok := builders[kind]
	if !ok {
		return nil, fmt.Errorf("unknown hostile tarball %q (known: %s)", kind, strings.Join(Kinds(), ", "))
	}
	var raw bytes.Buffer
	b(&raw)
	raw.Write(make([]byte, 1024)) // end of archive
	var out bytes.Buffer
	level := gzip.BestCompression
	if raw.Len() > 1<<20 {
		level = gzip.BestSpeed // the bombs: quick to write, still small
	}
	zw, _ := gzip.NewWriterLevel(&out, level)
	zw.Write(raw.Bytes())
	zw.Close()
	return out.Bytes(), nil
}

const tib = int64(1) << 40

var builders = map[string]func(w *bytes.Buffer){
	"sparse": func(w *bytes.Buffer) {
		pax(w, 'x', map[string]string{
			"GNU.sparse.major":    "1",
			"GNU.sparse.minor":    "0",
			"GNU.sparse.name":     "big.rego",
			"GNU.sparse.realsize": fmt.Sprint(tib),
		})
		// The data section starts with the sparse map: no data blocks,
		// the whole file is a hole.
		m := block([]byte("0\n"))
		entry(w, header{name: "GNUSparseFile.0/big.rego", typ: '0', size: int64(len(m))}, m)
	},
	"sparse-old": func(w *bytes.Buffer) {
		h := header{name: "big.rego", typ: 'S', gnu: true, realSize: tib}
		entry(w, h, nil)
	},
	"huge": func(w *bytes.Buffer) {
		entry(w, header{name: "huge.rego", typ: '0', size: tib}, nil)
	},
	"symlink": func(w *bytes.Buffer) {
		entry(w, header{name: "p.rego", typ: '2', link: "/etc/passwd"}, nil)
	},
	"hardlink": func(w *bytes.Buffer) {
		entry(w, header{name: "p.rego", typ: '1', link: "/etc/passwd"}, nil)
	},
	"chardev": func(w *bytes.Buffer) {
		entry(w, header{name: "zero", typ: '3', major: 1, minor: 5}, nil)
	},
	"fifo": func(w *bytes.Buffer) {
		entry(w, header{name: "pipe", typ: '6'}, nil)
	},
	"dotdot": func(w *bytes.Buffer) {
		file(w, "../escape.rego", "package escape\n")
	},
	"absolute": func(w *bytes.Buffer) {
		file(w, "//etc/cron.d/x", "* * * * * root true\n")
	},
	"duplicate": func(w *bytes.Buffer) {
		file(w, "/p.rego", "package p\n")
		file(w, "p.rego", "package p\n\nx := 1\n")
	},
	"long-path": func(w *bytes.Buffer) {
		name := strings.Repeat("d/", 2500) + "p.rego"
		pax(w, 'x', map[string]string{"path": name})
		file(w, "placeholder", "package p\n")
	},
	"many": func(w *bytes.Buffer) {
		for i := range 20000 {
			entry(w, header{name: fmt.Sprintf("f%05d.json", i), typ: '0'}, nil)
		}
	},
	"total": func(w *bytes.Buffer) {
		zeros := make([]byte, 7<<20)
		for i := range 5 {
			entry(w, header{name: fmt.Sprintf("blob%d", i), typ: '0', size: int64(len(zeros))}, zeros)
		}
	},
	"pax-stream": func(w *bytes.Buffer) {
		v := strings.Repeat("a", 1<<20-64)
		for range 200 {
			pax(w, 'x', map[string]string{"comment": v})
		}
		file(w, "p.rego", "package p\n")
	},
}

type header struct {
	name         string
	typ          byte
	size         int64
	link         string
	major, minor int64
	gnu          bool
	realSize     int64
}

// entry writes a header block (ustar, or old GNU) and the data, padded.
func entry(w *bytes.Buffer, h header, data []byte) {
	var b [512]byte
	copy(b[0:100], h.name)
	octal(b[100:108], 0o644)
	octal(b[108:116], 0)
	octal(b[116:124], 0)
	octal(b[124:136], h.size)
	octal(b[136:148], 0)
	b[156] = h.typ
	copy(b[157:257], h.link)
	if h.gnu {
		copy(b[257:265], "ustar  \x00")
		// realsize (GNU) at 483; no sparse map entries, not extended.
		octal(b[483:495], h.realSize)
	} else {
		copy(b[257:263], "ustar\x00")
		copy(b[263:265], "00")
	}
	octal(b[329:337], h.major)
	octal(b[337:345], h.minor)
	copy(b[148:156], "        ")
	sum := 0
	for _, c := range b {
		sum += int(c)
	}
	copy(b[148:156], fmt.Sprintf("%06o\x00 ", sum))
	w.Write(b[:])
	w.Write(block(data))
}

func file(w *bytes.Buffer, name, content string) {
	entry(w, header{name: name, typ: '0', size: int64(len(content))}, []byte(content))
}

// pax writes a PAX extended header of the given records.
func pax(w *bytes.Buffer, typ byte, records map[string]string) {
	keys := make([]string, 0, len(records))
	for k := range records {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var body bytes.Buffer
	for _, k := range keys {
		v := records[k]
		size := len(k) + len(v) + 3 // " ", "=", "\n"
		size += len(strconv.Itoa(size))
		rec := fmt.Sprintf("%d %s=%s\n", size, k, v)
		if len(rec) != size {
			rec = fmt.Sprintf("%d %s=%s\n", len(rec), k, v)
		}
		body.WriteString(rec)
	}
	entry(w, header{name: "PaxHeaders/0", typ: typ, size: int64(body.Len())}, body.Bytes())
}

// block pads data to a multiple of 512 bytes.
func block(data []byte) []byte {
	if r := len(data) % 512; r != 0 {
		data = append(data, make([]byte, 512-r)...)
	}
	return data
}

// octal writes n as a NUL-terminated octal field, or in base-256 when it
// does not fit (as GNU tar does for sizes of 8 GiB and more).
func octal(f []byte, n int64) {
	s := fmt.Sprintf("%0*o", len(f)-1, n)
	if len(s) > len(f)-1 {
		for i := len(f) - 1; i > 0; i-- {
			f[i] = byte(n)
			n >>= 8
		}
		f[0] = 0x80
		return
	}
	copy(f, s)
	f[len(f)-1] = 0
}
