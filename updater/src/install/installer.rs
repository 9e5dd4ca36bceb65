//! The install state machine: stage, activate, confirm, roll back, and recover after a crash.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use semver::Version;
use sigil_time::Clock;

use super::archive::{self, Limits};
use super::state::{HealthPolicy, Pending, State};
use super::{InstallError, sync_dir};

/// The points of an install at which a crash is simulated in tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// The archive is unpacked in `staging/`.
    Unpacked,
    /// The tree is in `versions/`.
    Staged,
    /// The state records the version as pending activation.
    Intent,
    /// `current` points to the new version.
    Swapped,
    /// The state records the new version as current.
    Committed,
    /// During a rollback, the state records the previous version as current.
    RollbackIntent,
}

/// Fault injection: called at each [`Step`]; an error aborts the operation on the spot, without
/// any clean-up, as a killed process would.
pub trait Faults {
    fn at(&self, step: Step) -> Result<(), InstallError>;
}

/// No faults: what production uses.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoFaults;

impl Faults for NoFaults {
    fn at(&self, _step: Step) -> Result<(), InstallError> {
        Ok(())
    }
}

/// What a launch of the app found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LaunchOutcome {
    /// No version awaits confirmation.
    Confirmed,
    /// The running version has until `deadline` (Unix seconds) or `launches_left` more launches.
    AwaitingHealth { deadline: u64, launches_left: u32 },
    /// The new version missed its deadline: `current` is back on `to`, and `from` is rejected.
    RolledBack { from: Version, to: Version },
}

/// An install root (see the module documentation for its layout).
#[derive(Debug)]
pub struct Installer<F: Faults = NoFaults> {
    root: PathBuf,
    state: State,
    faults: F,
}

impl Installer<NoFaults> {
    /// Opens (creating if needed) the install root, and finishes or undoes whatever a crash
    /// interrupted.
    pub fn open(root: &Path) -> Result<Self, InstallError> {
        Self::open_with_faults(root, NoFaults)
    }
}

impl<F: Faults> Installer<F> {
    /// [`Installer::open`] with fault injection, for tests.
    pub fn open_with_faults(root: &Path, faults: F) -> Result<Self, InstallError> {
        for dir in [root.to_owned(), root.join("versions"), root.join("staging")] {
            fs::create_dir_all(&dir).map_err(io_at(&dir))?;
        }
        let state = State::load(&root.join("state.json"))?.unwrap_or_else(State::new);
        let mut installer = Self {
            root: root.to_owned(),
            state,
            faults,
        };
        installer.recover()?;
        Ok(installer)
    }

    /// What is installed.
    #[must_use]
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The directory of the tree `current` points to.
    #[must_use]
    pub fn current_dir(&self) -> Option<PathBuf> {
        self.state.current.as_ref().map(|v| self.version_dir(v))
    }

    fn version_dir(&self, version: &Version) -> PathBuf {
        self.root.join("versions").join(version.to_string())
    }

    fn state_path(&self) -> PathBuf {
        self.root.join("state.json")
    }

    fn save(&self) -> Result<(), InstallError> {
        self.state.save(&self.state_path())
    }

    /// Makes the disk agree with the state after a crash.
    fn recover(&mut self) -> Result<(), InstallError> {
        // Staging holds only unfinished unpacking.
        let staging = self.root.join("staging");
        for entry in fs::read_dir(&staging).map_err(io_at(&staging))? {
            let entry = entry.map_err(io_at(&staging))?;
            remove_tree(&entry.path())?;
        }
        let mut changed = false;
        // An activation recorded but not committed: complete it if its tree is whole.
        if let Some(pending) = self.state.pending.clone() {
            if self.state.current.as_ref() != Some(&pending.version) {
                if self.version_dir(&pending.version).is_dir() {
                    self.state.previous = self.state.current.take();
                    self.state.current = Some(pending.version);
                } else {
                    self.state.pending = None;
                }
                changed = true;
            }
        }
        if changed {
            self.save()?;
        }
        // The pointer follows the state.
        if let Some(current) = self.state.current.clone() {
            if self.read_pointer()?.as_ref() != Some(&current)
                && self.version_dir(&current).is_dir()
            {
                self.write_pointer(&current)?;
            }
        }
        Ok(())
    }

