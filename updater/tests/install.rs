//! Installing, confirming and rolling back versions, and a crash at every step of an install:
//! `current` is always one complete version, never a mix, and the next open finishes or cleans
//! up.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cell::Cell;
use std::fs;
use std::path::{Path, PathBuf};

use semver::Version;
use sigil_time::{FixedClock, Timestamp};
use sigil_updater::install::archive::Limits;
use sigil_updater::install::{
    Faults, HealthPolicy, InstallError, Installer, LaunchOutcome, Step, replace_executable,
};

fn v(text: &str) -> Version {
    Version::parse(text).unwrap()
}

/// A release archive whose files all name `version`, so a mix of two versions shows.
fn release_archive(dir: &Path, version: &str) -> PathBuf {
    let path = dir.join(format!("app-{version}.tar.gz"));
    let file = fs::File::create(&path).unwrap();
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
    let mut builder = tar::Builder::new(gz);
    for name in [
        "app/VERSION",
        "app/bin/run",
        "app/lib/core",
        "app/share/notes",
    ] {
        let data = format!("{name} of {version}\n");
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(if name.contains("bin") { 0o755 } else { 0o644 });
        header.set_cksum();
        builder
            .append_data(&mut header, name, data.as_bytes())
            .unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap();
    path
}

/// The version every file under `current` names; panics on a mix.
fn running_version(root: &Path) -> String {
    let current = root.join("current");
    let mut versions = Vec::new();
    for name in [
        "app/VERSION",
        "app/bin/run",
        "app/lib/core",
        "app/share/notes",
    ] {
        let text = fs::read_to_string(current.join(name)).unwrap();
        versions.push(text.trim().rsplit(' ').next().unwrap().to_owned());
    }
    versions.dedup();
    assert_eq!(versions.len(), 1, "a mix of versions: {versions:?}");
    versions.pop().unwrap()
}

fn staging_is_empty(root: &Path) -> bool {
    fs::read_dir(root.join("staging")).unwrap().next().is_none()
}

const T0: u64 = 1_800_000_000;

/// A clock that reads `seconds` after 1970.
fn at(seconds: u64) -> FixedClock {
    FixedClock(Timestamp::from_unix_seconds(i64::try_from(seconds).unwrap()).unwrap())
}

fn install(installer: &mut Installer<impl Faults>, archives: &Path, version: &str, now: u64) {
    let archive = release_archive(archives, version);
    installer
        .stage(&archive, &v(version), &Limits::default())
        .unwrap();
    installer
        .activate(&v(version), HealthPolicy::default(), &at(now))
        .unwrap();
}

#[test]
fn install_confirm_and_keep_the_previous_version() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let mut installer = Installer::open(&root).unwrap();
    install(&mut installer, dir.path(), "1.0.0", T0);
    installer.confirm().unwrap();
    assert_eq!(running_version(&root), "1.0.0");
    install(&mut installer, dir.path(), "1.1.0", T0 + 10);
    assert_eq!(running_version(&root), "1.1.0");
    assert_eq!(
        installer.launched(&at(T0 + 20)).unwrap(),
        LaunchOutcome::AwaitingHealth {
            deadline: T0 + 10 + 1800,
            launches_left: 2
        }
    );
    installer.confirm().unwrap();
    assert_eq!(
        installer.launched(&at(T0 + 30)).unwrap(),
        LaunchOutcome::Confirmed
    );
    let state = installer.state();
    assert_eq!(
        (state.current.clone(), state.previous.clone()),
        (Some(v("1.1.0")), Some(v("1.0.0")))
    );
    install(&mut installer, dir.path(), "1.2.0", T0 + 40);
    installer.confirm().unwrap();
    let mut kept: Vec<String> = fs::read_dir(root.join("versions"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    kept.sort();
    assert_eq!(
        kept,
        ["1.1.0", "1.2.0"],
        "only current and previous are kept"
    );
}

#[test]
fn missed_health_deadline_rolls_back_and_rejects_the_release() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let mut installer = Installer::open(&root).unwrap();
    install(&mut installer, dir.path(), "1.0.0", T0);
    installer.confirm().unwrap();
    install(&mut installer, dir.path(), "1.1.0", T0 + 100);
    let outcome = installer.launched(&at(T0 + 100 + 1801)).unwrap();
    assert_eq!(
        outcome,
        LaunchOutcome::RolledBack {
            from: v("1.1.0"),
            to: v("1.0.0")
        }
    );
    assert_eq!(running_version(&root), "1.0.0");
    assert!(installer.state().rejected.contains(&v("1.1.0")));
    // The failed release is never installed again, even after a restart.
    let mut reopened = Installer::open(&root).unwrap();
    let archive = release_archive(dir.path(), "1.1.0");
    let err = reopened
        .stage(&archive, &v("1.1.0"), &Limits::default())
        .unwrap_err();
    assert!(matches!(err, InstallError::Rejected(_)), "{err}");
}

#[test]
fn clock_set_before_1970_is_refused_and_leaves_the_install_as_it_was() {
    // A clock wound back before 1970 would count the health deadline from a time that cannot
    // be right; nothing is recorded from it.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let mut installer = Installer::open(&root).unwrap();
    install(&mut installer, dir.path(), "1.0.0", T0);
    installer.confirm().unwrap();
    install(&mut installer, dir.path(), "1.1.0", T0 + 100);
    let state_before = fs::read(root.join("state.json")).unwrap();
    let wound_back = FixedClock(Timestamp::from_unix_seconds(-1).unwrap());
    let err = installer.launched(&wound_back).unwrap_err();
    assert!(
        matches!(err, InstallError::ClockBeforeEpoch { now } if now == wound_back.0),
        "{err}"
    );
    assert!(err.to_string().contains("1969-12-31T23:59:59Z"), "{err}");
    let archive = release_archive(dir.path(), "1.2.0");
    installer
        .stage(&archive, &v("1.2.0"), &Limits::default())
        .unwrap();
    let err = installer
        .activate(&v("1.2.0"), HealthPolicy::default(), &wound_back)
        .unwrap_err();
    assert!(
        matches!(err, InstallError::ClockBeforeEpoch { .. }),
        "{err}"
    );
    assert_eq!(fs::read(root.join("state.json")).unwrap(), state_before);
    assert_eq!(running_version(&root), "1.1.0");
    assert_eq!(
        Installer::open(&root)
            .unwrap()
            .launched(&at(T0 + 101))
            .unwrap(),
        LaunchOutcome::AwaitingHealth {
            deadline: T0 + 100 + 1800,
            launches_left: 2
        }
    );
}

#[test]
fn too_many_unconfirmed_launches_roll_back() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let mut installer = Installer::open(&root).unwrap();
    install(&mut installer, dir.path(), "1.0.0", T0);
    installer.confirm().unwrap();
    install(&mut installer, dir.path(), "1.1.0", T0);
    for left in [2, 1, 0] {
        assert_eq!(
            installer.launched(&at(T0 + 1)).unwrap(),
            LaunchOutcome::AwaitingHealth {
                deadline: T0 + 1800,
                launches_left: left
            }
        );
        // Each launch is persisted: a crash loop cannot reset the count.
        installer = Installer::open(&root).unwrap();
    }
    assert_eq!(
        installer.launched(&at(T0 + 1)).unwrap(),
        LaunchOutcome::RolledBack {
            from: v("1.1.0"),
            to: v("1.0.0")
        }
    );
    assert_eq!(running_version(&root), "1.0.0");
}

