# METADATA
# title: Build settings differ between environments
# description: >-
#   The Go environment variables that change what a build produces or where
#   its modules come from (GOFLAGS, CGO_ENABLED, GOTOOLCHAIN, GOPROXY,
#   GOSUMDB, GOPRIVATE, GOEXPERIMENT, GOAMD64 and the like) have different
#   effective values in the environments compared: the release builder does
#   not build what CI tested.
# custom:
#   drift_id: GP-DRIFT-001
#   version: 1.0.0
#   severity: high
#   profiles: {dev: warn, ci: deny, prod: deny}
#   remediation: >-
#     Set these variables the same way in every environment: in the CI and
#     release job definitions, or in a GOENV file both read; the evidence
#     names the layer (process environment, GOENV file, GOROOT go.env) that
#     set each value.
package gopolicy.drift.build_settings

import data.gopolicy.drift.lib

settings := {
	"GOFLAGS", "CGO_ENABLED", "GOTOOLCHAIN", "GOPROXY", "GOSUMDB", "GONOSUMDB", "GONOSUMCHECK",
	"GOPRIVATE", "GONOPROXY", "GOINSECURE", "GOEXPERIMENT", "GOAMD64", "GOARM", "GOARM64", "GO386",
	"GOOS", "GOARCH", "GOFIPS140", "GODEBUG", "GOWORK", "GOVCS", "CC", "CXX", "CGO_CFLAGS", "CGO_LDFLAGS",
}

finding contains {
	"msg": sprintf("%s differs between environments: %s", [d.key, lib.values_text(d)]),
	"subject": d.key,
	"evidence": lib.evidence(d),
} if {
	some d in lib.differences("goenv")
	d.key in settings
}
