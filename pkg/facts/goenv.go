package facts

// Layers of the Go environment, highest precedence first. An empty process
// variable does not count as set: the go command falls through to the files.
const (
	SourceProcess = "process" // the process environment
	SourceGoEnv   = "goenv"   // the user's GOENV file (go env -w)
	SourceGoRoot  = "goroot"  // $GOROOT/go.env
	SourceDefault = "default" // the go command's built-in default
	SourceUnset   = "unset"   // no layer sets it and there is no default
)

// GoEnv is the effective Go environment and where each value came from.
type GoEnv struct {
	// Vars holds every variable that matters, set or not.
	Vars map[string]EnvVar `json:"vars"`
	// GOENVFile is the user configuration file the go command reads;
	// empty when GOENV=off.
	GOENVFile      string `json:"goenv_file"`
	GOENVFileFound bool   `json:"goenv_file_found"`
	// GoRootEnvFile is $GOROOT/go.env; empty when GOROOT is unknown.
	GoRootEnvFile      string `json:"goroot_env_file"`
	GoRootEnvFileFound bool   `json:"goroot_env_file_found"`

	GoProxy []ProxyEntry `json:"goproxy"`
	GoSumDB SumDB        `json:"gosumdb"`
	GoFlags []GoFlag     `json:"goflags"`
	// Conflicts lists variables whose file value is shadowed by the process
	// environment, or whose empty process value is ignored.
	Conflicts []EnvConflict `json:"conflicts"`
	// GoCommand is what `go env -json` said, when a go command was found.
	GoCommand GoCommandEnv `json:"go_command"`

	// GOENVFileError says why the go command reads no user configuration
	// file although GOENV is not off (os.UserConfigDir failed: a relative
	// $XDG_CONFIG_HOME, no $HOME). Added in 0.4.
	GOENVFileError string `json:"goenv_file_error,omitempty"`
	// ModFlag is the -mod setting GOFLAGS gives every go command that
	// takes -mod: the last -mod in GOFLAGS wins, as with repeated flags
	// on the command line. Absent when GOFLAGS has no -mod. Added in 0.4.
	ModFlag *ModFlag `json:"mod_flag,omitempty"`
	// Toolchain is GOTOOLCHAIN as the go command reads it
	// (cmd/go/internal/toolchain.Select). Added in 0.4.
	Toolchain *Toolchain `json:"toolchain,omitempty"`
}

// ModFlag is the effective -mod of GOFLAGS.
type ModFlag struct {
	// Value is "mod", "readonly" or "vendor"; anything else is refused
	// by the go command (the GOFLAGS entry has an error then).
	Value string `json:"value"`
	// Index is the GOFLAGS entry (in goflags) that sets it.
	Index int `json:"index"`
}

// Toolchain modes: which toolchain the go command runs.
const (
	// ToolchainLocal: the installed go command, whatever go.mod says
	// (a newer go line is an error, a toolchain line is ignored).
	ToolchainLocal = "local"
	// ToolchainPinned: exactly the named toolchain (found on PATH or
	// downloaded); go.mod cannot change it.
	ToolchainPinned = "pinned"
	// ToolchainAuto: the named minimum (or the local one), raised to
	// what go.mod's go and toolchain lines ask for, downloading it.
	ToolchainAuto = "auto"
	// ToolchainPath: like auto, but only toolchains on PATH.
	ToolchainPath = "path"
)

// Toolchain is GOTOOLCHAIN taken apart.
type Toolchain struct {
	Raw string `json:"raw"`
	// Mode is local, pinned, auto or path.
	Mode string `json:"mode"`
	// Name is the minimum toolchain named ("go1.22.3",
	// "go1.99.1-bigcorp"); empty for the local one.
	Name string `json:"name,omitempty"`
	// Version is Name's Go version ("1.22.3"), custom suffixes removed.
	Version string `json:"version,omitempty"`
	// Error is why the go command refuses the value; it then runs no
	// command at all.
	Error string `json:"error,omitempty"`
	// OnPath is the executable called Name on PATH, which the go command
	// runs instead of downloading the toolchain.
	OnPath string `json:"on_path,omitempty"`
}

