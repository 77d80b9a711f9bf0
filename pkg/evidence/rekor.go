package evidence

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/go-openapi/runtime"
	"github.com/go-openapi/strfmt"
	rekorclient "github.com/sigstore/rekor/pkg/client"
	"github.com/sigstore/rekor/pkg/generated/client/entries"
	"github.com/sigstore/rekor/pkg/generated/client/index"
	"github.com/sigstore/rekor/pkg/generated/models"
	"github.com/sigstore/rekor/pkg/types"
	hashedrekord "github.com/sigstore/rekor/pkg/types/hashedrekord/v0.0.1"
	rekorverify "github.com/sigstore/rekor/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/transparency-dev/merkle/rfc6962"

	// Entry types a search may return; the log entry bodies are parsed
	// by these.
	_ "github.com/sigstore/rekor/pkg/types/dsse/v0.0.1"
	_ "github.com/sigstore/rekor/pkg/types/intoto/v0.0.2"

	"github.com/gopolicy/gopolicy/pkg/facts"
)

// SearchIncompleteNote is stated by every search result.
const SearchIncompleteNote = "search by hash is incomplete by design: Rekor v1 documents its index search as best effort " +
	"whose results may be incomplete, and Rekor v2 has no search; an entry found is extra evidence, " +
	"no entry found proves nothing, and only a bundle binds a signature to the binary"

// SearchBatchSize is the most entries fetched per entries/retrieve
// request (the Rekor v1 API allows at most 10).
const SearchBatchSize = 10

// MaxSearchEntries is the most entries SearchRekorV1 fetches; a hash
// with more entries is reported as truncated.
const MaxSearchEntries = 100

// SearchResult is the outcome of a Rekor v1 search by hash.
type SearchResult struct {
	URL    string
	SHA256 string
	// Incomplete is always true (see SearchIncompleteNote).
	Incomplete bool
	Note       string
	// UUIDs are the entry UUIDs the index returned.
	UUIDs []string
	// Entries are those fetched, each verified offline against the
	// pinned log key.
	Entries []facts.EvidenceLogEntry
}

// Facts converts the result for the evidence facts section; err is the
// error SearchRekorV1 returned with it, if any.
func (r SearchResult) Facts(err error) facts.EvidenceSearch {
	s := facts.EvidenceSearch{
		LogURL:     r.URL,
		SHA256:     r.SHA256,
		Incomplete: true,
		Note:       SearchIncompleteNote,
		UUIDs:      append([]string{}, r.UUIDs...),
		Entries:    append([]facts.EvidenceLogEntry{}, r.Entries...),
	}
	if err != nil {
		s.Error = err.Error()
	}
	return s
}

// SearchRekorV1 searches a Rekor v1 log's index for entries mentioning
// the SHA-256 (hex, optionally "sha256:"-prefixed), fetches them in
// batches of at most SearchBatchSize, and verifies each offline against
// pinnedLogKey (PKIX PEM): the entry UUID against its body, its SET, its
// inclusion proof and the signature on its checkpoint. An entry that
// fails is recorded as unverified with the reason; it is not an error.
//
// The search is best effort (see SearchIncompleteNote). Network errors,
// timeouts and rate limits are returned as errors with their cause,
// together with whatever was found before them. Requests are bounded by
// ctx, or DefaultNetworkTimeout each when ctx has no deadline.
func SearchRekorV1(ctx context.Context, rekorURL, sha256Hex string, pinnedLogKey []byte) (SearchResult, error) {
	return (*Cache)(nil).SearchRekorV1(ctx, rekorURL, sha256Hex, pinnedLogKey)
}

