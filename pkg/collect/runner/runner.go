// Package runner describes the machine that builds: OS, distribution, C
// library, Go toolchain and the C compilers a cgo build would use.
package runner

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/gopolicy/gopolicy/pkg/collect/goenv"
	"github.com/gopolicy/gopolicy/pkg/collect/libc"
	"github.com/gopolicy/gopolicy/pkg/collect/rootfs"
	"github.com/gopolicy/gopolicy/pkg/facts"
)

// probeTimeout bounds each compiler probe.
const probeTimeout = 10 * time.Second

// Input is what the runner facts depend on.
type Input struct {
	// Root is the filesystem root to read os-release and libc from.
	Root string
	Env  map[string]string
	// Resolved is the effective Go environment (for CC, CXX, GOOS, GOARCH).
	Resolved *goenv.Resolved
	// Go is the toolchain found by GoTool; zero means look it up.
	Go facts.GoTool
}

// Collect gathers the runner facts. Nothing here is fatal: what cannot be
// found is recorded as not found.
func Collect(ctx context.Context, in Input) *facts.Runner {
	root := in.Root
	if root == "" {
		root = "/"
	}
	r := &facts.Runner{OS: runtime.GOOS, Arch: runtime.GOARCH, Compilers: []facts.Compiler{}}
	r.Distro = ReadOSRelease(root)
	if runtime.GOOS == "linux" {
		r.Libc = libc.Detect(root)
	} else {
		r.Libc = facts.Libc{Flavour: facts.LibcUnknown}
	}
	r.Go = in.Go
	if !r.Go.Found {
		r.Go = GoTool(ctx, in.Env)
	}

	goos, goarch := in.Resolved.Value("GOOS"), in.Resolved.Value("GOARCH")
	candidates := []struct{ role, cmd string }{
		{"CC", in.Resolved.Value("CC")},
		{"CXX", in.Resolved.Value("CXX")},
	}
	if v := in.Env["CC_FOR_"+goos+"_"+goarch]; v != "" {
		candidates = append(candidates, struct{ role, cmd string }{"CC_FOR_TARGET", v})
	}
	candidates = append(candidates, struct{ role, cmd string }{"gcc", "gcc"}, struct{ role, cmd string }{"clang", "clang"})
	probed := map[string]facts.Compiler{}
	for _, c := range candidates {
		if c.cmd == "" {
			continue
		}
		p, ok := probed[c.cmd]
		if !ok {
			p = probe(ctx, c.cmd, in.Env)
			probed[c.cmd] = p
		}
		p.Role = c.role
		r.Compilers = append(r.Compilers, p)
	}
	return r
}

// ReadOSRelease reads etc/os-release (or usr/lib/os-release) under root.
// Links resolve inside root and only a bounded regular file is read (see
// rootfs.ReadOSRelease); a file that cannot be read gives no distribution.
func ReadOSRelease(root string) facts.Distro {
	d, _ := rootfs.ReadOSRelease(context.Background(), root)
	return d
}

// GoTool finds the go command on the PATH of env and its version.
func GoTool(ctx context.Context, env map[string]string) facts.GoTool {
	exe := goenv.LookGo(env)
	if exe == "" {
		return facts.GoTool{}
	}
	t := facts.GoTool{Found: true, Path: exe}
	real, err := filepath.EvalSymlinks(exe)
	if err != nil {
		real = exe
	}
	// The toolchain's VERSION file answers without starting the go command.
	goroot := filepath.Dir(filepath.Dir(real))
	if data, err := os.ReadFile(filepath.Join(goroot, "VERSION")); err == nil {
		if first, _, _ := strings.Cut(string(data), "\n"); strings.HasPrefix(first, "go") {
			t.Version, t.GoRoot = strings.TrimSpace(first), goroot
			return t
		}
	}
	out, err := run(ctx, env, exe, "env", "GOVERSION", "GOROOT")
	if err == nil {
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) == 2 {
			t.Version, t.GoRoot = lines[0], lines[1]
		}
	}
	return t
}

func probe(ctx context.Context, command string, env map[string]string) facts.Compiler {
	c := facts.Compiler{Command: command}
	// CC may carry arguments ("gcc -m32"); the go command runs the first word.
	fields := strings.Fields(command)
	if len(fields) == 0 {
		return c
	}
	path := goenv.LookPath(fields[0], env)
	if path == "" {
		return c
	}
	c.Found, c.Path = true, path
	args := append(fields[1:len(fields):len(fields)], "-dumpmachine")
	if out, err := run(ctx, env, path, args...); err == nil {
		c.Machine = strings.TrimSpace(out)
		c.GOOS, c.GOARCH = TripletToGo(c.Machine)
	}
	if out, err := run(ctx, env, path, "--version"); err == nil {
		c.Version, _, _ = strings.Cut(strings.TrimSpace(out), "\n")
	}
	return c
}

func run(ctx context.Context, env map[string]string, exe string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = make([]string, 0, len(env))
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.Output()
	return string(out), err
}

// TripletToGo maps a compiler target triplet (x86_64-linux-gnu,
// aarch64-linux-musl, x86_64-w64-mingw32) to GOOS and GOARCH.
func TripletToGo(triplet string) (string, string) {
	parts := strings.Split(triplet, "-")
	if len(parts) < 2 {
		return "", ""
	}
	var goarch string
	switch cpu := parts[0]; {
	case cpu == "x86_64" || cpu == "amd64":
		goarch = "amd64"
	case cpu == "aarch64" || cpu == "arm64":
		goarch = "arm64"
	case cpu == "i386" || cpu == "i486" || cpu == "i586" || cpu == "i686":
		goarch = "386"
	case strings.HasPrefix(cpu, "arm"):
		goarch = "arm"
	case cpu == "riscv64" || cpu == "s390x" || cpu == "ppc64le" || cpu == "ppc64" || cpu == "loongarch64":
		goarch = map[string]string{"loongarch64": "loong64"}[cpu]
		if goarch == "" {
			goarch = cpu
		}
	case cpu == "powerpc64le":
		goarch = "ppc64le"
	case cpu == "powerpc64":
		goarch = "ppc64"
	case cpu == "mips64el":
		goarch = "mips64le"
	case cpu == "mipsel":
		goarch = "mipsle"
	case cpu == "mips" || cpu == "mips64":
		goarch = cpu
	}
	rest := strings.Join(parts[1:], "-")
	var goos string
	switch {
	case strings.Contains(rest, "linux-android"):
		goos = "android"
	case strings.Contains(rest, "linux"):
		goos = "linux"
	case strings.Contains(rest, "mingw") || strings.Contains(rest, "windows"):
		goos = "windows"
	case strings.Contains(rest, "darwin") || strings.Contains(rest, "apple"):
		goos = "darwin"
	case strings.Contains(rest, "freebsd"):
		goos = "freebsd"
	case strings.Contains(rest, "netbsd"):
		goos = "netbsd"
	case strings.Contains(rest, "openbsd"):
		goos = "openbsd"
	}
	return goos, goarch
}
