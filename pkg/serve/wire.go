package serve

// Gatekeeper's external-data wire types (externaldata.gatekeeper.sh/v1beta1).
// They are defined here rather than imported from
// github.com/open-policy-agent/frameworks/constraint: that module brings
// controller-runtime, client-go and a second OPA major line into the
// build for four small structs.

// ExternalDataAPIVersion is the provider protocol version served.
const ExternalDataAPIVersion = "externaldata.gatekeeper.sh/v1beta1"

// ProviderRequest is what Gatekeeper sends: the keys (image references)
// to look up.
type ProviderRequest struct {
	APIVersion string       `json:"apiVersion"`
	Kind       string       `json:"kind"`
	Request    ProviderKeys `json:"request"`
}

// ProviderKeys are the keys of a ProviderRequest.
type ProviderKeys struct {
	Keys []string `json:"keys"`
}

// ProviderResponse is the answer: one item per key.
type ProviderResponse struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Response   ProviderResult `json:"response"`
}

// ProviderResult holds the items, whether the answer may be cached by
// Gatekeeper (idempotent), and an error for the whole request.
type ProviderResult struct {
	Idempotent  bool   `json:"idempotent"`
	Items       []Item `json:"items"`
	SystemError string `json:"systemError,omitempty"`
}

// Item is one key's answer: a structured decision, or an error.
type Item struct {
	Key   string `json:"key"`
	Value any    `json:"value,omitempty"`
	Error string `json:"error,omitempty"`
}
