# Inputs for the policies' unit tests: a clean baseline that every policy
# passes, which each test changes in one place.
package gopolicy.fixtures

var(value) := {"value": value, "source": "default", "origin": "built-in default", "layers": []}

pvar(value) := {"value": value, "source": "process", "origin": "process environment", "layers": [{"source": "process", "value": value}]}

clean_vars := {
	"GOPROXY": var("https://proxy.golang.org,direct"),
	"GOSUMDB": var("sum.golang.org"),
	"GOPRIVATE": var(""),
	"GONOSUMDB": var(""),
	"GONOPROXY": var(""),
	"GOINSECURE": var(""),
	"GOFLAGS": var(""),
	"GOTOOLCHAIN": var("local"),
	"CGO_ENABLED": var("0"),
	"GOOS": var("linux"),
	"GOARCH": var("amd64"),
	"CC": var("gcc"),
}

clean := {
	"schema": "gopolicy.dev/facts/v1",
	"collectors": {},
	"goenv": {
		"vars": clean_vars,
		"goproxy": [
			{"raw": "https://proxy.golang.org", "kind": "proxy", "url": "https://proxy.golang.org", "scheme": "https", "fallback_on": "not-found", "reachable": true},
			{"raw": "direct", "kind": "direct", "fallback_on": "", "reachable": true},
		],
		"gosumdb": {"raw": "sum.golang.org", "off": false, "name": "sum.golang.org", "has_key": true, "key_valid": true, "known": true, "url": "https://sum.golang.org"},
		"goflags": [],
		"conflicts": [],
		"go_command": {"ran": true, "disagreements": []},
	},
	"runner": {
		"os": "linux", "arch": "amd64",
		"libc": {"flavour": "glibc", "version": "2.36"},
		"go": {"found": true, "version": "go1.26.8"},
		"compilers": [{"role": "CC", "command": "gcc", "found": true, "machine": "x86_64-linux-gnu", "goos": "linux", "goarch": "amd64"}],
	},
	"target": {"specified": false, "libc": {"flavour": "unknown"}, "static": false},
	"gomod": {
		"file": "/src/app/go.mod",
		"module": {"path": "example.com/app", "line": 1},
		"go": {"version": "1.24", "line": 3},
		"require": [
			{"path": "github.com/spf13/cobra", "version": "v1.10.2", "indirect": false, "line": 6},
			{"path": "golang.org/x/mod", "version": "v0.42.0", "indirect": true, "line": 7},
		],
		"replace": [],
	},
	"gosum": {"file": "/src/app/go.sum", "found": true, "entries": [], "malformed": [], "conflicts": [], "missing": []},
	"vendor": {"found": false, "violations": []},
}

# with_env returns the clean input with some Go environment variables set
# in the process environment.
with_env(vars) := object.union(clean, {"goenv": {"vars": object.union(clean_vars, {k: pvar(v) | some k, v in vars})}})

elf_bin := {
	"path": "/dist/api", "size": 1000, "sha256": "00", "format": "elf", "executable": true,
	"go": {
		"is_go": true, "go_version": "go1.26.8", "go_version_base": "go1.26.8", "path": "example.com/api",
		"has_module_info": true, "main": {"path": "example.com/api", "version": "v1.0.0"},
		"deps": [{"path": "github.com/spf13/cobra", "version": "v1.10.2", "sum": "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}],
		"settings": [], "buildmode": "exe", "cgo_enabled": "0", "goos": "linux", "goarch": "amd64", "tags": [],
		"trimpath": true, "ldflags_recorded": false, "x_assignments": [], "vcs": "git", "vcs_revision": "abc", "vcs_modified": "false",
	},
	"elf": {
		"class": "ELFCLASS64", "machine": "EM_X86_64", "goarch": "amd64", "type": "ET_EXEC", "needed": [],
		"glibc_versions": [], "static": true, "pie": false, "relro": "none", "nx": true, "stripped": false,
	},
	"stamps": [],
}

with_binaries(bins) := object.union(clean, {
	"binaries": bins,
	"collectors": {"binaries": {"status": "ok"}},
	"gosum": {"entries": [
		{"module": "github.com/spf13/cobra", "version": "v1.10.2", "go_mod": false, "hash": "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", "line": 1},
	]},
})

# bin returns elf_bin with some fields replaced (deeply).
bin(overrides) := object.union(elf_bin, overrides)

targeting(inp, tgt) := object.union(inp, {"target": object.union({"specified": true, "source": "flag"}, tgt)})

# v04 is the clean input as gopolicy 0.4 writes it: with GOTOOLCHAIN taken
# apart and the module mode the layout gives (readonly: no vendor/, no
# go.work). Policies judge it by the build mode; clean, without those
# facts, is judged as 0.3 judged.
v04 := object.union(clean, {
	"goenv": {"toolchain": {"raw": "local", "mode": "local"}},
	"gowork": {
		"file": "", "found": false, "disabled": false, "godebug": [], "use": [], "replace": [],
		"module_mode": {
			"workspace": false, "default": "readonly", "reason": "no vendor directory",
			"mod_file": "/src/app/go.mod", "go_version": "1.24", "go_version_source": "go.mod",
			"vendor_dir": "/src/app/vendor", "vendor_dir_found": false,
		},
	},
	"vendor": {"dir": "/src/app/vendor", "file": "/src/app/vendor/modules.txt", "found": false, "modules": [], "violations": []},
})

# with_mod_flag sets GOFLAGS=-mod=<value> on v04 (or on inp).
with_mod_flag(v) := mod_flag_on(v04, v)

mod_flag_on(inp, v) := object.union(inp, {"goenv": {
	"vars": {"GOFLAGS": pvar(sprintf("-mod=%s", [v]))},
	"goflags": [{"raw": sprintf("-mod=%s", [v]), "name": "mod", "value": v, "has_value": true}],
	"mod_flag": {"value": v, "index": 0},
}})

# vendored is v04 with a vendor directory the go command builds from.
vendored := object.union(v04, {
	"gowork": {"module_mode": {"default": "vendor", "vendor_dir_found": true, "reason": "Go version in go.mod is at least 1.14 and vendor directory exists."}},
	"vendor": {"found": true, "dir_found": true, "mode_default": true},
})

# in_workspace is v04 inside a workspace of two modules.
in_workspace := object.union(v04, {"gowork": {
	"file": "/src/go.work", "found": true,
	"go": {"version": "1.24", "line": 1},
	"use": [
		{"dir": "./app", "module": "example.com/app", "exists": true, "line": 3, "go_version": "1.24", "requires": 2},
		{"dir": "./lib", "module": "example.com/lib", "exists": true, "line": 4, "go_version": "1.22", "requires": 0},
	],
	"module_mode": {"workspace": true, "default": "readonly", "reason": "no vendor directory", "go_version": "1.24", "go_version_source": "go.work", "vendor_dir": "/src/vendor", "vendor_dir_found": false},
	"sums": {"files": [], "conflicts": []},
}})

# with_toolchain replaces v04's GOTOOLCHAIN (value and parse).
with_toolchain(tc) := object.union(v04, {"goenv": {
	"vars": {"GOTOOLCHAIN": pvar(tc.raw)},
	"toolchain": tc,
}})
