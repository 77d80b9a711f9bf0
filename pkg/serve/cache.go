package serve

import (
	"sync"
	"time"
)

// cacheKey is what an image judgement depends on, and nothing else: the
// image digest (never a tag), the policy bundle's digest, the trust
// material's digest and the profile. Anything not in the key (the Pod's
// environment, limits, namespace) is judged on every request.
type cacheKey struct {
	Digest, Bundle, Trust, Profile string
}

type cacheEntry struct {
	v       *ImageVerdict
	expires time.Time
}

// cache is a bounded TTL map of image verdicts.
type cache struct {
	mu      sync.Mutex
	entries map[cacheKey]cacheEntry
	max     int
	now     func() time.Time
}

func newCache(max int) *cache {
	return &cache{entries: map[cacheKey]cacheEntry{}, max: max, now: time.Now}
}

func (c *cache) get(k cacheKey) (*ImageVerdict, bool) {
	if c.max <= 0 {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok {
		return nil, false
	}
	if c.now().After(e.expires) {
		delete(c.entries, k)
		return nil, false
	}
	return e.v, true
}

func (c *cache) put(k cacheKey, v *ImageVerdict, ttl time.Duration) {
	if c.max <= 0 || ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		now := c.now()
		for k2, e := range c.entries {
			if now.After(e.expires) {
				delete(c.entries, k2)
			}
		}
		// Still full: drop arbitrary entries (map order) to make room.
		for k2 := range c.entries {
			if len(c.entries) < c.max {
				break
			}
			delete(c.entries, k2)
		}
	}
	c.entries[k] = cacheEntry{v: v, expires: c.now().Add(ttl)}
}

func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
