# Helpers shared by the built-in policies: evidence builders that point
# into the facts document, and Go-specific comparisons.
package gopolicy.lib

# env_evidence is the evidence for one Go environment variable: its
# effective value and the words that explain which layer set it.
# A variable missing from the facts still yields evidence (value null):
# an undefined evidence value would silently drop the whole violation.
env_evidence(name) := {
	"fact": sprintf("/goenv/vars/%s/value", [name]),
	"value": object.get(input.goenv.vars, [name, "value"], null),
	"source": object.get(input.goenv.vars, [name, "origin"], "not in the facts"),
}

# file_evidence points at a fact read from a file line.
file_evidence(pointer, value, file, line) := {
	"fact": pointer,
	"value": value,
	"source": sprintf("%s:%d", [file, line]),
	"file": file,
	"line": line,
}

# goflag is the set of GOFLAGS tokens named name (without dashes).
goflag(name) := {f |
	some f in input.goenv.goflags
	f.name == name
}

# patterns splits a GOPRIVATE-style list (comma-separated globs).
patterns(list) := [p |
	some raw in split(list, ",")
	p := trim_suffix(trim_space(raw), "/")
	p != ""
]

# prefix_match mirrors golang.org/x/mod/module.MatchPrefixPatterns for one
# pattern: the pattern's path elements glob-match a prefix of the module
# path's elements. A pattern without glob characters is a plain path
# prefix, checked without splitting: policies call this for every
# requirement of a module, so it must stay cheap.
prefix_match(pattern, path) := literal_prefix_match(pattern, path) if {
	not regex.match(`[*?[\\]`, pattern)
} else := glob_prefix_match(pattern, path)

# literal_prefix is the part of a pattern before its first glob character:
# every path the pattern matches starts with it, so callers looping over
# many paths test startswith(path, literal_prefix(pattern)) first, once
# per pattern, and call prefix_match only for the candidates.
literal_prefix(pattern) := regex.replace(pattern, `[*?[\\].*$`, "")

literal_prefix_match(pattern, path) if path == pattern

literal_prefix_match(pattern, path) if startswith(path, concat("", [pattern, "/"]))

default literal_prefix_match(_, _) := false

glob_prefix_match(pattern, path) if {
	pe := split(pattern, "/")
	me := split(path, "/")
	count(pe) <= count(me)
	every i, p in pe {
		# Elements never contain "/"; an empty delimiter list would mean "."
		# to glob.match and stop "*" from matching "github.com".
		glob.match(p, ["/"], me[i])
	}
}

# is_public reports a module path under one of the public hosting prefixes
# and not under an organisation's declared private prefixes.
is_public(path) if {
	some pre in data.gopolicy.config.public_module_prefixes
	prefix_match(pre, path)
	not is_declared_private(path)
}

is_declared_private(path) if {
	some pre in data.gopolicy.config.private_module_prefixes
	prefix_match(pre, path)
}

# go_version turns "1.21", "1.21rc1", "1.21.3", "go1.21.3" or a toolchain
# name with a custom suffix ("go1.21.3-bigcorp", "go1.26.8 X:nofips") into
# an array that compares like the go command's gover.Compare:
# 1.21 < 1.21rc1 < 1.21.0 < 1.21.1; before Go 1.21 a version without a
# patch is the .0 release (1.20 = 1.20.0), and "1" is 1.0.0.
go_version(v) := [major, minor, kind, n] if {
	s := regex.replace(trim_prefix(v, "go"), `[ \t-].*$`, "")
	parts := regex.find_all_string_submatch_n(`^(\d+)(?:\.(\d+)(?:\.(\d+)|(rc|beta|alpha)(\d+))?)?$`, s, 1)[0]
	major := to_number(parts[1])
	minor := _minor(parts[2])
	[kind, n] := release_kind(parts, major, minor)
}

_minor("") := 0

_minor(m) := to_number(m) if m != ""

release_kind(parts, _, _) := [4, to_number(parts[3])] if parts[3] != ""

release_kind(parts, _, _) := [k, to_number(parts[5])] if {
	parts[4] != ""
	k := {"alpha": 1, "beta": 2, "rc": 3}[parts[4]]
}

