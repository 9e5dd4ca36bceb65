//! `sigil-signer manifest`: latest.json for tauri-plugin-updater and latest.yml for
//! electron-updater, exact output, and the signatures in them verified.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod repo;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use repo::{Workspace, ok, run, sigil};
use sigil_keys::minisign::LegacyMode;

fn keygen_and_sign(ws: &Workspace, files: &[&std::path::Path]) -> std::path::PathBuf {
    let (sk, pk) = (ws.path("release.key"), ws.path("release.pub"));
    ok(sigil()
        .args(["keygen", "--unencrypted", "--secret-key"])
        .arg(&sk)
        .arg("--public-key")
        .arg(&pk));
    ok(sigil().args(["sign", "--secret-key"]).arg(&sk).args(files));
    pk
}

#[test]
fn latest_json_carries_each_platforms_signature_as_tauri_reads_it() {
    let ws = Workspace::new();
    let linux = ws.write("myapp_1.2.0_amd64.AppImage.tar.gz", b"linux build");
    let mac = ws.write("MyApp.app.tar.gz", b"mac build");
    let pk = keygen_and_sign(&ws, &[&linux, &mac]);
    let out = ws.path("latest.json");
    let stdout = ok(sigil()
        .args([
            "manifest",
            "tauri",
            "--version",
            "1.2.0",
            "--notes",
            "Fixes \"sync\"",
        ])
        .args(["--pub-date", "2026-11-25T12:00:00Z", "--out"])
        .arg(&out)
        .arg("--artifact")
        .arg(format!(
            "linux-x86_64={}=https://cdn.example.com/1.2.0/myapp_1.2.0_amd64.AppImage.tar.gz",
            linux.display()
        ))
        .arg("--artifact")
        .arg(format!(
            "darwin-aarch64={}=https://cdn.example.com/1.2.0/MyApp.app.tar.gz?v=1",
            mac.display()
        )));
    assert_eq!(
        stdout,
        format!("wrote {}: version 1.2.0, 2 platform(s)\n", out.display())
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let signature = |file: &std::path::Path| {
        let mut path = file.as_os_str().to_owned();
        path.push(".minisig");
        BASE64.encode(std::fs::read(path).unwrap())
    };
    assert_eq!(
        manifest,
        serde_json::json!({
            "version": "1.2.0",
            "notes": "Fixes \"sync\"",
            "pub_date": "2026-11-25T12:00:00Z",
            "platforms": {
                "darwin-aarch64": {
                    "signature": signature(&mac),
                    "url": "https://cdn.example.com/1.2.0/MyApp.app.tar.gz?v=1"
                },
                "linux-x86_64": {
                    "signature": signature(&linux),
                    "url": "https://cdn.example.com/1.2.0/myapp_1.2.0_amd64.AppImage.tar.gz"
                }
            }
        })
    );
    // As tauri-plugin-updater does: base64-decode the signature and verify the artifact.
    let decoded = BASE64
        .decode(
            manifest["platforms"]["linux-x86_64"]["signature"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
    let sig = ws.write("decoded.minisig", &decoded);
    let public = sigil_signer::verify::read_public_key(&pk).unwrap();
    sigil_signer::verify::verify_file(&public, &linux, &sig, LegacyMode::Refuse).unwrap();
}

#[test]
fn latest_json_refuses_unsigned_artifacts_plain_http_and_unknown_platforms() {
    let ws = Workspace::new();
    let signed = ws.write("signed.tar.gz", b"signed");
    keygen_and_sign(&ws, &[&signed]);
    let unsigned = ws.write("unsigned.tar.gz", b"unsigned");
    let out = ws.path("latest.json");
    for (artifact, message) in [
        (
            format!(
                "linux-x86_64={}=https://cdn.example.com/u.tar.gz",
                unsigned.display()
            ),
            format!("{}.minisig: ", unsigned.display()),
        ),
        (
            format!(
                "linux-x86_64={}=http://cdn.example.com/s.tar.gz",
                signed.display()
            ),
            "\"http://cdn.example.com/s.tar.gz\": expected an https:// URL".to_owned(),
        ),
        (
            format!(
                "macos-aarch64={}=https://cdn.example.com/s.tar.gz",
                signed.display()
            ),
            "platform \"macos-aarch64\": expected OS-ARCH".to_owned(),
        ),
        (
            format!("linux-x86_64={}", signed.display()),
            format!(
                "\"linux-x86_64={}\": expected PLATFORM=FILE=URL",
                signed.display()
            ),
        ),
    ] {
        let (code, stdout, stderr) = run(sigil()
            .args(["manifest", "tauri", "--version", "1.2.0", "--out"])
            .arg(&out)
            .arg("--artifact")
            .arg(&artifact));
        assert_eq!((code, stdout.as_str()), (2, ""), "{artifact}");
        assert!(
            stderr.starts_with(&format!("error: {message}")),
            "{artifact}: {stderr}"
        );
        assert!(!out.exists());
    }
}

#[test]
fn latest_yml_lists_base64_sha512_and_sizes_as_electron_builder_writes_them() {
    let ws = Workspace::new();
    let setup = ws.write("MyApp Setup 2.0.0.exe", b"windows installer");
    let blockmap = ws.write("MyApp Setup 2.0.0.exe.blockmap", b"blockmap");
    let out = ws.path("latest.yml");
    let stdout = ok(sigil()
        .args(["manifest", "electron", "--version", "2.0.0"])
        .args(["--release-date", "2026-11-25T12:00:00Z", "--out"])
        .arg(&out)
        .arg(&setup)
        .arg(format!(
            "{}=https://cdn.example.com/it's/MyApp.exe.blockmap",
            blockmap.display()
        )));
    assert_eq!(
        stdout,
        format!("wrote {}: version 2.0.0, 2 file(s)\n", out.display())
    );
    let sha512 = |bytes: &[u8]| BASE64.encode(ring::digest::digest(&ring::digest::SHA512, bytes));
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        format!(
            "version: '2.0.0'\nfiles:\n  - url: 'MyApp Setup 2.0.0.exe'\n    sha512: '{a}'\n    size: 17\n  - url: 'https://cdn.example.com/it''s/MyApp.exe.blockmap'\n    sha512: '{b}'\n    size: 8\npath: 'MyApp Setup 2.0.0.exe'\nsha512: '{a}'\nreleaseDate: '2026-11-25T12:00:00.000Z'\n",
            a = sha512(b"windows installer"),
            b = sha512(b"blockmap"),
        )
    );

    let (code, _, stderr) = run(sigil()
        .args(["manifest", "electron", "--version", "2.0", "--out"])
        .arg(&out)
        .arg(&setup));
    assert_eq!(code, 2);
    assert!(
        stderr.starts_with("error: version \"2.0\" is not semver"),
        "{stderr}"
    );
    let (code, _, stderr) = run(sigil()
        .args(["manifest", "electron", "--version", "2.0.0", "--out"])
        .arg(&out)
        .arg(format!("{}=../escape.exe", setup.display())));
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "error: \"../escape.exe\": expected an https:// URL or a file name relative to the feed\n"
    );
}
