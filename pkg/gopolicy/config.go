package gopolicy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

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
	"binary", "rootfs", "no-hash", "stamp",
	"waivers", "waiver_max_days", "policy-key",
}

// pathKeys are settings whose values are paths: written in the file, they
// are relative to the file.
var pathKeys = map[string]bool{"policy": true, "policy-key": true, "binary": true, "rootfs": true}

// ReadConfigFile reads and checks a configuration file: unknown keys,
// wrong types and malformed waivers are errors naming the file (and line,
// where the YAML gives one).
func ReadConfigFile(path string) (*ConfigFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("config %s: file not found", path)
		}
		return nil, fmt.Errorf("config %s: %w", path, err)
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
