//! sigil's main job, end to end, on embedded defaults, in a temporary directory:
//!
//! 1. the release pipeline audits the app's dependencies, makes a release key, signs release
//!    1.1.0, publishes it in a TUF repository, and records each step in a custody log;
//! 2. an installed app (1.0.0) checks the repository over loopback HTTP, downloads, verifies
//!    (TUF hashes, then the release key pinned in the app), installs 1.1.0 and confirms it;
//! 3. a bad release (1.2.0) never confirms its health and is rolled back; a release signed by an
//!    attacker who holds a TUF key but not the release key is refused;
//! 4. a security team verifies both custody logs, traces the release from audit to install, and
//!    catches history rewritten after the fact.
//!
//! Run: `cargo run -p sigil-signer --example release-walkthrough`

#![allow(clippy::print_stdout, clippy::print_stderr, clippy::exit)]

use std::error::Error;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use semver::Version;
use sigil_audit::Auditor;
use sigil_audit::policy::{Date, Policy};
use sigil_custody::{
    CheckpointTrust, DEFAULT_ORIGIN, KeyRing, Log, LogOptions, NoteVerifier, Sha256Digest,
    SystemClock, Verifier, trace_lineage,
};
use sigil_keys::minisign::KdfStrength;
use sigil_keys::{KeySource, LocalSigner, Password, PasswordSource, PrivateKey, Scheme, Signer};
use sigil_signer::custody;
use sigil_signer::keygen::KeygenRequest;
use sigil_signer::repo::init::InitRequest;
use sigil_signer::repo::keyring::KeyRing as RepoKeys;
use sigil_signer::repo::targets::{AddRequest, ReleaseInfo};
use sigil_updater::client::{Client, Receipts, Settings};
use sigil_updater::download::{AnySource, NetworkOptions};
use sigil_updater::install::{HealthPolicy, Installer, LaunchOutcome};
use sigil_updater::release::InstallId;
use sigil_updater::tuf::{DefaultTransport, DirStorage, FixedClock, UnixTime, UpdaterBuilder};

/// The sample app's npm lockfile: what its build would ship.
const SAMPLE_LOCKFILE: &str = r#"{
  "name": "sample-app", "version": "1.1.0", "lockfileVersion": 3, "requires": true,
  "packages": {
    "": { "name": "sample-app", "version": "1.1.0", "dependencies": { "semver": "^7.6.0" } },
    "node_modules/semver": {
      "version": "7.6.3",
      "resolved": "https://registry.npmjs.org/semver/-/semver-7.6.3.tgz",
      "integrity": "sha512-oVekP1TnOUFszqwJjkBHb5e3u4XPH3aM1Ssf4Q1ks0qDXY8t3jgb7aeu3Oy0oG9ofpTKg6q3h8F7CjX1SXQ4rA==",
      "license": "ISC"
    }
  }
}
"#;

