package facts

// Runner describes the machine the collection ran on: the machine that
// builds.
type Runner struct {
	OS     string `json:"os"`
	Arch   string `json:"arch"`
	Distro Distro `json:"distro"`
	Libc   Libc   `json:"libc"`
	Go     GoTool `json:"go"`
	// Compilers lists the C compilers the build could use: the effective
	// CC and CXX, CC_FOR_<goos>_<goarch> when set, and gcc and clang.
	Compilers []Compiler `json:"compilers"`
}

// Distro is read from os-release.
type Distro struct {
	ID         string `json:"id,omitempty"`
	VersionID  string `json:"version_id,omitempty"`
	PrettyName string `json:"pretty_name,omitempty"`
	File       string `json:"file,omitempty"`
}

// Libc flavours.
const (
	LibcGlibc   = "glibc"
	LibcMusl    = "musl"
	LibcNone    = "none"
	LibcUnknown = "unknown"
)

// Libc is the C library of a machine or image.
type Libc struct {
	Flavour string `json:"flavour"`
	Version string `json:"version,omitempty"`
	// Path is the file the flavour and version were read from.
	Path string `json:"path,omitempty"`
}

// GoTool is the go command on PATH.
type GoTool struct {
	Found   bool   `json:"found"`
	Path    string `json:"path,omitempty"`
	Version string `json:"version,omitempty"` // "go1.26.8"
	GoRoot  string `json:"goroot,omitempty"`
}

// Compiler is one C compiler candidate.
type Compiler struct {
	// Role is CC, CXX, CC_FOR_TARGET or a plain discovery name (gcc, clang).
	Role    string `json:"role"`
	Command string `json:"command"`
	Found   bool   `json:"found"`
	Path    string `json:"path,omitempty"`
	Version string `json:"version,omitempty"`
	// Machine is the compiler's target triplet (-dumpmachine).
	Machine string `json:"machine,omitempty"`
	// GOOS and GOARCH are Machine translated; empty when unknown.
	GOOS   string `json:"goos,omitempty"`
	GOARCH string `json:"goarch,omitempty"`
}
