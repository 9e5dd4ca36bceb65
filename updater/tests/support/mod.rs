//! A TUF repository built in memory with sigil-keys keys, served by a transport the test
//! controls, and a client whose trusted state lives in a temporary directory.

// Each test file uses part of this module.
#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ring::digest;
use serde_json::{Map, Value};
use sigil_keys::{KeyId, PrivateKey, Scheme, Signer};
use sigil_updater::tuf::metadata::{
    DelegatedRole, Delegations, Hashes, MetaFile, Role, RoleKeys, Root, Snapshot, TargetFile,
    Targets, Timestamp, sign_metadata, sign_value,
};
use sigil_updater::tuf::{
    DirStorage, Expires, FixedClock, Limits, Transport, TransportError, UnixTime, Updater,
    UpdaterBuilder,
};

/// The reference time of every test: 2030-01-01T00:00:00Z.
pub const NOW: UnixTime = UnixTime::saturating_from_unix_seconds(1_893_456_000);
pub const DAY: i64 = 86_400;
pub const METADATA_URL: &str = "https://repo.test/metadata/";
pub const TARGETS_URL: &str = "https://repo.test/targets/";

/// What the transport serves for one URL.
#[derive(Clone)]
pub enum Served {
    Bytes(Vec<u8>),
    /// Bytes without end (endless data attack).
    Endless,
    /// The bytes, one every `delay` (slow retrieval attack).
    Trickle(Vec<u8>, Duration),
}

#[derive(Default)]
struct State {
    files: BTreeMap<String, Served>,
    requests: Vec<String>,
}

/// A transport that serves what the test puts in it and logs every request.
#[derive(Clone, Default)]
pub struct TestTransport {
    state: Arc<Mutex<State>>,
}

impl TestTransport {
    pub fn serve(&self, url: &str, served: Served) {
        self.state
            .lock()
            .unwrap()
            .files
            .insert(url.to_owned(), served);
    }

    pub fn remove(&self, url: &str) {
        self.state.lock().unwrap().files.remove(url);
    }

    pub fn get(&self, url: &str) -> Option<Vec<u8>> {
        match self.state.lock().unwrap().files.get(url) {
            Some(Served::Bytes(bytes)) => Some(bytes.clone()),
            _ => None,
        }
    }

    pub fn requests(&self) -> Vec<String> {
        self.state.lock().unwrap().requests.clone()
    }

    /// Writes every file served under `base_url` into `dir`, as a static site would hold it.
    pub fn write_site(&self, base_url: &str, dir: &Path) {
        for (url, served) in &self.state.lock().unwrap().files {
            if let (Some(name), Served::Bytes(bytes)) = (url.strip_prefix(base_url), served) {
                let path = dir.join(name);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, bytes).unwrap();
            }
        }
    }
}

struct Endless;

impl Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        buf.fill(b' ');
        Ok(buf.len())
    }
}

struct Trickle {
    data: Vec<u8>,
    position: usize,
    delay: Duration,
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.position >= self.data.len() || buf.is_empty() {
            return Ok(0);
        }
        std::thread::sleep(self.delay);
        buf[0] = self.data[self.position];
        self.position += 1;
        Ok(1)
    }
}

impl Transport for TestTransport {
    fn fetch(&self, url: &str, _max_len: u64) -> Result<Box<dyn Read + Send + '_>, TransportError> {
        let mut state = self.state.lock().unwrap();
        state.requests.push(url.to_owned());
        match state.files.get(url).cloned() {
            None => Err(TransportError::NotFound {
                url: url.to_owned(),
            }),
            Some(Served::Bytes(bytes)) => Ok(Box::new(io::Cursor::new(bytes))),
            Some(Served::Endless) => Ok(Box::new(Endless)),
            Some(Served::Trickle(data, delay)) => Ok(Box::new(Trickle {
                data,
                position: 0,
                delay,
            })),
        }
    }
}

pub fn new_key() -> PrivateKey {
    PrivateKey::generate(Scheme::Ed25519).unwrap()
}

pub fn keyid(key: &PrivateKey) -> KeyId {
    Signer::key_id(key)
}

pub fn expires_in(days: i64) -> Expires {
    Expires::from_unix(NOW.saturating_add_seconds(days * DAY))
}

pub fn hashes_of(data: &[u8]) -> Hashes {
    let mut hashes = Hashes::new();
    hashes.insert(
        "sha256".into(),
        hex::encode(digest::digest(&digest::SHA256, data)),
    );
    hashes
}

