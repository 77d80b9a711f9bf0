package facts

// Binary formats.
const (
	FormatELF     = "elf"
	FormatPE      = "pe"
	FormatMachO   = "macho"
	FormatUnknown = "unknown"
)

// File kinds: what a file given with --binary is, decided from its mode
// and first bytes before any parsing (see docs/security.md).
const (
	// KindExecutable starts with an ELF, PE or Mach-O magic number,
	// whatever its mode.
	KindExecutable = "executable"
	// KindScript has an execute bit and starts with "#!": the kernel runs
	// it through the interpreter it names.
	KindScript = "script"
	// KindOtherExecutable has an execute bit and binary content in a
	// format gopolicy does not read (WebAssembly, a.out, a damaged magic).
	KindOtherExecutable = "other-executable"
	// KindNotExecutable is any other regular file (README, checksums,
	// archives, text with an execute bit but no #! line).
	KindNotExecutable = "not-executable"
	// KindSpecial is not a regular file: a named pipe, socket or device.
	// It is never opened for reading.
	KindSpecial = "special"
)

// Binary is one file given with --binary.
type Binary struct {
	Path string `json:"path"`
	Size int64  `json:"size"`
	// SHA256 is the hex digest of the whole file; empty with --no-hash.
	SHA256 string `json:"sha256,omitempty"`
	// Format is elf, pe, macho or unknown (not an executable format).
	Format string `json:"format"`
	// Executable reports the file mode's execute bits.
	Executable bool `json:"executable"`
	// Kind is what the file is (KindExecutable, KindScript,
	// KindOtherExecutable, KindNotExecutable, KindSpecial); absent in
	// documents written before it was recorded.
	Kind string `json:"kind,omitempty"`
	// FileType says what a path that is not a regular file is ("a named
	// pipe (FIFO)", "a character device"); such a file is not read.
	FileType string `json:"file_type,omitempty"`
	// Error says why the file could not be read or parsed; the other
	// sections are then partial or absent.
	Error string     `json:"error,omitempty"`
	Go    *GoBuild   `json:"go,omitempty"`
	ELF   *ELFInfo   `json:"elf,omitempty"`
	PE    *PEInfo    `json:"pe,omitempty"`
	MachO *MachOInfo `json:"macho,omitempty"`
	// Stamps are -X targets and configured stamp variables, read back
	// from the binary's data.
	Stamps []Stamp `json:"stamps,omitempty"`
	// Libraries are DT_NEEDED entries resolved inside --rootfs.
	Libraries *LibraryResolution `json:"libraries,omitempty"`
}

// GoBuild is the Go build information embedded in the binary.
type GoBuild struct {
	// IsGo is false for binaries without Go build information.
	IsGo bool `json:"is_go"`
	// GoVersion is the raw toolchain string ("go1.22.3 X:boringcrypto");
	// GoVersionBase is its release part ("go1.22.3").
	GoVersion     string `json:"go_version,omitempty"`
	GoVersionBase string `json:"go_version_base,omitempty"`
	Path          string `json:"path,omitempty"`
	// HasModuleInfo is false for GOPATH-mode builds and binaries whose
	// module information was removed: their dependencies are unknown, not
	// absent.
	HasModuleInfo bool        `json:"has_module_info"`
	Main          *ModuleRef  `json:"main,omitempty"`
	Deps          []ModuleRef `json:"deps"`
	// Settings is every build setting as recorded, in order.
	Settings []BuildSetting `json:"settings"`

	BuildMode  string `json:"buildmode,omitempty"`
	Compiler   string `json:"compiler,omitempty"`
	CGOEnabled string `json:"cgo_enabled,omitempty"`
	GOOS       string `json:"goos,omitempty"`
	GOARCH     string `json:"goarch,omitempty"`
	// ArchLevel is GOAMD64, GOARM, GOARM64… for the binary's GOARCH.
	ArchLevel map[string]string `json:"arch_level,omitempty"`
	Tags      []string          `json:"tags"`
	Trimpath  bool              `json:"trimpath"`
	LDFlags   string            `json:"ldflags,omitempty"`
	// LDFlagsRecorded is false when build info has no -ldflags entry:
	// with -trimpath the go command leaves it out, so absence says nothing.
	LDFlagsRecorded bool              `json:"ldflags_recorded"`
	XAssignments    []XAssignment     `json:"x_assignments"`
	StripSymbols    bool              `json:"strip_symbols"` // -s
	StripDWARF      bool              `json:"strip_dwarf"`   // -w or -s
	GCFlags         string            `json:"gcflags,omitempty"`
	GOEXPERIMENT    string            `json:"goexperiment,omitempty"`
	DefaultGODEBUG  map[string]string `json:"default_godebug,omitempty"`
	VCS             string            `json:"vcs,omitempty"`
	VCSRevision     string            `json:"vcs_revision,omitempty"`
	VCSTime         string            `json:"vcs_time,omitempty"`
	// VCSModified is "true", "false" or "" when not recorded.
	VCSModified string `json:"vcs_modified,omitempty"`
	Error       string `json:"error,omitempty"`
}

// ModuleRef is a module in build info.
type ModuleRef struct {
	Path    string     `json:"path"`
	Version string     `json:"version,omitempty"`
	Sum     string     `json:"sum,omitempty"`
	Replace *ModuleRef `json:"replace,omitempty"`
}

