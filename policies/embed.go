// Package policies is gopolicy's built-in policy library: an OPA bundle
// (manifest, Rego policies with their tests, default configuration data)
// compiled into the binary.
package policies

import "embed"

// FS is the bundle tree, rooted at the bundle's top.
//
//go:embed .manifest gopolicy
var FS embed.FS

// Name is the built-in bundle's name in decisions.
const Name = "gopolicy"
