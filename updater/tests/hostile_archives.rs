//! Hostile release archives: each is refused with an error that names the member and the
//! reason, and nothing outside the staging directory is written.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use sigil_updater::install::archive::{ArchiveError, Limits, unpack};

/// A work area: `archive` is written here, `staging` is where it unpacks, and everything else in
/// `root` must stay as it was.
struct Area {
    root: tempfile::TempDir,
}

impl Area {
    fn staging(&self) -> PathBuf {
        self.root.path().join("area/staging")
    }

    fn archive(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    fn unpack(
        &self,
        archive: &Path,
        limits: &Limits,
    ) -> Result<sigil_updater::install::archive::Unpacked, ArchiveError> {
        unpack(archive, &self.staging(), limits)
    }

    /// Everything outside the staging directory is as the test left it.
    fn assert_outside_untouched(&self, archive: &Path) {
        let mut names: Vec<String> = fs::read_dir(self.root.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        let archive_name = archive.file_name().unwrap().to_string_lossy().into_owned();
        let mut expected = vec!["area".to_owned(), "sentinel".to_owned(), archive_name];
        expected.sort();
        assert_eq!(names, expected);
        let area: Vec<_> = fs::read_dir(self.root.path().join("area"))
            .unwrap()
            .collect();
        assert_eq!(area.len(), 1, "only the staging directory is in the area");
        assert_eq!(
            fs::read(self.root.path().join("sentinel")).unwrap(),
            b"untouched"
        );
    }
}

fn area() -> Area {
    let root = tempfile::tempdir().unwrap();
    fs::create_dir_all(root.path().join("area/staging")).unwrap();
    fs::write(root.path().join("sentinel"), b"untouched").unwrap();
    Area { root }
}

#[derive(Clone, Copy)]
enum Entry<'a> {
    File(&'a str, &'a [u8], u32),
    Dir(&'a str),
    Symlink(&'a str, &'a str),
    HardLink(&'a str, &'a str),
    Fifo(&'a str),
}

/// A tar.gz written byte by byte, so names the `tar` crate would refuse can be tested.
fn tar_gz(path: &Path, entries: &[Entry<'_>]) {
    let file = fs::File::create(path).unwrap();
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    let mut builder = tar::Builder::new(gz);
    for entry in entries {
        let mut header = tar::Header::new_gnu();
        let (name, data): (&str, &[u8]) = match *entry {
            Entry::File(name, data, mode) => {
                header.set_entry_type(tar::EntryType::Regular);
                header.set_mode(mode);
                (name, data)
            }
            Entry::Dir(name) => {
                header.set_entry_type(tar::EntryType::Directory);
                header.set_mode(0o755);
                (name, &[])
            }
            Entry::Symlink(name, target) | Entry::HardLink(name, target) => {
                header.set_entry_type(if matches!(entry, Entry::Symlink(..)) {
                    tar::EntryType::Symlink
                } else {
                    tar::EntryType::Link
                });
                let link = &mut header.as_old_mut().linkname;
                link[..target.len()].copy_from_slice(target.as_bytes());
                (name, &[])
            }
            Entry::Fifo(name) => {
                header.set_entry_type(tar::EntryType::Fifo);
                (name, &[])
            }
        };
        let field = &mut header.as_old_mut().name;
        field[..name.len()].copy_from_slice(name.as_bytes());
        header.set_size(data.len() as u64);
        header.set_cksum();
        builder.append(&header, data).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap();
}

fn zip(path: &Path, entries: &[(&str, &[u8])]) {
    let mut writer = zip::ZipWriter::new(fs::File::create(path).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o644);
    for (name, data) in entries {
        writer.start_file(*name, options).unwrap();
        writer.write_all(data).unwrap();
    }
    writer.finish().unwrap();
}

#[test]
fn well_formed_tar_gz_unpacks() {
    let area = area();
    let archive = area.archive("app-1.1.0.tar.gz");
    tar_gz(
        &archive,
        &[
            Entry::Dir("app/"),
            Entry::File("app/bin/sample-app", b"#!/bin/sh\necho 1.1.0\n", 0o755),
            Entry::File("app/lib/libsample.so.1", b"ELF", 0o644),
            Entry::Symlink("app/lib/libsample.so", "libsample.so.1"),
            Entry::Dir("app/"),
        ],
    );
    let unpacked = area.unpack(&archive, &Limits::default()).unwrap();
    assert_eq!((unpacked.files, unpacked.links), (2, 1));
    let staging = area.staging();
    assert_eq!(
        fs::read(staging.join("app/lib/libsample.so")).unwrap(),
        b"ELF"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &str| fs::metadata(staging.join(p)).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode("app/bin/sample-app"), 0o755);
        assert_eq!(mode("app/lib/libsample.so.1"), 0o644);
    }
    area.assert_outside_untouched(&archive);
}

#[test]
fn well_formed_zip_unpacks() {
    let area = area();
    let archive = area.archive("app-1.1.0.zip");
    zip(
        &archive,
        &[
            ("app/README.txt", b"hello"),
            ("app/data/config.json", b"{}"),
        ],
    );
    let unpacked = area.unpack(&archive, &Limits::default()).unwrap();
    assert_eq!(unpacked.files, 2);
    assert_eq!(
        fs::read(area.staging().join("app/README.txt")).unwrap(),
        b"hello"
    );
}

#[test]
fn zip_slip_is_refused() {
    let area = area();
    let archive = area.archive("zip-slip.zip");
    zip(
        &archive,
        &[("app/ok.txt", b"ok"), ("../../sentinel", b"overwritten")],
    );
    let err = area.unpack(&archive, &Limits::default()).unwrap_err();
    assert!(
        err.to_string()
            .contains("climbs out of the archive with '..'"),
        "{err}"
    );
    area.assert_outside_untouched(&archive);
}

#[test]
fn tar_slip_is_refused() {
    let area = area();
    let archive = area.archive("tar-slip.tar.gz");
    tar_gz(
        &archive,
        &[Entry::File("app/../../sentinel", b"overwritten", 0o644)],
    );
    let err = area.unpack(&archive, &Limits::default()).unwrap_err();
    assert!(
        matches!(err, ArchiveError::MemberName { index: 0, .. }),
        "{err}"
    );
    area.assert_outside_untouched(&archive);
}

#[test]
fn absolute_path_is_refused() {
    let area = area();
    let archive = area.archive("absolute-path.tar.gz");
    let outside = area.root.path().join("sentinel");
    tar_gz(
        &archive,
        &[Entry::File(
            outside.to_str().unwrap(),
            b"overwritten",
            0o644,
        )],
    );
    let err = area.unpack(&archive, &Limits::default()).unwrap_err();
    assert!(err.to_string().contains("is absolute"), "{err}");
    area.assert_outside_untouched(&archive);
}

#[test]
fn symlink_escape_is_refused() {
    let area = area();
    let archive = area.archive("symlink-escape.tar.gz");
    tar_gz(&archive, &[Entry::Symlink("app/etc", "../../../..")]);
    let err = area.unpack(&archive, &Limits::default()).unwrap_err();
    assert!(matches!(err, ArchiveError::LinkEscapes { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "member app/etc: symbolic link to \"../../../..\" points outside the archive"
    );
    area.assert_outside_untouched(&archive);
}

#[test]
fn absolute_symlink_is_refused() {
    let area = area();
    let archive = area.archive("absolute-symlink.tar.gz");
    tar_gz(&archive, &[Entry::Symlink("app/passwd", "/etc/passwd")]);
    let err = area.unpack(&archive, &Limits::default()).unwrap_err();
    assert!(matches!(err, ArchiveError::LinkEscapes { .. }), "{err}");
}

#[test]
fn write_through_symlink_is_refused() {
    // A link that stays inside, then a file "under" it: with the link created first, the file
    // would land wherever the link points.
    let area = area();
    let archive = area.archive("write-through-symlink.tar.gz");
    tar_gz(
        &archive,
        &[
            Entry::Symlink("app/lib", "."),
            Entry::File("app/lib/payload", b"x", 0o644),
        ],
    );
    let err = area.unpack(&archive, &Limits::default()).unwrap_err();
    assert!(matches!(err, ArchiveError::UnderLink { .. }), "{err}");
    area.assert_outside_untouched(&archive);
}

#[test]
fn hard_link_is_refused() {
    let area = area();
    let archive = area.archive("hard-link.tar.gz");
    tar_gz(&archive, &[Entry::HardLink("app/shadow", "/etc/shadow")]);
    let err = area.unpack(&archive, &Limits::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "member app/shadow: a hard link is not allowed in a release archive"
    );
}

#[test]
fn fifo_is_refused() {
    let area = area();
    let archive = area.archive("fifo.tar.gz");
    tar_gz(&archive, &[Entry::Fifo("app/pipe")]);
    let err = area.unpack(&archive, &Limits::default()).unwrap_err();
    assert!(
        matches!(err, ArchiveError::ForbiddenType { kind: "FIFO", .. }),
        "{err}"
    );
}

#[test]
fn duplicate_entries_are_refused() {
    let area = area();
    let archive = area.archive("duplicate-entries.tar.gz");
    tar_gz(
        &archive,
        &[
            Entry::File("app/run", b"good", 0o755),
            Entry::File("app/run", b"evil", 0o755),
        ],
    );
    let err = area.unpack(&archive, &Limits::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "member app/run: appears twice (names that differ only in case count as the same)"
    );
}

#[test]
fn case_colliding_entries_are_refused() {
    let area = area();
    let archive = area.archive("case-collision.tar.gz");
    tar_gz(
        &archive,
        &[
            Entry::File("app/Run.exe", b"good", 0o755),
            Entry::File("app/run.exe", b"evil", 0o755),
        ],
    );
    let err = area.unpack(&archive, &Limits::default()).unwrap_err();
    assert!(matches!(err, ArchiveError::Duplicate { .. }), "{err}");
}

#[test]
fn zip_bomb_is_refused() {
    let area = area();
    let archive = area.archive("zip-bomb.zip");
    let zeros = vec![0u8; 8 << 20];
    zip(&archive, &[("app/zeros", &zeros)]);
    let archive_bytes = fs::metadata(&archive).unwrap().len();
    assert!(
        archive_bytes < 100_000,
        "the bomb compresses well: {archive_bytes}"
    );
    let err = area.unpack(&archive, &Limits::default()).unwrap_err();
    assert!(matches!(err, ArchiveError::RatioTooHigh { .. }), "{err}");
    area.assert_outside_untouched(&archive);
}

#[test]
fn huge_entry_count_is_refused() {
    let area = area();
    let archive = area.archive("huge-entry-count.tar.gz");
    let names: Vec<String> = (0..101).map(|i| format!("app/f{i}")).collect();
    let entries: Vec<Entry<'_>> = names.iter().map(|n| Entry::File(n, b"", 0o644)).collect();
    tar_gz(&archive, &entries);
    let limits = Limits {
        max_entries: 100,
        ..Limits::default()
    };
    let err = area.unpack(&archive, &limits).unwrap_err();
    assert!(
        matches!(err, ArchiveError::TooManyEntries { limit: 100 }),
        "{err}"
    );
}

#[test]
fn oversized_entry_is_refused() {
    let area = area();
    let archive = area.archive("oversized-entry.tar.gz");
    let data = vec![7u8; 4096];
    tar_gz(&archive, &[Entry::File("app/big", &data, 0o644)]);
    let limits = Limits {
        max_entry_bytes: 1024,
        ..Limits::default()
    };
    let err = area.unpack(&archive, &limits).unwrap_err();
    assert!(
        matches!(err, ArchiveError::EntryTooLarge { limit: 1024, .. }),
        "{err}"
    );
}

#[test]
fn setuid_and_world_writable_modes_are_reduced() {
    let area = area();
    let archive = area.archive("setuid.tar.gz");
    tar_gz(
        &archive,
        &[
            Entry::File("app/su", b"x", 0o4777),
            Entry::File("app/w", b"x", 0o666),
        ],
    );
    area.unpack(&archive, &Limits::default()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &str| {
            fs::metadata(area.staging().join(p))
                .unwrap()
                .permissions()
                .mode()
                & 0o7777
        };
        assert_eq!(mode("app/su"), 0o755);
        assert_eq!(mode("app/w"), 0o644);
    }
}

#[test]
fn truncated_archive_is_refused_cleanly() {
    let area = area();
    let archive = area.archive("truncated.tar.gz");
    let data = vec![9u8; 100_000];
    tar_gz(&archive, &[Entry::File("app/data", &data, 0o644)]);
    let bytes = fs::read(&archive).unwrap();
    fs::write(&archive, &bytes[..bytes.len() / 2]).unwrap();
    let err = area.unpack(&archive, &Limits::default()).unwrap_err();
    assert!(
        matches!(
            err,
            ArchiveError::Read { .. }
                | ArchiveError::Malformed { .. }
                | ArchiveError::SizeMismatch { .. }
        ),
        "{err}"
    );
}

#[test]
fn unknown_format_is_named() {
    let area = area();
    let archive = area.archive("release.rar");
    fs::write(&archive, b"Rar!\x1a\x07\x00").unwrap();
    let err = area.unpack(&archive, &Limits::default()).unwrap_err();
    assert!(matches!(err, ArchiveError::UnknownFormat { .. }), "{err}");
}

#[test]
fn staging_must_be_empty() {
    let area = area();
    let archive = area.archive("a.zip");
    zip(&archive, &[("x", b"x")]);
    fs::write(area.staging().join("leftover"), b"").unwrap();
    let err = area.unpack(&archive, &Limits::default()).unwrap_err();
    assert!(matches!(err, ArchiveError::StagingNotEmpty { .. }), "{err}");
}
