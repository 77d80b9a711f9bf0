// Package gatekeeper tests gopolicy's external-data provider with
// Gatekeeper's own code: the constraint framework and its Rego driver
// with the external_data builtin (framework_test.go), and gator verify
// on recorded provider responses (gator_test.go).
//
// It is a separate module so that Gatekeeper's dependency tree
// (controller-runtime, client-go, the frameworks module) never enters
// gopolicy's go.mod. Run it with `cd test/gatekeeper && go test ./...`.
package gatekeeper
