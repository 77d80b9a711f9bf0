package eval_test

import (
	"testing"

	"github.com/gopolicy/gopolicy/pkg/eval"
	"github.com/gopolicy/gopolicy/policies"
)

func TestBuiltinPassesLint(t *testing.T) {
	problems, err := eval.Lint([]eval.Source{{Name: policies.Name, FS: policies.FS}}, []int{0})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}
