//! Every lockfile reader against its fixtures: the well-formed ones read into the expected
//! packages, the faulty ones (named after their fault) fail with the expected error.

use std::path::{Path, PathBuf};

use sigil_audit::lockfile::{self, ErrorKind, Format, Limits, Lockfile, LockfileError};
use sigil_audit::model::{HashAlgorithm, Package, Source};

fn fixture(dir: &str, file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir)
        .join(file)
}

fn read(dir: &str, file: &str) -> Lockfile {
    match lockfile::read(&fixture(dir, file), &Limits::default()) {
        Ok(l) => l,
        Err(e) => panic!("{dir}/{file}: {e}"),
    }
}

fn fail(dir: &str, file: &str) -> LockfileError {
    match lockfile::read(&fixture(dir, file), &Limits::default()) {
        Ok(_) => panic!("{dir}/{file} was accepted"),
        Err(e) => {
            assert!(
                e.to_string().contains(dir),
                "error does not name the file: {e}"
            );
            e
        }
    }
}

fn find<'a>(l: &'a Lockfile, name: &str, version: &str) -> &'a Package {
    l.packages
        .iter()
        .find(|p| p.name == name && p.version == version)
        .unwrap_or_else(|| panic!("{name}@{version} not in {}", l.path.display()))
}

#[test]
fn cargo_v1_takes_checksums_from_metadata() {
    let l = read("cargo-v1", "Cargo.lock");
    assert_eq!((l.format, l.version.as_str()), (Format::Cargo, "1"));
    assert_eq!(l.packages.len(), 3);
    let itoa = find(&l, "itoa", "1.0.19");
    assert_eq!(itoa.integrity[0].algorithm, HashAlgorithm::Sha256);
    assert_eq!(itoa.integrity[0].hex.len(), 64);
    // No Cargo.toml beside this lockfile: the sourceless root stays a path package.
    assert_eq!(find(&l, "app", "0.1.0").source, Source::Path { path: None });
}

#[test]
fn cargo_v3_tells_workspace_members_from_path_dependencies() {
    let l = read("cargo-v3", "Cargo.lock");
    assert_eq!(l.version, "3");
    assert_eq!(find(&l, "app", "0.1.0").source, Source::Workspace);
    // A path dependency inside the workspace directory is a member; one outside is not.
    assert_eq!(find(&l, "inner", "0.1.0").source, Source::Workspace);
    assert_eq!(
        find(&l, "local-helper", "0.2.0").source,
        Source::Path { path: None }
    );
    assert_eq!(
        find(&l, "tiny-git", "0.3.0").source,
        Source::Git {
            url: "https://github.com/example/tiny-git".into(),
            rev: Some("0f3c2a1b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a".into()),
        }
    );
    assert_eq!(l.sha256.len(), 64);
}

#[test]
fn cargo_v4_expands_member_globs_and_reads_sparse_registries() {
    let l = read("cargo-v4", "Cargo.lock");
    assert_eq!(l.version, "4");
    assert_eq!(find(&l, "app", "0.1.0").source, Source::Workspace);
    assert!(matches!(
        &find(&l, "itoa", "1.0.19").source,
        Source::Registry { url: Some(u) } if u == "https://index.crates.io/"
    ));
}

#[test]
fn faulty_cargo_lockfiles_are_refused() {
    let e = fail("cargo-duplicate-package", "Cargo.lock");
    assert!(matches!(e.kind(), ErrorKind::Conflict { .. }), "{e}");
    assert!(e.to_string().contains("itoa@1.0.19"), "{e}");
    assert!(matches!(
        fail("cargo-truncated", "Cargo.lock").kind(),
        ErrorKind::Cargo { .. }
    ));
    assert!(matches!(
        fail("cargo-unknown-version", "Cargo.lock").kind(),
        ErrorKind::Cargo { .. }
    ));
    assert!(matches!(
        fail("cargo-checksum-split-character", "Cargo.lock").kind(),
        ErrorKind::Cargo { .. }
    ));
}