// SearchRekorV1 is the package's SearchRekorV1, fetching and verifying
// each entry once for the run: an entry another search of the same log
// with the same pinned key fetched (or is fetching) is reused.
func (c *Cache) SearchRekorV1(ctx context.Context, rekorURL, sha256Hex string, pinnedLogKey []byte) (SearchResult, error) {
	res := SearchResult{URL: rekorURL, Incomplete: true, Note: SearchIncompleteNote}
	d, err := parseDigest("sha256:" + strings.TrimPrefix(strings.ToLower(strings.TrimSpace(sha256Hex)), "sha256:"))
	if err != nil {
		return res, fmt.Errorf("evidence: rekor search: %w", err)
	}
	res.SHA256 = d.hex()
	pub, err := ParsePublicKey(pinnedLogKey)
	if err != nil {
		return res, fmt.Errorf("evidence: rekor search: pinned log key: %w", err)
	}
	if _, ok := pub.(*ecdsa.PublicKey); !ok {
		return res, fmt.Errorf("evidence: rekor search: a Rekor v1 log signs with ECDSA, not %s", KeyAlgorithm(pub))
	}
	verifier, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return res, fmt.Errorf("evidence: rekor search: %w", err)
	}
	logID := strings.TrimPrefix(mustFingerprint(pub), "sha256:")

	u, err := url.Parse(strings.TrimRight(rekorURL, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return res, fmt.Errorf("evidence: rekor search: %q is not an http(s) URL", rekorURL)
	}
	rc, err := rekorclient.GetRekorClient(u.String(),
		rekorclient.WithUserAgent("gopolicy-evidence"),
		rekorclient.WithRetryCount(1),
		rekorclient.WithRetryWaitMin(200*time.Millisecond),
		rekorclient.WithRetryWaitMax(2*time.Second))
	if err != nil {
		return res, fmt.Errorf("evidence: rekor search: %w", err)
	}
	timeout := DefaultNetworkTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	}

	ip := index.NewSearchIndexParamsWithContext(ctx)
	ip.SetTimeout(timeout)
	ip.SetQuery(&models.SearchIndex{Hash: "sha256:" + res.SHA256})
	found, err := rc.Index.SearchIndex(ip)
	if err != nil {
		return res, fmt.Errorf("evidence: rekor search %s: index/retrieve: %w", rekorURL, networkCause(ctx, err))
	}
	seen := map[string]bool{}
	for _, id := range found.GetPayload() {
		id = strings.ToLower(id)
		if !seen[id] {
			seen[id] = true
			res.UUIDs = append(res.UUIDs, id)
		}
	}
	want := res.UUIDs
	if len(want) > MaxSearchEntries {
		want = want[:MaxSearchEntries]
	}

	// Each entry is this search's to fetch, or another's to wait for.
	got := map[string]*searchEntry{}
	missing := map[string]bool{}
	owned := map[string]*entryPromise{}
	waiting := map[string]*entryPromise{}
	var fetch []string
	keyOf := func(id string) string { return u.String() + "\x00" + logID + "\x00" + uuidPart(id) }
	for _, id := range want {
		if c == nil {
			fetch = append(fetch, id)
			continue
		}
		p, owner := c.claim(keyOf(id))
		if owner {
			owned[id] = p
			fetch = append(fetch, id)
		} else {
			waiting[id] = p
		}
	}
	// Whatever happens, the entries claimed are settled, so that no other
	// search waits for them forever.
	defer func() {
		for id, p := range owned {
			c.settle(keyOf(id), p, nil)
		}
	}()
	assemble := func() {
		for _, id := range want {
			switch {
			case got[id] != nil:
				res.Entries = append(res.Entries, got[id].about(d))
			case missing[id]:
				res.Entries = append(res.Entries, facts.EvidenceLogEntry{UUID: id, Reason: "the log did not return this entry"})
			}
		}
	}
	fetchAll := func(ids []string) error {
		for start := 0; start < len(ids); start += SearchBatchSize {
			batch := ids[start:min(start+SearchBatchSize, len(ids))]
			ep := entries.NewSearchLogQueryParamsWithContext(ctx)
			ep.SetTimeout(timeout)
			ep.SetEntry(&models.SearchLogQuery{EntryUUIDs: batch})
			answer, err := rc.Entries.SearchLogQuery(ep)
			if err != nil {
				return fmt.Errorf("evidence: rekor search %s: entries/retrieve (entries %d to %d of %d): %w",
					rekorURL, start+1, start+len(batch), len(ids), networkCause(ctx, err))
			}
			returned := map[string]models.LogEntryAnon{}
			for _, le := range answer.GetPayload() {
				for id, anon := range le {
					returned[strings.ToLower(id)] = anon
				}
			}
			for _, id := range batch {
				anon, ok := lookupEntry(returned, id)
				if !ok {
					missing[id] = true
					continue
				}
				e := verifySearchEntry(ctx, id, anon, logID, verifier)
				if c != nil {
					c.entryRuns.Add(1)
				}
				got[id] = e
				if p := owned[id]; p != nil {
					c.settle(keyOf(id), p, e)
					delete(owned, id)
				}
			}
		}
		return nil
	}
	if err := fetchAll(fetch); err != nil {
		assemble()
		return res, err
	}
	// Entries another search claimed: wait for them; fetch those it did
	// not get.
	var again []string
	for _, id := range want {
		p := waiting[id]
		if p == nil {
			continue
		}
		select {
		case <-p.done:
		case <-ctx.Done():
			assemble()
			return res, fmt.Errorf("evidence: rekor search %s: waiting for entries another search fetches: %w", rekorURL, ctx.Err())
		}
		if p.entry == nil {
			again = append(again, id)
			continue
		}
		c.entryHits.Add(1)
		got[id] = p.entry
	}
	if err := fetchAll(again); err != nil {
		assemble()
		return res, err
	}
	assemble()
	if len(res.UUIDs) > len(want) {
		res.Note += fmt.Sprintf("; only the first %d of %d entries were fetched", len(want), len(res.UUIDs))
	}
	return res, nil
}

