package eval

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/bundle"

	"github.com/gopolicy/gopolicy/internal/safeio"
	"github.com/gopolicy/gopolicy/pkg/decision"
)

// Source is one policy bundle to load: the built-in library (an fs.FS) or
// a user's directory or .tar.gz.
type Source struct {
	// Name identifies the bundle in decisions and errors.
	Name string
	// FS is a bundle tree; set for embedded bundles.
	FS fs.FS
	// Path is a directory or a .tar.gz file; used when FS is nil.
	Path string
	// Key, when set, must have signed the bundle: an unsigned, tampered
	// or differently signed bundle is refused.
	Key *PublicKey
}

type loadedBundle struct {
	info   decision.BundleInfo
	bundle *bundle.Bundle
}

// BundleError is a policy bundle that cannot be used; the CLI reports it
// with exit status 2.
type BundleError struct {
	Source string
	Err    error
}

func (e *BundleError) Error() string { return fmt.Sprintf("policy bundle %s: %v", e.Source, e.Err) }
func (e *BundleError) Unwrap() error { return e.Err }

// loadBundle reads one bundle. gopolicy reads every byte itself first,
// within the limits (see readTarball and readDir), and OPA parses the
// checked copy in memory. Without tests, the embedded bundle's
// *_test.rego files are not even parsed: they are half its source, and
// parsing dominates the start-up cost of every gopolicy process. (Files
// of other bundles are all read, because a signature covers every file.)
func loadBundle(src Source, withTests bool, limits Limits) (*loadedBundle, error) {
	limits = limits.orDefault()
	var (
		tree   *bundleTree
		digest string
		where  string
		skip   func(string) bool
	)
	switch {
	case src.FS != nil:
		where = "embedded:" + src.Name
		t, err := readFS(src.FS, limits)
		if err != nil {
			return nil, &BundleError{where, err}
		}
		tree, digest = t, t.digest()
		if !withTests {
			skip = func(name string) bool { return strings.HasSuffix(name, "_test.rego") }
		}
	default:
		where = src.Path
		fi, err := os.Stat(src.Path)
		if err != nil {
			return nil, &BundleError{where, errors.Unwrap(err)}
		}
		if fi.IsDir() {
			t, err := readDir(src.Path, limits)
			if err != nil {
				return nil, &BundleError{where, err}
			}
			tree, digest = t, t.digest()
		} else {
			// Opened without blocking and refused unless regular: a FIFO
			// or /dev/zero given as a bundle must not hang or stream.
			f, err := safeio.Open(src.Path)
			if err != nil {
				var le *safeio.LimitError
				if errors.As(err, &le) {
					return nil, &BundleError{where, fmt.Errorf("is %s, %w", le.Kind, errNotBundle)}
				}
				return nil, &BundleError{where, errors.Unwrap(err)}
			}
			defer f.Close()
			t, d, err := readTarball(f, limits)
			if err != nil {
				return nil, &BundleError{where, err}
			}
			tree, digest = t, d
		}
	}
	return parseBundle(src, tree, skip, limits, digest, where)
}

// parseBundle hands a checked bundle tree to OPA's reader: parsing,
// annotations and, with a key, signature verification.
func parseBundle(src Source, tree *bundleTree, skip func(string) bool, limits Limits, digest, where string) (*loadedBundle, error) {
	// The base directory makes every parsed location (compile errors,
	// policy files in decisions) name a file the user can open.
	reader := bundle.NewCustomReader(tree.loader(skip)).
		WithSizeLimitBytes(limits.MaxFileBytes).
		WithBaseDir(displayBase(src)).
		WithProcessAnnotations(true).
		WithRegoVersion(ast.RegoV1)
	if src.Key != nil {
		reader = reader.WithBundleVerificationConfig(src.Key.verificationConfig())
	} else {
		reader = reader.WithSkipBundleVerification(true)
	}
	b, err := readRecovering(reader)
	if err != nil {
		var errs ast.Errors
		if errors.As(err, &errs) {
			return nil, &BundleError{where, oneLine(errs)}
		}
		if src.Key != nil {
			return nil, &BundleError{where, fmt.Errorf("signature verification failed: %w", err)}
		}
		return nil, &BundleError{where, err}
	}
	name := src.Name
	if n, ok := b.Manifest.Metadata["name"].(string); ok && n != "" && name == "" {
		name = n
	}
	if name == "" {
		name = src.Path
	}
	lb := &loadedBundle{bundle: &b, info: decision.BundleInfo{Name: name, Revision: b.Manifest.Revision, Digest: digest, Source: where}}
	if src.Key != nil {
		lb.info.SignedBy = src.Key.Fingerprint
	}
	// A bundle without a manifest gets the root "" (everything) from the
	// reader; treat it as claiming nothing instead, and guard its packages
	// against other bundles' roots in checkPackages.
	if b.Manifest.Roots != nil && !(len(*b.Manifest.Roots) == 1 && (*b.Manifest.Roots)[0] == "") {
		lb.info.Roots = append([]string(nil), (*b.Manifest.Roots)...)
	}
	return lb, nil
}

