# METADATA
# title: GOSUMDB names a checksum database without a usable public key
# description: >-
#   The go command trusts a checksum database only through its public key. A
#   custom GOSUMDB given as a bare name, an unknown name, or with a malformed
#   key is either rejected by the go command or trusts nobody knows what.
# custom:
#   id: GP-ENV-005
#   version: 1.0.0
#   severity: high
#   requires: [goenv]
#   profiles: {dev: warn, ci: deny, prod: deny}
#   remediation: >-
#     Use sum.golang.org (the default), its alias sum.golang.google.cn, or give
#     the full verifier key: GOSUMDB="name+hash+key [url]".
package gopolicy.policies.env.sumdb_key

import data.gopolicy.lib

db := input.goenv.gosumdb

violation contains {
	"msg": sprintf("GOSUMDB %q: %s", [db.raw, reason]),
	"evidence": [lib.env_evidence("GOSUMDB"), {"fact": "/goenv/gosumdb", "value": db}],
} if {
	not db.off
	some reason in reasons
}

reasons contains db.error if db.error

reasons contains db.key_error if db.key_error

reasons contains "the key does not verify" if {
	not db.error
	not db.key_error
	not db.key_valid
}
