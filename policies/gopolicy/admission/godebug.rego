# GP-ADM-002 and GP-ADM-003 (scenario E2): the effective GODEBUG of each
# container is the binary's DefaultGODEBUG (from its build information,
# as attested) overridden by the Pod's GODEBUG variable. Settings that
# restore insecure legacy behaviour are denied; settings the Go release
# does not know (or removed) are warned about. The settings, their
# packages, the version that changed them and their old values come from
# the Go release's own table (godebugs/data.json, generated from
# $GOROOT/src/internal/godebugs/table.go and checked by a test).
package gopolicy.admission.godebug

table := data.gopolicy.admission.godebugs

# insecure are settings whose old value re-enables insecure behaviour.
insecure := {
	"tls10server": "TLS 1.0 and 1.1 on servers",
	"tls3des": "3DES cipher suites",
	"tlsrsakex": "RSA key exchange cipher suites",
	"tlssha1": "SHA-1 signatures in TLS 1.2 handshakes",
	"tlsunsafeekm": "ExportKeyingMaterial without extended master secret",
	"x509negativeserial": "certificates with negative serial numbers",
	"x509sha1": "SHA-1 signed certificates",
}

# pairs parses a GODEBUG value into [name, value] pairs, in order.
pairs(s) := [[trim_space(kv[0]), trim_space(kv[1])] |
	some part in split(s, ",")
	kv := split(part, "=")
	count(kv) == 2
]

# env_settings is a GODEBUG value as a map: the last setting of a name
# wins, as in the runtime.
env_settings(s) := {p[0]: p[1] |
	ps := pairs(s)
	some i, p in ps
	not overridden(ps, i, p[0])
}

overridden(ps, i, name) if {
	some j, q in ps
	j > i
	q[0] == name
}

pod_settings(c) := env_settings(c.env.GODEBUG)

pod_settings(c) := {} if not c.env.GODEBUG

# binaries are the attested Go binaries of a container's image, or one
# without defaults when the image has none attested.
binaries(c) := c.verdict.binaries if count(object.get(c, ["verdict", "binaries"], [])) > 0

binaries(c) := [{"path": "(no attested binary)", "go_version": "", "default_godebug": {}}] if count(object.get(c, ["verdict", "binaries"], [])) == 0

source(c, name) := "the Pod's GODEBUG" if pod_settings(c)[name]

source(c, name) := "the binary's DefaultGODEBUG" if not pod_settings(c)[name]

finding contains {
	"policy": "GP-ADM-002",
	"container": c.name,
	"msg": sprintf("container %s: %s runs with GODEBUG %s=%s (from %s), re-enabling %s (the default changed in Go 1.%d)", [c.name, b.path, name, value, source(c, name), what, table.settings[name].changed]),
} if {
	some c in input.containers
	some b in binaries(c)
	effective := object.union(b.default_godebug, pod_settings(c))
	some name, what in insecure
	value := effective[name]
	not table.settings[name].removed
	value == table.settings[name].old
}

finding contains {
	"policy": "GP-ADM-003",
	"container": c.name,
	"msg": sprintf("container %s: GODEBUG %s no longer exists since Go 1.%d: the setting is ignored", [c.name, name, table.settings[name].removed]),
} if {
	some c in input.containers
	some name, _ in pod_settings(c)
	table.settings[name].removed
}

finding contains {
	"policy": "GP-ADM-003",
	"container": c.name,
	"msg": sprintf("container %s: GODEBUG %s is not a setting %s knows: a typo, or one too new to check", [c.name, name, table.go_version]),
} if {
	some c in input.containers
	some name, _ in pod_settings(c)
	not table.settings[name]
}
