//go:build !unix

package eval_test

import "testing"

// mkfifo skips: named pipes need a Unix system.
func mkfifo(t *testing.T, path string) string {
	t.Skip("no named pipes on this system")
	return ""
}