// EnvVar is one variable's effective value.
type EnvVar struct {
	Value  string `json:"value"`
	Source string `json:"source"`
	// File is the file that supplied the value, for file layers.
	File string `json:"file,omitempty"`
	// Line is the line in File.
	Line int `json:"line,omitempty"`
	// DefaultFrom names the variable a default was copied from
	// (GONOPROXY and GONOSUMDB default to GOPRIVATE).
	DefaultFrom string `json:"default_from,omitempty"`
	// Origin explains, in words, where the value came from and what it
	// overrides; findings quote it.
	Origin string `json:"origin"`
	// Layers lists every layer that mentions the variable, highest
	// precedence first, including an empty process value.
	Layers []EnvLayer `json:"layers"`
}

// EnvLayer is one layer's value for a variable.
type EnvLayer struct {
	Source string `json:"source"`
	Value  string `json:"value"`
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
}

// Conflict kinds.
const (
	ConflictShadowed     = "shadowed"      // process value hides a different file value
	ConflictEmptyIgnored = "empty-ignored" // empty process value does not unset the file value
)

// EnvConflict is a variable whose layers disagree in a way users misread.
type EnvConflict struct {
	Var      string   `json:"var"`
	Kind     string   `json:"kind"`
	Winner   EnvLayer `json:"winner"`
	Shadowed EnvLayer `json:"shadowed"`
}

// ProxyEntry is one element of GOPROXY.
type ProxyEntry struct {
	Raw string `json:"raw"`
	// Kind is "proxy", "direct" or "off".
	Kind   string `json:"kind"`
	URL    string `json:"url,omitempty"`
	Scheme string `json:"scheme,omitempty"`
	// FallbackOn says when the go command moves on to the next entry:
	// "not-found" after ',' (404 and 410 only), "any-error" after '|',
	// "" for the last entry or one that ends the list.
	FallbackOn string `json:"fallback_on"`
	// Reachable is false for entries after "direct" or "off", which the go
	// command never consults.
	Reachable bool `json:"reachable"`
}

// SumDB is GOSUMDB taken apart.
type SumDB struct {
	Raw string `json:"raw"`
	Off bool   `json:"off"`
	// Name is the database name (the part before the first '+').
	Name string `json:"name,omitempty"`
	// Key is the verifier key when one is given.
	Key      string `json:"key,omitempty"`
	HasKey   bool   `json:"has_key"`
	KeyValid bool   `json:"key_valid"`
	KeyError string `json:"key_error,omitempty"`
	// Known is true for the databases the go command has built-in keys for.
	Known bool   `json:"known"`
	URL   string `json:"url,omitempty"`
	Error string `json:"error,omitempty"`
}

// GoFlag is one token of GOFLAGS.
type GoFlag struct {
	Raw      string `json:"raw"`
	Name     string `json:"name"`
	Value    string `json:"value,omitempty"`
	HasValue bool   `json:"has_value"`
	// Error is set when the go command refuses the token: GOFLAGS that
	// cannot be split, a word that is not a flag (-, --, ---x, -=x), a
	// flag no go command has (base.InitGOFLAGS: every command fails
	// then), or a value the flag cannot take (-mod=bogus, -C).
	Error string `json:"error,omitempty"`
}

// GoCommandEnv records `go env -json` and how it compares.
type GoCommandEnv struct {
	Ran   bool   `json:"ran"`
	Path  string `json:"path,omitempty"`
	Error string `json:"error,omitempty"`
	// Values is the subset of go env -json for the variables in Vars.
	Values map[string]string `json:"values,omitempty"`
	// Disagreements lists variables where go env -json differs from the
	// value gopolicy computed.
	Disagreements []EnvDisagreement `json:"disagreements"`
}

// EnvDisagreement is one variable where two readings differ.
type EnvDisagreement struct {
	Var       string `json:"var"`
	Computed  string `json:"computed"`
	GoCommand string `json:"go_command"`
}
