//! The issuer's keyring: a directory of Ed25519 keys, kept outside the
//! database.
//!
//! One file per key, `<kid>.json`, mode 0600:
//!
//! ```json
//! {"kid":"k2026a","algorithm":"Ed25519","created":"2026-01-01T00:00:00Z",
//!  "privateKeyPem":"-----BEGIN PRIVATE KEY-----\n…","publicKeyBase58":"…","retired":false}
//! ```
//!
//! The active signing key is the newest (by `created`) that is not retired.
//! Retired keys still verify: certificates signed with them stay valid. Keys
//! rotate by generating a new one (it becomes active at once) and, later,
//! retiring the old one. [`Keyring::public_keys`] is the document to publish
//! at a well-known URL; verifiers build their [`TrustStore`] from it.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use ed25519_dalek::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _};
use serde::{Deserialize, Serialize};

use crate::suite::{KeyError, Signer, TrustStore};

/// Why a keyring operation failed.
#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    /// The directory does not exist.
    #[error("key directory {0} does not exist")]
    MissingDir(PathBuf),
    /// The directory holds no `*.json` key file.
    #[error("key directory {0} holds no key (run key generation first)")]
    EmptyDir(PathBuf),
    /// A key file could not be parsed or is inconsistent.
    #[error("key file {path} is corrupt: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Two files declare the same key ID.
    #[error("key id {0:?} appears in more than one key file")]
    DuplicateKid(String),
    /// The key ID is not usable as a file name and URL fragment.
    #[error(
        "invalid key id {0:?}: use 1-64 characters from A-Z a-z 0-9 . _ -, not starting with '.'"
    )]
    InvalidKid(String),
    /// A key with that ID already exists.
    #[error("key {0:?} already exists")]
    KidExists(String),
    /// No such key.
    #[error("no key {0:?} in the keyring")]
    UnknownKid(String),
    /// Every key is retired.
    #[error("no active signing key: every key is retired")]
    NoActiveKey,
    /// Randomness unavailable.
    #[error("random source failed: {0}")]
    Random(String),
    /// A file system error.
    #[error("{path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> KeyringError + '_ {
    move |source| KeyringError::Io { path: path.to_owned(), source }
}

/// The file format.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct KeyFile {
    kid: String,
    algorithm: String,
    created: DateTime<Utc>,
    private_key_pem: String,
    public_key_base58: String,
    #[serde(default)]
    retired: bool,
}

/// One key of the ring. `Debug` does not print the private key.
#[derive(Clone)]
pub struct KeyEntry {
    /// Key ID (the file name without `.json`, the DID URL fragment).
    pub kid: String,
    /// Creation time.
    pub created: DateTime<Utc>,
    /// Marked retired: verifies, never signs.
    pub retired: bool,
    key: ed25519_dalek::SigningKey,
}

impl std::fmt::Debug for KeyEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyEntry")
            .field("kid", &self.kid)
            .field("created", &self.created)
            .field("retired", &self.retired)
            .field("public_key_base58", &self.public_key_base58())
            .finish_non_exhaustive()
    }
}

impl KeyEntry {
    /// The public key, base58 (`publicKeyBase58`).
    #[must_use]
    pub fn public_key_base58(&self) -> String {
        bs58::encode(self.key.verifying_key().as_bytes()).into_string()
    }
}

/// Publication status of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyStatus {
    /// The current signing key.
    Active,
    /// An older key, not retired: still trusted.
    Valid,
    /// Retired: signs nothing new, still trusted for issued certificates.
    Retired,
}

/// One key in the public keys document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PublishedKey {
    /// Key ID.
    pub kid: String,
    /// Verification method ID, `<did>#<kid>`.
    pub id: String,
    /// `Ed25519VerificationKey2018`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The issuer URL.
    pub controller: String,
    /// The public key.
    pub public_key_base58: String,
    /// Status.
    pub status: KeyStatus,
}

/// The public keys document, for a well-known URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicKeysDocument {
    /// Issuer URL.
    pub issuer: String,
    /// Issuer DID.
    pub did: String,
    /// Every key, newest first.
    pub keys: Vec<PublishedKey>,
}

impl PublicKeysDocument {
    /// A trust store holding every published key (retired ones included).
    ///
    /// # Errors
    /// [`KeyError`] if a published key is not a valid Ed25519 key.
    pub fn trust_store(&self) -> Result<TrustStore, KeyError> {
        let mut t = TrustStore::new();
        for k in &self.keys {
            t.add_ed25519_base58(k.id.clone(), &k.public_key_base58)?;
        }
        Ok(t)
    }

