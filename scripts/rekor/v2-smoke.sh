#!/usr/bin/env bash
# Smoke test of a running Rekor v2 (scripts/rekor/v2-start.sh STATE_DIR):
# POSTs a hashedrekord v0.0.2 entry (ECDSA P-256 key made with openssl),
# checks the response, that a duplicate is refused, and that the checkpoint in
# the storage directory grew and verifies with GOPOLICY_REKOR_V2_PUBKEY.
# Usage: scripts/rekor/v2-smoke.sh STATE_DIR
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"

[ $# -eq 1 ] || die "usage: $0 STATE_DIR"
STATE_DIR="$(cd "$1" && pwd -P)"
[ -f "$STATE_DIR/env" ] || die "$STATE_DIR/env missing: is rekor v2 started?"
# shellcheck disable=SC1091
. "$STATE_DIR/env"
command -v jq >/dev/null 2>&1 || die "jq is needed (apt-get install -y jq)"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT; cd "$work"
ok() { printf '[v2-smoke] ok: %s\n' "$*"; }
cp_size() { sed -n 2p "$GOPOLICY_REKOR_V2_STORAGE_DIR/checkpoint"; }

before="$(cp_size)"
openssl ecparam -name prime256v1 -genkey -noout -out key.pem
echo "gopolicy rekor v2 smoke $(date +%s%N) $$" >artifact.txt
openssl dgst -sha256 -sign key.pem -out artifact.sig artifact.txt
jq -n --arg d "$(openssl dgst -sha256 -binary artifact.txt | base64 -w0)" \
	--arg s "$(base64 -w0 artifact.sig)" \
	--arg p "$(openssl pkey -in key.pem -pubout -outform DER | base64 -w0)" \
	'{hashedRekordRequestV002: {digest: $d, signature: {content: $s,
	  verifier: {publicKey: {rawBytes: $p}, keyDetails: "PKIX_ECDSA_P256_SHA_256"}}}}' >req.json

code="$(curl -sS -o resp.json -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	--data @req.json "$GOPOLICY_REKOR_V2_URL/api/v2/log/entries")"
case "$code" in 200|201) ;; *) cat resp.json; die "POST /api/v2/log/entries: HTTP $code";; esac
idx="$(jq -r .logIndex resp.json)"
[ "$(jq -r .kindVersion.kind resp.json)" = hashedrekord ] || { cat resp.json; die "unexpected response"; }
jq -e '.inclusionProof.checkpoint.envelope' resp.json >/dev/null || die "no inclusion proof checkpoint"
ok "hashedrekord v0.0.2 entry at index $idx"

code="$(curl -sS -o dup.json -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	--data @req.json "$GOPOLICY_REKOR_V2_URL/api/v2/log/entries")"
[ "$code" = 409 ] || { cat dup.json; die "duplicate: expected HTTP 409, got $code"; }
ok "duplicate refused (409)"

# The checkpoint file is published every checkpoint interval.
for _ in $(seq 1 50); do [ "$(cp_size)" -gt "$before" ] && break; sleep 0.2; done
after="$(cp_size)"
[ "$after" -gt "$before" ] || die "checkpoint size did not grow ($before)"
ok "checkpoint size $before -> $after"
cp="$GOPOLICY_REKOR_V2_STORAGE_DIR/checkpoint"
[ "$(head -n1 "$cp")" = "$GOPOLICY_REKOR_V2_ORIGIN" ] || die "checkpoint origin is not $GOPOLICY_REKOR_V2_ORIGIN"
awk '/^$/{exit} {print}' "$cp" >cp.body
tail -n1 "$cp" | awk '{print $NF}' | base64 -d | tail -c 64 >cp.sig   # note sig: 4-byte key hash + Ed25519 sig
openssl pkeyutl -verify -pubin -inkey "$GOPOLICY_REKOR_V2_PUBKEY" -rawin -in cp.body -sigfile cp.sig >/dev/null ||
	die "checkpoint signature does not verify with $GOPOLICY_REKOR_V2_PUBKEY"
ok "checkpoint signature verifies with GOPOLICY_REKOR_V2_PUBKEY"
code="$(curl -s -o /dev/null -w '%{http_code}' "$GOPOLICY_REKOR_V2_URL/api/v2/checkpoint")"
ok "GET /api/v2/checkpoint -> HTTP $code (501 expected in POSIX mode; read the storage dir)"
echo "[v2-smoke] all passed"
