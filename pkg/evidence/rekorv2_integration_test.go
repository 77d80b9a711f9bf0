package evidence

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
)

type bundleTLE = protorekor.TransparencyLogEntry

// TestRekorV2Integration logs an attestation in a real Rekor v2 log
// (rekor-tiles, as scripts/rekor/v2-start.sh runs it) and verifies the
// bundle offline against a trusted_root.json naming that log. It needs
// GOPOLICY_REKOR_V2_URL (the write API), GOPOLICY_REKOR_V2_PUBKEY (a PEM
// file with the log's public key) and GOPOLICY_REKOR_V2_ORIGIN (its
// checkpoint origin); with GOPOLICY_REKOR_V2_STORAGE_DIR it also checks
// the log's published checkpoint and entry tiles, and with
// GOPOLICY_REKOR_V2_LOG_ID the log ID the script computed.
func TestRekorV2Integration(t *testing.T) {
	writeURL := os.Getenv("GOPOLICY_REKOR_V2_URL")
	if writeURL == "" {
		if os.Getenv("GOPOLICY_REQUIRE_REKOR_V2") == "1" {
			t.Fatal("GOPOLICY_REQUIRE_REKOR_V2=1 but GOPOLICY_REKOR_V2_URL is not set: the Rekor v2 integration test must run")
		}
		t.Skip("GOPOLICY_REKOR_V2_URL is not set: no Rekor v2 log for the integration test (scripts/rekor/v2-start.sh DIR starts one; source DIR/env to run it)")
	}
	keyFile, origin := os.Getenv("GOPOLICY_REKOR_V2_PUBKEY"), os.Getenv("GOPOLICY_REKOR_V2_ORIGIN")
	if keyFile == "" || origin == "" {
		t.Fatal("GOPOLICY_REKOR_V2_URL is set but GOPOLICY_REKOR_V2_PUBKEY (the log's public key, a PEM file) or GOPOLICY_REKOR_V2_ORIGIN (its checkpoint origin) is not")
	}
	logKeyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	logKey, err := ParsePublicKey(logKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	edKey, ok := logKey.(ed25519.PublicKey)
	if !ok {
		t.Fatalf("the log key is %s; v2-start.sh makes Ed25519 keys", KeyAlgorithm(logKey))
	}
	// The log ID rekor-tiles puts in its entries, as the signed-note
	// spec derives it from the origin and the key.
	sum := sha256.Sum256(append([]byte(origin+"\n\x01"), edKey...))
	logID := hex.EncodeToString(sum[:])
	if want := os.Getenv("GOPOLICY_REKOR_V2_LOG_ID"); want != "" && want != logID {
		t.Fatalf("GOPOLICY_REKOR_V2_LOG_ID %s, computed %s", want, logID)
	}

	// The trusted root names the log by a base URL whose host is the
	// checkpoint origin (what sigstore-go matches); verification never
	// contacts it.
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, nil, nil, nil, map[string]*root.TransparencyLog{logID: {
		BaseURL:             "https://" + origin,
		ID:                  sum[:],
		ValidityPeriodStart: time.Now().Add(-24 * time.Hour),
		HashFunc:            crypto.SHA256,
		PublicKey:           edKey,
		SignatureHashFunc:   crypto.SHA256,
	}})
	if err != nil {
		t.Fatal(err)
	}
	trJSON, err := tr.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	trPath := filepath.Join(t.TempDir(), "trusted_root.json")
	if err := os.WriteFile(trPath, trJSON, 0o644); err != nil {
		t.Fatal(err)
	}
	if trJSON, err = os.ReadFile(trPath); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	key := newECKey(t)
	content := "gopolicy rekor v2 integration " + time.Now().Format(time.RFC3339Nano)
	start := time.Now()
	b, err := Attest(ctx, AttestOptions{
		Subjects:     []Subject{binSubject(t, "app", content)},
		Facts:        testFacts(t),
		Key:          key,
		RekorURL:     writeURL,
		RekorVersion: RekorV2,
		Retries:      1,
	})
	if err != nil {
		t.Fatalf("Attest through %s: %v", writeURL, err)
	}
	attestTook := time.Since(start)
	opts := VerifyOptions{
		TrustedRoot:    trJSON,
		PublicKeys:     [][]byte{key.PublicKeyPEM()},
		ArtifactDigest: "sha256:" + shaHex(content),
		PredicateType:  FactsPredicateType,
		TlogEntries:    1,
	}
	start = time.Now()
	res := mustVerify(t, b, opts)
	verifyTook := time.Since(start)
	e := res.LogEntries[0]
	if !e.Verified || !e.InclusionProofVerified || e.HasSET || e.IntegratedTime != nil || e.LogID != logID || e.Kind != "hashedrekord/0.0.2" {
		t.Errorf("log entry %+v", e)
	}
	t.Logf("logged at index %d of %s; Attest with the upload %v, Verify %v", e.LogIndex, origin, attestTook, verifyTook)
	t.Logf("steps:\n%s", dumpSteps(res))

	// Tampering with what the real log returned is caught, and named.
	for _, c := range []struct {
		name, want string
		mod        func(t *testing.T, e *bundleTLE)
	}{
		{"inclusion proof", "inclusion proof: ", func(t *testing.T, e *bundleTLE) {
			if len(e.InclusionProof.Hashes) == 0 {
				e.InclusionProof.RootHash[0] ^= 1 // the first entry of a log has no proof hashes
				return
			}
			e.InclusionProof.Hashes[0][0] ^= 1
		}},
		{"checkpoint", "checkpoint: not signed by the pinned log key", func(t *testing.T, e *bundleTLE) {
			lines := strings.Split(e.InclusionProof.Checkpoint.Envelope, "\n")
			n, _ := strconv.Atoi(lines[1])
			lines[1] = strconv.Itoa(n + 1)
			e.InclusionProof.Checkpoint.Envelope = strings.Join(lines, "\n")
		}},
		{"body", "entry body: ", func(t *testing.T, e *bundleTLE) {
			e.CanonicalizedBody = bytes.Replace(e.CanonicalizedBody, []byte(`"SHA2_256"`), []byte(`"SHA2_512"`), 1)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			pb := loadPB(t, b)
			c.mod(t, pb.GetVerificationMaterial().GetTlogEntries()[0])
			mustFail(t, marshalPB(t, pb), opts, StepTlog, c.want)
		})
	}

	dir := os.Getenv("GOPOLICY_REKOR_V2_STORAGE_DIR")
	if dir == "" {
		t.Log("GOPOLICY_REKOR_V2_STORAGE_DIR is not set: the published checkpoint and tiles are not checked")
		return
	}
	checkPublished(ctx, t, dir, loadPB(t, b).GetVerificationMaterial().GetTlogEntries()[0], tr.RekorLogs()[logID])
}

