package facts

// GoMod is the main module's go.mod (or vendor.mod).
type GoMod struct {
	File string `json:"file"`
	// Layout is "go.mod" or "vendor.mod" (a module that keeps its
	// requirements in vendor.mod and vendor.sum).
	Layout    string       `json:"layout"`
	Module    ModulePath   `json:"module"`
	Go        *VersionLine `json:"go,omitempty"`
	Toolchain *VersionLine `json:"toolchain,omitempty"`
	Godebug   []Godebug    `json:"godebug"`
	Require   []Require    `json:"require"`
	Replace   []Replace    `json:"replace"`
	Exclude   []ModuleLine `json:"exclude"`
	Retract   []Retract    `json:"retract"`
	Tool      []ToolLine   `json:"tool"`
	// Nested lists other modules found below the main module's directory.
	Nested []NestedModule `json:"nested"`
	// Repository is the root of the repository holding the module, when
	// known: the nearest directory at or above it with a .git entry.
	// Added in 0.4.
	Repository string `json:"repository,omitempty"`
	// RepositoryFrom says how local replacements were placed: ".git"
	// (under Repository or not), or "module-paths" (no .git: a
	// replacement whose module path follows the directory layout from the
	// two modules' common directory is in the same repository). Added in
	// 0.4.
	RepositoryFrom string `json:"repository_from,omitempty"`
}

// ModulePath is the module directive.
type ModulePath struct {
	Path       string `json:"path"`
	Deprecated string `json:"deprecated,omitempty"`
	Line       int    `json:"line"`
}

// VersionLine is a go or toolchain directive.
type VersionLine struct {
	Version string `json:"version"`
	Line    int    `json:"line"`
}

// Godebug is one godebug setting.
type Godebug struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	Line  int    `json:"line"`
}

// Require is one requirement.
type Require struct {
	Path     string `json:"path"`
	Version  string `json:"version"`
	Indirect bool   `json:"indirect"`
	Line     int    `json:"line"`
}

// Replace is one replace directive.
type Replace struct {
	OldPath    string `json:"old_path"`
	OldVersion string `json:"old_version,omitempty"`
	NewPath    string `json:"new_path"`
	NewVersion string `json:"new_version,omitempty"`
	// Local is true when the replacement is a directory on disk.
	Local bool `json:"local"`
	Line  int  `json:"line"`
	// Location says where a local replacement is (added in 0.4):
	// "module" (inside the main module's directory), "repository"
	// (outside it, inside the repository holding the module), "outside"
	// (anywhere else). Missing is true when the directory does not exist
	// (the go command fails then).
	Location string `json:"location,omitempty"`
	Missing  bool   `json:"missing,omitempty"`
	// Module and GoVersion are what the replacement directory's go.mod
	// declares. Added in 0.4.
	Module    string `json:"module,omitempty"`
	GoVersion string `json:"go_version,omitempty"`
}

// ModuleLine is a module path and version at a line.
type ModuleLine struct {
	Path    string `json:"path"`
	Version string `json:"version"`
	Line    int    `json:"line"`
}

// Retract is one retract directive.
type Retract struct {
	Low       string `json:"low"`
	High      string `json:"high"`
	Rationale string `json:"rationale,omitempty"`
	Line      int    `json:"line"`
}

// ToolLine is one tool directive.
type ToolLine struct {
	Path string `json:"path"`
	Line int    `json:"line"`
}

// NestedModule is a go.mod below the main module.
type NestedModule struct {
	File   string `json:"file"`
	Module string `json:"module"`
}

// GoSum is go.sum (or vendor.sum).
type GoSum struct {
	File      string       `json:"file"`
	Found     bool         `json:"found"`
	Lines     int          `json:"lines"`
	Entries   []SumEntry   `json:"entries"`
	Malformed []SumProblem `json:"malformed"`
	// Conflicts lists module versions recorded with more than one hash.
	Conflicts []SumConflict `json:"conflicts"`
	// Missing lists requirements whose hashes go.sum lacks.
	Missing []SumMissing `json:"missing"`
	// MalformedMore counts the malformed lines beyond those Malformed
	// lists (the first safeio Limits.Problems). Added in 0.4.
	MalformedMore int `json:"malformed_more,omitempty"`
	// MissingMore counts the missing hashes the go command needs (need
	// graph, build or test) beyond those Missing lists: at most safeio
	// Limits.Problems are listed, needed ones first. Added in 0.4.
	MissingMore int `json:"missing_more,omitempty"`
}