pub fn meta(version: u64, data: Option<&[u8]>) -> MetaFile {
    MetaFile {
        version,
        length: data.map(|d| d.len() as u64),
        hashes: data.map(hashes_of),
        extra: Map::new(),
    }
}

fn targets(version: u64) -> Targets {
    Targets {
        role_type: "targets".into(),
        spec_version: "1.0.31".into(),
        version,
        expires: expires_in(90),
        targets: BTreeMap::new(),
        delegations: None,
        extra: Map::new(),
    }
}

/// A repository: metadata for each role, the keys that sign it, the target files.
pub struct Repo {
    pub root: Root,
    pub timestamp: Timestamp,
    pub snapshot: Snapshot,
    pub targets: Targets,
    pub delegated: BTreeMap<String, Targets>,
    /// Signing keys by role name (top-level and delegated).
    pub signers: BTreeMap<String, Vec<PrivateKey>>,
    pub transport: TestTransport,
    /// The published root of each version.
    pub roots: BTreeMap<u64, Vec<u8>>,
}

impl Repo {
    /// Version 1 of every role, one Ed25519 key each, published.
    pub fn new() -> Self {
        let mut signers = BTreeMap::new();
        let mut keys = BTreeMap::new();
        let mut roles = BTreeMap::new();
        for role in ["root", "timestamp", "snapshot", "targets"] {
            let key = new_key();
            keys.insert(keyid(&key), key.public_key().to_tuf_key());
            roles.insert(
                role.to_owned(),
                RoleKeys {
                    keyids: vec![keyid(&key)],
                    threshold: 1,
                    extra: Map::new(),
                },
            );
            signers.insert(role.to_owned(), vec![key]);
        }
        let root = Root {
            role_type: "root".into(),
            spec_version: "1.0.31".into(),
            consistent_snapshot: false,
            version: 1,
            expires: expires_in(365),
            keys,
            roles,
            extra: Map::new(),
        };
        let mut repo = Self {
            root,
            timestamp: Timestamp {
                role_type: "timestamp".into(),
                spec_version: "1.0.31".into(),
                version: 1,
                expires: expires_in(1),
                meta: BTreeMap::new(),
                extra: Map::new(),
            },
            snapshot: Snapshot {
                role_type: "snapshot".into(),
                spec_version: "1.0.31".into(),
                version: 1,
                expires: expires_in(7),
                meta: BTreeMap::new(),
                extra: Map::new(),
            },
            targets: targets(1),
            delegated: BTreeMap::new(),
            signers,
            transport: TestTransport::default(),
            roots: BTreeMap::new(),
        };
        repo.publish_root();
        repo.publish();
        repo
    }

    pub fn sign<T: Role>(&self, role: &str, signed: &T) -> Vec<u8> {
        let keys: Vec<&dyn Signer> = self.signers[role]
            .iter()
            .map(|k| k as &dyn Signer)
            .collect();
        sign_metadata(signed, &keys).unwrap()
    }

    pub fn sign_with<T: Role>(signed: &T, keys: &[&PrivateKey]) -> Vec<u8> {
        let keys: Vec<&dyn Signer> = keys.iter().map(|k| *k as &dyn Signer).collect();
        sign_metadata(signed, &keys).unwrap()
    }

    pub fn sign_value_with(signed: &Value, keys: &[&PrivateKey]) -> Vec<u8> {
        let keys: Vec<&dyn Signer> = keys.iter().map(|k| *k as &dyn Signer).collect();
        sign_value(signed, &keys).unwrap()
    }

    /// Signs the current root with the root keys and serves it as `VERSION.root.json`.
    pub fn publish_root(&mut self) {
        let bytes = self.sign("root", &self.root);
        self.publish_root_bytes(bytes);
    }

    pub fn publish_root_bytes(&mut self, bytes: Vec<u8>) {
        let version = self.root.version;
        self.transport.serve(
            &format!("{METADATA_URL}{version}.root.json"),
            Served::Bytes(bytes.clone()),
        );
        self.roots.insert(version, bytes);
    }

    fn metadata_url(&self, role: &str, version: u64) -> String {
        if self.root.consistent_snapshot && role != "timestamp" {
            format!("{METADATA_URL}{version}.{role}.json")
        } else {
            format!("{METADATA_URL}{role}.json")
        }
    }

