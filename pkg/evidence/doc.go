// Package evidence lets a build prove its facts, and lets a later judge
// check that proof offline.
//
// # Bundle first
//
// Attest signs gopolicy's facts document as an in-toto Statement v1
// (predicate type FactsPredicateType, one subject per binary and
// optionally an image digest) in a DSSE envelope, and writes it as a
// Sigstore bundle (v0.3). A bundle is self-contained: it carries the
// signature, the signer's certificate or key hint, and, when the bundle
// was logged, the Rekor entry with its inclusion proof and signed
// checkpoint (and, from a Rekor v1 log, its signed entry timestamp, SET).
// Verify checks such a bundle, or any cosign/sigstore bundle of a binary,
// with no network access, against trust material the caller pinned: a
// trusted_root.json (Fulcio CAs, Rekor and CT log keys, timestamp
// authorities) and/or public keys. The bundle is the evidence; everything
// needed to judge it travels with the binary.
//
// Verification is recorded step by step in a Result (parse, trust,
// signer, tlog, timestamps, certificate, signature, statement, artifact,
// identity, and a final cross-check by sigstore-go's own verifier). A
// bundle is verified only when every required step passed; otherwise
// Verify returns the Result with the failure recorded and an error. The
// artifact step binds the bundle to the binary actually judged: the
// caller passes that binary's digest, and a statement subject (DSSE) or
// the signed message digest must equal it. A valid signature over some
// other binary proves nothing about this one.
//
// # Rekor v1 and Rekor v2
//
// Attest logs in a Rekor v1 log (a dsse entry, answered with a SET and
// an integrated time) or, with AttestOptions.RekorVersion RekorV2, in a
// Rekor v2 log (rekor-tiles): there the signature is a hashedrekord
// v0.0.2 entry over the digest of the envelope's pre-authentication
// encoding, answered with an inclusion proof and a checkpoint signed as a
// C2SP signed note, and nothing else. A Rekor v2 entry has no SET and no
// integrated time: it proves that the signature was logged, never when.
// Verify says so in the tlog and timestamps steps, and counts no time
// from it. A key signer needs no time, so a key-signed bundle logged in
// Rekor v2 verifies without one; a certificate does, so Attest refuses a
// certificate with Rekor v2 unless a timestamp authority (TSAURL) gives
// the time. Rekor v2 logs only prehashed signatures, so it takes ECDSA
// keys, not Ed25519 ones (which sign the envelope itself).
//
// Verify checks a Rekor v2 entry against a log in the trusted root: the
// checkpoint must be signed by the log's key under the origin that is
// the host of the log's base URL (the rule sigstore-go applies), the
// inclusion proof must lead from the entry body to that checkpoint's
// root, and the body must log this bundle's signature, signer and
// content. Each failure is named in the tlog step ("checkpoint:",
// "inclusion proof:", "entry body:").
//
// # Verifying many binaries
//
// A Cache verifies each bundle once per run, for the same bytes and the
// same trust, and binds it to each binary judged separately; it also
// fetches and verifies each log entry a search returns once. Concurrent
// identical verifications wait for one another. Results are the same as
// without a cache, step for step.
//
// # Search by hash is only an extra
//
// SearchRekorV1 asks a Rekor v1 log which entries mention a SHA-256 and
// verifies every entry it gets back against a pinned log key. Rekor v1
// documents its search index as best effort, with results that "may be
// incomplete", and Rekor v2 has no search at all; a log also cannot say
// which of its entries you should trust. So a search can add context
// (this binary was also signed by X) but its absence of results proves
// nothing, and it never replaces a bundle. The result always says so.
//
// # Key-based and keyless identities
//
// A key-based signer is a long-lived key pair (loaded with LoadPrivateKey,
// including cosign's encrypted format). Its identity is the public key
// itself: the verifier pins the public key, and may further restrict the
// signer to an allow-list of fingerprints ("sha256:" + hex SHA-256 of the
// PKIX DER encoding, see Fingerprint). Nothing ties such a key to a
// person or a workflow except how it is kept.
//
// A keyless signer holds a short-lived Fulcio certificate issued for an
// OIDC identity: the certificate names the issuer (for example GitHub
// Actions) and the subject (the workflow, or an email). The certificate
// expires within minutes, so a keyless signature is only meaningful with
// a trusted time at which the certificate was valid: a log entry's
// integrated time (with a verified SET) or an RFC 3161 timestamp. The
// verifier checks the chain to a pinned Fulcio CA at that time, then
// matches issuer and subject against an allow-list of {issuer, SAN
// regular expression}; the expressions must match the whole value.
package evidence
