package gosum_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopolicy/gopolicy/pkg/collect/gomod"
	"github.com/gopolicy/gopolicy/pkg/collect/gosum"
)

// hostile writes the two inputs the hostile-input issue measured: a 5 MB
// go.mod with 200 000 requirements, and a 25 MB go.sum of malformed
// lines.
func hostile(b *testing.B) (modDir, sumDir string) {
	b.Helper()
	modDir, sumDir = b.TempDir(), b.TempDir()
	var mod strings.Builder
	mod.WriteString("module example.com/huge\n\ngo 1.22\n\nrequire (\n")
	for i := range 200_000 {
		fmt.Fprintf(&mod, "\tm%06d.example/p v1.0.%d\n", i, i%10)
	}
	mod.WriteString(")\n")
	write(b, filepath.Join(modDir, "go.mod"), mod.String())
	write(b, filepath.Join(sumDir, "go.mod"), "module example.com/app\n\ngo 1.22\n")
	var sum strings.Builder
	for i := 0; sum.Len() < 25<<20; i++ {
		fmt.Fprintf(&sum, "example.com/malformed%07d v1.0.0\n", i)
	}
	write(b, filepath.Join(sumDir, "go.sum"), sum.String())
	return modDir, sumDir
}

func write(b *testing.B, path, content string) {
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkHostileInputs reports time, allocations and the peak live
// heap while collecting each input (go.mod, then go.sum against it).
func BenchmarkHostileInputs(b *testing.B) {
	modDir, sumDir := hostile(b)
	ctx := context.Background()
	b.Run("gomod-200k-requires", func(b *testing.B) {
		b.ReportAllocs()
		peak := measurePeak(b, func() {
			m, problems := gomod.Load(ctx, modDir, "go.mod")
			if m == nil {
				b.Fatal(problems)
			}
			if s, _ := gosum.Collect(ctx, m); len(s.Missing) != 100 || s.MissingMore != 199_900 {
				b.Fatalf("%d missing listed, %d more", len(s.Missing), s.MissingMore)
			}
		})
		b.ReportMetric(float64(peak)/(1<<20), "peak-MB")
	})
	b.Run("gosum-25MB-malformed", func(b *testing.B) {
		b.ReportAllocs()
		m, _ := gomod.Load(ctx, sumDir, "go.mod")
		peak := measurePeak(b, func() {
			s, problems := gosum.Collect(ctx, m)
			if len(s.Malformed) != 100 || len(problems) != 101 {
				b.Fatalf("%d malformed listed, %d problems", len(s.Malformed), len(problems))
			}
		})
		b.ReportMetric(float64(peak)/(1<<20), "peak-MB")
	})
}

// measurePeak runs f b.N times and returns the highest live heap seen
// above the heap before, sampled every millisecond.
func measurePeak(b *testing.B, f func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	base := read()
	var peak uint64
	var mu sync.Mutex
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if v := read(); v > base {
					mu.Lock()
					peak = max(peak, v-base)
					mu.Unlock()
				}
			}
		}
	}()
	b.ResetTimer()
	for range b.N {
		f()
	}
	b.StopTimer()
	close(stop)
	<-done
	mu.Lock()
	defer mu.Unlock()
	return peak
}
