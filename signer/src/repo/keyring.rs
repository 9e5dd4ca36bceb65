//! The role keys of a repository: generated at `repo init` as encrypted PKCS#8 PEM files, one
//! per key, each with its public key beside it, and found again by key id when a role is signed.

use std::fs;
use std::path::{Path, PathBuf};

use sigil_keys::keyfile::{Overwrite, read_public_file, write_public_file, write_secret_file};
use sigil_keys::{
    KeyEncryption, KeyId, KeySource, LocalSigner, Password, PasswordSource, PrivateKey, PublicKey,
    Scheme,
};

use super::RepoError;

/// The largest public key file read while looking for a role's keys.
const MAX_PUBLIC_KEY_BYTES: u64 = 16 * 1024;
const PUBLIC_SUFFIX: &str = ".pub.pem";

/// A key generated for a role, and where its files are.
#[derive(Debug, Clone)]
pub struct GeneratedKey {
    /// The role the key is for: a top-level role or a delegated role's name.
    pub role: String,
    pub key_id: KeyId,
    pub secret_path: PathBuf,
    pub public_path: PathBuf,
}

/// Generates a key for the role named `role` in `dir`: `ROLE-KEYID16.pem` (encrypted as
/// `encryption` says when `password` is given, mode 0600) and `ROLE-KEYID16.pub.pem`.
pub(crate) fn generate_key(
    dir: &Path,
    role: &str,
    scheme: Scheme,
    password: Option<&Password>,
    encryption: KeyEncryption,
) -> Result<(PrivateKey, GeneratedKey), RepoError> {
    fs::create_dir_all(dir).map_err(|source| RepoError::Io {
        path: dir.to_owned(),
        source,
    })?;
    let key = PrivateKey::generate(scheme).map_err(RepoError::KeyGeneration)?;
    let key_id = key.public_key().key_id();
    let stem = format!("{role}-{}", key_id.as_str().get(..16).unwrap_or_default());
    let secret_path = dir.join(format!("{stem}.pem"));
    let public_path = dir.join(format!("{stem}{PUBLIC_SUFFIX}"));
    let pem = key
        .to_pkcs8_pem_with(password, encryption)
        .map_err(RepoError::KeyGeneration)?;
    write_secret_file(&secret_path, pem.as_bytes(), Overwrite::Refuse)?;
    write_public_file(
        &public_path,
        key.public_key().to_spki_pem().as_bytes(),
        Overwrite::Refuse,
    )?;
    Ok((
        key,
        GeneratedKey {
            role: role.to_owned(),
            key_id,
            secret_path,
            public_path,
        },
    ))
}

/// The key files in one directory, loaded on demand by key id. A directory that does not exist
/// holds no keys: the roles are then left for `repo sign` to sign.
#[derive(Debug)]
pub struct KeyRing {
    dir: Option<PathBuf>,
    password: PasswordSource,
}

impl KeyRing {
    /// Keys in `dir`; encrypted ones are opened with `password`.
    #[must_use]
    pub fn new(dir: &Path, password: PasswordSource) -> Self {
        Self {
            dir: Some(dir.to_owned()),
            password,
        }
    }

    /// No keys at all.
    #[must_use]
    pub fn empty() -> Self {
        Self {
            dir: None,
            password: PasswordSource::Env(String::new()),
        }
    }

    /// The secret key files in this ring whose public key's id is in `keyids`.
    fn matching_files(&self, keyids: &[KeyId]) -> Result<Vec<(PathBuf, KeyId)>, RepoError> {
        let Some(dir) = &self.dir else {
            return Ok(Vec::new());
        };
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(RepoError::Io {
                    path: dir.clone(),
                    source,
                });
            }
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| {
                path.file_name()
                    .and_then(|name| name.to_str())
                    .is_some_and(|name| name.ends_with(PUBLIC_SUFFIX))
            })
            .collect();
        paths.sort();
        let mut found = Vec::new();
        for public_path in paths {
            let text = read_public_file(&public_path, MAX_PUBLIC_KEY_BYTES)?;
            let public =
                PublicKey::from_spki_pem(&text).map_err(|source| RepoError::PublicKeyFile {
                    path: public_path.clone(),
                    source,
                })?;
            let key_id = public.key_id();
            if !keyids.contains(&key_id) {
                continue;
            }
            let secret = public_path
                .to_str()
                .and_then(|path| path.strip_suffix(PUBLIC_SUFFIX))
                .map(|stem| PathBuf::from(format!("{stem}.pem")));
            if let Some(secret) = secret.filter(|path| path.exists()) {
                found.push((secret, key_id));
            }
        }
        Ok(found)
    }

    /// Whether this ring holds a secret key for any of `keyids` (without opening it).
    pub fn has_any(&self, keyids: &[KeyId]) -> Result<bool, RepoError> {
        Ok(!self.matching_files(keyids)?.is_empty())
    }

    /// Loads the signers of the keys in this ring whose id is in `keyids`.
    pub fn signers_for(&self, keyids: &[KeyId]) -> Result<Vec<LocalSigner>, RepoError> {
        let mut signers = Vec::new();
        for (secret_path, key_id) in self.matching_files(keyids)? {
            let signer = LocalSigner::load(KeySource::File(secret_path.clone()), &self.password)?;
            if signer.private_key().public_key().key_id() != key_id {
                return Err(RepoError::KeyPairMismatch { path: secret_path });
            }
            signers.push(signer);
        }
        Ok(signers)
    }
}

impl KeyRing {
    /// The key directory, for messages.
    #[must_use]
    pub fn describe(&self) -> String {
        self.dir.as_ref().map_or_else(
            || "the empty key ring".to_owned(),
            |dir| dir.display().to_string(),
        )
    }
}
