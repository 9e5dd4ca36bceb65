//! A disk that fills up while a release unpacks: the install stays on the old version, the
//! partial tree is removed, and the next install works once there is room.
//!
//! Needs root to mount a small tmpfs. Without it the test is skipped with a notice, unless
//! `SIGIL_REQUIRE_ROOT_TESTS=1` (as `.ci/run` sets it), where it fails instead.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use semver::Version;
use sigil_time::{FixedClock, Timestamp};
use sigil_updater::install::archive::{ArchiveError, Limits};
use sigil_updater::install::{HealthPolicy, InstallError, Installer};

/// A clock that reads `seconds` after 1970.
fn at(seconds: i64) -> FixedClock {
    FixedClock(Timestamp::from_unix_seconds(seconds).unwrap())
}

/// A mounted tmpfs, unmounted on drop.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(at: &Path, size: &str) -> Option<Self> {
        fs::create_dir_all(at).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if ok {
            Some(Self(at.to_owned()))
        } else {
            assert!(
                std::env::var("SIGIL_REQUIRE_ROOT_TESTS").as_deref() != Ok("1"),
                "SIGIL_REQUIRE_ROOT_TESTS=1 but a tmpfs could not be mounted"
            );
            eprintln!(
                "skipped: mounting a tmpfs needs root (set SIGIL_REQUIRE_ROOT_TESTS=1 to require it)"
            );
            None
        }
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn archive_with(dir: &Path, version: &str, size: usize) -> PathBuf {
    let path = dir.join(format!("app-{version}.tar.gz"));
    let gz = flate2::write::GzEncoder::new(
        fs::File::create(&path).unwrap(),
        flate2::Compression::fast(),
    );
    let mut builder = tar::Builder::new(gz);
    // Incompressible bytes, so the archive is as large as its content.
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let data: Vec<u8> = (0..size)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    for (name, bytes) in [
        ("app/VERSION", version.as_bytes()),
        ("app/payload", data.as_slice()),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append_data(&mut header, name, bytes).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap();
    path
}

#[test]
fn disk_full_while_unpacking_keeps_the_old_version() {
    let dir = tempfile::tempdir().unwrap();
    let Some(disk) = SmallDisk::mount(&dir.path().join("disk"), "2m") else {
        return;
    };
    let root = disk.0.join("root");
    let mut installer = Installer::open(&root).unwrap();
    let small = archive_with(dir.path(), "1.0.0", 10_000);
    installer
        .stage(&small, &Version::new(1, 0, 0), &Limits::default())
        .unwrap();
    installer
        .activate(&Version::new(1, 0, 0), HealthPolicy::default(), &at(1))
        .unwrap();
    installer.confirm().unwrap();

    let big = archive_with(dir.path(), "1.1.0", 3 << 20);
    let err = installer
        .stage(&big, &Version::new(1, 1, 0), &Limits::default())
        .unwrap_err();
    let InstallError::Archive {
        source: ArchiveError::Write { source, .. },
        ..
    } = &err
    else {
        panic!("expected a write error, got {err}");
    };
    assert_eq!(source.raw_os_error(), Some(28), "ENOSPC: {source}");
    assert!(err.to_string().contains("No space left on device"), "{err}");

    assert_eq!(
        fs::read_to_string(root.join("current/app/VERSION")).unwrap(),
        "1.0.0"
    );
    assert!(
        fs::read_dir(root.join("staging")).unwrap().next().is_none(),
        "partial tree removed"
    );
    let reopened = Installer::open(&root).unwrap();
    assert_eq!(reopened.state().current, Some(Version::new(1, 0, 0)));
    drop(reopened);

    // With the space back, the next release installs.
    let mut installer = Installer::open(&root).unwrap();
    let fits = archive_with(dir.path(), "1.1.1", 200_000);
    installer
        .stage(&fits, &Version::new(1, 1, 1), &Limits::default())
        .unwrap();
    installer
        .activate(&Version::new(1, 1, 1), HealthPolicy::default(), &at(2))
        .unwrap();
    assert_eq!(
        fs::read_to_string(root.join("current/app/VERSION")).unwrap(),
        "1.1.1"
    );
}
