package facts

// Admission is what an admission request says about where images are
// about to run (added in 0.5.0). Only the admission server (gopolicy
// serve) writes it, from the AdmissionReview: a build has no such
// section, and policies that need it are not judged there.
type Admission struct {
	// Operation is the request's: CREATE or UPDATE.
	Operation string `json:"operation"`
	// Namespace, Kind and Name are the workload's (a Pod, or an object
	// with a pod template such as a Deployment).
	Namespace string `json:"namespace"`
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	// DryRun is true when the API server will not persist the object.
	DryRun     bool                 `json:"dry_run"`
	Containers []AdmissionContainer `json:"containers"`
}

// AdmissionContainer is one container of the workload: its image, the Go
// runtime settings its environment sets, and its limits.
type AdmissionContainer struct {
	Name string `json:"name"`
	// Kind is container, init or ephemeral.
	Kind  string `json:"kind"`
	Image string `json:"image"`
	// Env holds the Go runtime variables set literally in the spec
	// (GODEBUG, GOMAXPROCS, GOMEMLIMIT, GOFLAGS, GOTOOLCHAIN, GOGC);
	// EnvFrom names those set from a ConfigMap, Secret or field, whose
	// value admission cannot see.
	Env     map[string]string `json:"env"`
	EnvFrom []string          `json:"env_from"`
	// GOMAXPROCS and GOMEMLIMITBytes are Env's values parsed as the
	// runtime parses them; -1 when unset, off or unparsable.
	GOMAXPROCS      int64 `json:"gomaxprocs"`
	GOMEMLIMITBytes int64 `json:"gomemlimit_bytes"`
	// CPULimitMillis and MemoryLimitBytes are the container's limits
	// (0: none).
	CPULimitMillis   int64 `json:"cpu_limit_millis"`
	MemoryLimitBytes int64 `json:"memory_limit_bytes"`
}