#[test]
fn manual_rollback() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let mut installer = Installer::open(&root).unwrap();
    let err = installer.roll_back().unwrap_err();
    assert!(matches!(err, InstallError::NothingToRollBack), "{err}");
    install(&mut installer, dir.path(), "1.0.0", T0);
    installer.confirm().unwrap();
    install(&mut installer, dir.path(), "2.0.0", T0);
    installer.confirm().unwrap();
    assert_eq!(installer.roll_back().unwrap(), v("1.0.0"));
    assert_eq!(running_version(&root), "1.0.0");
    assert!(installer.state().rejected.contains(&v("2.0.0")));
}

#[test]
fn hostile_archive_leaves_the_install_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let mut installer = Installer::open(&root).unwrap();
    install(&mut installer, dir.path(), "1.0.0", T0);
    installer.confirm().unwrap();
    let evil = dir.path().join("evil.tar.gz");
    {
        let gz = flate2::write::GzEncoder::new(
            fs::File::create(&evil).unwrap(),
            flate2::Compression::fast(),
        );
        let mut builder = tar::Builder::new(gz);
        let mut header = tar::Header::new_gnu();
        header.as_old_mut().name[..13].copy_from_slice(b"../../escaped");
        header.set_size(1);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append(&header, &b"x"[..]).unwrap();
        builder.into_inner().unwrap().finish().unwrap();
    }
    let err = installer
        .stage(&evil, &v("1.1.0"), &Limits::default())
        .unwrap_err();
    assert!(matches!(err, InstallError::Archive { .. }), "{err}");
    assert_eq!(running_version(&root), "1.0.0");
    assert!(staging_is_empty(&root));
    assert!(!dir.path().join("escaped").exists());
}