// errReaderPanic marks a bundle OPA's reader panicked on.
var errReaderPanic = errors.New("OPA's bundle reader failed")

// readRecovering runs OPA's reader; a panic on hostile input refuses the
// bundle instead of killing the process.
func readRecovering(r *bundle.Reader) (b bundle.Bundle, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", errReaderPanic, p)
		}
	}()
	return r.Read()
}

// displayBase is the prefix that turns a path inside a bundle into one
// the user can find.
func displayBase(src Source) string {
	switch {
	case src.FS != nil:
		return "policies"
	case strings.HasSuffix(src.Path, ".gz"):
		return src.Path + ":"
	default:
		return src.Path
	}
}

// oneLine renders parse errors one line each, without OPA's source excerpt.
func oneLine(errs ast.Errors) error {
	var lines []string
	for _, e := range errs {
		loc := ""
		if e.Location != nil {
			loc = fmt.Sprintf("%s:%d: ", e.Location.File, e.Location.Row)
		}
		lines = append(lines, loc+e.Code+": "+e.Message)
	}
	return errors.New(strings.Join(lines, "; "))
}

// checkPackages stops a bundle from adding rules to a package that lies
// under another bundle's root: that would silently change a policy the
// other bundle owns.
func checkPackages(bundles []*loadedBundle) error {
	for _, lb := range bundles {
		for _, m := range lb.bundle.Modules {
			pkg := strings.Join(packageSegments(m.Parsed), "/")
			for _, other := range bundles {
				if other == lb {
					continue
				}
				for _, root := range other.info.Roots {
					if pkg == root || strings.HasPrefix(pkg, root+"/") {
						return &BundleError{lb.info.Source, fmt.Errorf("%s: package %s lies under root %q of bundle %s", m.Parsed.Package.Location.File, m.Parsed.Package.Path, root, other.info.Name)}
					}
				}
			}
		}
	}
	return nil
}

func packageSegments(m *ast.Module) []string {
	var segs []string
	for _, t := range m.Package.Path[1:] {
		if s, ok := t.Value.(ast.String); ok {
			segs = append(segs, string(s))
		}
	}
	return segs
}

// isTestModule reports Rego unit-test files, which the engine leaves out
// and the test runner needs.
func isTestModule(m bundle.ModuleFile) bool { return strings.HasSuffix(m.Path, "_test.rego") }

// loadedSet is every bundle's modules and data, merged.
type loadedSet struct {
	bundles []*loadedBundle
	modules map[string]*ast.Module
	// moduleBundle maps a package path to its bundle's name, moduleOwner
	// a module key to it.
	moduleBundle map[string]string
	moduleOwner  map[string]string
	testModules  map[string]bool
	data         map[string]any
}

func loadAll(sources []Source, withTests bool, limits Limits) (*loadedSet, error) {
	if len(sources) == 0 {
		return nil, errors.New("no policy bundles given")
	}
	set := &loadedSet{modules: map[string]*ast.Module{}, moduleBundle: map[string]string{}, moduleOwner: map[string]string{}, testModules: map[string]bool{}, data: map[string]any{}}
	for _, src := range sources {
		lb, err := loadBundle(src, withTests, limits)
		if err != nil {
			return nil, err
		}
		set.bundles = append(set.bundles, lb)
	}
	if err := checkRoots(set.bundles); err != nil {
		return nil, err
	}
	if err := checkPackages(set.bundles); err != nil {
		return nil, err
	}
	for _, lb := range set.bundles {
		for _, m := range lb.bundle.Modules {
			if isTestModule(m) && !withTests {
				continue
			}
			key := m.URL
			if key == "" {
				key = m.Path
			}
			if _, dup := set.modules[key]; dup {
				return nil, &BundleError{lb.info.Source, fmt.Errorf("module %s is loaded twice", key)}
			}
			set.modules[key] = m.Parsed
			set.moduleOwner[key] = lb.info.Name
			if isTestModule(m) {
				set.testModules[key] = true
			} else {
				set.moduleBundle[m.Parsed.Package.Path.String()] = lb.info.Name
			}
		}
		if err := mergeData(set.data, lb.bundle.Data, ""); err != nil {
			return nil, &BundleError{lb.info.Source, err}
		}
	}
	return set, nil
}
