package evidence

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/singleflight"
)

// Cache remembers verifications for one run, so that a bundle shipped
// beside many binaries, or a log entry that many binaries' searches
// return, is verified once: a release of 50 binaries often ships one
// attestation naming them all, and a search by each binary's hash finds
// the same entries. Concurrent identical verifications are coalesced.
//
// A bundle is remembered by its content's SHA-256 together with every
// option that decides its verdict other than the artifact, and the
// binding to each artifact (the artifact step, and sigstore-go's check of
// it) still runs for every call; a search entry is remembered by the
// log's URL, the pinned log key and the entry UUID. So a result is reused
// only for the same bytes judged against the same trust, failures are
// remembered as failures, and a verification a cancelled context cut
// short is not remembered.
//
// A Cache holds every bundle it verified, parsed, until it is dropped:
// make one per run (or per request), not one per process. The zero value
// is not usable; a nil *Cache verifies without remembering. A Cache is
// safe for concurrent use.
type Cache struct {
	mu      sync.Mutex
	trusts  map[[sha256.Size]byte]*trustResult
	bundles map[[sha256.Size]byte]*verification
	entries map[string]*entryPromise
	group   singleflight.Group

	bundleRuns, bundleHits atomic.Int64
	entryRuns, entryHits   atomic.Int64
}

// CacheStats counts what a Cache did.
type CacheStats struct {
	// BundleVerifications is how many bundles were verified (the
	// artifact-independent steps run); BundleHits how many Verify calls
	// reused one of those, waiting for it if it was still running.
	BundleVerifications, BundleHits int64
	// EntryVerifications is how many search entries were fetched and
	// verified; EntryHits how many search results reused one.
	EntryVerifications, EntryHits int64
}

// NewCache returns an empty Cache.
func NewCache() *Cache {
	return &Cache{
		trusts:  map[[sha256.Size]byte]*trustResult{},
		bundles: map[[sha256.Size]byte]*verification{},
		entries: map[string]*entryPromise{},
	}
}

// Stats returns the counts so far.
func (c *Cache) Stats() CacheStats {
	if c == nil {
		return CacheStats{}
	}
	return CacheStats{
		BundleVerifications: c.bundleRuns.Load(), BundleHits: c.bundleHits.Load(),
		EntryVerifications: c.entryRuns.Load(), EntryHits: c.entryHits.Load(),
	}
}

type trustResult struct {
	t   *trust
	err error
}

// trustKey identifies the trust material newTrust reads.
func trustKey(o VerifyOptions) [sha256.Size]byte {
	b, _ := json.Marshal(struct {
		TrustedRoot     []byte
		PublicKeys      [][]byte
		LogPublicKeys   [][]byte
		Identities      []Identity
		KeyFingerprints []string
	}{o.TrustedRoot, o.PublicKeys, o.LogPublicKeys, o.Identities, o.KeyFingerprints})
	return sha256.Sum256(b)
}

// bundleKey identifies a bundle verified against options: everything
// but the artifact, which bind checks for each call.
func bundleKey(bundleJSON []byte, o VerifyOptions) [sha256.Size]byte {
	b, _ := json.Marshal(struct {
		Bundle, Trust                                           [sha256.Size]byte
		PredicateType                                           string
		TlogEntries, ObserverTimestamps, SignedTimestamps, SCTs int
	}{sha256.Sum256(bundleJSON), trustKey(o), o.PredicateType, o.TlogEntries, o.ObserverTimestamps, o.SignedTimestamps, o.SCTs})
	return sha256.Sum256(b)
}

// trust parses the trust material once per distinct material.
func (c *Cache) trust(o VerifyOptions) (*trust, error) {
	if c == nil {
		return newTrust(o)
	}
	k := trustKey(o)
	c.mu.Lock()
	r, ok := c.trusts[k]
	c.mu.Unlock()
	if !ok {
		t, err := newTrust(o)
		r = &trustResult{t, err}
		c.mu.Lock()
		if prev, ok := c.trusts[k]; ok {
			r = prev
		} else {
			c.trusts[k] = r
		}
		c.mu.Unlock()
	}
	return r.t, r.err
}

// Verify is the package's Verify, remembering the bundle part for the
// run.
func (c *Cache) Verify(ctx context.Context, bundleJSON []byte, opts VerifyOptions) (Result, error) {
	v := c.bundle(ctx, bundleJSON, opts)
	return finish(ctx, v.bind(ctx, opts))
}

// bundle returns the bundle part of a verification, running it unless
// it ran before or is running.
func (c *Cache) bundle(ctx context.Context, bundleJSON []byte, opts VerifyOptions) *verification {
	if c == nil {
		v := &verification{ctx: ctx, opts: opts, trustFor: newTrust}
		if d, err := parseDigest(opts.ArtifactDigest); err == nil {
			v.boundTo = &d
		}
		v.runBundle(bundleJSON)
		return v
	}
	k := bundleKey(bundleJSON, opts)
	for {
		c.mu.Lock()
		v, ok := c.bundles[k]
		c.mu.Unlock()
		if ok {
			c.bundleHits.Add(1)
			return v
		}
		var ran bool
		r, _, _ := c.group.Do(string(k[:]), func() (any, error) {
			ran = true
			c.bundleRuns.Add(1)
			v := &verification{ctx: ctx, opts: opts, trustFor: c.trust}
			v.runBundle(bundleJSON)
			if !v.interrupted {
				c.mu.Lock()
				c.bundles[k] = v
				c.mu.Unlock()
			}
			return v, nil
		})
		v = r.(*verification)
		if !ran {
			c.bundleHits.Add(1)
		}
		// Another caller's context cut its run short: run again, unless
		// this caller's context has ended too.
		if !v.interrupted || ran || ctx.Err() != nil {
			return v
		}
	}
}

// entryPromise is a search entry one search fetches and others wait for.
type entryPromise struct {
	done  chan struct{}
	entry *searchEntry // nil: the search that claimed it did not get it
}

// claim returns the promise for a search entry, and whether the caller
// owns it, that is must fetch it and settle it.
func (c *Cache) claim(key string) (*entryPromise, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.entries[key]; ok {
		return p, false
	}
	p := &entryPromise{done: make(chan struct{})}
	c.entries[key] = p
	return p, true
}

// settle fulfils a claimed promise. An entry that could not be had is
// forgotten, so that a later search tries again.
func (c *Cache) settle(key string, p *entryPromise, e *searchEntry) {
	if e == nil {
		c.mu.Lock()
		if c.entries[key] == p {
			delete(c.entries, key)
		}
		c.mu.Unlock()
	}
	p.entry = e
	close(p.done)
}
