package gopolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gopolicy/gopolicy/pkg/evidence"

	"github.com/gopolicy/gopolicy/internal/safeio"
	"github.com/gopolicy/gopolicy/policies"

	"go.yaml.in/yaml/v3"

	"github.com/gopolicy/gopolicy/pkg/decision"
	"github.com/gopolicy/gopolicy/pkg/waiver"
)

// ConfigFileName is the configuration file front doors look for.
const ConfigFileName = "gopolicy.yaml"

// DefaultProfile is the profile used when none is configured.
const DefaultProfile = "ci"

// DefaultWaiverMaxDays is the longest a waiver may run, per profile, when
// the configuration does not say: production exceptions get re-reviewed
// at least every quarter.
var DefaultWaiverMaxDays = map[string]int{"prod": 90}

// Config is everything that decides how artefacts are judged. It is
// built once per process into a Policy.
type Config struct {
	// Profile names the enforcement profile: dev, ci, prod, or one a
	// bundle defines. Empty means DefaultProfile.
	Profile string
	// FailOn is the lowest level that fails: decision.LevelDeny (the
	// default) or decision.LevelWarn.
	FailOn string
	// NoBuiltin leaves out the built-in policies.
	NoBuiltin bool
	// Bundles are extra policy bundles: directories or .tar.gz files.
	Bundles []string
	// BundleKey is a PEM public key file every bundle in Bundles must be
	// signed with.
	BundleKey string
	// PolicyData configures the policies (data.gopolicy.config): allow
	// lists, banned modules, required stamps, thresholds.
	PolicyData map[string]any
	// Waivers are reviewed exceptions, and WaiverFiles files of more.
	Waivers     []waiver.Waiver
	WaiverFiles []string
	// WaiverMaxDays is the longest a waiver may run per profile, in days
	// (0: no limit); nil means DefaultWaiverMaxDays.
	WaiverMaxDays map[string]int
	// Now judges waiver expiry: a date (2026-12-31, meaning that day has
	// begun) or an RFC 3339 time. Empty means the clock at each judgement.
	Now string
	// Stamps are string variables to read back from every binary, besides
	// the -X targets and the stamps the policy data requires.
	Stamps []string
	// NoHash skips binaries' SHA-256 (the only step that reads whole files).
	NoHash bool
	// NoGoCommand skips the `go env -json` cross-check.
	NoGoCommand bool
	// ToolVersion is recorded in every facts document.
	ToolVersion string
	// Limits cap every input read; zero fields take safeio.DefaultLimits.
	Limits safeio.Limits
	// Evidence is the pinned trust Sigstore bundles and facts attestations
	// are verified against, offline.
	Evidence EvidenceTrust
	// EvalTimeout bounds one judgement of the policies (eval.DefaultTimeout
	// when zero); EvalMaxMemory how far the heap may grow meanwhile
	// (eval.DefaultMaxMemory). A policy still running past either becomes
	// an error finding naming it.
	EvalTimeout   time.Duration
	EvalMaxMemory int64
}

// EvidenceTrust names the trust material for evidence: files, and the
// signers allowed.
type EvidenceTrust struct {
	// TrustedRoot is a Sigstore trusted_root.json (Fulcio CAs, Rekor log
	// keys, timestamp authorities), pinned by the caller.
	TrustedRoot string
	// Keys are PEM public keys of allowed key signers; LogKeys are PEM
	// public keys of (private) Rekor v1 logs not in the trusted root.
	Keys, LogKeys []string
	// Identities are the allowed keyless signers (certificate issuer and
	// subject); KeyFingerprints narrow the allowed keys.
	Identities      []evidence.Identity
	KeyFingerprints []string
	// TlogEntries is the number of verified transparency-log entries each
	// bundle must carry.
	TlogEntries int
	// SearchURL is a Rekor v1 log to search by each binary's SHA-256, as
	// an extra fact (search by hash is incomplete by design).
	SearchURL string
}