fn main() -> Result<(), Box<dyn Error>> {
    // Kept after the run, so that the repository, the app and the logs can be inspected.
    let work_dir = std::env::temp_dir().join("sigil-walkthrough");
    if work_dir.exists() {
        std::fs::remove_dir_all(&work_dir)?;
    }
    std::fs::create_dir_all(&work_dir)?;
    let work = work_dir.as_path();
    println!("working in {}", work.display());
    let pipeline_log = work.join("pipeline-custody");
    let password = Password::new("walkthrough password".into());

    step("1. the release pipeline audits the sample app's dependencies");
    let lockfile = work.join("package-lock.json");
    std::fs::write(&lockfile, SAMPLE_LOCKFILE)?;
    let audit_key = PrivateKey::generate(Scheme::Ed25519)?;
    std::fs::write(work.join("audit.pub"), audit_key.public_key().to_spki_pem())?;
    let today = Date::today_utc().ok_or("the clock is before 1970")?;
    let report = Auditor::new(Policy::builtin(), today).audit(std::slice::from_ref(&lockfile))?;
    let counts = report.counts();
    println!(
        "   {} with the built-in policy: {} error(s), {} warning(s)",
        if report.passed() { "PASSED" } else { "FAILED" },
        counts.error,
        counts.warning
    );
    let mut log = custody::open_log(&pipeline_log)?;
    let entry = sigil_audit::custody::record_audit(
        &mut log,
        &audit_key,
        &report.summary(),
        None,
        &SystemClock,
    )?;
    println!(
        "   custody entry {}: dependency-audit, signed by the audit key",
        entry.index
    );

    step("2. a release key (Ed25519, minisign format, encrypted at rest)");
    // The demo password is fixed so the walk-through runs unattended, and the interactive KDF
    // keeps it quick; `sigil-signer keygen` asks for a password and uses minisign's 1 GiB scrypt.
    let release_secret = KeygenRequest::new(
        &work.join("release.key"),
        &work.join("release.pub"),
        Some(password.clone()),
    )
    .kdf_strength(KdfStrength::Interactive)
    .generate()?;
    let release_key = LocalSigner::load(
        KeySource::File(work.join("release.key")),
        &PasswordSource::Value(password.clone()),
    )?;
    let entry = custody::record_key_generated(&mut log, &release_key, "release", &SystemClock)?;
    println!(
        "   key number {}; custody entry {}: key-generated",
        release_secret.key_number(),
        entry.index
    );

    step("3. a TUF repository, release 1.1.0 signed and published");
    let repo_dir = work.join("repo");
    let keys_dir = work.join("repo-keys");
    let clock = sigil_updater::tuf::SystemClock;
    let mut repository = InitRequest::new(&repo_dir, &keys_dir, Some(password.clone()))
        .create(&clock)?
        .repository;
    let repo_keys = RepoKeys::new(&keys_dir, PasswordSource::Value(password.clone()));
    let site = work.join("site");
    let server = serve(&site)?;
    println!("   serving {} at {}", site.display(), server);
    let publish = |repository: &mut sigil_signer::repo::Repository,
                   version: &str,
                   key: &LocalSigner,
                   log: &mut Log|
     -> Result<Vec<u8>, Box<dyn Error>> {
        let archive = work.join(format!("sample-app-{version}-linux-x86_64.tar.gz"));
        let bytes = sample_release(version)?;
        std::fs::write(&archive, &bytes)?;
        AddRequest::new(
            vec![archive],
            ReleaseInfo::new(version, "stable", "linux", "x86_64"),
        )
        .release_key(key)
        .apply(repository, &repo_keys, &clock)?;
        let published = repository.publish(&site, &clock)?;
        for target in &published.new_targets {
            // The build's provenance: this artifact was built from the audited lockfile.
            let mut sha256 = [0u8; 32];
            hex::decode_to_slice(&target.sha256, &mut sha256)?;
            custody::record_provenance(
                log,
                &release_key,
                &target.name,
                sha256,
                std::slice::from_ref(&lockfile),
                "https://ci.example/sample-app/release",
                &SystemClock,
            )?;
            if let Some(release) = &target.release {
                let entry = custody::record_publication(
                    log,
                    &release_key,
                    &server,
                    target,
                    release,
                    &published.role_versions,
                    &SystemClock,
                )?;
                println!(
                    "   published {} (targets v{}); custody entry {}: repository-publication",
                    target.name, published.role_versions.targets, entry.index
                );
            }
        }
        Ok(bytes)
    };
    let release_110 = publish(&mut repository, "1.1.0", &release_key, &mut log)?;
    let checkpoint = log.sign_checkpoint(DEFAULT_ORIGIN, &release_key)?;
    print!("{}", indent(&checkpoint));

    step("4. the installed app (1.0.0) updates itself over loopback HTTP");
    let app_dir = work.join("app");
    let device_key = PrivateKey::generate(Scheme::Ed25519)?;
    let mut app = open_app(
        &app_dir,
        &server,
        &repo_dir,
        &release_secret.public_key(),
        &device_key,
    )?;
    let source = AnySource::new(&NetworkOptions {
        no_proxy: true,
        ..NetworkOptions::default()
    })?;
    let now = UnixTime::saturating_from_unix_seconds(1_900_000_000);
    let check = app.check()?;
    let release = check.available.ok_or("1.1.0 should be offered")?;
    println!("   check: {} -> {}", check.current, release.version);
    let verified = app.download(&release, &source, None, None)?;
    println!("   downloaded and verified: TUF length and hashes, then the pinned release key");
    app.install(verified, &FixedClock(now))?;
    println!("   installed; app/current -> {}", running(&app)?);
    app.launched(&FixedClock(now.saturating_add_seconds(10)))?;
    app.confirm()?;
    println!("   1.1.0 started and confirmed its health");

    step("5. a bad release is rolled back; a forged one is refused");
    publish(&mut repository, "1.2.0", &release_key, &mut log)?;
    let release = app.check()?.available.ok_or("1.2.0 should be offered")?;
    let verified = app.download(&release, &source, None, None)?;
    app.install(verified, &FixedClock(now.saturating_add_seconds(100)))?;
    println!(
        "   installed {}; it crashes at start and never confirms",
        running(&app)?
    );
    let deadline = i64::try_from(HealthPolicy::default().deadline_secs)?;
    let later = now.saturating_add_seconds(100 + deadline + 1);
    match app.launched(&FixedClock(later))? {
        LaunchOutcome::RolledBack { from, to } => {
            println!(
                "   next launch: rolled back from {from} to {to}; {from} is never offered again"
            );
        }
        other => fail(&format!("1.2.0 was not rolled back: {other:?}")),
    }
    // An attacker who stole the TUF targets key (here: the repository's own keys) but not the
    // release key publishes a release signed by a key of their own.
    let attacker_secret =
        KeygenRequest::new(&work.join("attacker.key"), &work.join("attacker.pub"), None)
            .generate()?;
    let attacker = LocalSigner::from_private_key(
        attacker_secret.into_private_key(),
        None,
        KeySource::File(work.join("attacker.key")),
    );
    publish(&mut repository, "6.6.6", &attacker, &mut log)?;
    let release = app.check()?.available.ok_or("6.6.6 should be offered")?;
    match app.download(&release, &source, None, None) {
        Err(error) => println!("   refused {}: {error}", release.version),
        Ok(_) => fail("a release signed by another key was accepted"),
    }
    println!("   still running {}", running(&app)?);
    log.sign_checkpoint(DEFAULT_ORIGIN, &release_key)?;
    drop(app);

    step("6. a security team verifies the logs and traces release 1.1.0");
    let pipeline_keys = KeyRing::new()
        .with(audit_key.public_key().clone())
        .with(release_key.public_key().clone());
    let trust = CheckpointTrust::new(
        DEFAULT_ORIGIN,
        vec![NoteVerifier::new(
            DEFAULT_ORIGIN,
            release_key.public_key().clone(),
        )?],
    );
    let pipeline = Log::open_read_only(&pipeline_log, LogOptions::new())?;
    let report = Verifier::new(&pipeline_keys, &trust).verify(&pipeline)?;
    println!(
        "   pipeline log: {} entries, {} findings, checkpoint verified",
        report.size,
        report.findings.len()
    );
    if !report.is_ok() || report.checkpoint.is_none() {
        fail("the untouched pipeline log did not verify");
    }
    let device_keys = KeyRing::new().with(device_key.public_key().clone());
    // The app's key also signs a checkpoint of its receipts after each one.
    let device_trust = CheckpointTrust::new(
        DEFAULT_ORIGIN,
        vec![NoteVerifier::new(
            DEFAULT_ORIGIN,
            device_key.public_key().clone(),
        )?],
    );
    let receipts = Log::open_read_only(&app_dir.join("custody"), LogOptions::new())?;
    let report = Verifier::new(&device_keys, &device_trust).verify(&receipts)?;
    println!(
        "   app receipts: {} entries, {} findings, checkpoint verified",
        report.size,
        report.findings.len()
    );
    if !report.is_ok() || report.checkpoint.is_none() {
        fail("the app's receipts did not verify");
    }
    let digest = Sha256Digest::of(&release_110);
    for (name, log, keys) in [
        ("pipeline", &pipeline, &pipeline_keys),
        ("app", &receipts, &device_keys),
    ] {
        for (input, history) in trace_lineage(log, &digest, keys)?.traces {
            for step in history.steps {
                let kind = step
                    .entry
                    .statement
                    .predicate_type
                    .rsplit('/')
                    .nth(1)
                    .unwrap_or_default()
                    .to_owned();
                match &input {
                    None => println!(
                        "   trace 1.1.0: {name} log entry {} {kind}",
                        step.entry.index
                    ),
                    Some(input) => println!(
                        "   trace 1.1.0: built from {input}: {name} log entry {} {kind}",
                        step.entry.index
                    ),
                }
            }
        }
    }

    step("7. history rewritten after the fact is caught");
    // Someone with write access to a copy of the pipeline log renames a published target in one
    // entry, keeping the entry's signature.
    let tampered_log = work.join("pipeline-custody-tampered");
    std::fs::create_dir_all(&tampered_log)?;
    for name in ["entries.jsonl", "checkpoint"] {
        std::fs::copy(pipeline_log.join(name), tampered_log.join(name))?;
    }
    let entries = tampered_log.join("entries.jsonl");
    let text = std::fs::read_to_string(&entries)?;
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut envelope: serde_json::Value = serde_json::from_str(&lines[2])?;
    let payload = BASE64.decode(envelope["payload"].as_str().unwrap_or_default())?;
    let edited = String::from_utf8(payload)?.replace("1.1.0", "1.1.9");
    envelope["payload"] = serde_json::Value::String(BASE64.encode(edited));
    lines[2] = serde_json::to_string(&envelope)?;
    std::fs::write(&entries, lines.join("\n") + "\n")?;
    let tampered = Log::open_read_only(&tampered_log, LogOptions::new())?;
    let report = Verifier::new(&pipeline_keys, &trust).verify(&tampered)?;
    if report.is_ok() {
        fail("an edited log verified");
    }
    for finding in &report.findings {
        println!("   refused: {finding}");
    }

    println!(
        "\ndone: audited, signed, published, updated, rolled back, forgeries refused, and the whole history proven."
    );
    println!("\nto inspect:");
    println!("   TUF repository (working copy)  {}", repo_dir.display());
    println!("   published site                 {}", site.display());
    println!(
        "   the app (current -> version)   {}",
        app_dir.join("install").display()
    );
    println!(
        "   pipeline custody log           {}",
        pipeline_log.display()
    );
    println!(
        "   the app's custody receipts     {}",
        app_dir.join("custody").display()
    );
    println!(
        "   e.g. cargo run -q -p sigil-audit -- log verify --log {} --trusted-key {} --trusted-key {}",
        pipeline_log.display(),
        work.join("audit.pub").display(),
        work.join("release.pub").display()
    );
    Ok(())
}

