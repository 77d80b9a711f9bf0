package main

import (
	"errors"
	"os/exec"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// status N PROGRAM [ARGS...] runs PROGRAM as exec does, keeping its stdout
// and stderr for the lines that follow, and fails unless it exits with
// exactly status N. gopolicy's exit status is a public contract (0
// allowed, 1 denied, 2 usage, input or policy error), and `! exec` would
// accept any failure: a denial where an error was meant, or the reverse.
func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	const usage = "usage: status N PROGRAM [ARGS...]"
	if neg {
		ts.Fatalf("%s (no '!': N is the exact exit status expected)", usage)
	}
	if len(args) < 2 {
		ts.Fatalf("%s", usage)
	}
	want, err := strconv.Atoi(args[0])
	if err != nil || want < 0 || want > 255 {
		ts.Fatalf("%s: N must be an exit status from 0 to 255, not %q", usage, args[0])
	}
	got, err := runStatus(ts, args[1], args[2:])
	if err != nil {
		ts.Fatalf("%s: %v, want exit status %d", args[1], err, want)
	}
	if got != want {
		ts.Fatalf("%s: exit status %d, want %d", args[1], got, want)
	}
}

// runStatus runs a program through ts.Exec, so that stdout, stderr and cmp
// see its output, and returns its exit status; the error reports a program
// that could not be started or that did not exit normally.
func runStatus(ts *testscript.TestScript, prog string, args []string) (int, error) {
	err := ts.Exec(prog, args...)
	if err == nil {
		ts.Logf("[exit status 0]")
		return 0, nil
	}
	ts.Logf("[%v]", err)
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.Exited() {
		return ee.ExitCode(), nil
	}
	return -1, errors.New(strings.TrimSpace(err.Error()))
}