    /// The key document a JSON-LD document loader returns for `id`.
    ///
    /// Its `@context` is the Ed25519 2018 suite context
    /// (`https://w3id.org/security/suites/ed25519-2018/v1`): `@digitalbazaar/vc`
    /// 7 with `ed25519-signature-2018` 4 refuses a key whose context is
    /// security/v2 ("Invalid key type"), while DIVOC's stack
    /// (jsonld-signatures 6 + crypto-ld 3) takes the key object as given and
    /// accepts either. Both were checked against `examples/issue_sample.rs`
    /// output.
    #[must_use]
    pub fn key_document(&self, id: &str) -> Option<serde_json::Value> {
        self.key_document_with_context(id, ED25519_2018_CONTEXT)
    }

    /// The key document as DIVOC's verifier builds it (spec §1.5):
    /// `@context` security/v2.
    #[must_use]
    pub fn key_document_security_v2(&self, id: &str) -> Option<serde_json::Value> {
        self.key_document_with_context(id, crate::contexts::SECURITY_V2)
    }

    fn key_document_with_context(&self, id: &str, context: &str) -> Option<serde_json::Value> {
        self.keys.iter().find(|k| k.id == id).map(|k| {
            serde_json::json!({
                "@context": context,
                "id": k.id,
                "type": "Ed25519VerificationKey2018",
                "controller": k.controller,
                "publicKeyBase58": k.public_key_base58,
            })
        })
    }

    /// The controller document: the issuer, with every key as an assertion
    /// method. Keys are not embedded (`publicKey`): `@digitalbazaar/vc`
    /// frames this document under security/v2 in safe mode, and resolves
    /// each key through its own document instead.
    #[must_use]
    pub fn controller_document(&self) -> serde_json::Value {
        let ids: Vec<&str> = self.keys.iter().map(|k| k.id.as_str()).collect();
        serde_json::json!({
            "@context": crate::contexts::SECURITY_V2,
            "id": self.issuer,
            "assertionMethod": ids,
        })
    }
}

/// The Ed25519 2018 suite context URL used in published key documents.
pub const ED25519_2018_CONTEXT: &str = "https://w3id.org/security/suites/ed25519-2018/v1";

/// A loaded keyring.
#[derive(Debug, Clone)]
pub struct Keyring {
    dir: PathBuf,
    did: String,
    /// Newest first.
    keys: Vec<KeyEntry>,
}

fn valid_kid(kid: &str) -> bool {
    !kid.is_empty()
        && kid.len() <= 64
        && !kid.starts_with('.')
        && kid.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn write_new_private(path: &Path, bytes: &[u8]) -> Result<(), KeyringError> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(io_err(path))?;
    f.write_all(bytes).map_err(io_err(path))?;
    f.sync_all().map_err(io_err(path))
}

impl Keyring {
    /// Generates a new Ed25519 key `kid` in `dir` (created with mode 0700 if
    /// missing) and returns its entry. The new key becomes the active one.
    ///
    /// # Errors
    /// [`KeyringError::InvalidKid`], [`KeyringError::KidExists`], I/O errors.
    pub fn generate(dir: &Path, kid: &str) -> Result<KeyEntry, KeyringError> {
        Self::generate_at(dir, kid, Utc::now())
    }

