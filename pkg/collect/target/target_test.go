package target_test

import (
	"testing"

	"github.com/gopolicy/gopolicy/pkg/collect/target"
)

func TestBuild(t *testing.T) {
	tgt, err := target.Build(target.Spec{Platform: "linux/arm64", Libc: "glibc:2.31", Source: "flag"})
	if err != nil || !tgt.Specified || tgt.OS != "linux" || tgt.Arch != "arm64" || tgt.Libc.Flavour != "glibc" || tgt.Libc.Version != "2.31" {
		t.Fatalf("%+v %v", tgt, err)
	}
	if tgt, _ := target.Build(target.Spec{}); tgt.Specified {
		t.Fatal("empty spec is specified")
	}
	for _, bad := range []target.Spec{{Platform: "linux"}, {Platform: "linux/x86"}, {Platform: "beos/amd64"}, {Libc: "uclibc"}, {Libc: "glibc:two"}, {Libc: "none:1"}} {
		if _, err := target.Build(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
