package evidence

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	intoto "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/gopolicy/gopolicy/pkg/facts"
)

func TestStatement(t *testing.T) {
	img, err := ImageSubject("ghcr.io/org/app", "sha256:"+shaHex("image"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := Statement([]Subject{binSubject(t, "app", "app"), img}, testFacts(t))
	if err != nil {
		t.Fatal(err)
	}
	if st.GetType() != intoto.StatementTypeUri || st.GetPredicateType() != FactsPredicateType {
		t.Errorf("type %q predicate type %q", st.GetType(), st.GetPredicateType())
	}
	if got := st.GetSubject()[0]; got.GetName() != "app" || got.GetDigest()["sha256"] != shaHex("app") {
		t.Errorf("subject 0 = %v", got)
	}
	if got := st.GetSubject()[1]; got.GetName() != "ghcr.io/org/app" || got.GetDigest()["sha256"] != shaHex("image") {
		t.Errorf("subject 1 = %v", got)
	}
	// The predicate is the facts document, value for value.
	back, err := protojson.Marshal(st.GetPredicate())
	if err != nil {
		t.Fatal(err)
	}
	if err := sameJSON(testFacts(t), back); err != nil {
		t.Error(err)
	}

	for name, c := range map[string]struct {
		subjects []Subject
		facts    string
		want     string
	}{
		"no subjects":   {nil, `{}`, "at least one subject"},
		"facts array":   {[]Subject{binSubject(t, "a", "a")}, `[1]`, "JSON object"},
		"facts invalid": {[]Subject{binSubject(t, "a", "a")}, `{"a":`, "facts document"},
		"big integer":   {[]Subject{binSubject(t, "a", "a")}, `{"inode": 9007199254740993}`, "/inode: number 9007199254740993"},
	} {
		if _, err := Statement(c.subjects, []byte(c.facts)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want %q", name, err, c.want)
		}
	}
	for _, bad := range []string{"", "abc", strings.Repeat("a", 63), "md5:" + strings.Repeat("a", 32)} {
		if _, err := BinarySubject("/x/app", bad); err == nil {
			t.Errorf("BinarySubject accepted digest %q", bad)
		}
	}
	if _, err := ImageSubject("img", shaHex("x")); err == nil {
		t.Error("ImageSubject accepted a digest without algorithm")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "tool")
	if err := os.WriteFile(p, []byte("app"), 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := FileSubject(p)
	if err != nil || s.Name != "tool" || s.Digest["sha256"] != shaHex("app") {
		t.Errorf("FileSubject = %v, %v", s, err)
	}
}

// A key-signed attestation without a log verifies offline against the
// pinned key, and every verified fact comes back.
func TestAttestVerifyKey(t *testing.T) {
	for _, key := range []*PrivateKey{newECKey(t), newEdKey(t)} {
		t.Run(key.Algorithm(), func(t *testing.T) {
			b := attestKey(t, key, "")
			pb := loadPB(t, b)
			if pb.GetMediaType() != BundleMediaType {
				t.Errorf("media type %q", pb.GetMediaType())
			}
			if len(pb.GetVerificationMaterial().GetTlogEntries()) != 0 {
				t.Error("bundle without Rekor URL has a log entry")
			}
			opts := VerifyOptions{
				PublicKeys:     [][]byte{key.PublicKeyPEM()},
				ArtifactDigest: "sha256:" + shaHex("app-arm64"),
				PredicateType:  FactsPredicateType,
			}
			res := mustVerify(t, b, opts)
			if res.Content != ContentDSSE || res.PredicateType != FactsPredicateType {
				t.Errorf("content %q predicate %q", res.Content, res.PredicateType)
			}
			if res.Signer.Kind != facts.SignerKey || res.Signer.KeyFingerprint != key.Fingerprint() || !res.Signer.Allowed {
				t.Errorf("signer %+v", res.Signer)
			}
			if err := sameJSON(testFacts(t), res.Facts); err != nil {
				t.Errorf("facts: %v", err)
			}
			if len(res.Subjects) != 2 || res.Subjects[0].Matched || !res.Subjects[1].Matched {
				t.Errorf("subjects %+v", res.Subjects)
			}
			for _, step := range []string{StepTlog, StepTimestamps, StepCertificate} {
				if s, _ := res.Step(step); !s.Skipped {
					t.Errorf("step %s not skipped: %+v", step, s)
				}
			}
			// The key hint is the fingerprint, so the right key is found
			// among several.
			other := newECKey(t)
			opts.PublicKeys = [][]byte{other.PublicKeyPEM(), key.PublicKeyPEM()}
			res = mustVerify(t, b, opts)
			if s, _ := res.Step(StepSigner); !strings.Contains(s.Reason, "hint") {
				t.Errorf("signer step %q", s.Reason)
			}
			// Fingerprint allow-list.
			opts.KeyFingerprints = []string{key.Fingerprint()}
			mustVerify(t, b, opts)
			opts.KeyFingerprints = []string{other.Fingerprint()}
			mustFail(t, b, opts, StepIdentity, "not on the allow-list")
		})
	}
}

func TestVerifyKeyFailures(t *testing.T) {
	key := newECKey(t)
	b := attestKey(t, key, "")
	good := VerifyOptions{PublicKeys: [][]byte{key.PublicKeyPEM()}, ArtifactDigest: shaHex("app")}
	mustVerify(t, b, good)

	t.Run("payload", func(t *testing.T) {
		pb := loadPB(t, b)
		env := pb.GetDsseEnvelope()
		env.Payload = bytes.Replace(env.Payload, []byte(shaHex("app")), []byte(shaHex("evil")), 1)
		mustFail(t, marshalPB(t, pb), good, StepSignature, "does not verify with pinned key "+key.Fingerprint())
	})
	t.Run("signature", func(t *testing.T) {
		pb := loadPB(t, b)
		pb.GetDsseEnvelope().Signatures[0].Sig[10] ^= 0x01
		mustFail(t, marshalPB(t, pb), good, StepSignature, "does not verify")
	})
	t.Run("other binary", func(t *testing.T) {
		opts := good
		opts.ArtifactDigest = "sha256:" + shaHex("another binary")
		res := mustFail(t, b, opts, StepArtifact, "none of the 2 statement subjects is the artifact sha256:"+shaHex("another binary"))
		for _, s := range res.Subjects {
			if s.Matched {
				t.Errorf("subject %s matched", s.Name)
			}
		}
		if s, _ := res.Step(StepSigstore); !s.Skipped {
			t.Errorf("sigstore step ran after a failure: %+v", s)
		}
	})
	t.Run("bad artifact digest", func(t *testing.T) {
		opts := good
		opts.ArtifactDigest = "sha256:abc"
		mustFail(t, b, opts, StepArtifact, "not 64 hex characters")
		opts.ArtifactDigest = "md5:" + strings.Repeat("0", 32)
		mustFail(t, b, opts, StepArtifact, "unsupported digest algorithm")
	})
	t.Run("no artifact", func(t *testing.T) {
		opts := good
		opts.ArtifactDigest = ""
		mustFail(t, b, opts, StepArtifact, "no artifact digest given")
		opts.AllowUnboundArtifact = true
		res := mustVerify(t, b, opts)
		if s, _ := res.Step(StepArtifact); !s.Skipped {
			t.Errorf("artifact step %+v", s)
		}
	})
	t.Run("unpinned key", func(t *testing.T) {
		opts := good
		opts.PublicKeys = [][]byte{newECKey(t).PublicKeyPEM(), newEdKey(t).PublicKeyPEM()}
		mustFail(t, b, opts, StepSigner, "none of the 2 pinned keys")
		opts.PublicKeys = opts.PublicKeys[:1]
		mustFail(t, b, opts, StepSignature, "does not verify")
	})
	t.Run("no trust", func(t *testing.T) {
		mustFail(t, b, VerifyOptions{ArtifactDigest: shaHex("app")}, StepTrust, "no trust material")
	})
	t.Run("predicate type", func(t *testing.T) {
		opts := good
		opts.PredicateType = "https://slsa.dev/provenance/v1"
		mustFail(t, b, opts, StepStatement, "want \"https://slsa.dev/provenance/v1\"")
	})
	t.Run("required log", func(t *testing.T) {
		opts := good
		opts.TlogEntries = 1
		mustFail(t, b, opts, StepTlog, "not enough verified log entries")
	})
	t.Run("required timestamp", func(t *testing.T) {
		opts := good
		opts.ObserverTimestamps = 1
		mustFail(t, b, opts, StepTimestamps, "0 verified timestamps, 1 required")
	})
	t.Run("garbage", func(t *testing.T) {
		mustFail(t, []byte(`{"mediaType": 1}`), good, StepParse, "not a Sigstore bundle")
		mustFail(t, []byte(`{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"}`), good, StepParse, "invalid Sigstore bundle")
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		res, err := Verify(ctx, b, good)
		if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrNotVerified) || res.Verified {
			t.Errorf("err %v verified %v", err, res.Verified)
		}
	})
}

// Keyless: a virtual Fulcio certificate and a (fake, in-process) Rekor
// v1 log; the bundle carries the entry with its inclusion proof,
// checkpoint and SET, and verifies offline against a trusted root.
func TestAttestVerifyKeyless(t *testing.T) {
	kl := newKeyless(t)
	const issuer, who = "https://token.example.dev", "https://ci.example.dev/org/app/.ci/release.yml@refs/heads/main"
	b := kl.attest(t, who, issuer)
	pb := loadPB(t, b)
	if n := len(pb.GetVerificationMaterial().GetTlogEntries()); n != 1 {
		t.Fatalf("%d log entries", n)
	}
	if pb.GetVerificationMaterial().GetCertificate() == nil {
		t.Fatal("bundle has no certificate")
	}
	opts := VerifyOptions{
		TrustedRoot:    kl.root,
		Identities:     []Identity{{Issuer: issuer, SANRegexp: `https://ci\.example\.dev/org/app/\.ci/release\.yml@refs/heads/.*`}},
		ArtifactDigest: "sha256:" + shaHex("app"),
		TlogEntries:    1,
	}
	res := mustVerify(t, b, opts)
	if res.Signer.Kind != facts.SignerCertificate || res.Signer.Issuer != issuer || res.Signer.SAN != who || !res.Signer.Allowed {
		t.Errorf("signer %+v", res.Signer)
	}
	if len(res.LogEntries) != 1 || !res.LogEntries[0].Verified || !res.LogEntries[0].SETVerified || !res.LogEntries[0].InclusionProofVerified {
		t.Errorf("log entries %+v", res.LogEntries)
	}
	if res.LogEntries[0].Kind != "dsse/0.0.1" || res.LogEntries[0].LogID != kl.rekor.logID {
		t.Errorf("log entry %+v", res.LogEntries[0])
	}
	if len(res.Timestamps) != 1 || res.Timestamps[0].Kind != "tlog" || time.Since(res.Timestamps[0].Time) > time.Minute {
		t.Errorf("timestamps %+v", res.Timestamps)
	}

	t.Run("identity", func(t *testing.T) {
		o := opts
		o.Identities = []Identity{{Issuer: issuer, SANRegexp: `https://ci\.example\.dev/org/other/.*`}, {Issuer: "https://other.issuer", SAN: who}}
		res := mustFail(t, b, o, StepIdentity, "matches none of the 2 allowed identities")
		if res.Signer.Allowed {
			t.Error("signer allowed")
		}
		// Regular expressions are anchored: a prefix is not enough.
		o.Identities = []Identity{{Issuer: issuer, SANRegexp: `https://ci\.example\.dev/org/app/`}}
		mustFail(t, b, o, StepIdentity, "matches none")
		o.Identities = nil
		mustFail(t, b, o, StepIdentity, "no identity allow-list")
	})
	t.Run("payload", func(t *testing.T) {
		pb := loadPB(t, b)
		env := pb.GetDsseEnvelope()
		env.Payload = bytes.Replace(env.Payload, []byte(`"app"`), []byte(`"ap2"`), 1)
		res := mustFail(t, marshalPB(t, pb), opts, StepSignature, "does not verify")
		// The log entry holds the payload's hash: it no longer matches.
		if s, _ := res.Step(StepTlog); s.OK || !strings.Contains(s.Reason, "payload hash") {
			t.Errorf("tlog step %+v", s)
		}
	})
	t.Run("signature", func(t *testing.T) {
		pb := loadPB(t, b)
		pb.GetDsseEnvelope().Signatures[0].Sig[12] ^= 0x80
		mustFail(t, marshalPB(t, pb), opts, StepSignature, "does not verify")
	})
	t.Run("inclusion proof", func(t *testing.T) {
		// Add an entry so that the proof has a hash to damage.
		kl.attest(t, who, issuer)
		b2 := kl.attest(t, who, issuer)
		mustVerify(t, b2, opts)
		pb := loadPB(t, b2)
		pb.GetVerificationMaterial().GetTlogEntries()[0].GetInclusionProof().Hashes[0][3] ^= 0x01
		mustFail(t, marshalPB(t, pb), opts, StepTlog, "inclusion proof")
	})
	t.Run("SET", func(t *testing.T) {
		pb := loadPB(t, b)
		pb.GetVerificationMaterial().GetTlogEntries()[0].GetInclusionPromise().SignedEntryTimestamp[9] ^= 0x01
		mustFail(t, marshalPB(t, pb), opts, StepTlog, "SET")
	})
	t.Run("log not pinned", func(t *testing.T) {
		other := newKeyless(t)
		o := opts
		o.TrustedRoot = other.root
		res, err := Verify(context.Background(), b, o)
		if err == nil {
			t.Fatal("verified against another trusted root")
		}
		if len(res.LogEntries) != 1 || res.LogEntries[0].Trusted || !strings.Contains(res.LogEntries[0].Reason, "not pinned") {
			t.Errorf("log entries %+v", res.LogEntries)
		}
	})
	t.Run("other binary", func(t *testing.T) {
		o := opts
		o.ArtifactDigest = shaHex("app-arm64")
		mustFail(t, b, o, StepArtifact, "none of the 1 statement subjects")
	})
	t.Run("facts", func(t *testing.T) {
		in := res.Input("app.sigstore.json", b, "/out/app", nil)
		if in.Kind != facts.EvidenceKindAttestation || !in.Verified || !in.Artifact.Matched || in.SHA256 == "" || in.Error != "" {
			t.Errorf("input %+v", in)
		}
		if _, err := json.Marshal(in); err != nil {
			t.Error(err)
		}
		tf := opts.TrustFacts()
		if tf.TrustedRootSHA256 == "" || len(tf.Identities) != 1 || tf.Require.TlogEntries != 1 {
			t.Errorf("trust facts %+v", tf)
		}
		bad, verr := Verify(context.Background(), b, VerifyOptions{TrustedRoot: kl.root, ArtifactDigest: shaHex("app")})
		in = bad.Input("app.sigstore.json", b, "/out/app", verr)
		if in.Verified || !strings.HasPrefix(in.Error, "identity: ") {
			t.Errorf("failed input %+v", in)
		}
	})
}

// A key-signed attestation logged in a private Rekor: the log key is
// pinned instead of coming from a trusted root.
func TestAttestVerifyKeyPrivateLog(t *testing.T) {
	rk := newFakeRekor(t)
	key := newEdKey(t)
	b := attestKey(t, key, rk.URL())
	opts := VerifyOptions{
		PublicKeys:     [][]byte{key.PublicKeyPEM()},
		LogPublicKeys:  [][]byte{rk.publicKeyPEM()},
		ArtifactDigest: shaHex("app"),
		TlogEntries:    1,
	}
	res := mustVerify(t, b, opts)
	if len(res.LogEntries) != 1 || !res.LogEntries[0].Verified {
		t.Errorf("log entries %+v", res.LogEntries)
	}
	// Without the log key, the entry is noted, not checked; the key
	// signature alone still verifies when no entry is required.
	opts.LogPublicKeys = nil
	mustFail(t, b, opts, StepTlog, "not enough verified log entries")
	opts.TlogEntries = 0
	res = mustVerify(t, b, opts)
	if s, _ := res.Step(StepTlog); !s.Skipped || !strings.Contains(s.Reason, "not pinned") {
		t.Errorf("tlog step %+v", s)
	}
}

func TestAttestErrors(t *testing.T) {
	key := newECKey(t)
	base := AttestOptions{Subjects: []Subject{binSubject(t, "app", "app")}, Facts: testFacts(t), Key: key}
	if _, err := Attest(context.Background(), AttestOptions{Subjects: base.Subjects, Facts: base.Facts}); err == nil {
		t.Error("Attest without key")
	}
	o := base
	o.Facts = []byte(`"not an object"`)
	if _, err := Attest(context.Background(), o); err == nil {
		t.Error("Attest with a non-object facts document")
	}
	// A log that is down, slow or rate limiting: the error says so and
	// the context bounds the wait.
	rk := newFakeRekor(t)
	rk.set(503, 0)
	o = base
	o.RekorURL = rk.URL()
	if _, err := Attest(context.Background(), o); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("Attest with a failing log: %v", err)
	}
	rk.set(0, 5*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := Attest(ctx, o); err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Attest with a slow log: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Attest took %v despite a 300ms deadline", d)
	}
	// A certificate for another key is refused.
	kl := newKeyless(t)
	cert, _, err := kl.vs.GenerateLeafCert("a@example.com", "https://issuer")
	if err != nil {
		t.Fatal(err)
	}
	o = base
	o.Certificate = cert.Raw
	if _, err := Attest(context.Background(), o); err == nil || !strings.Contains(err.Error(), "not for the signing key") {
		t.Errorf("Attest with a foreign certificate: %v", err)
	}
}

// The Result's facts survive a JSON round trip through the facts types.
func TestResultFactsJSON(t *testing.T) {
	key := newECKey(t)
	b := attestKey(t, key, "")
	opts := VerifyOptions{PublicKeys: [][]byte{key.PublicKeyPEM()}, ArtifactDigest: shaHex("app")}
	res := mustVerify(t, b, opts)
	ev := facts.Evidence{Trust: opts.TrustFacts(), Inputs: []facts.EvidenceInput{res.Input("b.json", b, "app", nil)}, Searches: []facts.EvidenceSearch{}}
	j, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var back facts.Evidence
	if err := json.Unmarshal(j, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Inputs[0].Steps, ev.Inputs[0].Steps) || back.Trust.PublicKeys[0].Fingerprint != key.Fingerprint() {
		t.Errorf("round trip changed the facts:\n%s", j)
	}
	for _, name := range []string{`"steps"`, `"signer"`, `"key_fingerprint"`, `"verified":true`, `"artifact"`} {
		if !strings.Contains(string(j), name) {
			t.Errorf("facts JSON lacks %s", name)
		}
	}
}
