package oci

import (
	"fmt"
	"io"
	"net/http"
	"strings"
)

// MaxManifestSize bounds a manifest or referrers index read from a
// registry. go-containerregistry allows 100 MiB; an attestation's
// manifest is a few KiB, and a registry is someone else's.
const MaxManifestSize = 4 << 20

// limitManifests caps the bodies of manifest and referrers responses;
// blobs are bounded where they are read (evidence.MaxBundleSize).
type limitManifests struct{ next http.RoundTripper }

func (l limitManifests) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(req)
	if err != nil || !(strings.Contains(req.URL.Path, "/manifests/") || strings.Contains(req.URL.Path, "/referrers/")) {
		return resp, err
	}
	if resp.ContentLength > MaxManifestSize {
		resp.Body.Close()
		return nil, fmt.Errorf("%s: manifest of %d bytes is larger than %d", req.URL.Path, resp.ContentLength, MaxManifestSize)
	}
	resp.Body = &cappedBody{r: resp.Body, left: MaxManifestSize, path: req.URL.Path}
	return resp, nil
}

// cappedBody fails a read past the cap rather than truncating: a cut
// manifest must not parse as a smaller one.
type cappedBody struct {
	r    io.ReadCloser
	left int64
	path string
}

func (c *cappedBody) Read(p []byte) (int, error) {
	if c.left <= 0 {
		var one [1]byte
		if n, _ := c.r.Read(one[:]); n > 0 {
			return 0, fmt.Errorf("%s: manifest larger than %d bytes", c.path, MaxManifestSize)
		}
		return c.r.Read(p)
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

func (c *cappedBody) Close() error { return c.r.Close() }