#[test]
fn npm_v1_walks_nested_dependencies() {
    let l = read("npm-v1", "package-lock.json");
    assert_eq!((l.format, l.version.as_str()), (Format::Npm, "1"));
    assert_eq!(l.packages.len(), 6);
    let nested = find(&l, "ms", "2.0.0");
    assert!(nested.dev);
    assert_eq!(
        nested.location.as_deref(),
        Some("node_modules/debug/node_modules/ms")
    );
    assert_eq!(nested.integrity[0].algorithm, HashAlgorithm::Sha1);
    assert!(!find(&l, "ms", "2.1.3").dev);
    let alias = find(&l, "utils-real", "1.2.0");
    assert_eq!(alias.alias.as_deref(), Some("legacy-utils"));
    assert!(find(&l, "fsevents", "1.2.13").optional);
}

#[test]
fn npm_v2_and_v3_read_the_packages_map() {
    for (dir, version) in [("npm-v2", "2"), ("npm-v3", "3")] {
        let l = read(dir, "package-lock.json");
        assert_eq!(l.version, version);
        // 13 entries below the root, less the link to a workspace member, which is listed
        // under the member's own key.
        assert_eq!(l.packages.len(), 12, "{dir}");
        let esbuild = find(&l, "esbuild", "0.20.2");
        assert!(esbuild.has_install_script);
        assert_eq!(esbuild.license.as_deref(), Some("MIT"));
        assert!(matches!(
            &esbuild.source,
            Source::Registry { url: Some(u) } if u == "https://registry.npmjs.org/"
        ));
        assert!(find(&l, "@esbuild/linux-x64", "0.20.2").optional);
        assert!(find(&l, "typescript", "5.4.5").dev);
        let chokidar = find(&l, "chokidar", "3.6.0");
        assert!(!chokidar.dev && chokidar.optional);
        assert!(matches!(
            find(&l, "vendored", "0.0.1").source,
            Source::Tarball { .. }
        ));
        assert!(matches!(
            &find(&l, "my-fork", "1.0.0").source,
            Source::Git { rev: Some(r), .. } if r.len() == 40
        ));
        assert_eq!(
            find(&l, "react", "17.0.2").alias.as_deref(),
            Some("react-old")
        );
        assert_eq!(find(&l, "ui-kit", "0.1.0").source, Source::Workspace);
        assert_eq!(
            find(&l, "local-tool", "0.0.0").source,
            Source::Path {
                path: Some("../tools/local-tool".into())
            }
        );
        assert_eq!(
            find(&l, "old-hash", "0.1.0")
                .strongest_integrity()
                .map(|i| i.algorithm),
            Some(HashAlgorithm::Sha1)
        );
    }
}

#[test]
fn npm_shrinkwrap_is_read_like_a_package_lock() {
    let l = read("npm-shrinkwrap", "npm-shrinkwrap.json");
    assert_eq!(l.packages.len(), 1);
    assert_eq!(
        find(&l, "commander", "12.0.0").license.as_deref(),
        Some("MIT")
    );
}

#[test]
fn faulty_npm_lockfiles_are_refused() {
    assert!(matches!(
        fail("npm-truncated", "package-lock.json").kind(),
        ErrorKind::Json(_)
    ));
    assert!(matches!(
        fail("npm-deeply-nested", "package-lock.json").kind(),
        ErrorKind::Json(_)
    ));
    let strict = Limits {
        max_depth: 16,
        ..Limits::default()
    };
    let deep = fixture("npm-v1-nesting-over-limit", "package-lock.json");
    assert!(lockfile::read(&deep, &Limits::default()).is_ok());
    assert!(matches!(
        lockfile::read(&deep, &strict).map_err(|e| e.kind().to_string()),
        Err(m) if m.contains("16 levels")
    ));
    assert!(matches!(
        fail("npm-v2-conflicting-versions", "package-lock.json").kind(),
        ErrorKind::Conflict { .. }
    ));
    let e = fail("npm-duplicate-key", "package-lock.json");
    assert!(matches!(e.kind(), ErrorKind::Json(_)));
    let chain = format!("{e}: {}", std::error::Error::source(&e).unwrap());
    assert!(
        chain.contains("duplicate key \"node_modules/left-pad\""),
        "{chain}"
    );
    assert!(matches!(
        fail("npm-invalid-integrity", "package-lock.json").kind(),
        ErrorKind::Integrity { .. }
    ));
    assert!(matches!(
        fail("npm-huge-name", "package-lock.json").kind(),
        ErrorKind::FieldTooLong {
            field: "name",
            found: 100_000,
            ..
        }
    ));
    assert!(matches!(
        fail("npm-unknown-version", "package-lock.json").kind(),
        ErrorKind::UnsupportedVersion { .. }
    ));
    let e = fail("npm-wrong-type", "package-lock.json");
    assert!(matches!(e.kind(), ErrorKind::Malformed { .. }));
    assert!(e.to_string().contains("\"dev\""), "{e}");
}

