// Command gopolicy checks Go builds against policy: it collects facts
// about the build environment, modules and binaries, and judges them with
// versioned Rego policies.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
)

// Exit statuses, a public contract for CI.
const (
	exitAllowed = 0
	exitDenied  = 1
	exitError   = 2
)

// exitStatus carries a status out of a command without printing anything.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func main() {
	// Every gopolicy command is one short process whose start-up is mostly
	// parsing and compiling the policies: collect garbage less often
	// (peak memory grows by a few MB) unless the user chose otherwise.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCommand(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitAllowed
	}
	var st exitStatus
	if errors.As(err, &st) {
		return int(st)
	}
	fmt.Fprintf(stderr, "gopolicy: %v\n", err)
	return exitError
}
