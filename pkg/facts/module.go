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
}

// SumEntry is one go.sum line.
type SumEntry struct {
	Module  string `json:"module"`
	Version string `json:"version"`
	// GoMod is true for "/go.mod" lines, which hash only the go.mod file.
	GoMod bool   `json:"go_mod"`
	Hash  string `json:"hash"`
	Line  int    `json:"line"`
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
}

// WorkUse is one use directive.
type WorkUse struct {
	Dir    string `json:"dir"`
	Module string `json:"module,omitempty"`
	Exists bool   `json:"exists"`
	Line   int    `json:"line"`
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