/// The installed app: its update client, as `sigil-updater` builds it from a configuration.
fn open_app(
    dir: &Path,
    server: &str,
    repo_dir: &Path,
    release_key: &sigil_keys::minisign::MinisignPublicKey,
    device_key: &PrivateKey,
) -> Result<Client, Box<dyn Error>> {
    let tuf_dir = dir.join("tuf");
    std::fs::create_dir_all(&tuf_dir)?;
    // The root the app ships with: version 1 of the repository's root.
    let root = std::fs::read(repo_dir.join("metadata/1.root.json"))?;
    let metadata_url = format!("{server}metadata/");
    let make_updater = move || {
        let limits = sigil_updater::tuf::Limits::default();
        UpdaterBuilder::new(
            &metadata_url,
            DefaultTransport::new(&limits)?,
            DirStorage::new(&tuf_dir),
        )
        .initial_root(root.clone())
        .load()
    };
    let settings = Settings::new(
        vec![format!("{server}targets/")],
        dir.join("downloads"),
        release_key.clone(),
        Version::new(1, 0, 0),
        InstallId::generate().map_err(|_| "no randomness")?,
    )
    .platform("linux")
    .arch("x86_64");
    let installer = Installer::open(&dir.join("install"))?;
    let device: Box<dyn Signer> = Box::new(PrivateKey::from_pkcs8_der(
        device_key.to_pkcs8_der()?.expose(),
    )?);
    let receipts = Receipts::open(&dir.join("custody"), device, Box::new(SystemClock))?;
    Ok(Client::new(make_updater, installer, settings).receipts(receipts))
}