func mustFingerprint(pub crypto.PublicKey) string {
	fp, err := Fingerprint(pub)
	if err != nil {
		return ""
	}
	return fp
}

// lookupEntry finds an entry by UUID; the log may key it by the 64-hex
// UUID or by the 80-hex entry ID (tree ID + UUID).
func lookupEntry(m map[string]models.LogEntryAnon, id string) (models.LogEntryAnon, bool) {
	if a, ok := m[id]; ok {
		return a, true
	}
	for k, a := range m {
		if uuidPart(k) == uuidPart(id) {
			return a, true
		}
	}
	return models.LogEntryAnon{}, false
}

// uuidPart is the last 64 hex characters of an entry ID.
func uuidPart(id string) string {
	if len(id) > 64 {
		return id[len(id)-64:]
	}
	return id
}

// searchEntry is a fetched entry verified against the pinned log key:
// what holds whatever hash it was found by.
type searchEntry struct {
	le facts.EvidenceLogEntry
	// final: le is the whole verdict (the entry is malformed).
	final    bool
	problems []string
	// kind, parseErr and hashed are read from the body.
	kind, parseErr string
	hashed         *digestHex
}

type digestHex struct{ alg, hex string }

// verifySearchEntry verifies one returned entry offline. Whatever the
// server sent, it never panics: a malformed entry is reported as such.
func verifySearchEntry(ctx context.Context, id string, anon models.LogEntryAnon, logID string, verifier signature.Verifier) (se *searchEntry) {
	se = &searchEntry{le: facts.EvidenceLogEntry{UUID: id}}
	final := func(format string, args ...any) *searchEntry {
		se.le.Reason = fmt.Sprintf(format, args...)
		se.final = true
		return se
	}
	defer func() {
		if r := recover(); r != nil {
			se.le.Verified = false
			final("malformed entry: %v", r)
		}
	}()
	if err := anon.Validate(strfmt.Default); err != nil {
		return final("malformed entry: %v", err)
	}
	if anon.Verification == nil {
		return final("entry has neither a SET nor an inclusion proof")
	}
	le := &se.le
	le.LogID = strings.ToLower(*anon.LogID)
	le.LogIndex = *anon.LogIndex
	if *anon.IntegratedTime > 0 {
		t := time.Unix(*anon.IntegratedTime, 0).UTC()
		le.IntegratedTime = &t
	}
	le.Trusted = le.LogID == logID
	le.HasSET = len(anon.Verification.SignedEntryTimestamp) > 0
	le.HasInclusionProof = anon.Verification.InclusionProof != nil

	bodyB64, ok := anon.Body.(string)
	if !ok {
		return final("entry body is not a string")
	}
	body, err := base64.StdEncoding.DecodeString(bodyB64)
	if err != nil {
		return final("entry body: %v", err)
	}
	if !le.Trusted {
		se.problems = append(se.problems, fmt.Sprintf("log ID %s is not the pinned log's %s", le.LogID, logID))
	}
	if leaf := hex.EncodeToString(rfc6962.DefaultHasher.HashLeaf(body)); leaf != uuidPart(id) {
		se.problems = append(se.problems, "the entry's UUID is not the hash of its body")
	}
	if le.HasSET {
		if err := rekorverify.VerifySignedEntryTimestamp(ctx, &anon, verifier); err != nil {
			se.problems = append(se.problems, "SET: "+err.Error())
		} else {
			le.SETVerified = le.Trusted
		}
	}
	if le.HasInclusionProof {
		err := rekorverify.VerifyInclusion(ctx, &anon)
		if err == nil {
			err = rekorverify.VerifyCheckpointSignature(&anon, verifier)
		}
		if err != nil {
			se.problems = append(se.problems, "inclusion proof: "+err.Error())
		} else {
			le.InclusionProofVerified = le.Trusted
		}
	}
	if !le.HasSET && !le.HasInclusionProof {
		se.problems = append(se.problems, "neither a SET nor an inclusion proof")
	}
	se.readBody(body)
	return se
}

