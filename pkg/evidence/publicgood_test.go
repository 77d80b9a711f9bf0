package evidence

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"testing"

	"github.com/gopolicy/gopolicy/pkg/facts"
)

const sigstoreGoModule = "github.com/sigstore/sigstore-go"

var (
	sigstoreGoDirOnce sync.Once
	sigstoreGoDirPath string
	sigstoreGoDirWhy  string
)

// sigstoreGoDir is the sigstore-go module directory in the module cache,
// whose examples and test data hold real public-good bundles. It asks
// the go command hermetically (no user configuration, no network), and
// falls back to the module cache path for the version this test binary
// was built with.
func sigstoreGoDir(t testing.TB) string {
	t.Helper()
	sigstoreGoDirOnce.Do(func() {
		sigstoreGoDirPath, sigstoreGoDirWhy = findSigstoreGo()
	})
	if sigstoreGoDirPath == "" {
		t.Skipf("sigstore-go module source not found (%s); run `go mod download %s` to run this test", sigstoreGoDirWhy, sigstoreGoModule)
	}
	return sigstoreGoDirPath
}

func findSigstoreGo() (string, string) {
	var why []string
	if goBin, err := exec.LookPath("go"); err == nil {
		tmp, err := os.MkdirTemp("", "evidence-goenv")
		if err == nil {
			defer os.RemoveAll(tmp)
			empty := filepath.Join(tmp, "env")
			if err := os.WriteFile(empty, nil, 0o600); err == nil {
				cmd := exec.Command(goBin, "list", "-m", "-json", sigstoreGoModule)
				cmd.Env = append(os.Environ(),
					"GOENV="+empty, "GOFLAGS=", "GOPROXY=off", "GOWORK=off",
					"GOTOOLCHAIN=local", "GONOSUMDB=", "GOSUMDB=off")
				out, err := cmd.Output()
				var m struct{ Dir string }
				if err == nil && json.Unmarshal(out, &m) == nil && m.Dir != "" {
					if _, err := os.Stat(filepath.Join(m.Dir, "go.mod")); err == nil {
						return m.Dir, ""
					}
				}
				why = append(why, "go list -m found no directory")
			}
		}
	} else {
		why = append(why, "no go command")
	}
	// Fallback: the module cache path of the version we were built with.
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "", strings.Join(append(why, "no build info"), "; ")
	}
	version := ""
	for _, d := range bi.Deps {
		if d.Path == sigstoreGoModule {
			version = d.Version
			if d.Replace != nil {
				version = d.Replace.Version
			}
		}
	}
	cache := os.Getenv("GOMODCACHE")
	if cache == "" {
		gopath := os.Getenv("GOPATH")
		if gopath == "" {
			home, _ := os.UserHomeDir()
			gopath = filepath.Join(home, "go")
		}
		cache = filepath.Join(strings.Split(gopath, string(os.PathListSeparator))[0], "pkg", "mod")
	}
	dir := filepath.Join(cache, "github.com", "sigstore", "sigstore-go@"+version)
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); version != "" && err == nil {
		return dir, ""
	}
	return "", strings.Join(append(why, "not in "+dir), "; ")
}

func readModuleFile(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(sigstoreGoDir(t), filepath.FromSlash(rel)))
	if err != nil {
		t.Skipf("sigstore-go test data: %v", err)
	}
	return b
}

// publicGoodCase is a real bundle from the public-good instance (or
// sigstore's scaffolding) and the options it verifies with offline.
type publicGoodCase struct {
	name, bundle, root string
	opts               VerifyOptions
	kind               string
	issuer, san        string
}

func publicGoodCases(t testing.TB) []publicGoodCase {
	return []publicGoodCase{
		{
			// sigstore-js 1.3.0's npm provenance: DSSE, SLSA provenance
			// statement, bundle v0.1 with an SET (no inclusion proof),
			// Fulcio certificate with an SCT, GitHub Actions identity.
			name:   "bundle-provenance",
			bundle: "examples/bundle-provenance.json",
			root:   "examples/trusted-root-public-good.json",
			kind:   ContentDSSE,
			issuer: "https://token.actions.githubusercontent.com",
			san:    "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main",
			opts: VerifyOptions{
				Identities: []Identity{{
					Issuer:    "https://token.actions.githubusercontent.com",
					SANRegexp: `https://github\.com/sigstore/sigstore-js/\.github/workflows/release\.yml@refs/heads/main`,
				}},
				// The subject is the npm package, by its SHA-512.
				ArtifactDigest: "sha512:76176ffa33808b54602c7c35de5c6e9a4deb96066dba6533f50ac234f4f1f4c6b3527515dc17c06fbe2860030f410eee69ea20079bd3a2c6f3dcf3b329b10751",
				PredicateType:  "https://slsa.dev/provenance/v0.2",
				TlogEntries:    1,
				SCTs:           1,
			},
		},
		{
			// A message signature (hashedrekord, v0.3 bundle with an
			// inclusion proof and checkpoint) by a certificate whose SAN is
			// an OtherName, from sigstore's scaffolding deployment.
			name:   "othername",
			bundle: "pkg/testing/data/bundles/othername.sigstore.json",
			root:   "pkg/testing/data/trusted-roots/scaffolding.json",
			kind:   ContentMessageSignature,
			issuer: "http://oidc.local:8080",
			san:    "foo!oidc.local",
			opts: VerifyOptions{
				Identities:     []Identity{{Issuer: "http://oidc.local:8080", SAN: "foo!oidc.local"}},
				ArtifactDigest: "sha256:bc103b4a84971ef6459b294a2b98568a2bfb72cded09d4acd1e16366a401f95b",
				TlogEntries:    1,
			},
		},
	}
}