    /// Unpacks `archive` as `version` into `versions/`, ready to activate.
    pub fn stage(
        &mut self,
        archive: &Path,
        version: &Version,
        limits: &Limits,
    ) -> Result<PathBuf, InstallError> {
        if self.state.rejected.contains(version) {
            return Err(InstallError::Rejected(version.clone()));
        }
        if self.state.current.as_ref() == Some(version) {
            return Err(InstallError::AlreadyCurrent(version.clone()));
        }
        let scratch = tempfile::Builder::new()
            .prefix(&format!("{version}-"))
            .tempdir_in(self.root.join("staging"))
            .map_err(io_at(&self.root.join("staging")))?
            // Removal is `recover`'s job: a crash must leave the same state as an error.
            .keep();
        if let Err(source) = archive::unpack(archive, &scratch, limits) {
            // A refused archive is an error, not a crash: clean up now.
            remove_tree(&scratch)?;
            return Err(InstallError::Archive {
                version: version.clone(),
                source,
            });
        }
        sync_dir(&scratch);
        self.faults.at(Step::Unpacked)?;
        let destination = self.version_dir(version);
        if destination.exists() {
            // A tree staged earlier and never activated: replace it with the fresh one.
            remove_tree(&destination)?;
        }
        fs::rename(&scratch, &destination).map_err(io_at(&destination))?;
        sync_dir(&self.root.join("versions"));
        self.faults.at(Step::Staged)?;
        Ok(destination)
    }

    /// Switches `current` to a staged version, which must then confirm its health under
    /// `policy`, counted from `clock`'s time.
    pub fn activate(
        &mut self,
        version: &Version,
        policy: HealthPolicy,
        clock: &dyn Clock,
    ) -> Result<(), InstallError> {
        let now = unix_seconds(clock)?;
        if self.state.rejected.contains(version) {
            return Err(InstallError::Rejected(version.clone()));
        }
        if !self.version_dir(version).is_dir() {
            return Err(InstallError::NotStaged(version.clone()));
        }
        if self.state.current.as_ref() == Some(version) {
            return Err(InstallError::AlreadyCurrent(version.clone()));
        }
        self.state.pending = Some(Pending {
            version: version.clone(),
            activated_at: now,
            policy,
            launches: 0,
        });
        self.save()?;
        self.faults.at(Step::Intent)?;
        self.write_pointer(version)?;
        self.faults.at(Step::Swapped)?;
        self.state.previous = self.state.current.replace(version.clone());
        self.save()?;
        self.faults.at(Step::Committed)?;
        Ok(())
    }

    /// Records a launch of the app; rolls back a pending version that is out of time or
    /// launches, by `clock`'s time. Call it first thing at every start.
    pub fn launched(&mut self, clock: &dyn Clock) -> Result<LaunchOutcome, InstallError> {
        let now = unix_seconds(clock)?;
        let Some(mut pending) = self.state.pending.clone() else {
            return Ok(LaunchOutcome::Confirmed);
        };
        pending.launches += 1;
        if pending.launches > pending.policy.max_launches || now > pending.deadline() {
            let to = self.roll_back()?;
            return Ok(LaunchOutcome::RolledBack {
                from: pending.version,
                to,
            });
        }
        let outcome = LaunchOutcome::AwaitingHealth {
            deadline: pending.deadline(),
            launches_left: pending.policy.max_launches - pending.launches,
        };
        self.state.pending = Some(pending);
        self.save()?;
        Ok(outcome)
    }