/// The version the app's files say it is.
fn running(app: &Client) -> Result<String, Box<dyn Error>> {
    let dir = app.current_dir().ok_or("nothing installed")?;
    Ok(std::fs::read_to_string(dir.join("app/VERSION"))?
        .trim()
        .to_owned())
}

/// A release archive of the sample app.
fn sample_release(version: &str) -> Result<Vec<u8>, Box<dyn Error>> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut builder = tar::Builder::new(gz);
    for (name, mode, data) in [
        ("app/VERSION", 0o644, format!("{version}\n")),
        (
            "app/bin/sample-app",
            0o755,
            format!("#!/bin/sh\necho sample-app {version}\n"),
        ),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(mode);
        header.set_cksum();
        builder.append_data(&mut header, name, data.as_bytes())?;
    }
    Ok(builder.into_inner()?.finish()?)
}

/// Serves `root` over HTTP/1.1 on a loopback port, with `Range: bytes=N-`, until the process
/// ends. Returns the base URL.
fn serve(root: &Path) -> Result<String, Box<dyn Error>> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}/", listener.local_addr()?);
    let root = root.to_owned();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let _ = answer(&root, stream);
        }
    });
    Ok(url)
}

fn answer(root: &Path, mut stream: std::net::TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    let mut start = 0u64;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        if let Some(range) = line.to_ascii_lowercase().strip_prefix("range: bytes=") {
            start = range.trim().trim_end_matches('-').parse().unwrap_or(0);
        }
    }
    let path = request
        .split(' ')
        .nth(1)
        .unwrap_or("/")
        .trim_start_matches('/')
        .to_owned();
    let not_found = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    if path.split('/').any(|part| part == "..") {
        return stream.write_all(not_found);
    }
    let file: PathBuf = root.join(&path);
    let Ok(mut file) = std::fs::File::open(&file) else {
        return stream.write_all(not_found);
    };
    let length = file.metadata()?.len();
    file.seek(SeekFrom::Start(start.min(length)))?;
    let status = if start > 0 {
        format!(
            "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {start}-{}/{length}\r\n",
            length.saturating_sub(1)
        )
    } else {
        "HTTP/1.1 200 OK\r\n".to_owned()
    };
    stream.write_all(
        format!(
            "{status}Content-Length: {}\r\nConnection: close\r\n\r\n",
            length - start.min(length)
        )
        .as_bytes(),
    )?;
    let mut body = Vec::new();
    file.read_to_end(&mut body)?;
    stream.write_all(&body)
}

fn step(title: &str) {
    println!("\n{title}");
}

fn indent(text: &str) -> String {
    text.lines().map(|line| format!("   | {line}\n")).collect()
}

fn fail(message: &str) -> ! {
    eprintln!("   {message}: this is a bug");
    std::process::exit(1);
}
