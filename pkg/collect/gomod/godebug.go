package gomod

import (
	"fmt"
	"strings"

	"golang.org/x/mod/modfile"

	"github.com/gopolicy/gopolicy/pkg/facts"
)

// godebugNames are go1.26's GODEBUG settings (internal/godebugs.All); a
// godebug line in go.mod or go.work naming another is refused by the go
// command (modload.CheckGodebug). TestGodebugTable checks the list
// against $GOROOT/src/internal/godebugs/table.go.
var godebugNames = set(`allowmultiplevcs asynctimerchan containermaxprocs cryptocustomrand
	dataindependenttiming decoratemappings embedfollowsymlinks execerrdot fips140 fips140ems gocachehash
	gocachetest gocacheverify gotestjsonbuildtext gotypesalias htmlmetacontenturlescape http2client
	http2debug http2server httpcookiemaxnum httplaxcontentlength httpmuxgo121 httpservecontentkeepheaders
	installgoroot jstmpllitinterp multipartfiles multipartmaxheaders multipartmaxparts multipathtcp netdns
	netedns0 panicnil randautoseed randseednop rsa1024min tarinsecurepath tls10server tls3des tlsmaxrsasize
	tlsmlkem tlsrsakex tlssecpmlkem tlssha1 tlsunsafeekm updatemaxprocs urlmaxqueryparams urlstrictcolons
	winreadlinkvolume winsymlink x509keypairleaf x509negativeserial x509rsacrt x509sha256skid
	x509usefallbackroots x509usepolicies zipinsecurepath`)

// removedGodebugs are settings a Go release removed, with that release's
// minor version (internal/godebugs.Removed).
var removedGodebugs = map[string]int{"x509sha1": 24}

// GodebugNames lists the GODEBUG settings go.mod may name.
func GodebugNames() []string {
	out := make([]string, 0, len(godebugNames))
	for n := range godebugNames {
		out = append(out, n)
	}
	return out
}

// CheckGodebugs applies modload.CheckGodebug to godebug lines. The
// "default=goX" check against the running toolchain is left to the
// policies, which know the runner's Go.
func CheckGodebugs(file string, lines []*modfile.Godebug) []facts.Problem {
	var out []facts.Problem
	for _, g := range lines {
		if err := checkGodebug(g.Key, g.Value); err != "" {
			out = append(out, facts.Problem{Path: file, Line: g.Syntax.Start.Line, Message: err})
		}
	}
	return out
}

func checkGodebug(k, v string) string {
	switch {
	case strings.ContainsAny(k, " \t"):
		return "key contains space"
	case strings.ContainsAny(v, " \t"):
		return "value contains space"
	case strings.Contains(k, ","):
		return "key contains comma"
	case strings.Contains(v, ","):
		return "value contains comma"
	case k == "default":
		if !strings.HasPrefix(v, "go") || !isGoVersion(v[2:]) {
			return "value for default= must be goVERSION"
		}
		return ""
	case godebugNames[k]:
		return ""
	}
	if minor, ok := removedGodebugs[k]; ok {
		return fmt.Sprintf("use of removed godebug %q, see https://go.dev/doc/godebug#go-1%d", k, minor)
	}
	return fmt.Sprintf("unknown godebug %q", k)
}
