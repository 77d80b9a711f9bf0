package gopolicy_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/gopolicy/gopolicy/pkg/decision"
	"github.com/gopolicy/gopolicy/pkg/gopolicy"
)

// Build the pipeline once per process, then judge as many subjects or
// stored facts documents as needed, concurrently if you like.
func Example() {
	ctx := context.Background()
	p, err := gopolicy.New(ctx, gopolicy.Config{Profile: "prod", Now: "2026-11-21"})
	if err != nil {
		log.Fatal(err)
	}
	// A facts document saved by `gopolicy collect` in CI; p.Judge would
	// collect one instead, from gopolicy.Subject{Dir: ".", Binaries: ...}.
	data, err := os.ReadFile("testdata/facts-0.3.0/drifted.facts.json")
	if err != nil {
		log.Fatal(err)
	}
	res, err := p.JudgeFacts(ctx, data)
	if err != nil {
		log.Fatal(err) // a malformed document: never judged
	}
	fmt.Println(res.Outcome, "exit", res.Outcome.ExitCode())
	for _, f := range res.Decision.Findings {
		if f.Level == decision.LevelDeny {
			fmt.Println(f.Policy, f.Evidence[0].Source[len(res.Decision.Dir)+1:])
		}
	}
	// Output:
	// denied exit 1
	// GP-MOD-001 go.mod:8
	// GP-MOD-003 go.mod:13
	// GP-MOD-004 go.mod:13
	// GP-MOD-004 vendor/modules.txt:7
}
