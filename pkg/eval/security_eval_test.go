package eval_test

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopolicy/gopolicy/pkg/decision"
	"github.com/gopolicy/gopolicy/pkg/eval"
)

// policyFile is one policy with complete METADATA and the given rule
// body, as a txtar file for writeBundle.
func policyFile(id, pkg, body string) string {
	return fmt.Sprintf("-- %s.rego --\n# METADATA\n# title: %s\n# custom:\n#   id: %s\n#   version: 1.0.0\n#   severity: low\n#   remediation: none\npackage %s\n\nviolation contains {\"msg\": \"violated\"} if {\n%s\n}\n",
		strings.ReplaceAll(pkg, ".", "/"), id, id, pkg, body)
}

func compileErr(t *testing.T, archive string) error {
	t.Helper()
	_, err := eval.New(context.Background(), eval.Options{Sources: []eval.Source{{Path: writeBundle(t, archive)}}})
	return err
}

// TestSandboxRefusesTheOutside: a policy calling a builtin that reaches
// the network, the file system, the clock or randomness does not
// compile, and the error says why.
func TestSandboxRefusesTheOutside(t *testing.T) {
	cases := map[string]string{
		"http.send":            `r := http.send({"method": "get", "url": "http://127.0.0.1"}); r.status_code == 200`,
		"net.lookup_ip_addr":   `count(net.lookup_ip_addr("proxy.golang.org")) > 0`,
		"opa.runtime":          `opa.runtime().env.HOME != ""`,
		"time.now_ns":          `time.now_ns() > 0`,
		"rand.intn":            `rand.intn("x", 10) > 5`,
		"uuid.rfc4122":         `uuid.rfc4122("x") != ""`,
		"json.match_schema":    `[ok, _] := json.match_schema({}, {"$ref": "file:///dev/zero"}); not ok`,
		"json.verify_schema":   `[ok, _] := json.verify_schema({"$ref": "file:///etc/passwd"}); not ok`,
		"io.jwt.decode_verify": `[ok, _, _] := io.jwt.decode_verify("a.b.c", {"secret": "s"}); not ok`,
		"io.jwt.encode_sign":   `io.jwt.encode_sign({"alg": "HS256"}, {}, {"kty": "oct", "k": "czE"}) != ""`,
		"trace":                `trace("x")`,
		"bits.lsh":             `bits.lsh(1, 100000000000) > 0`,
		"crypto.x509.parse_and_verify_certificates": `[ok, _] := crypto.x509.parse_and_verify_certificates("x"); ok`,
		"strings.render_template":                   `strings.render_template("{{range 2000000000}}x{{end}}", {}) != ""`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			err := compileErr(t, policyFile("X-1", "x", body))
			var ce *eval.CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a compile error", err)
			}
			if want := "undefined function " + name + ": gopolicy's sandbox does not allow it: "; !strings.Contains(err.Error(), want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, want)
			}
		})
	}
}

// TestSchemaRefRefused is the reproduction for json.match_schema: its
// file:// $ref read a file of the host judging, so the verdict changed
// with the host's files (and a $ref to /dev/zero read forever).
func TestSchemaRefRefused(t *testing.T) {
	schema := filepath.Join(t.TempDir(), "schema.json")
	os.WriteFile(schema, []byte(`{"type": "object", "required": ["secret-from-the-host"]}`), 0o644)
	err := compileErr(t, policyFile("X-REF", "x", fmt.Sprintf(`[ok, _] := json.match_schema(input, {"$ref": %q})
	not ok`, "file://"+schema)))
	if err == nil || !strings.Contains(err.Error(), "undefined function json.match_schema") || !strings.Contains(err.Error(), "file://") {
		t.Fatalf("err = %v, want json.match_schema refused for its file:// $ref", err)
	}
}

func hs256Token(t *testing.T, claims map[string]any, secret string) string {
	t.Helper()
	enc := base64.RawURLEncoding
	head, _ := json.Marshal(map[string]any{"alg": "HS256", "typ": "JWT"})
	body, _ := json.Marshal(claims)
	signing := enc.EncodeToString(head) + "." + enc.EncodeToString(body)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(signing))
	return signing + "." + enc.EncodeToString(mac.Sum(nil))
}