// SumEntry is one go.sum line.
type SumEntry struct {
	Module  string `json:"module"`
	Version string `json:"version"`
	// GoMod is true for "/go.mod" lines, which hash only the go.mod file.
	GoMod bool   `json:"go_mod"`
	Hash  string `json:"hash"`
	Line  int    `json:"line"`
	// File names the sum file when hashes from several files are
	// compared (a workspace's conflicts). Added in 0.4.
	File string `json:"file,omitempty"`
}

// SumProblem is a malformed go.sum line.
type SumProblem struct {
	Line   int    `json:"line"`
	Text   string `json:"text"`
	Reason string `json:"reason"`
}

// SumConflict is one module version with several hashes.
type SumConflict struct {
	Module  string     `json:"module"`
	Version string     `json:"version"`
	GoMod   bool       `json:"go_mod"`
	Hashes  []SumEntry `json:"hashes"`
}

// SumMissing is a required module version lacking a go.sum line.
type SumMissing struct {
	Module  string `json:"module"`
	Version string `json:"version"`
	// Kind is "h1" (the module zip) or "go.mod".
	Kind string `json:"kind"`
	// RequireLine is the go.mod line that requires the module (or the
	// replace line that names the replacement).
	RequireLine int `json:"require_line"`
	// Need says whether the go command needs the hash (added in 0.4):
	// "graph" (a requirement's go.mod hash: loading the module graph
	// reads it), "build" (the zip of a module a package of the main
	// module imports on every platform), "test" (the same, imported by
	// tests only), "unknown" (a zip only the package graph beyond the
	// main module's files can tell about). Absent in older documents.
	Need string `json:"need,omitempty"`
	// ImportedBy is "file:line imports path": where the main module
	// imports a package the module may provide (Need build or test).
	ImportedBy string `json:"imported_by,omitempty"`
}

// Vendor is vendor/modules.txt and its consistency with go.mod.
type Vendor struct {
	Dir   string `json:"dir"`
	File  string `json:"file"`
	Found bool   `json:"found"`
	// ModeDefault is true when the go command builds from vendor/ unless
	// told otherwise with -mod (vendor/ exists and go.mod says go >= 1.14).
	ModeDefault bool           `json:"mode_default"`
	Modules     []VendorModule `json:"modules"`
	// Violations are the go command's own consistency rules, broken.
	Violations []VendorViolation `json:"violations"`
	// DirFound is true when the vendor directory exists (Found says
	// whether modules.txt does). Added in 0.4.
	DirFound bool `json:"dir_found,omitempty"`
	// Workspace is true when modules.txt was written by go work vendor
	// (its first line is "## workspace"): the go command uses it only in
	// workspace mode. Added in 0.4.
	Workspace bool `json:"workspace,omitempty"`
	// Ignored lists lines of modules.txt the go command skips (the first
	// safeio Limits.Problems); IgnoredMore counts the rest. Added in 0.4.
	Ignored     []VendorIgnored `json:"ignored,omitempty"`
	IgnoredMore int             `json:"ignored_more,omitempty"`
}

// VendorIgnored is a line of modules.txt the go command ignores.
type VendorIgnored struct {
	Line   int    `json:"line"`
	Text   string `json:"text"`
	Reason string `json:"reason"`
}

// VendorModule is one "# path version" block of modules.txt.
type VendorModule struct {
	Path       string `json:"path"`
	Version    string `json:"version,omitempty"`
	Explicit   bool   `json:"explicit"`
	GoVersion  string `json:"go_version,omitempty"`
	NewPath    string `json:"new_path,omitempty"`
	NewVersion string `json:"new_version,omitempty"`
	Packages   int    `json:"packages"`
	Line       int    `json:"line"`
}

// Vendor consistency rules, named after what the go command checks.
const (
	VendorRequiredNotExplicit = "required-not-explicit"
	VendorVersionMismatch     = "version-mismatch"
	VendorReplaceNotRecorded  = "replace-not-recorded"
	VendorReplaceMismatch     = "replace-mismatch"
	VendorExplicitNotRequired = "explicit-not-required"
	VendorReplacedNotInGoMod  = "replaced-not-in-go-mod"
	VendorGoVersionTooNew     = "go-version-too-new"
)

