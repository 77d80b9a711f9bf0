package facts

import "time"

// Kinds of evidence input.
const (
	// EvidenceKindAttestation is a gopolicy facts attestation: a Sigstore
	// bundle holding a DSSE envelope whose in-toto statement carries a
	// facts document as its predicate.
	EvidenceKindAttestation = "attestation"
	// EvidenceKindBundle is any other Sigstore bundle about a binary, such
	// as one written by `cosign sign-blob --bundle` or `cosign attest-blob`.
	EvidenceKindBundle = "bundle"
)

// Kinds of signer.
const (
	// SignerCertificate is a keyless signer: a short-lived (Fulcio)
	// certificate that names an OIDC issuer and a subject.
	SignerCertificate = "certificate"
	// SignerKey is a long-lived key, known by its fingerprint.
	SignerKey = "key"
)

// Evidence is the evidence section: the Sigstore bundles given for the
// build, what verifying each of them offline established, and any
// transparency-log searches by hash. A bundle is verified against pinned
// trust material only (Trust); nothing in it is trusted before that.
type Evidence struct {
	// Trust is the pinned material every input was verified against.
	Trust EvidenceTrust `json:"trust"`
	// Inputs has one entry per bundle given, in the order given.
	Inputs []EvidenceInput `json:"inputs"`
	// Searches are transparency-log searches by artifact hash. They are
	// extras: a search never proves that an entry does not exist.
	Searches []EvidenceSearch `json:"searches"`
}

// EvidenceTrust is the pinned trust material and the requirements that
// every input was verified with.
type EvidenceTrust struct {
	// TrustedRoot is the trusted_root.json file (Sigstore trusted root:
	// Fulcio CAs, Rekor log keys, CT logs, timestamp authorities).
	TrustedRoot string `json:"trusted_root,omitempty"`
	// TrustedRootSHA256 is the hex SHA-256 of that file.
	TrustedRootSHA256 string `json:"trusted_root_sha256,omitempty"`
	// PublicKeys are the pinned signer public keys.
	PublicKeys []EvidenceKey `json:"public_keys"`
	// LogKeys are pinned public keys of (private) Rekor logs, in addition
	// to those of the trusted root.
	LogKeys []EvidenceKey `json:"log_keys"`
	// Identities is the allow-list for certificate (keyless) signers.
	Identities []EvidenceIdentityRule `json:"identities"`
	// KeyFingerprints is the allow-list for key signers; empty means any
	// pinned key.
	KeyFingerprints []string `json:"key_fingerprints"`
	// Require is what each bundle had to show.
	Require EvidenceRequirements `json:"require"`
}

// EvidenceKey is one pinned public key.
type EvidenceKey struct {
	// Path is the file the key was read from, if any.
	Path string `json:"path,omitempty"`
	// Fingerprint is "sha256:" and the hex SHA-256 of the key's PKIX
	// (SubjectPublicKeyInfo) DER encoding.
	Fingerprint string `json:"fingerprint"`
	// Algorithm is ecdsa-p256, ed25519, rsa-2048…
	Algorithm string `json:"algorithm"`
}

// EvidenceIdentityRule is one allowed keyless identity. Regular
// expressions must match the whole value.
type EvidenceIdentityRule struct {
	Issuer       string `json:"issuer,omitempty"`
	IssuerRegexp string `json:"issuer_regexp,omitempty"`
	SAN          string `json:"san,omitempty"`
	SANRegexp    string `json:"san_regexp,omitempty"`
}

// EvidenceRequirements are the minimum counts a bundle had to meet.
type EvidenceRequirements struct {
	// TlogEntries is the minimum number of verified transparency-log
	// entries.
	TlogEntries int `json:"tlog_entries"`
	// ObserverTimestamps is the minimum number of verified timestamps of
	// any kind (log integrated time with a verified SET, or RFC 3161).
	ObserverTimestamps int `json:"observer_timestamps"`
	// SignedTimestamps is the minimum number of verified RFC 3161
	// timestamps.
	SignedTimestamps int `json:"signed_timestamps"`
	// SCTs is the minimum number of verified certificate-transparency
	// timestamps embedded in the signing certificate.
	SCTs int `json:"scts"`
}

// EvidenceInput is one bundle and the outcome of verifying it.
type EvidenceInput struct {
	// Path is the bundle file.
	Path string `json:"path"`
	// Kind is attestation or bundle.
	Kind string `json:"kind"`
	// SHA256 is the hex SHA-256 of the bundle file.
	SHA256 string `json:"sha256,omitempty"`
	// MediaType is the bundle's media type (its version).
	MediaType string `json:"media_type,omitempty"`
	// Content is dsse (an envelope with an in-toto statement) or
	// message_signature (a signature over the artifact digest).
	Content string `json:"content,omitempty"`
	// Artifact is the binary the bundle was checked against.
	Artifact EvidenceArtifact `json:"artifact"`
	// Verified is true only when every required step passed.
	Verified bool `json:"verified"`
	// Steps are the verification steps in the order they ran.
	Steps []EvidenceStep `json:"steps"`
	// Signer is who signed, as far as the bundle could be read.
	Signer *EvidenceSigner `json:"signer,omitempty"`
	// Subjects are the in-toto statement's subjects (dsse content).
	Subjects []EvidenceSubject `json:"subjects"`
	// MessageDigest is "algorithm:hex" of a message signature's digest.
	MessageDigest string `json:"message_digest,omitempty"`
	// PredicateType is the in-toto statement's predicate type.
	PredicateType string `json:"predicate_type,omitempty"`
	// LogEntries are the transparency-log entries the bundle carries.
	LogEntries []EvidenceLogEntry `json:"log_entries"`
	// Timestamps are the verified times the signature is known to
	// have existed at.
	Timestamps []EvidenceTimestamp `json:"timestamps"`
	// Error says why the input could not be verified (the first failed
	// step, or why it could not be read).
	Error string `json:"error,omitempty"`
}

