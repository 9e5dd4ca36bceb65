//! Helpers shared by the repository tests: running the CLI, and a client that reads a
//! published repository as an installed app would.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    dead_code,
    unreachable_pub
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sigil_keys::KeyId;
use sigil_signer::repo::Repository;
use sigil_updater::tuf::metadata::RoleType;
use sigil_updater::tuf::{
    DirStorage, FileTransport, TargetDownload, TargetInfo, TargetPath, UpdateError, Updater,
    UpdaterBuilder,
};

pub fn sigil() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sigil-signer"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    command
}

pub fn run(command: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().unwrap();
    (
        status.code().unwrap_or(-1),
        String::from_utf8(stdout).unwrap(),
        String::from_utf8(stderr).unwrap(),
    )
}

/// Runs the CLI and requires success.
pub fn ok(command: &mut Command) -> String {
    let (code, stdout, stderr) = run(command);
    assert_eq!(code, 0, "stdout: {stdout}\nstderr: {stderr}");
    stdout
}

pub struct Workspace {
    pub dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, contents: &[u8]) -> PathBuf {
        let path = self.path(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// `repo init --unencrypted` in `repo`, with extra arguments.
    pub fn init(&self, extra: &[&str]) -> PathBuf {
        let repo = self.path("repo");
        ok(sigil()
            .args(["repo", "init", "--unencrypted", "--dir"])
            .arg(&repo)
            .args(extra));
        repo
    }

    /// `repo add` of one file for linux/x86_64, as release 1.0.0 unless `extra` gives
    /// `--version`.
    pub fn add(&self, repo: &Path, file: &Path, extra: &[&str]) -> String {
        let version: &[&str] = if extra.contains(&"--version") {
            &[]
        } else {
            &["--version", "1.0.0"]
        };
        ok(sigil()
            .args(["repo", "add", "--dir"])
            .arg(repo)
            .args(version)
            .args(["--platform", "linux", "--arch", "x86_64"])
            .args(extra)
            .arg(file))
    }

    pub fn publish(&self, repo: &Path, site: &Path) -> (i32, String, String) {
        run(sigil()
            .args(["repo", "publish", "--dir"])
            .arg(repo)
            .arg("--out")
            .arg(site))
    }
}

/// The key ids of `role` in the repository's current root.
pub fn role_keyids(repo: &Path, role: RoleType) -> Vec<KeyId> {
    Repository::open(repo)
        .unwrap()
        .role_keys(role)
        .unwrap()
        .keyids
        .clone()
}

/// Every file under `dir` with the SHA-256 of its bytes: to show that a refused command left a
/// directory as it was.
pub fn snapshot_tree(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                let digest = hex::encode(ring::digest::digest(&ring::digest::SHA256, &bytes));
                files.insert(path.strip_prefix(dir).unwrap().to_owned(), digest);
            }
        }
    }
    files
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.canonicalize().unwrap().display())
}

/// A fresh client of the site at `site` that ships `N.root.json` of version 1 as its root.
pub fn client(site: &Path, storage: &Path) -> Result<Updater, UpdateError> {
    std::fs::create_dir_all(storage).unwrap();
    let root = std::fs::read(site.join("metadata/1.root.json")).unwrap();
    UpdaterBuilder::new(
        &file_url(&site.join("metadata")),
        FileTransport,
        DirStorage::new(storage),
    )
    .initial_root(root)
    .load()
}

/// Finds `name` (refreshing `client` first if it has not yet) and downloads it into `dir`.
pub fn download(
    client: &mut Updater,
    site: &Path,
    name: &str,
    dir: &Path,
) -> Result<(TargetInfo, PathBuf), UpdateError> {
    let info = client
        .target_info(&TargetPath::parse(name).unwrap())?
        .unwrap_or_else(|| panic!("{name} is not a target"));
    std::fs::create_dir_all(dir).unwrap();
    let path = client.download_target(&info, &file_url(&site.join("targets")), dir)?;
    Ok((info, path))
}

/// A python with tuf installed, or `None` (with a notice) when it cannot be had.
pub fn python_tuf(dir: &Path) -> Option<PathBuf> {
    let required = std::env::var("SIGIL_REQUIRE_INTEROP").is_ok_and(|v| v == "1");
    let venv = dir.join("venv");
    let created = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .output()
        .is_ok_and(|out| out.status.success());
    let python = venv.join("bin/python");
    let installed = created
        && Command::new(&python)
            // ECDSA keys need pyca/cryptography, an extra of securesystemslib.
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "tuf>=5,<8",
                "securesystemslib[crypto]",
            ])
            .output()
            .is_ok_and(|out| out.status.success());
    if installed {
        Some(python)
    } else if required {
        panic!(
            "SIGIL_REQUIRE_INTEROP=1 but python-tuf could not be installed with python3 -m venv and pip"
        );
    } else {
        eprintln!("skipped: python-tuf could not be installed (no python3, pip or network)");
        None
    }
}
