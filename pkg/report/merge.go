package report

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// Merge combines the shard directories of one run into out: the same
// report an unsharded run writes (the outputs are made from the stored
// decisions in the run's order). The shards must come from one run
// description: same policies, profile, time and subjects, every shard of
// the n present once.
func Merge(out string, shards []string) (Summary, error) {
	if len(shards) == 0 {
		return Summary{}, fmt.Errorf("merge: name the shard directories")
	}
	type src struct {
		dir string
		a   Artefact
	}
	var all []src
	var meta Metadata
	seen := map[string]string{}
	for i, dir := range shards {
		r, err := Read(dir)
		if err != nil {
			return Summary{}, err
		}
		m := r.Metadata
		if i == 0 {
			meta = m
		} else {
			switch {
			case m.Bundle.Digest != meta.Bundle.Digest:
				return Summary{}, fmt.Errorf("merge: %s was judged with policies %s, %s with %s", dir, m.Bundle.Digest, shards[0], meta.Bundle.Digest)
			case m.Profile != meta.Profile || m.FailOn != meta.FailOn:
				return Summary{}, fmt.Errorf("merge: %s was judged with profile %s, %s with %s", dir, m.Profile, shards[0], meta.Profile)
			case m.Now != meta.Now:
				return Summary{}, fmt.Errorf("merge: %s was judged as of %s, %s as of %s: give every shard the same --now", dir, m.Now, shards[0], meta.Now)
			case m.Subjects != meta.Subjects:
				return Summary{}, fmt.Errorf("merge: %s names %d subjects, %s names %d: the shards were not cut from one run", dir, m.Subjects, shards[0], meta.Subjects)
			}
			if m.Started.Before(meta.Started) {
				meta.Started = m.Started
			}
		}
		if m.Shard == "" {
			return Summary{}, fmt.Errorf("merge: %s is not a shard (no --shard)", dir)
		}
		if prev, dup := seen[m.Shard]; dup {
			return Summary{}, fmt.Errorf("merge: %s and %s are both shard %s", prev, dir, m.Shard)
		}
		seen[m.Shard] = dir
		for _, a := range r.Artefacts {
			all = append(all, src{dir, a})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].a.Index < all[j].a.Index })
	for i, s := range all {
		if s.a.Index != i {
			return Summary{}, fmt.Errorf("merge: artefact %d is missing or given twice: pass every shard of the run", i)
		}
	}
	if len(all) != meta.Subjects {
		return Summary{}, fmt.Errorf("merge: the shards hold %d of the run's %d subjects: pass every shard", len(all), meta.Subjects)
	}
	meta.Shard = ""
	w, err := Create(out, meta)
	if err != nil {
		return Summary{}, err
	}
	finished := time.Time{}
	for _, s := range all {
		d, err := ReadDecision(s.dir, s.a)
		if err != nil {
			w.abort()
			return Summary{}, fmt.Errorf("merge: %s: %w", s.dir, err)
		}
		var facts []byte
		if s.a.Facts != "" {
			if facts, err = os.ReadFile(filepath.Join(s.dir, filepath.FromSlash(s.a.Facts))); err != nil {
				w.abort()
				return Summary{}, fmt.Errorf("merge: %w", err)
			}
			if Digest(facts) != s.a.FactsSHA256 {
				w.abort()
				return Summary{}, fmt.Errorf("merge: %s/%s was altered: its digest is not the one its report records", s.dir, s.a.Facts)
			}
		}
		a := s.a
		a.Facts, a.FactsSHA256, a.Decision = "", "", ""
		if err := w.Add(a, d, facts); err != nil {
			w.abort()
			return Summary{}, err
		}
	}
	for _, dir := range shards {
		if r, err := Read(dir); err == nil && r.Metadata.Finished.After(finished) {
			finished = r.Metadata.Finished
		}
	}
	return w.Close(finished)
}