#[test]
fn yarn_classic_reads_entries_aliases_and_sha1_fragments() {
    let l = read("yarn-classic", "yarn.lock");
    assert_eq!((l.format, l.version.as_str()), (Format::YarnClassic, "1"));
    assert_eq!(l.packages.len(), 7);
    assert_eq!(
        find(&l, "legacy-widget", "0.3.0").source,
        Source::Tarball {
            url: "http://cdn.example.com/legacy-widget-0.3.0.tgz".into()
        }
    );
    let frame = find(&l, "@babel/code-frame", "7.24.2");
    assert_eq!(frame.integrity[0].algorithm, HashAlgorithm::Sha512);
    assert!(matches!(
        &frame.source,
        Source::Registry { url: Some(u) } if u == "https://registry.yarnpkg.com/"
    ));
    let pad = find(&l, "left-pad", "1.3.0");
    assert_eq!(pad.integrity[0].algorithm, HashAlgorithm::Sha1);
    assert_eq!(
        find(&l, "utils-real", "1.2.0").alias.as_deref(),
        Some("legacy-utils")
    );
    assert!(matches!(
        &find(&l, "my-fork", "1.0.0").source,
        Source::Git { rev: Some(r), .. } if r == "main"
    ));
}

#[test]
fn yarn_dev_only_packages_come_from_the_project_manifest() {
    // package.json beside the lockfile: @babel/code-frame is a devDependency; it pulls in
    // @babel/highlight and picocolors, which nothing in production needs.
    let classic = read("yarn-classic", "yarn.lock");
    for (name, version, dev) in [
        ("@babel/code-frame", "7.24.2", true),
        ("@babel/highlight", "7.24.2", true),
        ("picocolors", "1.0.0", true),
        ("left-pad", "1.3.0", false),
        ("utils-real", "1.2.0", false),
        ("my-fork", "1.0.0", false),
    ] {
        assert_eq!(find(&classic, name, version).dev, dev, "{name}");
    }
    // Berry: the project entry names the patched TypeScript, which needs the original.
    let berry = read("yarn-berry", "yarn.lock");
    assert!(
        berry
            .packages
            .iter()
            .filter(|p| p.name == "typescript")
            .all(|p| p.dev)
    );
    assert!(!find(&berry, "left-pad", "1.3.0").dev);
    // Without the project manifest (bytes only), nothing is marked.
    let bytes = std::fs::read(fixture("yarn-classic", "yarn.lock")).unwrap();
    let bare = lockfile::parse(Path::new("yarn.lock"), &bytes, &Limits::default()).unwrap();
    assert!(bare.packages.iter().all(|p| !p.dev));
}

#[test]
fn faulty_yarn_classic_lockfiles_are_refused() {
    let e = fail("yarn-classic-duplicate-entry", "yarn.lock");
    assert!(matches!(e.kind(), ErrorKind::Conflict { .. }), "{e}");
    assert!(
        e.to_string().contains("line 4") && e.to_string().contains("line 8"),
        "{e}"
    );
    assert!(matches!(
        fail("yarn-classic-unterminated-string", "yarn.lock").kind(),
        ErrorKind::Syntax { line: 5, .. }
    ));
    assert!(matches!(
        fail("yarn-classic-bad-indent", "yarn.lock").kind(),
        ErrorKind::Syntax { line: 5, .. }
    ));
    assert!(matches!(
        fail("yarn-classic-missing-version", "yarn.lock").kind(),
        ErrorKind::Malformed { .. }
    ));
}

