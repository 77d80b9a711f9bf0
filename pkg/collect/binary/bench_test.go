package binary_test

import (
	"context"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gopolicy/gopolicy/internal/gotest"
	"github.com/gopolicy/gopolicy/pkg/collect/binary"
)

var (
	largeOnce sync.Once
	largePath string
)

// largeBinary builds a real Go binary of more than 50 MB: a program that
// embeds 50 MB of random data.
func largeBinary(b *testing.B) string {
	largeOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gopolicy-large")
		if err != nil {
			b.Fatal(err)
		}
		src := filepath.Join(dir, "src")
		gotest.WriteTree(b, src, "-- go.mod --\nmodule example.com/large\n\ngo 1.22\n-- main.go --\npackage main\n\nimport _ \"embed\"\n\n//go:embed blob.bin\nvar blob []byte\n\nvar version = \"dev\"\n\nfunc main() { println(len(blob), version) }\n")
		blob := make([]byte, 50<<20)
		r := rand.New(rand.NewPCG(1, 2))
		for i := 0; i+8 <= len(blob); i += 8 {
			v := r.Uint64()
			for j := range 8 {
				blob[i+j] = byte(v >> (8 * j))
			}
		}
		if err := os.WriteFile(filepath.Join(src, "blob.bin"), blob, 0o644); err != nil {
			b.Fatal(err)
		}
		largePath = gotest.Build(b, gotest.Env(b), src, filepath.Join(dir, "large"), map[string]string{"CGO_ENABLED": "0"}, "-ldflags=-X main.version=1.0.0")
	})
	return largePath
}

func benchCollect(b *testing.B, opts binary.Options) {
	p := largeBinary(b)
	fi, _ := os.Stat(p)
	b.SetBytes(fi.Size())
	b.ResetTimer()
	for b.Loop() {
		if bin, _ := binary.Collect(context.Background(), p, opts); bin.Error != "" || bin.Go == nil || !bin.Go.IsGo {
			b.Fatalf("%+v", bin.Error)
		}
	}
}

// BenchmarkCollectLarge is the full fact set of a >50 MB binary, hash
// included; compare with BenchmarkSHA256Large.
func BenchmarkCollectLarge(b *testing.B) {
	benchCollect(b, binary.Options{Stamps: []string{"main.version"}})
}

// BenchmarkCollectLargeNoHash is everything but the hash: headers, build
// info, version needs and stamps, which never read the whole file.
func BenchmarkCollectLargeNoHash(b *testing.B) {
	benchCollect(b, binary.Options{NoHash: true, Stamps: []string{"main.version"}})
}

// BenchmarkSHA256Large is Go's sha256 of the same file: the floor.
func BenchmarkSHA256Large(b *testing.B) {
	p := largeBinary(b)
	fi, _ := os.Stat(p)
	b.SetBytes(fi.Size())
	for b.Loop() {
		f, err := os.Open(p)
		if err != nil {
			b.Fatal(err)
		}
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}
