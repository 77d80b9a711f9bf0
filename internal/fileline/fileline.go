// Package fileline is the error for a problem in a file a user wrote,
// rendered "file:line: message" so editors and CI logs link to it.
package fileline

import "fmt"

// Error is a problem at a line of a file; Line 0 means the whole file.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.File + ": " + e.Msg
}