// BuildSetting is one key=value of build info.
type BuildSetting struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// XAssignment is one -X symbol=value in -ldflags. A value that looks like
// a credential is replaced by the Redact marker at collection.
type XAssignment struct {
	Symbol string `json:"symbol"`
	Value  string `json:"value"`
	// Hint is what findings may show of a redacted value: the first
	// characters a credential pattern fixes (a token type such as "ghp",
	// "AKI", "xox", or a URL scheme), never part of the secret itself.
	Hint string `json:"hint,omitempty"`
}

// Stamp statuses.
const (
	StampSet          = "set"          // the variable exists and holds Value
	StampEmpty        = "empty"        // the variable exists and is ""
	StampMissing      = "missing"      // no such symbol: misspelt path or a constant
	StampNotString    = "not-string"   // the symbol is not a string variable
	StampUnverifiable = "unverifiable" // no symbol table (stripped): cannot tell
)

// Stamp is a string variable read back from the binary.
type Stamp struct {
	Symbol string `json:"symbol"`
	// Expected is the -X value, when the variable was stamped with -X.
	Expected string `json:"expected,omitempty"`
	FromX    bool   `json:"from_x"`
	Status   string `json:"status"`
	Value    string `json:"value,omitempty"`
	Detail   string `json:"detail,omitempty"`
}

// ELFInfo is read from the ELF headers and small sections.
type ELFInfo struct {
	Class   string `json:"class"`
	Machine string `json:"machine"`
	// GOARCH is Machine translated; empty when Go has no such port.
	GOARCH      string   `json:"goarch,omitempty"`
	Type        string   `json:"type"`
	Interpreter string   `json:"interpreter,omitempty"`
	Needed      []string `json:"needed"`
	RPath       []string `json:"rpath,omitempty"`
	RunPath     []string `json:"runpath,omitempty"`
	// GlibcMax is the newest GLIBC_x.y version any symbol needs.
	GlibcMax string `json:"glibc_max,omitempty"`
	// GlibcMaxSymbols are the symbols that need GlibcMax.
	GlibcMaxSymbols []string         `json:"glibc_max_symbols,omitempty"`
	GlibcVersions   []VersionSymbols `json:"glibc_versions"`
	// Static: no interpreter and no DT_NEEDED.
	Static     bool   `json:"static"`
	PIE        bool   `json:"pie"`
	RELRO      string `json:"relro"` // none, partial, full
	NX         bool   `json:"nx"`
	Stripped   bool   `json:"stripped"`
	GNUBuildID string `json:"gnu_build_id,omitempty"`
	GoBuildID  string `json:"go_build_id,omitempty"`
	// SectionTableError says why the section table could not be used (it
	// is corrupt, lies past the end of the file, or was removed): the
	// other fields then come from the program headers alone, as the
	// loader sees the file (PT_INTERP, PT_DYNAMIC with DT_NEEDED, DT_RPATH,
	// DT_RUNPATH and version needs). Stripped, the build IDs and the
	// symbols behind each GLIBC version are then unknown.
	SectionTableError string `json:"section_table_error,omitempty"`
}

// VersionSymbols is one required symbol version and its symbols.
type VersionSymbols struct {
	Version string   `json:"version"`
	Symbols []string `json:"symbols"`
}

// PEInfo is read from PE headers and the import table.
type PEInfo struct {
	Machine       string   `json:"machine"`
	GOARCH        string   `json:"goarch,omitempty"`
	Subsystem     string   `json:"subsystem"`
	DLLs          []string `json:"dlls"`
	ASLR          bool     `json:"aslr"`
	HighEntropyVA bool     `json:"high_entropy_va"`
	NX            bool     `json:"nx"`
	Stripped      bool     `json:"stripped"`
}

// MachOInfo is read from Mach-O load commands.
type MachOInfo struct {
	CPU        string   `json:"cpu"`
	GOARCH     string   `json:"goarch,omitempty"`
	PIE        bool     `json:"pie"`
	Dylibs     []string `json:"dylibs"`
	CodeSigned bool     `json:"code_signed"`
	Stripped   bool     `json:"stripped"`
}

// LibraryResolution is how the binary's libraries resolve in a rootfs.
type LibraryResolution struct {
	// Interpreter is the PT_INTERP path resolved inside the rootfs.
	Interpreter      string            `json:"interpreter,omitempty"`
	InterpreterFound bool              `json:"interpreter_found"`
	Resolved         map[string]string `json:"resolved"`
	Missing          []string          `json:"missing"`
}

// Rootfs is an unpacked image or sysroot given with --rootfs.
type Rootfs struct {
	Dir    string `json:"dir"`
	Distro Distro `json:"distro"`
	Libc   Libc   `json:"libc"`
	// Arch is the GOARCH of the image's own libc or shell.
	Arch string `json:"arch,omitempty"`
	// CABundle is the first CA certificate file found where Go's
	// crypto/x509 looks on Linux; empty when there is none.
	CABundle      string   `json:"ca_bundle,omitempty"`
	CABundleFound bool     `json:"ca_bundle_found"`
	LibraryDirs   []string `json:"library_dirs"`
}