    /// [`Keyring::generate`] with an explicit creation time.
    ///
    /// # Errors
    /// See [`Keyring::generate`].
    pub fn generate_at(
        dir: &Path,
        kid: &str,
        created: DateTime<Utc>,
    ) -> Result<KeyEntry, KeyringError> {
        if !valid_kid(kid) {
            return Err(KeyringError::InvalidKid(kid.to_owned()));
        }
        if !dir.exists() {
            let mut b = fs::DirBuilder::new();
            b.recursive(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt as _;
                b.mode(0o700);
            }
            b.create(dir).map_err(io_err(dir))?;
        }
        if let Ok(existing) = Self::read_entries(dir)
            && existing.iter().any(|e| e.kid == kid)
        {
            return Err(KeyringError::KidExists(kid.to_owned()));
        }
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| KeyringError::Random(e.to_string()))?;
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        let entry = KeyEntry { kid: kid.to_owned(), created, retired: false, key };
        let path = dir.join(format!("{kid}.json"));
        if path.exists() {
            return Err(KeyringError::KidExists(kid.to_owned()));
        }
        let bytes = serialize_entry(&entry, &path)?;
        write_new_private(&path, &bytes)?;
        Ok(entry)
    }

    /// Loads every key in `dir`, for the issuer DID `did`.
    ///
    /// # Errors
    /// [`KeyringError::MissingDir`], [`KeyringError::EmptyDir`],
    /// [`KeyringError::Corrupt`], [`KeyringError::DuplicateKid`], I/O errors.
    pub fn load(dir: &Path, did: &str) -> Result<Self, KeyringError> {
        let mut keys = Self::read_entries(dir)?;
        if keys.is_empty() {
            return Err(KeyringError::EmptyDir(dir.to_owned()));
        }
        keys.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| b.kid.cmp(&a.kid)));
        Ok(Self { dir: dir.to_owned(), did: did.to_owned(), keys })
    }

    fn read_entries(dir: &Path) -> Result<Vec<KeyEntry>, KeyringError> {
        if !dir.is_dir() {
            return Err(KeyringError::MissingDir(dir.to_owned()));
        }
        let mut out: Vec<(PathBuf, KeyEntry)> = Vec::new();
        for item in fs::read_dir(dir).map_err(io_err(dir))? {
            let item = item.map_err(io_err(dir))?;
            let path = item.path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let entry = read_entry(&path)?;
            if out.iter().any(|(_, e)| e.kid == entry.kid) {
                return Err(KeyringError::DuplicateKid(entry.kid));
            }
            out.push((path, entry));
        }
        // After the duplicate check, so a copied file is reported as such.
        for (path, e) in &out {
            if path.file_stem().and_then(|s| s.to_str()) != Some(e.kid.as_str()) {
                return Err(corrupt(path, format!("kid {:?} does not match the file name", e.kid)));
            }
        }
        Ok(out.into_iter().map(|(_, e)| e).collect())
    }

    /// Marks key `kid` in `dir` as retired (atomically rewrites its file).
    ///
    /// # Errors
    /// [`KeyringError::UnknownKid`], corrupt file, I/O errors.
    pub fn retire(dir: &Path, kid: &str) -> Result<(), KeyringError> {
        let entries = Self::read_entries(dir)?;
        let Some(mut entry) = entries.into_iter().find(|e| e.kid == kid) else {
            return Err(KeyringError::UnknownKid(kid.to_owned()));
        };
        entry.retired = true;
        let path = dir.join(format!("{kid}.json"));
        let tmp = dir.join(format!(".{kid}.json.tmp"));
        let _ = fs::remove_file(&tmp);
        write_new_private(&tmp, &serialize_entry(&entry, &path)?)?;
        fs::rename(&tmp, &path).map_err(io_err(&path))
    }

    /// The directory.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The issuer DID.
    #[must_use]
    pub fn did(&self) -> &str {
        &self.did
    }

    /// All keys, newest first.
    #[must_use]
    pub fn keys(&self) -> &[KeyEntry] {
        &self.keys
    }

    /// The active signing key: the newest that is not retired.
    #[must_use]
    pub fn active(&self) -> Option<&KeyEntry> {
        self.keys.iter().find(|k| !k.retired)
    }

    /// A signer for the active key, publishing it as `<did>#<kid>`.
    ///
    /// # Errors
    /// [`KeyringError::NoActiveKey`] if every key is retired.
    pub fn signer(&self) -> Result<Signer, KeyringError> {
        let k = self.active().ok_or(KeyringError::NoActiveKey)?;
        Ok(Signer::new(k.key.clone(), &self.did, &k.kid))
    }

    /// The public keys document for `issuer` (the controller URL).
    #[must_use]
    pub fn public_keys(&self, issuer: &str) -> PublicKeysDocument {
        let active = self.active().map(|k| k.kid.as_str());
        PublicKeysDocument {
            issuer: issuer.to_owned(),
            did: self.did.clone(),
            keys: self
                .keys
                .iter()
                .map(|k| PublishedKey {
                    kid: k.kid.clone(),
                    id: format!("{}#{}", self.did, k.kid),
                    kind: "Ed25519VerificationKey2018".to_owned(),
                    controller: issuer.to_owned(),
                    public_key_base58: k.public_key_base58(),
                    status: if k.retired {
                        KeyStatus::Retired
                    } else if Some(k.kid.as_str()) == active {
                        KeyStatus::Active
                    } else {
                        KeyStatus::Valid
                    },
                })
                .collect(),
        }
    }

    /// A trust store with every key of the ring (retired ones included).
    #[must_use]
    pub fn trust_store(&self) -> TrustStore {
        let mut t = TrustStore::new();
        for k in &self.keys {
            t.insert(
                format!("{}#{}", self.did, k.kid),
                crate::suite::TrustedKey::Ed25519(k.key.verifying_key()),
            );
        }
        t
    }
}