#[test]
fn yarn_berry_reads_resolutions_and_checksums() {
    let l = read("yarn-berry", "yarn.lock");
    assert_eq!((l.format, l.version.as_str()), (Format::YarnBerry, "8"));
    assert_eq!(l.packages.len(), 6);
    assert_eq!(
        find(&l, "desktop-app", "0.0.0-use.local").source,
        Source::Workspace
    );
    let pad = find(&l, "left-pad", "1.3.0");
    assert_eq!(pad.source, Source::Registry { url: None });
    assert_eq!(pad.integrity[0].algorithm, HashAlgorithm::Sha512);
    assert_eq!(
        find(&l, "utils-real", "1.2.0").alias.as_deref(),
        Some("legacy-utils")
    );
    assert!(matches!(
        &find(&l, "my-fork", "1.0.0").source,
        Source::Git { rev: Some(r), .. } if r.len() == 40
    ));
    // TypeScript twice: as published, and as yarn patches it.
    let sources: Vec<&Source> = l
        .packages
        .iter()
        .filter(|p| p.name == "typescript")
        .map(|p| &p.source)
        .collect();
    assert!(matches!(
        sources[..],
        [Source::Registry { url: None }, Source::Patch { .. }]
    ));
}

#[test]
fn faulty_yarn_berry_lockfiles_are_refused() {
    let e = fail("yarn-berry-duplicate-descriptor", "yarn.lock");
    assert!(matches!(e.kind(), ErrorKind::Conflict { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("left-pad@npm:^1.3.0: conflicting entries"),
        "{e}"
    );
    assert!(matches!(
        fail("yarn-berry-alias-bomb", "yarn.lock").kind(),
        ErrorKind::Yaml { .. }
    ));
    assert!(matches!(
        fail("yarn-berry-unsupported-version", "yarn.lock").kind(),
        ErrorKind::UnsupportedVersion { .. }
    ));
    assert!(matches!(
        fail("yarn-berry-bad-checksum", "yarn.lock").kind(),
        ErrorKind::Integrity { .. }
    ));
}

#[test]
fn pnpm_v6_reads_flags_from_packages() {
    let l = read("pnpm-v6", "pnpm-lock.yaml");
    assert_eq!((l.format, l.version.as_str()), (Format::Pnpm, "6.0"));
    assert_eq!(l.packages.len(), 5);
    let esbuild = find(&l, "esbuild", "0.20.2");
    assert!(esbuild.has_install_script && !esbuild.dev);
    assert!(find(&l, "typescript", "5.4.5").dev);
    assert!(find(&l, "@esbuild/linux-x64", "0.20.2").optional);
    assert!(matches!(
        find(&l, "tiny-git", "0.3.0").source,
        Source::Tarball { .. }
    ));
    assert_eq!(
        find(&l, "left-pad", "1.3.0").integrity[0].algorithm,
        HashAlgorithm::Sha1
    );
}

#[test]
fn pnpm_v9_derives_dev_only_packages_from_the_importers() {
    let l = read("pnpm-v9", "pnpm-lock.yaml");
    assert_eq!(l.version, "9.0");
    assert_eq!(l.packages.len(), 7);
    let alias = find(&l, "utils-real", "1.2.0");
    assert_eq!(alias.alias.as_deref(), Some("legacy-utils"));
    assert!(!alias.dev);
    for prod in [
        ("react", "18.3.1"),
        ("react-dom", "18.3.1"),
        ("loose-envify", "1.4.0"),
        ("my-fork", "1.0.0"),
    ] {
        assert!(!find(&l, prod.0, prod.1).dev, "{prod:?}");
    }
    assert!(find(&l, "vitest", "1.6.0").dev);
    let fsevents = find(&l, "fsevents", "2.3.3");
    assert!(fsevents.dev && fsevents.optional);
}

#[test]
fn faulty_pnpm_lockfiles_are_refused() {
    let e = fail("pnpm-snapshot-without-package", "pnpm-lock.yaml");
    assert!(
        e.to_string()
            .contains("left-pad@1.3.0: expected a \"packages\" entry"),
        "{e}"
    );
    assert!(matches!(
        fail("pnpm-duplicate-key", "pnpm-lock.yaml").kind(),
        ErrorKind::Conflict { .. }
    ));
    assert!(matches!(
        fail("pnpm-deeply-nested", "pnpm-lock.yaml").kind(),
        ErrorKind::TooDeep { .. }
    ));
    assert!(matches!(
        fail("pnpm-missing-resolution", "pnpm-lock.yaml").kind(),
        ErrorKind::Malformed { .. }
    ));
    assert!(matches!(
        fail("pnpm-unsupported-version", "pnpm-lock.yaml").kind(),
        ErrorKind::UnsupportedVersion { .. }
    ));
}

#[test]
fn a_missing_file_is_an_io_error_naming_it() {
    let e = fail("no-such-dir", "Cargo.lock");
    assert!(matches!(e.kind(), ErrorKind::Io(_)));
}
