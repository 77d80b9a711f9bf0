#!/usr/bin/env bash
# Smoke test of a running Rekor v1 stack (scripts/rekor/start.sh STATE_DIR):
# with rekor-cli and an openssl-made ECDSA key it uploads a hashedrekord entry,
# searches for it by sha256 and by public key, gets it by log index, verifies
# its inclusion, then uploads the same in-toto statement as a dsse and as an
# intoto v0.0.2 entry and checks that the attestation is stored and served.
# Usage: scripts/rekor/smoke.sh STATE_DIR
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"

[ $# -eq 1 ] || die "usage: $0 STATE_DIR"
STATE_DIR="$(cd "$1" && pwd -P)"
[ -f "$STATE_DIR/env" ] || die "$STATE_DIR/env missing: is the stack started?"
# shellcheck disable=SC1091
. "$STATE_DIR/env"
CLI="$GOPOLICY_REKOR_CLI"
URL="$GOPOLICY_REKOR_URL"
command -v jq >/dev/null 2>&1 || die "jq is needed (apt-get install -y jq)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
export HOME="$work"   # rekor-cli keeps log state in ~/.rekor; keep it out of the caller's home

ok() { printf '[smoke] ok: %s\n' "$*"; }

openssl ecparam -name prime256v1 -genkey -noout -out key.pem
openssl ec -in key.pem -pubout -out pub.pem 2>/dev/null
echo "gopolicy rekor smoke $(date +%s%N) $$" >artifact.txt
openssl dgst -sha256 -sign key.pem -out artifact.sig artifact.txt
sha="$(sha256sum artifact.txt | cut -d' ' -f1)"

before="$(curl -fsS "$URL/api/v1/log" | jq -r .treeSize)"

out="$("$CLI" upload --rekor_server "$URL" --artifact artifact.txt --signature artifact.sig \
	--public-key pub.pem --pki-format x509)"
echo "$out"
idx="$(printf '%s\n' "$out" | sed -n 's/.*Created entry at index \([0-9]*\).*/\1/p')"
uuid="$(printf '%s\n' "$out" | sed -n 's#.*/api/v1/log/entries/\([0-9a-f]*\).*#\1#p')"
[ -n "$idx" ] && [ -n "$uuid" ] || die "upload: no index/uuid in output"
ok "hashedrekord upload -> index $idx"

"$CLI" search --rekor_server "$URL" --sha "$sha" 2>/dev/null | grep -qx "$uuid" || die "search --sha did not find $uuid"
ok "search --sha"
"$CLI" search --rekor_server "$URL" --public-key pub.pem --pki-format x509 2>/dev/null | grep -qx "$uuid" ||
	die "search --public-key did not find $uuid"
ok "search --public-key"
got="$("$CLI" get --rekor_server "$URL" --log-index "$idx" --format json)"
[ "$(printf '%s' "$got" | jq -r .UUID)" = "$uuid" ] || die "get --log-index $idx returned another entry"
ok "get --log-index $idx"
"$CLI" verify --rekor_server "$URL" --artifact artifact.txt --signature artifact.sig \
	--public-key pub.pem --pki-format x509 >verify.out 2>&1 || { cat verify.out; die "verify failed"; }
grep -q '^Computed Root Hash' verify.out || { cat verify.out; die "verify printed no root hash"; }
ok "verify (inclusion proof)"

# The entry's signedEntryTimestamp must verify against GOPOLICY_REKOR_PUBKEY
# (SET = ECDSA over the canonical JSON of body, integratedTime, logID, logIndex).
entry="$(curl -fsS "$URL/api/v1/log/entries/$uuid")"
printf '%s' "$entry" | jq -cjS --arg u "$uuid" '.[$u] | {body, integratedTime, logID, logIndex}' >set.payload
printf '%s' "$entry" | jq -r --arg u "$uuid" '.[$u].verification.signedEntryTimestamp' | base64 -d >set.sig
openssl dgst -sha256 -verify "$GOPOLICY_REKOR_PUBKEY" -signature set.sig set.payload >/dev/null ||
	die "signedEntryTimestamp does not verify with $GOPOLICY_REKOR_PUBKEY"
ok "signedEntryTimestamp verifies with GOPOLICY_REKOR_PUBKEY"

# DSSE envelope over an in-toto statement for the artifact.
cat >stmt.json <<EOF
{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"artifact.txt","digest":{"sha256":"$sha"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{"buildDefinition":{"buildType":"https://example.com/gopolicy-smoke","externalParameters":{}},"runDetails":{"builder":{"id":"https://example.com/gopolicy-smoke-builder"}}}}
EOF
pt="application/vnd.in-toto+json"
{ printf 'DSSEv1 %d %s %d ' "${#pt}" "$pt" "$(stat -c %s stmt.json)"; cat stmt.json; } >pae.bin
openssl dgst -sha256 -sign key.pem -out dsse.sig pae.bin
jq -n --arg p "$(base64 -w0 stmt.json)" --arg s "$(base64 -w0 dsse.sig)" --arg t "$pt" \
	'{payloadType:$t, payload:$p, signatures:[{keyid:"", sig:$s}]}' >envelope.json

for typ in dsse intoto:0.0.2; do
	out="$("$CLI" upload --rekor_server "$URL" --type "$typ" --artifact envelope.json --public-key pub.pem --pki-format x509)"
	i="$(printf '%s\n' "$out" | sed -n 's/.*Created entry at index \([0-9]*\).*/\1/p')"
	[ -n "$i" ] || die "$typ upload failed: $out"
	ok "$typ upload -> index $i"
	if [ "$typ" = intoto:0.0.2 ]; then
		att="$("$CLI" get --rekor_server "$URL" --log-index "$i" --format json | jq -r .Attestation)"
		[ "$(printf '%s' "$att" | jq -r '.subject[0].digest.sha256')" = "$sha" ] ||
			die "intoto entry $i: attestation not stored/served (attestation storage)"
		ok "intoto attestation stored and served"
	fi
done
"$CLI" search --rekor_server "$URL" --sha "$sha" 2>/dev/null | grep -c . | grep -qx 3 || die "search --sha should find 3 entries"
ok "search --sha finds hashedrekord + dsse + intoto"

after="$(curl -fsS "$URL/api/v1/log" | jq -r .treeSize)"
[ "$after" -eq $(( before + 3 )) ] || die "tree size $before -> $after, expected +3"
ok "tree size $before -> $after"
echo "[smoke] all passed"
