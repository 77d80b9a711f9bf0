package pathutil_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gopolicy/gopolicy/internal/pathutil"
)

func TestFindUp(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "a", "b")
	os.MkdirAll(filepath.Join(deep, "x.yaml"), 0o755) // a directory of that name does not count
	os.WriteFile(filepath.Join(root, "x.yaml"), nil, 0o644)
	if got := pathutil.FindUp(deep, "x.yaml"); got != filepath.Join(root, "x.yaml") {
		t.Fatalf("FindUp = %q", got)
	}
	if got := pathutil.FindUp(deep, "absent.yaml"); got != "" {
		t.Fatalf("FindUp found %q", got)
	}
}