// ConfigFile is a gopolicy.yaml as read: its settings by key (the CLI's
// flag names), with every path made relative to the file's directory, and
// the settings that exist only in the file, typed.
type ConfigFile struct {
	Path string
	// Settings holds the keys the file sets, by flag name. Paths in
	// policy, policy-key, waivers, binary and rootfs are resolved against
	// the file's directory.
	Settings map[string]any
	// Waivers are the waivers: list, each with its file:line.
	Waivers []waiver.Waiver
	// PolicyData is policy_data, WaiverMaxDays waiver_max_days.
	PolicyData    map[string]any
	WaiverMaxDays map[string]int
}

// ConfigKeys are the keys a configuration file may set.
var ConfigKeys = []string{
	"profile", "policy", "no-builtin", "format", "target", "target-libc", "target-static",
	"fail-on", "verbose", "no-go-command", "policy_data",
	"binary", "recursive", "rootfs", "no-hash", "stamp",
	"waivers", "waiver_max_days", "policy-key",
	"attestation", "bundle", "trusted-root", "evidence-key", "log-key",
	"certificate-identity-regexp", "certificate-oidc-issuer", "tlog-entries", "rekor-search", "eval-timeout",
}

// pathKeys are settings whose values are paths: written in the file, they
// are relative to the file.
var pathKeys = map[string]bool{
	"policy": true, "policy-key": true, "binary": true, "rootfs": true,
	"attestation": true, "bundle": true, "trusted-root": true, "evidence-key": true, "log-key": true,
}

// ReadConfigFile reads and checks a configuration file: unknown keys,
// wrong types and malformed waivers are errors naming the file (and line,
// where the YAML gives one).
func ReadConfigFile(path string) (*ConfigFile, error) {
	data, err := safeio.ReadFile(path, safeio.DefaultLimits().Config)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("config %s: file not found", path)
		}
		return nil, fmt.Errorf("config: %w", err)
	}
	cf := &ConfigFile{Path: path, Settings: map[string]any{}}
	var raw map[string]any
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("config %s: %v", path, err)
	}
	var unknown []string
	for k := range raw {
		if !slices.Contains(ConfigKeys, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("config %s: unknown key(s) %s (known: %s)", path, strings.Join(unknown, ", "), strings.Join(ConfigKeys, ", "))
	}
	base := filepath.Dir(path)
	for k, v := range raw {
		switch k {
		case "waivers":
			// Read below with line numbers.
		case "policy_data":
			m, ok := v.(map[string]any)
			if !ok && v != nil {
				return nil, fmt.Errorf("config %s: policy_data must be a mapping", path)
			}
			if err := CheckPolicyData(m); err != nil {
				return nil, fmt.Errorf("config %s: %w", path, err)
			}
			cf.PolicyData = m
		case "waiver_max_days":
			days, err := waiverDays(v)
			if err != nil {
				return nil, fmt.Errorf("config %s: %w", path, err)
			}
			cf.WaiverMaxDays = days
		default:
			if pathKeys[k] {
				v = resolvePaths(base, v)
			}
			cf.Settings[k] = v
		}
	}
	if cf.Waivers, err = waiver.ParseConfig(path, data); err != nil {
		return nil, fmt.Errorf("waivers: %w", err)
	}
	return cf, nil
}

func waiverDays(v any) (map[string]int, error) {
	raw, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("waiver_max_days must map profile names to days")
	}
	days := map[string]int{}
	for profile, d := range raw {
		n, ok := d.(int)
		if !ok || n < 0 {
			return nil, fmt.Errorf("waiver_max_days.%s must be a number of days (0 for no limit)", profile)
		}
		days[profile] = n
	}
	return days, nil
}

func resolvePaths(base string, v any) any {
	resolve := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(base, p)
	}
	switch x := v.(type) {
	case string:
		return resolve(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			if s, ok := e.(string); ok {
				out[i] = resolve(s)
			} else {
				out[i] = e
			}
		}
		return out
	}
	return v
}