func TestPublicGoodBundles(t *testing.T) {
	for _, c := range publicGoodCases(t) {
		t.Run(c.name, func(t *testing.T) {
			b := readModuleFile(t, c.bundle)
			opts := c.opts
			opts.TrustedRoot = readModuleFile(t, c.root)
			res := mustVerify(t, b, opts)
			if res.Content != c.kind || res.Signer.Issuer != c.issuer || res.Signer.SAN != c.san {
				t.Errorf("content %q signer %+v", res.Content, res.Signer)
			}
			if len(res.LogEntries) != 1 || !res.LogEntries[0].Verified || !res.LogEntries[0].SETVerified {
				t.Errorf("log entries %+v", res.LogEntries)
			}
			if len(res.Timestamps) == 0 {
				t.Error("no verified timestamp")
			}
			if c.kind == ContentMessageSignature {
				if !res.LogEntries[0].InclusionProofVerified || res.MessageDigest != c.opts.ArtifactDigest {
					t.Errorf("entry %+v digest %q", res.LogEntries[0], res.MessageDigest)
				}
			} else if len(res.Subjects) != 1 || !res.Subjects[0].Matched || res.Facts != nil {
				t.Errorf("subjects %+v facts %s", res.Subjects, res.Facts)
			}
			in := res.Input(c.bundle, b, "", nil)
			if in.Kind != facts.EvidenceKindBundle || !in.Verified {
				t.Errorf("input %+v", in)
			}

			t.Run("other artifact", func(t *testing.T) {
				o := opts
				o.ArtifactDigest = "sha256:" + shaHex("something else")
				mustFail(t, b, o, StepArtifact, "")
			})
			t.Run("other identity", func(t *testing.T) {
				o := opts
				o.Identities = []Identity{{Issuer: c.issuer, SANRegexp: `https://github\.com/evil/.*`}}
				mustFail(t, b, o, StepIdentity, "matches none")
			})
			t.Run("no trusted root", func(t *testing.T) {
				o := opts
				o.TrustedRoot = nil
				o.PublicKeys = [][]byte{newECKey(t).PublicKeyPEM()}
				mustFail(t, b, o, StepSigner, "no trusted root")
			})
			t.Run("signature byte", func(t *testing.T) {
				pb := loadPB(t, b)
				if env := pb.GetDsseEnvelope(); env != nil {
					env.Signatures[0].Sig[20] ^= 0x01
				} else {
					pb.GetMessageSignature().Signature[20] ^= 0x01
				}
				res := mustFail(t, marshalPB(t, pb), opts, StepSignature, "")
				// The log entry records the original signature too.
				if s, _ := res.Step(StepTlog); s.OK {
					t.Errorf("tlog step passed with another signature: %+v", s)
				}
			})
			t.Run("payload byte", func(t *testing.T) {
				pb := loadPB(t, b)
				if env := pb.GetDsseEnvelope(); env != nil {
					i := bytes.Index(env.Payload, []byte("sigstore-js"))
					if i < 0 {
						t.Fatal("payload lacks sigstore-js")
					}
					env.Payload[i] = 'S'
				} else {
					pb.GetMessageSignature().GetMessageDigest().Digest[0] ^= 0x01
				}
				mustFail(t, marshalPB(t, pb), opts, StepSignature, "")
			})
			t.Run("inclusion proof byte", func(t *testing.T) {
				pb := loadPB(t, b)
				e := pb.GetVerificationMaterial().GetTlogEntries()[0]
				if e.GetInclusionProof() == nil {
					t.Skip("v0.1 bundle: an SET, no inclusion proof")
				}
				e.GetInclusionProof().Hashes[0][0] ^= 0x01
				mustFail(t, marshalPB(t, pb), opts, StepTlog, "inclusion proof")
			})
			t.Run("SET byte", func(t *testing.T) {
				pb := loadPB(t, b)
				e := pb.GetVerificationMaterial().GetTlogEntries()[0]
				e.GetInclusionPromise().SignedEntryTimestamp[8] ^= 0x01
				mustFail(t, marshalPB(t, pb), opts, StepTlog, "SET")
			})
			t.Run("canonical body byte", func(t *testing.T) {
				pb := loadPB(t, b)
				e := pb.GetVerificationMaterial().GetTlogEntries()[0]
				body := e.GetCanonicalizedBody()
				i := bytes.LastIndexByte(body, 'A')
				if i < 0 {
					t.Skip("no byte to alter")
				}
				body[i] = 'B'
				res, err := Verify(context.Background(), marshalPB(t, pb), opts)
				if err == nil || res.Verified {
					t.Fatalf("verified with an altered log entry\n%s", dumpSteps(res))
				}
			})
		})
	}
}
