package gocompat

// KnownScenarios is the documented list: scenarios of the go command's
// testscripts (go1.26) where gopolicy cannot tell what the go command will
// do, each with the reason. The comparison test fails on any other
// disagreement, and on an entry whose scenario no longer exists.
var KnownScenarios = map[string]Known{
	"goflags:41":            {CannotTell, "GOFLAGS=-f: -f is a flag of go list (a value flag, given without one), not of go build; whether the command the pipeline runs takes it is not in the facts"},
	"goflags:45":            {CannotTell, "GOFLAGS=-e=asdf: -e is a boolean flag of go list, not of go build; whether the command the pipeline runs takes it is not in the facts"},
	"gotoolchain_local:38":  {CannotTell, "GOTOOLCHAIN=go1.400.0+auto: the go command downloads go1.400.0; whether a toolchain release exists (and can be fetched) is not in the facts"},
	"gotoolchain_net:13":    {CannotTell, "GOTOOLCHAIN=go1.9999x: the go command downloads the pinned toolchain; whether it exists is not in the facts"},
	"mod_sum_ambiguous:3":   {CannotTell, "go 1.15 module: its module graph is not pruned, so which version of example.com/ambiguous/a (and which other modules) the build extracts depends on go.mod files of dependencies; gopolicy records the missing zip hash with need \"unknown\""},
	"mod_tidy_duplicates:6": {CannotTell, "go 1.16 module: its module graph is not pruned, so the go command reads go.mod files of modules go.mod does not list (golang.org/x/text via rsc.io/quote); their hashes are not in the facts"},
}