// checkPublished reads the log's published state the way a client reads
// a tiled log, over HTTP (rekor-tiles answers 501 for its read endpoints
// in POSIX mode, so the storage directory is served here): the
// checkpoint must verify with the log key and cover the entry, and the
// entry bundle tile must hold the entry's body at its index.
func checkPublished(ctx context.Context, t *testing.T, dir string, e *bundleTLE, tl *root.TransparencyLog) {
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	get := func(path string) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/"+path, nil)
		if err != nil {
			return nil, err
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET %s: HTTP %d", path, resp.StatusCode)
		}
		return io.ReadAll(resp.Body)
	}
	origin, err := logOrigin(tl)
	if err != nil {
		t.Fatal(err)
	}
	idx := uint64(e.GetLogIndex())
	var lastErr error
	// The checkpoint is published every checkpoint interval (1 s), and a
	// partial tile may be replaced by a larger one between two reads.
	for try := 0; try < 30; try++ {
		if try > 0 {
			time.Sleep(300 * time.Millisecond)
		}
		raw, err := get("checkpoint")
		if err != nil {
			lastErr = err
			continue
		}
		cp, err := openCheckpoint(string(raw), origin, tl)
		if err != nil {
			t.Fatalf("published checkpoint: %v\n%s", err, raw)
		}
		if cp.size <= idx {
			lastErr = fmt.Errorf("published checkpoint has %d entries, the entry is at index %d", cp.size, idx)
			continue
		}
		if uint64(e.GetInclusionProof().GetTreeSize()) == cp.size && !bytes.Equal(e.GetInclusionProof().GetRootHash(), cp.root) {
			t.Fatalf("the published checkpoint of size %d has another root hash than the bundle's", cp.size)
		}
		n := idx / 256
		path := "tile/entries/" + tileIndex(n)
		if w := cp.size - n*256; w < 256 {
			path += ".p/" + strconv.FormatUint(w, 10)
		}
		tile, err := get(path)
		if err != nil {
			lastErr = err
			continue
		}
		body, err := bundleEntry(tile, int(idx%256))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if !bytes.Equal(body, e.GetCanonicalizedBody()) {
			t.Fatalf("%s holds another body at index %d than the bundle's entry", path, idx)
		}
		t.Logf("published checkpoint (%d entries) verifies; %s holds the entry's body", cp.size, path)
		return
	}
	t.Fatalf("the log's published state: %v", lastErr)
}

// tileIndex encodes a tile index as tlog-tiles paths do: three-digit
// elements, all but the last prefixed with x.
func tileIndex(n uint64) string {
	s := fmt.Sprintf("%03d", n%1000)
	for n /= 1000; n > 0; n /= 1000 {
		s = fmt.Sprintf("x%03d/", n%1000) + s
	}
	return s
}

// bundleEntry returns entry i of a tlog-tiles entry bundle: entries,
// each a big-endian uint16 length and the data.
func bundleEntry(tile []byte, i int) ([]byte, error) {
	for j := 0; ; j++ {
		if len(tile) < 2 {
			return nil, fmt.Errorf("entry bundle has %d entries, want index %d", j, i)
		}
		n := int(binary.BigEndian.Uint16(tile))
		if len(tile) < 2+n {
			return nil, fmt.Errorf("entry %d is truncated", j)
		}
		if j == i {
			return tile[2 : 2+n], nil
		}
		tile = tile[2+n:]
	}
}