// readBody names an entry's kind and, for a hashedrekord, the digest it
// signs.
func (se *searchEntry) readBody(body []byte) {
	pe, err := models.UnmarshalProposedEntry(bytes.NewReader(body), runtime.JSONConsumer())
	if err != nil {
		se.parseErr = "entry body: " + err.Error()
		return
	}
	impl, err := types.UnmarshalEntry(pe)
	if err != nil {
		se.kind, se.parseErr = pe.Kind(), "entry body: "+err.Error()
		return
	}
	se.kind = pe.Kind() + "/" + impl.APIVersion()
	if e, ok := impl.(*hashedrekord.V001Entry); ok {
		se.hashed = &digestHex{}
		if e.HashedRekordObj.Data != nil && e.HashedRekordObj.Data.Hash != nil && e.HashedRekordObj.Data.Hash.Value != nil {
			if e.HashedRekordObj.Data.Hash.Algorithm != nil {
				se.hashed.alg = *e.HashedRekordObj.Data.Hash.Algorithm
			}
			se.hashed.hex = *e.HashedRekordObj.Data.Hash.Value
		}
	}
}

// about is the entry's verdict for a search by want: how the entry
// relates to that hash, and whether it verified.
func (se *searchEntry) about(want digest) facts.EvidenceLogEntry {
	le := se.le
	if se.final {
		return le
	}
	problems := append([]string(nil), se.problems...)
	le.Kind = se.kind
	var about string
	switch {
	case se.parseErr != "":
		problems = append(problems, se.parseErr)
	case se.hashed != nil && se.hashed.hex == "":
		problems = append(problems, "hashedrekord entry without a digest")
	case se.hashed != nil && (se.hashed.alg != want.alg || !strings.EqualFold(se.hashed.hex, want.hex())):
		problems = append(problems, fmt.Sprintf("the index returned a hashedrekord entry for %s:%s, not for this hash", se.hashed.alg, se.hashed.hex))
	case se.hashed != nil:
		about = "a signature over this very digest (hashedrekord)"
	default:
		about = "an attestation the log indexed under this hash (a statement subject); " +
			"its body holds only digests of the envelope, so only the bundle binds it to the binary"
	}
	if len(problems) > 0 {
		le.Reason = strings.Join(problems, "; ")
		return le
	}
	le.Verified = true
	le.Reason = "verified against the pinned log key: " + about
	return le
}

// networkCause keeps the context's error visible when a request failed
// because of it.
func networkCause(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w (%v)", cerr, err)
	}
	return err
}