// TestJWTClockRefused is the reproduction for io.jwt.decode_verify: it
// checks exp against the wall clock, so the same facts and bundle were
// allowed now and denied 20 seconds later. It is refused; the clock-free
// pieces (io.jwt.decode and io.jwt.verify_hs256) remain, and a policy
// compares exp with a time from the facts.
func TestJWTClockRefused(t *testing.T) {
	token := hs256Token(t, map[string]any{"exp": time.Now().Add(20 * time.Second).Unix()}, "s")
	err := compileErr(t, policyFile("X-JWT", "x", fmt.Sprintf(`[valid, _, _] := io.jwt.decode_verify(%q, {"secret": "s"})
	not valid`, token)))
	if err == nil || !strings.Contains(err.Error(), "undefined function io.jwt.decode_verify") || !strings.Contains(err.Error(), "reads the clock") {
		t.Fatalf("err = %v, want io.jwt.decode_verify refused because it reads the clock", err)
	}
	// The clock-free way: verify the signature, read exp, compare it
	// with a time the facts carry.
	e := newEngine(t, eval.Source{Path: writeBundle(t, policyFile("X-JWT", "x", fmt.Sprintf(`io.jwt.verify_hs256(%q, "s")
	[_, claims, _] := io.jwt.decode(%q)
	claims.exp < time.parse_rfc3339_ns(input.gomod.module.path) / 1000000000`, token, token)))})
	for _, at := range []time.Time{time.Now(), time.Now().Add(time.Hour)} {
		facts := doc(t, map[string]any{"gomod": map[string]any{"module": map[string]any{"path": at.UTC().Format(time.RFC3339)}}})
		d, err := e.Evaluate(context.Background(), facts, "prod")
		if err != nil {
			t.Fatal(err)
		}
		want := at.After(time.Now().Add(20 * time.Second))
		if got := d.Findings[0].Level == decision.LevelDeny; got != want {
			t.Fatalf("at %s: finding %+v", at, d.Findings[0])
		}
	}
}

// TestLocalTimeZoneRefused: "Local" is the zone of the machine judging.
func TestLocalTimeZoneRefused(t *testing.T) {
	err := compileErr(t, policyFile("X-TZ", "x", `[h, _, _] := time.clock([0, "Local"])
	h > 12`))
	if err == nil || !strings.Contains(err.Error(), `time.clock: the time zone "Local" is the zone of the machine gopolicy runs on`) {
		t.Fatalf("err = %v", err)
	}
	// Explicit zones and times are fine.
	newEngine(t, eval.Source{Path: writeBundle(t, policyFile("X-TZ", "x", `[h, _, _] := time.clock([0, "Europe/Berlin"])
	time.weekday(time.parse_rfc3339_ns("2024-01-01T00:00:00Z")) == "Monday"
	h > 12`))})
}

// TestSandboxAppliesToTestsAndLint: `gopolicy test` and `policies lint`
// compile with the same sandbox.
func TestSandboxAppliesToTestsAndLint(t *testing.T) {
	dir := writeBundle(t, policyFile("X-1", "x", `time.now_ns() > 0`))
	if _, err := eval.RunTests(context.Background(), []eval.Source{{Path: dir}}); err == nil || !strings.Contains(err.Error(), "undefined function time.now_ns") {
		t.Errorf("RunTests: %v", err)
	}
	problems, err := eval.Lint([]eval.Source{{Path: dir}}, []int{0})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range problems {
		found = found || strings.Contains(p.Msg, "undefined function time.now_ns")
	}
	if !found {
		t.Errorf("lint problems %v do not refuse time.now_ns", problems)
	}
}

// The CPU and memory bombs of the issue.
var bombs = map[string]string{
	"X-RANGE": `count(numbers.range(0, 1e9)) > 0`,
	"X-COMPR": `s := {x | some i in numbers.range(1, 1e5); some j in numbers.range(1, 1e5); x := i * j}
	count(s) > 0`,
	"X-CIDR": `count(net.cidr_expand("10.0.0.0/4")) > 0`,
}

var stoppedRE = regexp.MustCompile(`^evaluation failed: (deadline passed: the policy did not finish within the \S+ evaluation timeout|memory limit reached: the heap grew by more than \S+ \S+ while the policy ran, so it was stopped)`)

