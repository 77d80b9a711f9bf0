# METADATA
# title: GOPROXY uses plain HTTP or a proxy that is not allowed
# description: >-
#   A proxy reached over http:// can be tampered with in transit, and a proxy
#   outside the organisation's allow-list serves code nobody vetted.
# custom:
#   id: GP-ENV-004
#   version: 1.0.0
#   severity: high
#   requires: [goenv]
#   profiles: {dev: warn, ci: deny, prod: deny}
#   remediation: >-
#     Use https:// proxy URLs, and only proxies listed in the policy
#     configuration proxy_allowlist.
package gopolicy.policies.env.proxy_transport

import data.gopolicy.lib

violation contains {
	"msg": sprintf("GOPROXY entry %q is reached over plain HTTP", [e.raw]),
	"subject": e.raw,
	"evidence": [lib.env_evidence("GOPROXY"), {"fact": sprintf("/goenv/goproxy/%d/url", [i]), "value": e.url}],
} if {
	some i, e in input.goenv.goproxy
	e.reachable
	e.scheme == "http"
}

violation contains {
	"msg": sprintf("GOPROXY entry %q is not on the proxy allow-list", [e.url]),
	"subject": e.raw,
	"evidence": [lib.env_evidence("GOPROXY"), {"fact": sprintf("/goenv/goproxy/%d/url", [i]), "value": e.url}],
} if {
	allow := data.gopolicy.config.proxy_allowlist
	count(allow) > 0
	some i, e in input.goenv.goproxy
	e.reachable
	e.kind == "proxy"
	not allowed(e.url, allow)
}

allowed(url, allow) if {
	some a in allow
	startswith(trim_suffix(url, "/"), trim_suffix(a, "/"))
}