    /// Signs and serves delegated roles, targets, snapshot and timestamp (in that order, each
    /// listed with length and hashes by the next).
    pub fn publish(&mut self) {
        let names: Vec<String> = self.delegated.keys().cloned().collect();
        for name in names {
            let bytes = self.sign(&name, &self.delegated[&name]);
            let version = self.delegated[&name].version;
            self.snapshot
                .meta
                .insert(format!("{name}.json"), meta(version, Some(&bytes)));
            self.transport
                .serve(&self.metadata_url(&name, version), Served::Bytes(bytes));
        }
        let bytes = self.sign("targets", &self.targets);
        self.snapshot.meta.insert(
            "targets.json".into(),
            meta(self.targets.version, Some(&bytes)),
        );
        self.transport.serve(
            &self.metadata_url("targets", self.targets.version),
            Served::Bytes(bytes),
        );
        let bytes = self.sign("snapshot", &self.snapshot);
        self.timestamp.meta.insert(
            "snapshot.json".into(),
            meta(self.snapshot.version, Some(&bytes)),
        );
        self.transport.serve(
            &self.metadata_url("snapshot", self.snapshot.version),
            Served::Bytes(bytes),
        );
        let bytes = self.sign("timestamp", &self.timestamp);
        self.transport.serve(
            &format!("{METADATA_URL}timestamp.json"),
            Served::Bytes(bytes),
        );
    }

    /// Bumps the version of targets, snapshot and timestamp, then publishes.
    pub fn publish_new_versions(&mut self) {
        self.targets.version += 1;
        self.snapshot.version += 1;
        self.timestamp.version += 1;
        self.publish();
    }

    /// Adds a target file to `role` (`targets` or a delegated role) and serves its content.
    pub fn add_target(&mut self, role: &str, path: &str, content: &[u8]) {
        let file = TargetFile {
            length: content.len() as u64,
            hashes: hashes_of(content),
            custom: None,
            extra: Map::new(),
        };
        let targets = if role == "targets" {
            &mut self.targets
        } else {
            self.delegated.get_mut(role).unwrap()
        };
        targets.targets.insert(path.to_owned(), file);
        self.transport.serve(
            &format!("{TARGETS_URL}{path}"),
            Served::Bytes(content.to_vec()),
        );
    }

    /// `delegator` delegates `paths` to a new role `name` with one new key.
    pub fn delegate(&mut self, delegator: &str, name: &str, paths: &[&str], terminating: bool) {
        let key = new_key();
        let role = DelegatedRole {
            name: name.to_owned(),
            keyids: vec![keyid(&key)],
            threshold: 1,
            terminating,
            paths: Some(paths.iter().map(|p| (*p).to_owned()).collect()),
            path_hash_prefixes: None,
            extra: Map::new(),
        };
        let parent = if delegator == "targets" {
            &mut self.targets
        } else {
            self.delegated.get_mut(delegator).unwrap()
        };
        let delegations = parent.delegations.get_or_insert_with(|| Delegations {
            keys: BTreeMap::new(),
            roles: Some(Vec::new()),
            succinct_roles: None,
            extra: Map::new(),
        });
        delegations
            .keys
            .insert(keyid(&key), key.public_key().to_tuf_key());
        delegations.roles.get_or_insert_with(Vec::new).push(role);
        self.delegated.insert(name.to_owned(), targets(1));
        self.signers.insert(name.to_owned(), vec![key]);
    }

    /// A client trusting root version 1, with its state in `dir`.
    pub fn client(&self, dir: &Path) -> Updater {
        self.client_with(dir, Limits::default(), NOW)
    }

    pub fn client_with(&self, dir: &Path, limits: Limits, now: UnixTime) -> Updater {
        UpdaterBuilder::new(METADATA_URL, self.transport.clone(), DirStorage::new(dir))
            .clock(FixedClock(now))
            .limits(limits)
            .initial_root(self.roots[&1].clone())
            .load()
            .unwrap()
    }
}

/// Every file in `dir` with its bytes: the trusted state on disk.
pub fn disk_state(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            (
                entry.file_name().to_string_lossy().into_owned(),
                std::fs::read(entry.path()).unwrap(),
            )
        })
        .collect()
}

/// The version of the trusted `role` on disk.
pub fn version_on_disk(dir: &Path, role: &str) -> Option<u64> {
    let bytes = std::fs::read(dir.join(format!("{role}.json"))).ok()?;
    let value: Value = serde_json::from_slice(&bytes).unwrap();
    value["signed"]["version"].as_u64()
}
