//! Hostile and damaged input: every reader must end in a result, never a panic, a stack
//! overflow or unbounded work.

use std::path::Path;

use sigil_audit::lockfile::{self, ErrorKind, Limits};

/// The well-formed fixtures and the file name that selects their reader.
const GOOD: &[(&str, &str)] = &[
    ("cargo-v1", "Cargo.lock"),
    ("cargo-v3", "Cargo.lock"),
    ("cargo-v4", "Cargo.lock"),
    ("npm-v1", "package-lock.json"),
    ("npm-v2", "package-lock.json"),
    ("npm-v3", "package-lock.json"),
    ("yarn-classic", "yarn.lock"),
    ("yarn-berry", "yarn.lock"),
    ("pnpm-v6", "pnpm-lock.yaml"),
    ("pnpm-v9", "pnpm-lock.yaml"),
];

fn bytes(dir: &str, file: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir)
        .join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_truncation_of_every_fixture_is_handled() {
    let limits = Limits::default();
    for (dir, file) in GOOD {
        let full = bytes(dir, file);
        assert!(
            lockfile::parse(Path::new(file), &full, &limits).is_ok(),
            "{dir}"
        );
        let mut refused = 0;
        for end in 0..full.len() {
            if lockfile::parse(Path::new(file), &full[..end], &limits).is_err() {
                refused += 1;
            }
        }
        // Cutting a file short must be noticed most of the time (a cut at an entry boundary
        // can leave a valid, shorter lockfile).
        assert!(
            refused > full.len() / 2,
            "{dir}: only {refused} of {} refused",
            full.len()
        );
    }
}

#[test]
fn corrupted_bytes_are_handled() {
    let limits = Limits::default();
    for (dir, file) in GOOD {
        let full = bytes(dir, file);
        for at in (0..full.len()).step_by(5) {
            for b in [b'"', b'\n', b':', b'[', b'#', 0xff] {
                let mut damaged = full.clone();
                damaged[at] = b;
                let _ = lockfile::parse(Path::new(file), &damaged, &limits);
            }
        }
    }
}

#[test]
fn deep_nesting_is_refused_in_every_syntax() {
    let limits = Limits::default();
    let open = "[".repeat(100_000);
    let close = "]".repeat(100_000);
    let cases = [
        ("Cargo.lock", format!("version = 4\nx = {open}{close}\n")),
        (
            "package-lock.json",
            format!("{{\"lockfileVersion\": 3, \"packages\": {open}{close}}}"),
        ),
        (
            "pnpm-lock.yaml",
            format!("lockfileVersion: '9.0'\npackages: {open}{close}\n"),
        ),
        (
            "yarn.lock",
            format!("__metadata:\n  version: 8\nx: {open}{close}\n"),
        ),
    ];
    for (file, text) in &cases {
        let e = lockfile::parse(Path::new(file), text.as_bytes(), &limits).unwrap_err();
        assert!(e.to_string().len() < 2000, "{file}: unbounded message");
    }
    // Block-style YAML nesting, by indentation.
    let mut deep = String::from("lockfileVersion: '9.0'\npackages:\n");
    for depth in 1..200 {
        deep.push_str(&" ".repeat(depth * 2));
        deep.push_str(&format!("k{depth}:\n"));
    }
    let e = lockfile::parse(Path::new("pnpm-lock.yaml"), deep.as_bytes(), &limits).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::TooDeep { limit: 64 }), "{e}");
}

#[test]
fn huge_fields_are_refused_with_their_length() {
    let limits = Limits::default();
    let name = "a".repeat(5_000_000);
    let text = format!("# yarn lockfile v1\n\n{name}@^1.0.0:\n  version \"1.0.0\"\n");
    let e = lockfile::parse(Path::new("yarn.lock"), text.as_bytes(), &limits).unwrap_err();
    assert!(
        matches!(
            e.kind(),
            ErrorKind::FieldTooLong {
                field: "name",
                found: 5_000_000,
                limit: 4096,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().len() < 400);
}

#[test]
fn too_many_packages_are_refused() {
    let limits = Limits {
        max_packages: 3,
        ..Limits::default()
    };
    let text = bytes("npm-v3", "package-lock.json");
    let e = lockfile::parse(Path::new("package-lock.json"), &text, &limits).unwrap_err();
    assert!(
        matches!(
            e.kind(),
            ErrorKind::TooManyPackages {
                found: 12,
                limit: 3
            }
        ),
        "{e}"
    );
}

#[test]
fn control_characters_and_invalid_utf8_are_refused() {
    let limits = Limits::default();
    let text = "# yarn lockfile v1\n\n\"evil\\u001b[2J@^1\":\n  version \"1.0.0\"\n";
    let e = lockfile::parse(Path::new("yarn.lock"), text.as_bytes(), &limits).unwrap_err();
    assert!(e.to_string().contains("control characters"), "{e}");
    let e = lockfile::parse(Path::new("yarn.lock"), b"\xff\xfe", &limits).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::NotUtf8(_)));
}