// TestBombsBecomeErrorFindings: each bomb, judged beside a real policy,
// is an error finding naming it, the real policy keeps its verdict, the
// judgement ends soon after its deadline, and the process's peak memory
// stays far below 1 GB. Each judgement runs in a child process so its
// peak resident memory (VmHWM) is its own.
func TestBombsBecomeErrorFindings(t *testing.T) {
	if os.Getenv("GOPOLICY_BOMB") == "" {
		if runtime.GOOS != "linux" {
			t.Skip("peak memory is read from /proc/self/status")
		}
		if testing.Short() {
			t.Skip("takes a few seconds per bomb")
		}
		for id := range bombs {
			t.Run(id, func(t *testing.T) {
				cmd := exec.Command(os.Args[0], "-test.run=^TestBombsBecomeErrorFindings$", "-test.v", "-test.count=1")
				cmd.Env = append(os.Environ(), "GOPOLICY_BOMB="+id)
				out, err := cmd.CombinedOutput()
				t.Logf("%s", out)
				if err != nil {
					t.Fatalf("child: %v", err)
				}
				m := regexp.MustCompile(`VmHWM:\s+(\d+) kB`).FindSubmatch(out)
				if m == nil {
					t.Fatal("child reported no peak memory")
				}
				kb, _ := strconv.Atoi(string(m[1]))
				if kb > 512<<10 {
					t.Fatalf("peak resident memory %d MiB, want far below 1 GiB", kb>>10)
				}
			})
		}
		return
	}
	id := os.Getenv("GOPOLICY_BOMB")
	const timeout = 2 * time.Second
	e, err := eval.New(context.Background(), eval.Options{Timeout: timeout, Sources: []eval.Source{{Path: writeBundle(t, orgPolicy+policyFile(id, "org.bomb", bombs[id]))}}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	d, err := e.Evaluate(context.Background(), doc(t, nil), "prod")
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	levels := map[string]decision.Finding{}
	for _, f := range d.Findings {
		levels[f.Policy] = f
	}
	if f := levels[id]; f.Level != decision.LevelError || !stoppedRE.MatchString(f.Message) {
		t.Errorf("%s: %s %q, want an error finding saying it was stopped", id, f.Level, f.Message)
	}
	if f := levels["ORG-001"]; f.Level != decision.LevelDeny {
		t.Errorf("ORG-001 lost its verdict: %+v", f)
	}
	if d.Allow || d.Summary.Error != 1 {
		t.Errorf("decision %+v", d.Summary)
	}
	if elapsed > timeout+time.Second {
		t.Errorf("judgement took %s with a %s timeout", elapsed, timeout)
	}
	t.Logf("%s: %s after %s", id, levels[id].Message, elapsed.Round(time.Millisecond))
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for sc := bufio.NewScanner(f); sc.Scan(); {
		if strings.HasPrefix(sc.Text(), "VmHWM:") {
			fmt.Println(sc.Text())
		}
	}
}

// TestDeadlineIsForTheWholeJudgement: when the one query over every
// policy fails, the policies are evaluated one by one to find which
// failed; that fall-back shares the judgement's deadline, so eight
// endless policies take one timeout, not eight.
func TestDeadlineIsForTheWholeJudgement(t *testing.T) {
	archive := orgPolicy
	for i := range 8 {
		archive += policyFile(fmt.Sprintf("X-LOOP-%d", i), fmt.Sprintf("org.loop%d", i), `some i in numbers.range(1, 1e5)
	some j in numbers.range(1, 1e5)
	i * j < 0`)
	}
	const timeout = time.Second
	e, err := eval.New(context.Background(), eval.Options{Timeout: timeout, Sources: []eval.Source{{Path: writeBundle(t, archive)}}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	d, err := e.Evaluate(context.Background(), doc(t, nil), "prod")
	if err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed > 2*timeout+500*time.Millisecond {
		t.Errorf("judgement took %s with a %s timeout", elapsed, timeout)
	}
	for _, f := range d.Findings {
		switch {
		case f.Policy == "ORG-001":
			if f.Level != decision.LevelDeny {
				t.Errorf("ORG-001: %+v", f)
			}
		case f.Level != decision.LevelError || !strings.HasPrefix(f.Message, "evaluation failed: deadline passed: the policy did not finish within the 1s evaluation timeout"):
			t.Errorf("%s: %s %q", f.Policy, f.Level, f.Message)
		}
	}
}

// TestMemoryGuard: a policy that builds a huge value is stopped by the
// memory limit long before a generous deadline.
func TestMemoryGuard(t *testing.T) {
	e, err := eval.New(context.Background(), eval.Options{Timeout: time.Minute, MaxMemory: 32 << 20, Sources: []eval.Source{{Path: writeBundle(t, orgPolicy+policyFile("X-CIDR", "org.cidr", bombs["X-CIDR"]))}}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	d, err := e.Evaluate(context.Background(), doc(t, nil), "prod")
	if err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed > 20*time.Second {
		t.Errorf("took %s", elapsed)
	}
	for _, f := range d.Findings {
		if f.Policy == "X-CIDR" && (f.Level != decision.LevelError || !strings.HasPrefix(f.Message, "evaluation failed: memory limit reached: the heap grew by more than 32 MiB")) {
			t.Errorf("%s %q", f.Level, f.Message)
		}
		if f.Policy == "ORG-001" && f.Level != decision.LevelDeny {
			t.Errorf("ORG-001: %+v", f)
		}
	}
}

// TestCallerCancellation: a caller's own cancellation is not reported as
// the deadline.
func TestCallerCancellation(t *testing.T) {
	e := newEngine(t, eval.Source{Path: writeBundle(t, orgPolicy+policyFile("X-LOOP", "org.loop", bombs["X-COMPR"]))})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	d, err := e.Evaluate(ctx, doc(t, nil), "prod")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range d.Findings {
		if f.Policy == "X-LOOP" && (f.Level != decision.LevelError || strings.Contains(f.Message, "deadline passed")) {
			t.Errorf("%s %q", f.Level, f.Message)
		}
	}
}

// TestSingleCallBombs: glob.match and regex.replace, which the built-in
// policies use and the facts reach, could in one call run for minutes or
// exhaust memory without seeing the deadline. On the code before, the
// first ran for minutes (in OPA's backtracking matcher), the second
// asked for 4 GB and killed the process, the third for 1 TB.
func TestSingleCallBombs(t *testing.T) {
	long := `s := sprintf("%03000d", [0])`  // 3,000 zeros
	big := `s := sprintf("%0999999d", [0])` // a million zeros
	cases := map[string]struct{ body, level, message string }{
		"X-GLOB-CPU": {long + `
	glob.match("*0*0*0*0*0*0*0*01*0", [], s)`, decision.LevelPass, ""},
		"X-GLOB-MEM": {long + `
	glob.match("{*0*0*0*0*0*1,*0*0*0*0*2}*0", [], s)`, decision.LevelPass, ""},
		"X-GLOB-YES": {long + `
	glob.match("*0*0*0*0*0*0*0*0*0", [], s)`, decision.LevelDeny, "violated"},
		"X-REPLACE": {big + `
	regex.replace(s, "", s) != ""`, decision.LevelError, "regex.replace: the result could be larger than 64 MiB (1000000 matches in 976.6 KiB of input, each replaced by up to 976.6 KiB); refused"},
		"X-REPLACE-OK": {big + `
	regex.replace(s, "0+", "x") == "x"`, decision.LevelDeny, "violated"},
	}
	archive := ""
	for id, c := range cases {
		archive += policyFile(id, "x."+strings.ToLower(strings.ReplaceAll(id, "-", "_")), c.body)
	}
	e := newEngine(t, eval.Source{Path: writeBundle(t, archive)})
	done := make(chan *decision.Decision, 1)
	start := time.Now()
	go func() {
		d, err := e.Evaluate(context.Background(), doc(t, nil), "prod")
		if err != nil {
			t.Error(err)
		}
		done <- d
	}()
	var d *decision.Decision
	select {
	case d = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the judgement did not return within 30s")
	}
	for _, f := range d.Findings {
		c := cases[f.Policy]
		if f.Level != c.level || !strings.Contains(f.Message, c.message) {
			t.Errorf("%s: %s %q, want %s %q", f.Policy, f.Level, f.Message, c.level, c.message)
		}
	}
	t.Logf("judged in %s", time.Since(start))
}
