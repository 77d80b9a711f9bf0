package serve

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"go.yaml.in/yaml/v3"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
)

// decodeStrictYAML decodes a manifest into a Kubernetes type, refusing
// fields the type does not have (a misspelt field is silently dropped by
// the API server's lenient decoding).
func decodeStrictYAML(t *testing.T, path string, v any) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	j, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if v != nil {
		dec := json.NewDecoder(bytes.NewReader(j))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	return m
}

func TestKubernetesExamples(t *testing.T) {
	dir := filepath.Join("..", "..", "examples", "kubernetes")
	var d appsv1.Deployment
	decodeStrictYAML(t, filepath.Join(dir, "deployment.yaml"), &d)
	if *d.Spec.Replicas != 2 || d.Spec.Template.Spec.Containers[0].Args[0] != "serve" {
		t.Errorf("deployment: replicas %d", *d.Spec.Replicas)
	}
	var pdb policyv1.PodDisruptionBudget
	decodeStrictYAML(t, filepath.Join(dir, "pdb.yaml"), &pdb)
	if pdb.Spec.MinAvailable == nil {
		t.Error("pdb without minAvailable")
	}
	var svc corev1.Service
	decodeStrictYAML(t, filepath.Join(dir, "service.yaml"), &svc)
	var wh admissionregistrationv1.ValidatingWebhookConfiguration
	decodeStrictYAML(t, filepath.Join(dir, "webhook.yaml"), &wh)
	w := wh.Webhooks[0]
	if w.FailurePolicy == nil || w.TimeoutSeconds == nil || *w.TimeoutSeconds > 10 || w.ClientConfig.Service.Path == nil || *w.ClientConfig.Service.Path != "/validate" {
		t.Errorf("webhook: %+v", w)
	}
	if wh.Annotations["cert-manager.io/inject-ca-from"] == "" {
		t.Error("webhook without the cert-manager annotation")
	}
	excluded := strings.Join(w.NamespaceSelector.MatchExpressions[0].Values, ",")
	if w.NamespaceSelector.MatchExpressions[0].Operator != "NotIn" || !strings.Contains(excluded, "kube-system") || !strings.Contains(excluded, d.Namespace) {
		t.Errorf("namespaceSelector must exclude kube-system and %s: %+v", d.Namespace, w.NamespaceSelector)
	}
	if svc.Namespace != d.Namespace || w.ClientConfig.Service.Namespace != d.Namespace || w.ClientConfig.Service.Name != svc.Name {
		t.Error("webhook, service and deployment disagree on names")
	}
}

func TestGatekeeperExamples(t *testing.T) {
	dir := filepath.Join("..", "..", "examples", "gatekeeper")
	p := decodeStrictYAML(t, filepath.Join(dir, "provider.yaml"), nil)
	spec := p["spec"].(map[string]any)
	if p["apiVersion"] != ExternalDataAPIVersion || !strings.HasSuffix(spec["url"].(string), "/externaldata") || spec["timeout"].(int) > 3 {
		t.Errorf("provider: %v", p)
	}
	ct := decodeStrictYAML(t, filepath.Join(dir, "constrainttemplate.yaml"), nil)
	rego := ct["spec"].(map[string]any)["targets"].([]any)[0].(map[string]any)["rego"].(string)
	if strings.Contains(rego, "import rego.v1") {
		t.Error("Gatekeeper refuses a template that imports rego.v1")
	}
	for _, want := range []string{`external_data({"provider": "gopolicy"`, "response.system_error", "response.errors", "allowed == false"} {
		if !strings.Contains(rego, want) {
			t.Errorf("template rego lacks %s", want)
		}
	}
	// Gatekeeper parses the rego field as Rego v0 and refuses any import
	// but data.lib and future.keywords (test/gatekeeper runs it for real).
	if _, err := ast.ParseModuleWithOpts("template.rego", rego, ast.ParserOptions{RegoVersion: ast.RegoV0}); err != nil {
		t.Errorf("template rego: %v", err)
	}
	c := decodeStrictYAML(t, filepath.Join(dir, "constraint.yaml"), nil)
	if c["spec"].(map[string]any)["enforcementAction"] == nil {
		t.Error("constraint without enforcementAction")
	}
}