// EvidenceArtifact is what a bundle is bound to.
type EvidenceArtifact struct {
	// Path is the binary judged, if any.
	Path string `json:"path,omitempty"`
	// Digest is "algorithm:hex" of the binary judged.
	Digest string `json:"digest,omitempty"`
	// Matched is true when a statement subject (dsse) or the signed
	// message digest equals Digest.
	Matched bool `json:"matched"`
}

// EvidenceStep is one verification step.
type EvidenceStep struct {
	// Name is parse, trust, signer, tlog, timestamps, certificate,
	// signature, statement, artifact, identity or sigstore.
	Name string `json:"name"`
	// OK is false when the step failed; a failed step makes the input
	// unverified.
	OK bool `json:"ok"`
	// Skipped is true when the step did not apply (OK is then true).
	Skipped bool `json:"skipped"`
	// Reason says what the step found, or why it failed.
	Reason string `json:"reason,omitempty"`
}

// EvidenceSigner is the identity behind a signature.
type EvidenceSigner struct {
	// Kind is certificate or key.
	Kind string `json:"kind"`
	// Issuer is the certificate's OIDC issuer.
	Issuer string `json:"issuer,omitempty"`
	// SAN is the certificate's subject alternative name (the signer's
	// email, workflow URI…).
	SAN string `json:"san,omitempty"`
	// The Fulcio extensions that name the build, when present.
	BuildSignerURI         string `json:"build_signer_uri,omitempty"`
	SourceRepositoryURI    string `json:"source_repository_uri,omitempty"`
	SourceRepositoryRef    string `json:"source_repository_ref,omitempty"`
	SourceRepositoryDigest string `json:"source_repository_digest,omitempty"`
	RunInvocationURI       string `json:"run_invocation_uri,omitempty"`
	// KeyFingerprint is the signing key's fingerprint (see EvidenceKey).
	KeyFingerprint string `json:"key_fingerprint,omitempty"`
	// KeyAlgorithm is the signing key's algorithm.
	KeyAlgorithm string `json:"key_algorithm,omitempty"`
	// Allowed is true when the signer matched the allow-list.
	Allowed bool `json:"allowed"`
	// Matched describes the allow-list entry that matched.
	Matched string `json:"matched,omitempty"`
}

// EvidenceSubject is one in-toto statement subject.
type EvidenceSubject struct {
	Name string `json:"name"`
	// Digest maps algorithm names (sha256…) to hex digests.
	Digest map[string]string `json:"digest"`
	// Matched is true when this subject names the binary judged.
	Matched bool `json:"matched"`
}

// EvidenceLogEntry is one Rekor transparency-log entry, carried by a
// bundle or found by a search.
type EvidenceLogEntry struct {
	// UUID is the entry's UUID (search results only).
	UUID string `json:"uuid,omitempty"`
	// LogID is the log's id, hex: the SHA-256 of its public key for
	// Rekor v1; for Rekor v2, of its checkpoint origin and key (the
	// signed-note key id).
	LogID    string `json:"log_id"`
	LogIndex int64  `json:"log_index"`
	// IntegratedTime is when the log says it added the entry; it is
	// trustworthy only with a verified SET.
	IntegratedTime *time.Time `json:"integrated_time,omitempty"`
	// Kind is the Rekor entry type and version, e.g. dsse/0.0.1.
	Kind string `json:"kind,omitempty"`
	// Trusted is true when the log's key is pinned.
	Trusted bool `json:"trusted"`
	// HasSET and SETVerified: the signed entry timestamp (inclusion
	// promise).
	HasSET      bool `json:"has_set"`
	SETVerified bool `json:"set_verified"`
	// HasInclusionProof and InclusionProofVerified: the Merkle inclusion
	// proof and the signature on its checkpoint (signed tree head).
	HasInclusionProof      bool `json:"has_inclusion_proof"`
	InclusionProofVerified bool `json:"inclusion_proof_verified"`
	// Verified is true when the entry checked out against a pinned log
	// key (and, for bundles, matches the bundle's signature).
	Verified bool `json:"verified"`
	// Reason says what was found, or why the entry did not verify.
	Reason string `json:"reason,omitempty"`
}

// EvidenceTimestamp is a verified time at which the signature existed.
type EvidenceTimestamp struct {
	// Kind is tlog (a log's integrated time) or tsa (RFC 3161).
	Kind string    `json:"kind"`
	URI  string    `json:"uri,omitempty"`
	Time time.Time `json:"time"`
}

// EvidenceSearch is a transparency-log search by artifact hash.
type EvidenceSearch struct {
	// LogURL is the Rekor v1 instance searched.
	LogURL string `json:"log_url"`
	// SHA256 is the hex digest searched for.
	SHA256 string `json:"sha256"`
	// Incomplete is always true: Rekor v1 documents search by hash as
	// best effort whose results may be incomplete, and Rekor v2 has no
	// search. Absence of a result proves nothing.
	Incomplete bool `json:"incomplete"`
	// Note says so in words.
	Note string `json:"note"`
	// UUIDs are the entries the index returned.
	UUIDs []string `json:"uuids"`
	// Entries are the entries fetched and verified.
	Entries []EvidenceLogEntry `json:"entries"`
	// Error is a network error, timeout or rate limit, with its cause.
	Error string `json:"error,omitempty"`
}