    /// The new version reports that it started properly. Older trees than the previous
    /// version are removed.
    pub fn confirm(&mut self) -> Result<(), InstallError> {
        if self.state.pending.take().is_some() {
            self.save()?;
        }
        self.prune()
    }

    /// Goes back to the previous version and rejects the current one. Returns the version now
    /// current.
    pub fn roll_back(&mut self) -> Result<Version, InstallError> {
        let previous = self
            .state
            .previous
            .clone()
            .ok_or(InstallError::NothingToRollBack)?;
        if !self.version_dir(&previous).is_dir() {
            return Err(InstallError::NotStaged(previous));
        }
        if let Some(failed) = self.state.current.take() {
            self.state.rejected.insert(failed);
        }
        self.state.pending = None;
        self.state.current = Some(previous.clone());
        self.state.previous = None;
        self.save()?;
        self.faults.at(Step::RollbackIntent)?;
        self.write_pointer(&previous)?;
        Ok(previous)
    }

    /// Removes trees that are neither current nor previous.
    fn prune(&self) -> Result<(), InstallError> {
        let versions = self.root.join("versions");
        for entry in fs::read_dir(&versions).map_err(io_at(&versions))? {
            let entry = entry.map_err(io_at(&versions))?;
            let name = entry.file_name();
            let keep = [&self.state.current, &self.state.previous]
                .into_iter()
                .flatten()
                .any(|v| name.to_str() == Some(v.to_string().as_str()));
            if !keep {
                remove_tree(&entry.path())?;
            }
        }
        Ok(())
    }

    fn pointer_path(&self) -> PathBuf {
        self.root.join("current")
    }

    /// The version `current` points to, if any.
    fn read_pointer(&self) -> Result<Option<Version>, InstallError> {
        let path = self.pointer_path();
        #[cfg(unix)]
        let text = match fs::read_link(&path) {
            Ok(target) => target.to_string_lossy().into_owned(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(InstallError::Io { path, source }),
        };
        #[cfg(not(unix))]
        let text = match fs::read_to_string(&path) {
            Ok(text) => text.trim().to_owned(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(InstallError::Io { path, source }),
        };
        let version = text
            .strip_prefix("versions/")
            .and_then(|v| Version::parse(v).ok())
            .ok_or(InstallError::ForeignPointer {
                path,
                found: text.clone(),
            })?;
        Ok(Some(version))
    }

    /// Points `current` at `version`, atomically: a new pointer renamed over the old one.
    fn write_pointer(&self, version: &Version) -> Result<(), InstallError> {
        let path = self.pointer_path();
        let temp = self.root.join(format!(".current-{version}.tmp"));
        let _ = fs::remove_file(&temp);
        let target = format!("versions/{version}");
        #[cfg(unix)]
        std::os::unix::fs::symlink(&target, &temp).map_err(io_at(&temp))?;
        #[cfg(not(unix))]
        {
            use std::io::Write as _;
            let mut file = fs::File::create(&temp).map_err(io_at(&temp))?;
            file.write_all(target.as_bytes()).map_err(io_at(&temp))?;
            file.sync_all().map_err(io_at(&temp))?;
        }
        fs::rename(&temp, &path).map_err(io_at(&path))?;
        sync_dir(&self.root);
        Ok(())
    }
}

/// The clock's time as the install state records it, in Unix seconds. A clock before 1970 is
/// refused: the health deadline would be counted from a time that cannot be right.
fn unix_seconds(clock: &dyn Clock) -> Result<u64, InstallError> {
    let now = clock.now();
    u64::try_from(now.unix_seconds()).map_err(|_| InstallError::ClockBeforeEpoch { now })
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> InstallError + '_ {
    move |source| InstallError::Io {
        path: path.to_owned(),
        source,
    }
}

fn remove_tree(path: &Path) -> Result<(), InstallError> {
    let result = match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    };
    result.map_err(io_at(path))
}
