package serve

import (
	"bytes"
	"embed"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/template"
)

//go:embed gatekeeper/*.yaml.tmpl
var gatekeeperTemplates embed.FS

// GatekeeperOptions say how Gatekeeper reaches gopolicy serve and how the
// constraint enforces its verdicts.
type GatekeeperOptions struct {
	// Provider is the external-data provider's name.
	Provider string
	// Service, Namespace and Port name gopolicy's Service in the cluster.
	Service, Namespace string
	Port               int
	// CA is the PEM CA that signed gopolicy's serving certificate; empty
	// leaves a placeholder to fill in.
	CA []byte
	// TimeoutSeconds is how long Gatekeeper waits for an answer (it allows
	// at most 3 by default).
	TimeoutSeconds int
	// EnforcementAction is the constraint's: deny, dryrun or warn.
	EnforcementAction string
	// ExcludedNamespaces are never judged: Gatekeeper's and gopolicy's own
	// (a broken gopolicy must not block its own repair) and kube-system.
	ExcludedNamespaces []string
	// Bundle names the policy bundle the verdicts come from ("name
	// revision"), recorded on the template.
	Bundle string
}

// DefaultGatekeeperOptions match examples/kubernetes.
func DefaultGatekeeperOptions() GatekeeperOptions {
	return GatekeeperOptions{
		Provider: "gopolicy", Service: "gopolicy-admission", Namespace: "gopolicy-system", Port: 443,
		TimeoutSeconds: 3, EnforcementAction: "deny",
		ExcludedNamespaces: []string{"kube-system", "gopolicy-system", "gatekeeper-system"},
	}
}

// GatekeeperFiles are the manifests Gatekeeper needs, by file name, in the
// order they must be applied.
var GatekeeperFiles = []string{"provider.yaml", "constrainttemplate.yaml", "constraint.yaml"}

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

// GatekeeperManifests renders the Provider, the ConstraintTemplate calling
// external_data, and the Constraint, by file name.
func GatekeeperManifests(o GatekeeperOptions) (map[string][]byte, error) {
	for what, v := range map[string]string{"provider": o.Provider, "service": o.Service, "namespace": o.Namespace} {
		if !dnsLabel.MatchString(v) {
			return nil, fmt.Errorf("gatekeeper: %s %q is not a DNS label", what, v)
		}
	}
	for _, ns := range o.ExcludedNamespaces {
		if !dnsLabel.MatchString(ns) {
			return nil, fmt.Errorf("gatekeeper: excluded namespace %q is not a DNS label", ns)
		}
	}
	if o.Port < 1 || o.Port > 65535 {
		return nil, fmt.Errorf("gatekeeper: port %d out of range", o.Port)
	}
	if o.TimeoutSeconds < 1 {
		return nil, fmt.Errorf("gatekeeper: timeout %ds: want at least 1", o.TimeoutSeconds)
	}
	if !slices.Contains([]string{"deny", "dryrun", "warn"}, o.EnforcementAction) {
		return nil, fmt.Errorf("gatekeeper: enforcement action %q: want deny, dryrun or warn", o.EnforcementAction)
	}
	if strings.ContainsAny(o.Bundle, "\"\\\n") {
		return nil, fmt.Errorf("gatekeeper: bundle name %q has a quote, backslash or newline", o.Bundle)
	}
	ca := ""
	if len(o.CA) > 0 {
		if b, _ := pem.Decode(o.CA); b == nil || b.Type != "CERTIFICATE" {
			return nil, errors.New("gatekeeper: the CA is not a PEM certificate")
		}
		ca = base64.StdEncoding.EncodeToString(o.CA)
	}
	data := map[string]any{
		"Provider":           o.Provider,
		"URL":                "https://" + net.JoinHostPort(o.Service+"."+o.Namespace+".svc", strconv.Itoa(o.Port)) + "/externaldata",
		"Timeout":            o.TimeoutSeconds,
		"CABundle":           ca,
		"EnforcementAction":  o.EnforcementAction,
		"ExcludedNamespaces": o.ExcludedNamespaces,
		"Bundle":             o.Bundle,
	}
	t, err := template.New("").Funcs(template.FuncMap{"join": strings.Join}).Option("missingkey=error").ParseFS(gatekeeperTemplates, "gatekeeper/*.yaml.tmpl")
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, name := range GatekeeperFiles {
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, name+".tmpl", data); err != nil {
			return nil, fmt.Errorf("gatekeeper: render %s: %w", name, err)
		}
		out[name] = buf.Bytes()
	}
	return out, nil
}
