package rootfs_test

import (
	"strings"
	"testing"

	"github.com/gopolicy/gopolicy/pkg/collect/rootfs"
)

// FuzzLDSOConf: any ld.so.conf parses without a panic into directories
// and include patterns without comments or blank values.
func FuzzLDSOConf(f *testing.F) {
	for _, s := range []string{
		"include /etc/ld.so.conf.d/*.conf\n",
		"/usr/local/lib\n# comment\n\ninclude\tconf.d/*.conf other/*.conf\nhwcap 0 nosegneg\n/opt/lib # trailing\n",
		"include",
		"\x00\xff include /../../etc/*",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, l := range rootfs.ParseLDSOConf(data) {
			if l.Value == "" || strings.Contains(l.Value, "#") || strings.ContainsAny(l.Value, "\n") || l.Line < 1 {
				t.Fatalf("line %+v", l)
			}
			if l.Include && strings.ContainsAny(l.Value, " \t") {
				t.Fatalf("include pattern with spaces: %+v", l)
			}
		}
	})
}

// FuzzOSRelease: any os-release parses without a panic, one line per
// value.
func FuzzOSRelease(f *testing.F) {
	for _, s := range []string{
		"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n",
		"ID='alpine'\nVERSION_ID=3.20.0\n# ID=no\n",
		"PRETTY_NAME=\"a \\\"quoted\\\" \\\\ name\"\n",
		"ID=\"\nID='",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d := rootfs.ParseOSRelease(data)
		for _, v := range []string{d.ID, d.VersionID, d.PrettyName} {
			if strings.ContainsAny(v, "\n") {
				t.Fatalf("value spans lines: %q", v)
			}
		}
	})
}