fn corrupt(path: &Path, reason: impl Into<String>) -> KeyringError {
    KeyringError::Corrupt { path: path.to_owned(), reason: reason.into() }
}

fn serialize_entry(e: &KeyEntry, path: &Path) -> Result<Vec<u8>, KeyringError> {
    let pem = e
        .key
        .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
        .map_err(|err| corrupt(path, err.to_string()))?;
    let file = KeyFile {
        kid: e.kid.clone(),
        algorithm: "Ed25519".to_owned(),
        created: e.created,
        private_key_pem: pem.to_string(),
        public_key_base58: e.public_key_base58(),
        retired: e.retired,
    };
    let mut bytes =
        serde_json::to_vec_pretty(&file).map_err(|err| corrupt(path, err.to_string()))?;
    bytes.push(b'\n');
    Ok(bytes)
}

fn read_entry(path: &Path) -> Result<KeyEntry, KeyringError> {
    let bytes = fs::read(path).map_err(io_err(path))?;
    let file: KeyFile = serde_json::from_slice(&bytes).map_err(|e| corrupt(path, e.to_string()))?;
    if file.algorithm != "Ed25519" {
        return Err(corrupt(path, format!("unsupported algorithm {:?}", file.algorithm)));
    }
    if !valid_kid(&file.kid) {
        return Err(corrupt(path, format!("invalid kid {:?}", file.kid)));
    }
    let key = ed25519_dalek::SigningKey::from_pkcs8_pem(&file.private_key_pem)
        .map_err(|e| corrupt(path, format!("private key: {e}")))?;
    let entry = KeyEntry { kid: file.kid, created: file.created, retired: file.retired, key };
    if entry.public_key_base58() != file.public_key_base58 {
        return Err(corrupt(path, "publicKeyBase58 does not match the private key"));
    }
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generate_load_rotate_retire() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("keys");
        assert!(matches!(Keyring::load(&d, "did:india"), Err(KeyringError::MissingDir(_))));
        fs::create_dir(&d).unwrap();
        assert!(matches!(Keyring::load(&d, "did:india"), Err(KeyringError::EmptyDir(_))));
        let t0 = Utc::now();
        Keyring::generate_at(&d, "k1", t0).unwrap();
        Keyring::generate_at(&d, "k2", t0 + chrono::Duration::days(1)).unwrap();
        assert!(matches!(Keyring::generate(&d, "k1"), Err(KeyringError::KidExists(_))));
        assert!(matches!(Keyring::generate(&d, "../x"), Err(KeyringError::InvalidKid(_))));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(d.join("k1.json")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let ring = Keyring::load(&d, "did:india").unwrap();
        assert_eq!(ring.active().unwrap().kid, "k2");
        assert_eq!(ring.signer().unwrap().verification_method(), "did:india#k2");
        Keyring::retire(&d, "k2").unwrap();
        let ring = Keyring::load(&d, "did:india").unwrap();
        assert_eq!(ring.active().unwrap().kid, "k1");
        let doc = ring.public_keys("https://tika.example/");
        assert_eq!(doc.keys.len(), 2);
        assert_eq!(doc.keys[0].status, KeyStatus::Retired);
        assert_eq!(doc.keys[1].status, KeyStatus::Active);
        assert_eq!(doc.trust_store().unwrap().len(), 2);
        Keyring::retire(&d, "k1").unwrap();
        let ring = Keyring::load(&d, "did:india").unwrap();
        assert!(matches!(ring.signer(), Err(KeyringError::NoActiveKey)));
    }

    #[test]
    fn corrupt_and_duplicate_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        Keyring::generate(d, "k1").unwrap();
        fs::write(d.join("bad.json"), b"{not json").unwrap();
        assert!(matches!(Keyring::load(d, "did:india"), Err(KeyringError::Corrupt { .. })));
        fs::remove_file(d.join("bad.json")).unwrap();
        // Same kid under another file name.
        fs::copy(d.join("k1.json"), d.join("k1-copy.json")).unwrap();
        assert!(matches!(
            Keyring::load(d, "did:india"),
            Err(KeyringError::DuplicateKid(k)) if k == "k1"
        ));
    }
}