// VendorViolation is one broken rule.
type VendorViolation struct {
	Rule    string `json:"rule"`
	Module  string `json:"module"`
	Message string `json:"message"`
	// File and Line point at the line to change (modules.txt or go.mod).
	File string `json:"file"`
	Line int    `json:"line"`
}

// GoWork is the workspace file in effect, if any.
type GoWork struct {
	File      string       `json:"file"`
	Found     bool         `json:"found"`
	Disabled  bool         `json:"disabled"` // GOWORK=off
	Go        *VersionLine `json:"go,omitempty"`
	Toolchain *VersionLine `json:"toolchain,omitempty"`
	Godebug   []Godebug    `json:"godebug"`
	Use       []WorkUse    `json:"use"`
	Replace   []Replace    `json:"replace"`
	// ModuleMode is how the go command loads modules from the collected
	// directory when GOFLAGS gives no -mod. Added in 0.4.
	ModuleMode *ModuleMode `json:"module_mode,omitempty"`
	// Sums are the workspace's go.work.sum and its modules' go.sum files,
	// which the go command checks together. Added in 0.4.
	Sums *WorkSums `json:"sums,omitempty"`
	// Vendor is the workspace's vendor/modules.txt (go work vendor),
	// checked against every module of the workspace and go.work, when the
	// workspace root has a vendor directory. Added in 0.4.
	Vendor *Vendor `json:"vendor,omitempty"`
}

// WorkUse is one use directive.
type WorkUse struct {
	Dir    string `json:"dir"`
	Module string `json:"module,omitempty"`
	Exists bool   `json:"exists"`
	Line   int    `json:"line"`
	// GoVersion is the module's go line ("" when it has none), Requires
	// how many requirements it lists. Added in 0.4.
	GoVersion string `json:"go_version,omitempty"`
	Requires  int    `json:"requires,omitempty"`
}

// ModuleMode is modload's choice of mode without -mod
// (setDefaultBuildMod): a workspace when a go.work is in force, else the
// module found from the directory; vendor mode when the vendor directory
// (the workspace root's in a workspace) exists, the go version (go.work's
// in a workspace) is 1.14 or later, and modules.txt was written for the
// same mode (a "## workspace" first line for a workspace, none for a
// module); readonly otherwise.
type ModuleMode struct {
	Workspace bool `json:"workspace"`
	// Default is "vendor" or "readonly"; "" when there is no module.
	Default string `json:"default"`
	// Reason explains the choice, as the go command words it.
	Reason string `json:"reason"`
	// ModFile is the main module's go.mod ("" outside a module).
	ModFile string `json:"mod_file,omitempty"`
	// GoVersion and GoVersionSource ("go.mod" or "go.work") are the go
	// line that decided.
	GoVersion       string `json:"go_version,omitempty"`
	GoVersionSource string `json:"go_version_source,omitempty"`
	// VendorDir is the vendor directory the mode uses.
	VendorDir      string `json:"vendor_dir,omitempty"`
	VendorDirFound bool   `json:"vendor_dir_found"`
}

// WorkSums are a workspace's sum files.
type WorkSums struct {
	Files []SumFileInfo `json:"files"`
	// Conflicts are module versions with different h1: hashes in the
	// files (each hash names its file): the go command reports a
	// checksum mismatch, a SECURITY ERROR, when it verifies one.
	Conflicts []SumConflict `json:"conflicts"`
}

// SumFileInfo is one sum file of a workspace.
type SumFileInfo struct {
	File  string `json:"file"`
	Found bool   `json:"found"`
	Lines int    `json:"lines"`
	// Malformed counts lines with a wrong number of fields (each is a
	// problem of the gowork collector too).
	Malformed int `json:"malformed"`
}

// Target is where the artefact is meant to run.
type Target struct {
	// Specified is false when nothing named a target; policies then compare
	// against the runner.
	Specified bool   `json:"specified"`
	OS        string `json:"os,omitempty"`
	Arch      string `json:"arch,omitempty"`
	Libc      Libc   `json:"libc"`
	Static    bool   `json:"static"`
	// Source says what named the target: "flag", "config" or "rootfs".
	Source string `json:"source,omitempty"`
}