# A language version: from Go 1.21 on it precedes the release candidates;
# before, it is the .0 release.
release_kind(parts, major, minor) := [0, 0] if {
	parts[3] == ""
	parts[4] == ""
	[major, minor] >= [1, 21]
}

release_kind(parts, major, minor) := [4, 0] if {
	parts[3] == ""
	parts[4] == ""
	[major, minor] < [1, 21]
}

# go_newer is true when Go version a is newer than b.
go_newer(a, b) if go_version(a) > go_version(b)

# target_os and target_arch: the target when one was named, else the
# runner's own platform.
target_os := input.target.os if {
	input.target.specified
	input.target.os
} else := input.runner.os

target_arch := input.target.arch if {
	input.target.specified
	input.target.arch
} else := input.runner.arch

target_label := "the target" if {
	input.target.specified
	input.target.os
} else := "the runner"

# dotted turns "2.34" or "2.3.2" into numbers that compare like versions
# (a string compare puts 2.3.2 after 2.34).
dotted(v) := [to_number(p) | some p in split(v, ".")]

# binary_goos is the operating system an executable format runs on.
format_os := {"elf": "linux", "pe": "windows", "macho": "darwin"}

format_name := {"elf": "an ELF executable", "pe": "a Windows PE executable", "macho": "a Mach-O executable"}

# binary_arch is the GOARCH the file's headers say it is for.
binary_arch(b) := b.elf.goarch if b.elf.goarch

else := b.pe.goarch if b.pe.goarch

else := b.macho.goarch if b.macho.goarch

# libc_of names the C library a dynamically linked ELF binary's
# interpreter belongs to.
libc_of(b) := "musl" if contains(b.elf.interpreter, "ld-musl")

else := "glibc" if regex.match("ld-linux|ld64\\.so|ld\\.so", b.elf.interpreter)

binary_evidence(i, field, value) := {"fact": sprintf("/binaries/%d/%s", [i, field]), "value": value, "source": input.binaries[i].path, "file": input.binaries[i].path}

# build_mode is how the go command loads modules (modload's
# setDefaultBuildMod): the last -mod in GOFLAGS when one is given (in a
# workspace only readonly or vendor are allowed), otherwise vendor when
# the layout says so (goenv.mod_flag and gowork.module_mode record the
# parts). It is undefined for documents written before gopolicy 0.4,
# which lack those facts: policies then judge as 0.3 did.
#
#   mode: "readonly", "mod", "vendor", "none" (no module), "unknown"
#         (an empty -mod= after another: the go command's state is
#         undocumented), or "refused" (the go command does not run).
#   workspace: a go.work is in force.
#   explicit: -mod came from GOFLAGS.
#   reason: in words, for findings.
build_mode := _mode_from(input.gowork.module_mode, object.get(input.goenv, "mod_flag", null))

_mode_from(mm, null) := {"mode": m, "workspace": mm.workspace, "explicit": false, "reason": mm.reason} if {
	m := _default_mode(mm.default)
}

_mode_from(mm, f) := {"mode": m, "workspace": mm.workspace, "explicit": true, "reason": reason} if {
	f != null
	[m, reason] := _explicit_mode(mm, f.value)
}

_default_mode("") := "none"

_default_mode(d) := d if d != ""

_explicit_mode(mm, v) := ["refused", sprintf("-mod may only be set to readonly or vendor when in workspace mode, but GOFLAGS sets it to %q", [v])] if {
	mm.workspace
	v == "mod"
}

_explicit_mode(mm, v) := [v, sprintf("GOFLAGS sets -mod=%s", [v])] if {
	v in {"readonly", "vendor"}
} else := [v, sprintf("GOFLAGS sets -mod=%s", [v])] if {
	v == "mod"
	not mm.workspace
}

_explicit_mode(_, "") := ["unknown", "GOFLAGS ends with an empty -mod= after another -mod: the go command's mode is undocumented"]

_explicit_mode(_, v) := ["refused", sprintf("-mod=%s is not a mode the go command supports", [v])] if {
	not v in {"", "mod", "readonly", "vendor"}
}

# build_mode_evidence explains the build mode in a finding.
build_mode_evidence := {
	"fact": "/gowork/module_mode",
	"value": build_mode.mode,
	"source": build_mode.reason,
}
