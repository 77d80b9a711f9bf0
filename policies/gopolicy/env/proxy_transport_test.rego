package gopolicy.policies.env.proxy_transport_test

import data.gopolicy.fixtures
import data.gopolicy.policies.env.proxy_transport

http_proxy := object.union(fixtures.with_env({"GOPROXY": "http://mirror.internal,direct"}), {"goenv": {"goproxy": [
	{"raw": "http://mirror.internal", "kind": "proxy", "url": "http://mirror.internal", "scheme": "http", "fallback_on": "not-found", "reachable": true},
	{"raw": "direct", "kind": "direct", "fallback_on": "", "reachable": true},
]}})

test_https_default_passes if {
	count(proxy_transport.violation) == 0 with input as fixtures.clean
}

test_http_proxy_is_a_violation if {
	some v in proxy_transport.violation with input as http_proxy
	v.subject == "http://mirror.internal"
	contains(v.msg, "plain HTTP")
}

test_allowlist_rejects_other_proxies if {
	vs := proxy_transport.violation with input as fixtures.clean with data.gopolicy.config.proxy_allowlist as ["https://goproxy.acme.example"]
	count(vs) == 1
}

test_allowlist_accepts_listed_proxy if {
	count(proxy_transport.violation) == 0 with input as fixtures.clean with data.gopolicy.config.proxy_allowlist as ["https://proxy.golang.org/"]
}