#[test]
fn corrupt_state_file_is_reported_and_trees_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let mut installer = Installer::open(&root).unwrap();
    install(&mut installer, dir.path(), "1.0.0", T0);
    fs::write(root.join("state.json"), b"{\"format\": 1, \"current\": ").unwrap();
    let err = Installer::open(&root).unwrap_err();
    assert!(
        err.to_string().starts_with(&format!(
            "install state {} is unreadable",
            root.join("state.json").display()
        )),
        "{err}"
    );
    assert_eq!(running_version(&root), "1.0.0");
}

/// Fails once, at one step, as if the process were killed there.
struct CrashAt(Step, Cell<bool>);

impl Faults for CrashAt {
    fn at(&self, step: Step) -> Result<(), InstallError> {
        if step == self.0 && !self.1.replace(true) {
            return Err(InstallError::Interrupted(step));
        }
        Ok(())
    }
}

#[test]
fn crash_at_every_install_step_leaves_one_whole_version() {
    for (step, expected) in [
        (Step::Unpacked, "1.0.0"),
        (Step::Staged, "1.0.0"),
        (Step::Intent, "1.1.0"),
        (Step::Swapped, "1.1.0"),
        (Step::Committed, "1.1.0"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        let mut installer = Installer::open(&root).unwrap();
        install(&mut installer, dir.path(), "1.0.0", T0);
        installer.confirm().unwrap();
        drop(installer);

        let mut crashing =
            Installer::open_with_faults(&root, CrashAt(step, Cell::new(false))).unwrap();
        let archive = release_archive(dir.path(), "1.1.0");
        let result = crashing
            .stage(&archive, &v("1.1.0"), &Limits::default())
            .and_then(|_| crashing.activate(&v("1.1.0"), HealthPolicy::default(), &at(T0 + 5)));
        assert!(
            matches!(result, Err(InstallError::Interrupted(s)) if s == step),
            "{step:?}: {result:?}"
        );
        drop(crashing);
        // Right after the crash, before any recovery, `current` is already one whole version.
        let seen = running_version(&root);
        assert!(seen == "1.0.0" || seen == "1.1.0", "{step:?}: {seen}");

        // The next start finishes or undoes the interrupted step.
        let reopened = Installer::open(&root).unwrap();
        assert_eq!(running_version(&root), expected, "{step:?}");
        assert_eq!(reopened.state().current, Some(v(expected)), "{step:?}");
        assert!(staging_is_empty(&root), "{step:?}: staging was not cleaned");
        if expected == "1.1.0" {
            // A rolled-forward activation still has to prove its health.
            assert_eq!(
                reopened.state().pending.as_ref().map(|p| p.version.clone()),
                Some(v("1.1.0"))
            );
            assert_eq!(reopened.state().previous, Some(v("1.0.0")));
        }
    }
}

#[test]
fn crash_during_rollback_finishes_the_rollback() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let mut installer = Installer::open(&root).unwrap();
    install(&mut installer, dir.path(), "1.0.0", T0);
    installer.confirm().unwrap();
    install(&mut installer, dir.path(), "1.1.0", T0);
    drop(installer);
    let mut crashing =
        Installer::open_with_faults(&root, CrashAt(Step::RollbackIntent, Cell::new(false)))
            .unwrap();
    assert!(matches!(
        crashing.roll_back(),
        Err(InstallError::Interrupted(Step::RollbackIntent))
    ));
    drop(crashing);
    let reopened = Installer::open(&root).unwrap();
    assert_eq!(running_version(&root), "1.0.0");
    assert!(reopened.state().rejected.contains(&v("1.1.0")));
}

#[test]
fn single_binary_replaces_itself() {
    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join("sample-app");
    fs::write(&exe, b"old binary").unwrap();
    let new = dir.path().join("downloaded");
    fs::write(&new, b"new binary").unwrap();
    // Hold the old file open, as the running process does.
    let running = fs::File::open(&exe).unwrap();
    let backup = replace_executable(&new, &exe).unwrap();
    assert_eq!(fs::read(&exe).unwrap(), b"new binary");
    assert_eq!(fs::read(&backup).unwrap(), b"old binary");
    drop(running);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&exe).unwrap().permissions().mode() & 0o777,
            0o755
        );
    }
}