// ParseNow reads Config.Now: a bare date means that day has begun, so a
// waiver expiring that day still applies.
func ParseNow(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := waiver.ParseTime(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("invalid --now %q: want a date (2026-12-31) or an RFC 3339 time", s)
	}
	if _, dateErr := time.Parse(time.DateOnly, s); dateErr == nil {
		t = t.AddDate(0, 0, -1)
	}
	return t, nil
}

func checkFailOn(s string) (string, error) {
	switch s {
	case "":
		return decision.LevelDeny, nil
	case decision.LevelDeny, decision.LevelWarn:
		return s, nil
	}
	return "", fmt.Errorf("invalid --fail-on %q: want deny or warn", s)
}

// untrustedKeys are the settings a discovered configuration file may make:
// they add reviewed exceptions, read more, change how the report looks,
// or make the gate stricter. Everything else could weaken the gate.
var untrustedKeys = map[string]func(v any) bool{
	"format":  func(any) bool { return true },
	"verbose": func(any) bool { return true },
	"stamp":   func(any) bool { return true },
	"waivers": func(any) bool { return true },
	// The default is ci; only the same or stricter.
	"profile": func(v any) bool { return v == "ci" || v == "prod" },
	"fail-on": func(v any) bool { return v == "deny" || v == "warn" },
}

// CheckDiscovered enforces the trust rule for a configuration file found
// by searching upward from the working directory. In CI that directory is
// the repository under judgement, so its gopolicy.yaml is the judged
// party's: it may add waivers (reviewed, owned, expiring, and shown in
// every report), read more stamps, choose the report's look, and tighten
// (profile ci or prod, fail-on warn). It may not remove or add policy
// bundles, change keys, switch off built-in policies or checks, change
// policy data, lengthen waivers, or say what to judge. A file the caller
// names (--config, GOPOLICY_CONFIG) is trusted; so is a discovered one
// when the caller opts in (--trust-config).
func (cf *ConfigFile) CheckDiscovered() error {
	var refused []string
	for k, v := range cf.Settings {
		if ok, known := untrustedKeys[k]; !known || !ok(v) {
			refused = append(refused, fmt.Sprintf("%s: %v", k, v))
		}
	}
	if cf.PolicyData != nil {
		refused = append(refused, "policy_data")
	}
	if cf.WaiverMaxDays != nil {
		refused = append(refused, "waiver_max_days")
	}
	if len(refused) == 0 {
		return nil
	}
	sort.Strings(refused)
	return fmt.Errorf("config %s was found by searching upward from the working directory, so it may belong to the code being judged, and it sets what only the caller may: %s. "+
		"A discovered gopolicy.yaml may add waivers, stamps and report settings, and tighten (profile ci or prod, fail-on warn). "+
		"Name the file with --config (or GOPOLICY_CONFIG) to trust it, or pass --trust-config", cf.Path, strings.Join(refused, "; "))
}

// builtinConfig is the built-in policies' default data: the types policy
// data must keep.
var builtinConfig = sync.OnceValues(func() (map[string]any, error) {
	data, err := fs.ReadFile(policies.FS, "gopolicy/config/data.json")
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	return doc, nil
})

// CheckPolicyData refuses policy data whose values do not have the type
// of the built-in default they replace: a list of patterns given as a
// string would otherwise silently switch a check off. Keys the built-in
// policies do not know are left for an organisation's own policies.
func CheckPolicyData(data map[string]any) error {
	defaults, err := builtinConfig()
	if err != nil {
		return fmt.Errorf("built-in policy data: %w", err)
	}
	var problems []string
	for _, k := range slices.Sorted(maps.Keys(data)) {
		def, known := defaults[k]
		if !known {
			continue
		}
		if want, got := jsonKind(def), jsonKind(data[k]); want != got {
			problems = append(problems, fmt.Sprintf("policy_data.%s must be %s (like the default %s), not %s", k, want, compact(def), got))
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "true or false"
	case float64, int, int64, uint64:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return fmt.Sprintf("%T", v)
}

func compact(v any) string {
	b, err := json.Marshal(v)
	if err != nil || len(b) > 60 {
		return jsonKind(v)
	}
	return string(b)
}
