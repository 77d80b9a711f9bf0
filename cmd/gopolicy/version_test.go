package main

import (
	"os"
	"regexp"
	"runtime/debug"
	"testing"
)

// The version constant is the newest release in CHANGELOG.md.
func TestVersionIsTheChangelogs(t *testing.T) {
	data, err := os.ReadFile("../../CHANGELOG.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^## \[(\d+\.\d+\.\d+)\]`).FindSubmatch(data)
	if m == nil {
		t.Fatal("CHANGELOG.md names no release")
	}
	if string(m[1]) != version {
		t.Fatalf("version = %s, CHANGELOG.md's newest release is %s", version, m[1])
	}
}

func TestVersionOf(t *testing.T) {
	settings := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	for _, c := range []struct {
		main     string
		settings []debug.BuildSetting
		want     string
	}{
		{"v0.4.0", nil, "0.4.0"},
		{"v0.4.1-rc.1", nil, "0.4.1-rc.1"},
		{"v0.0.0-20261121164724-7f42d13d22c3", settings("7f42d13d22c3aaaa", "false"), version + "+7f42d13d22c3"},
		{"v0.3.1-0.20261121164724-7f42d13d22c3+dirty", settings("7f42d13d22c3aaaa", "true"), version + "+7f42d13d22c3.dirty"},
		{"(devel)", settings("abc", "false"), version + "+abc"},
		{"(devel)", nil, version},
	} {
		bi := &debug.BuildInfo{Main: debug.Module{Version: c.main}, Settings: c.settings}
		if got := versionOf(bi); got != c.want {
			t.Errorf("%s: %s, want %s", c.main, got, c.want)
		}
	}
}
