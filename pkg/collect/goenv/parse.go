package goenv

import (
	"net/url"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/gopolicy/gopolicy/pkg/facts"
)

// knownSumDBs are the checksum databases the go command has built-in keys
// for; sum.golang.google.cn is an alias of sum.golang.org.
var knownSumDBs = map[string]string{
	"sum.golang.org":       "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
	"sum.golang.google.cn": "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
}

// ParseGOPROXY splits GOPROXY the way the go command walks it: ',' falls
// through only on 404/410, '|' on any error, and "direct" or "off" end the
// walk, so later entries are recorded as unreachable.
func ParseGOPROXY(v string) []facts.ProxyEntry {
	entries := []facts.ProxyEntry{}
	reachable := true
	for v != "" {
		var raw, fallback string
		if i := strings.IndexAny(v, ",|"); i >= 0 {
			raw = v[:i]
			if v[i] == '|' {
				fallback = "any-error"
			} else {
				fallback = "not-found"
			}
			v = v[i+1:]
		} else {
			raw, v = v, ""
		}
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		e := facts.ProxyEntry{Raw: raw, Reachable: reachable, FallbackOn: fallback}
		switch raw {
		case "direct", "off":
			e.Kind = raw
			e.FallbackOn = ""
			reachable = false
		default:
			e.Kind = "proxy"
			u := raw
			if strings.ContainsAny(u, ".:/") && !strings.Contains(u, ":/") && !filepath.IsAbs(u) && !path.IsAbs(u) {
				u = "https://" + u
			}
			e.URL = u
			e.Scheme = scheme(u)
		}
		entries = append(entries, e)
	}
	if n := len(entries); n > 0 && entries[n-1].Kind == "proxy" {
		entries[n-1].FallbackOn = ""
	}
	return entries
}

// scheme is a URL's scheme ("https"), read without parsing the rest so
// that a URL whose credentials were redacted still has one.
func scheme(u string) string {
	if pu, err := url.Parse(u); err == nil {
		return pu.Scheme
	}
	s, _, ok := strings.Cut(u, ":")
	if !ok || s == "" {
		return ""
	}
	for i, c := range s {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return ""
		}
	}
	return strings.ToLower(s)
}

// ParseGOSUMDB takes GOSUMDB apart: "off", a known name, "name+key", or
// "name+key url". The key is checked with the sumdb note verifier, the
// same check the go command makes before trusting a database.
func ParseGOSUMDB(v string) facts.SumDB {
	s := facts.SumDB{Raw: v}
	if v == "off" {
		s.Off = true
		return s
	}
	fields := strings.Fields(v)
	switch {
	case len(fields) == 0:
		s.Error = "GOSUMDB is empty: the go command reports \"missing GOSUMDB\""
		return s
	case len(fields) > 2:
		s.Error = "invalid GOSUMDB: too many fields"
	}
	key := fields[0]
	if len(fields) == 2 {
		s.URL = fields[1]
	}
	if known, ok := knownSumDBs[key]; ok {
		s.Known = true
		s.Name = key
		if key == "sum.golang.google.cn" && s.URL == "" {
			s.URL = "https://sum.golang.google.cn"
		}
		key = known
	} else {
		s.Name, _, _ = strings.Cut(key, "+")
		if strings.Contains(key, "+") {
			s.HasKey = true
			s.Key = key
		}
	}
	if _, err := note.NewVerifier(key); err != nil {
		if s.HasKey {
			s.KeyError = err.Error()
		} else if !s.Known {
			s.KeyError = "no public key: GOSUMDB names an unknown database without name+key"
		}
	} else {
		s.KeyValid = true
		if s.Known {
			// The built-in key stands in for a named known database.
			s.HasKey = true
		}
	}
	if s.URL == "" && s.Name != "" {
		s.URL = "https://" + s.Name
	}
	return s
}
