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
