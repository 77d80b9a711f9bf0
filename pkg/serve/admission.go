package serve

import (
	"encoding/json"
	"strings"

	"github.com/gopolicy/gopolicy/pkg/facts"
	admissionv1 "k8s.io/api/admission/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// AdmissionAPIVersion is the AdmissionReview version served.
const AdmissionAPIVersion = "admission.k8s.io/v1"

// Workload is what an admission request asks to run: the pod spec of a
// Pod or of a workload's pod template, and where.
type Workload struct {
	Kind      string
	Name      string
	Namespace string
	// Spec is nil for objects that carry no pod spec (the request is then
	// allowed without judgement).
	Spec *corev1.PodSpec
}

// DecodeAdmissionReview decodes and checks an AdmissionReview request and
// the workload it carries.
func DecodeAdmissionReview(data []byte, maxDepth int) (*admissionv1.AdmissionReview, *Workload, error) {
	var review admissionv1.AdmissionReview
	if err := decodeStrict(data, maxDepth, &review); err != nil {
		return nil, nil, err
	}
	if review.APIVersion != AdmissionAPIVersion {
		return nil, nil, badRequest("apiVersion %q: want %s", review.APIVersion, AdmissionAPIVersion)
	}
	if review.Kind != "AdmissionReview" {
		return nil, nil, badRequest("kind %q: want AdmissionReview", review.Kind)
	}
	req := review.Request
	if req == nil {
		return nil, nil, badRequest("AdmissionReview has no request")
	}
	if req.UID == "" {
		return nil, nil, badRequest("AdmissionReview request has no uid")
	}
	w := &Workload{Kind: req.Kind.Kind, Name: req.Name, Namespace: req.Namespace}
	if req.Operation == admissionv1.Delete || req.Operation == admissionv1.Connect || len(req.Object.Raw) == 0 {
		return &review, w, nil
	}
	spec, err := podSpec(req.Kind.Kind, req.Object.Raw)
	if err != nil {
		return nil, nil, err
	}
	w.Spec = spec
	return &review, w, nil
}

// podSpec finds the pod spec in an object of a known kind.
func podSpec(kind string, raw []byte) (*corev1.PodSpec, error) {
	decode := func(v any) error {
		if err := json.Unmarshal(raw, v); err != nil {
			return badRequest("request.object is not a valid %s: %v", kind, err)
		}
		return nil
	}
	switch kind {
	case "Pod":
		var o corev1.Pod
		if err := decode(&o); err != nil {
			return nil, err
		}
		return &o.Spec, nil
	case "Deployment":
		var o appsv1.Deployment
		if err := decode(&o); err != nil {
			return nil, err
		}
		return &o.Spec.Template.Spec, nil
	case "StatefulSet":
		var o appsv1.StatefulSet
		if err := decode(&o); err != nil {
			return nil, err
		}
		return &o.Spec.Template.Spec, nil
	case "DaemonSet":
		var o appsv1.DaemonSet
		if err := decode(&o); err != nil {
			return nil, err
		}
		return &o.Spec.Template.Spec, nil
	case "ReplicaSet":
		var o appsv1.ReplicaSet
		if err := decode(&o); err != nil {
			return nil, err
		}
		return &o.Spec.Template.Spec, nil
	case "Job":
		var o batchv1.Job
		if err := decode(&o); err != nil {
			return nil, err
		}
		return &o.Spec.Template.Spec, nil
	case "CronJob":
		var o batchv1.CronJob
		if err := decode(&o); err != nil {
			return nil, err
		}
		return &o.Spec.JobTemplate.Spec.Template.Spec, nil
	case "ReplicationController":
		var o corev1.ReplicationController
		if err := decode(&o); err != nil {
			return nil, err
		}
		if o.Spec.Template == nil {
			return nil, nil
		}
		return &o.Spec.Template.Spec, nil
	}
	return nil, nil
}

// Container is one container of a workload as the admission policies
// see it: the facts document's admission section describes it.
type Container = facts.AdmissionContainer

var goRuntimeVars = map[string]bool{"GODEBUG": true, "GOMAXPROCS": true, "GOMEMLIMIT": true, "GOFLAGS": true, "GOTOOLCHAIN": true, "GOGC": true}

// Containers lists a pod spec's containers, init and ephemeral ones too.
func Containers(spec *corev1.PodSpec) []Container {
	var out []Container
	add := func(kind, name, image string, env []corev1.EnvVar, res corev1.ResourceRequirements) {
		c := Container{Name: name, Kind: kind, Image: image, Env: map[string]string{}, EnvFrom: []string{}, GOMAXPROCS: -1, GOMEMLIMITBytes: -1}
		for _, e := range env {
			if !goRuntimeVars[e.Name] {
				continue
			}
			if e.ValueFrom != nil {
				c.EnvFrom = append(c.EnvFrom, e.Name)
				delete(c.Env, e.Name)
				continue
			}
			c.Env[e.Name] = e.Value // the last definition wins, as in the kubelet
		}
		if v, ok := c.Env["GOMAXPROCS"]; ok {
			c.GOMAXPROCS = parseInt(v)
		}
		if v, ok := c.Env["GOMEMLIMIT"]; ok {
			c.GOMEMLIMITBytes = ParseMemLimit(v)
		}
		if q, ok := res.Limits[corev1.ResourceCPU]; ok {
			c.CPULimitMillis = q.MilliValue()
		}
		if q, ok := res.Limits[corev1.ResourceMemory]; ok {
			c.MemoryLimitBytes = q.Value()
		}
		out = append(out, c)
	}
	for _, c := range spec.InitContainers {
		add("init", c.Name, c.Image, c.Env, c.Resources)
	}
	for _, c := range spec.Containers {
		add("container", c.Name, c.Image, c.Env, c.Resources)
	}
	for _, c := range spec.EphemeralContainers {
		add("ephemeral", c.Name, c.Image, c.Env, c.Resources)
	}
	return out
}

func parseInt(s string) int64 {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 18 {
		return -1
	}
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

// ParseMemLimit parses GOMEMLIMIT as the runtime does: a byte count with
// an optional B, KiB, MiB, GiB or TiB suffix, or "off". It returns -1 for
// off or a value the runtime would reject.
func ParseMemLimit(s string) int64 {
	s = strings.TrimSpace(s)
	if s == "off" {
		return -1
	}
	units := []struct {
		suffix string
		mult   int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.mult
			break
		}
	}
	n := parseInt(s)
	if n < 0 || (mult > 1 && n > (1<<62)/mult) {
		return -1
	}
	return n * mult
}
