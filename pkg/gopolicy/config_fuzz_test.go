package gopolicy_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gopolicy/gopolicy/pkg/gopolicy"
)

// FuzzReadConfigFile: no gopolicy.yaml makes reading it panic, and one it
// accepts passes the trust rule or is refused by it, never both.
func FuzzReadConfigFile(f *testing.F) {
	for _, seed := range []string{
		"profile: prod\n",
		"policy: [org]\npolicy-key: k.pem\npolicy_data: {min_go_version: \"1.25\"}\n",
		"waiver_max_days: {prod: 30}\nwaivers:\n  - policy: GP-MOD-003\n    match: {subject: x}\n    reason: r\n    owner: o\n    expires: 2027-01-01\n",
		"policy_data:\n  credential_value_patterns: oops\n",
		"profil: prod\n",
		"profile: [\n",
		"",
	} {
		f.Add([]byte(seed))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "gopolicy.yaml")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		cf, err := gopolicy.ReadConfigFile(path)
		if err != nil {
			return
		}
		_ = cf.CheckDiscovered()
		if err := gopolicy.CheckPolicyData(cf.PolicyData); err != nil {
			t.Fatalf("a file that reads cleanly holds policy data of the wrong type: %v", err)
		}
	})
}
