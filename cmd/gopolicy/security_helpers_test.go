package main

import (
	"os"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/gopolicy/gopolicy/pkg/eval/bundletest"
)

// hostile-tar KIND OUT writes a hostile .tar.gz bundle of the given kind
// (sparse, symlink, hardlink, chardev, fifo, dotdot, absolute, duplicate,
// long-path, many, total, pax-stream, ...; see bundletest.Tarball):
// archives Go's tar writer refuses to produce.
func cmdHostileTar(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: hostile-tar KIND OUT")
	}
	data, err := bundletest.Tarball(args[0])
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), data, 0o644))
}
