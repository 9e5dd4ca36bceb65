//! The log on disk: durability across reopen, torn writes after a crash, concurrent appenders.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{TickingClock, key, signed};
use sigil_custody::store::{ENTRIES_FILE, Log, LogOptions, StoreError, TornTail};

fn append_n(log: &mut Log, n: usize, prefix: &str) {
    let signer = key();
    let clock = TickingClock::default();
    for i in 0..n {
        log.append(&signed(&format!("{prefix}-{i}"), &signer), &signer, &clock)
            .unwrap();
    }
}

fn append_raw(dir: &Path, bytes: &[u8]) {
    let mut file = OpenOptions::new()
        .append(true)
        .open(dir.join(ENTRIES_FILE))
        .unwrap();
    file.write_all(bytes).unwrap();
}

#[test]
fn entries_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::create(dir.path(), LogOptions::new()).unwrap();
    append_n(&mut log, 5, "app");
    let head = log.tree_head();
    drop(log);
    let log = Log::open_read_only(dir.path(), LogOptions::new()).unwrap();
    assert_eq!(log.tree_head(), head);
    assert_eq!(log.torn_tail(), None);
    let entry = log.entry(3).unwrap();
    assert_eq!(entry.custody().appended_after.size, 3);
    assert_eq!(log.entries_bytes().count(), 5);
}

#[test]
fn creating_over_an_existing_log_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    Log::create(dir.path(), LogOptions::new()).unwrap();
    assert!(matches!(
        Log::create(dir.path(), LogOptions::new()),
        Err(StoreError::AlreadyExists { .. })
    ));
    let empty = tempfile::tempdir().unwrap();
    assert!(matches!(
        Log::open(empty.path(), LogOptions::new()),
        Err(StoreError::NotALog { .. })
    ));
}

#[test]
fn crash_mid_append_is_cut_back_without_losing_committed_entries() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::create(dir.path(), LogOptions::new()).unwrap();
    append_n(&mut log, 3, "app");
    let head = log.tree_head();
    let length = fs::metadata(dir.path().join(ENTRIES_FILE)).unwrap().len();
    drop(log);
    // The first half of a fourth record reached the disk, then the power went.
    append_raw(dir.path(), b"{\"payloadType\":\"application/vnd.in-to");

    // A reader reports the torn tail and changes nothing.
    let reader = Log::open_read_only(dir.path(), LogOptions::new()).unwrap();
    assert_eq!(reader.tree_head(), head);
    assert_eq!(
        reader.torn_tail(),
        Some(TornTail {
            offset: length,
            len: 37
        })
    );
    assert_eq!(
        fs::metadata(dir.path().join(ENTRIES_FILE)).unwrap().len(),
        length + 37
    );

    // A writer cuts it, keeps the three committed entries, and appends after them.
    let mut log = Log::open(dir.path(), LogOptions::new()).unwrap();
    assert_eq!(log.tree_head(), head);
    assert!(log.torn_tail().is_some());
    // What was cut is kept aside.
    let saved = log.torn_tail_saved().unwrap();
    assert_eq!(saved, dir.path().join(format!("torn-{length}.bin")));
    assert_eq!(
        fs::read(saved).unwrap(),
        b"{\"payloadType\":\"application/vnd.in-to"
    );
    assert_eq!(
        fs::metadata(dir.path().join(ENTRIES_FILE)).unwrap().len(),
        length
    );
    append_n(&mut log, 1, "after-crash");
    let reopened = Log::open_read_only(dir.path(), LogOptions::new()).unwrap();
    assert_eq!(reopened.size(), 4);
    assert_eq!(reopened.torn_tail(), None);
    assert_eq!(reopened.entry(3).unwrap().custody().appended_after, head);
}

#[test]
fn crash_leaving_zeroed_pages_at_the_tail_is_cut_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::create(dir.path(), LogOptions::new()).unwrap();
    append_n(&mut log, 2, "app");
    drop(log);
    append_raw(dir.path(), &[0u8; 4096]);
    let log = Log::open(dir.path(), LogOptions::new()).unwrap();
    assert_eq!(log.size(), 2);
    assert_eq!(log.torn_tail().map(|t| t.len), Some(4096));
}

#[test]
fn oversized_entry_is_refused_and_leaves_the_log_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::create(dir.path(), LogOptions::new().max_entry_bytes(600)).unwrap();
    let signer = key();
    let clock = TickingClock::default();
    let long_name = "x".repeat(600);
    assert!(matches!(
        log.append(&signed(&long_name, &signer), &signer, &clock),
        Err(StoreError::Entry { index: 0, .. })
    ));
    assert_eq!(log.size(), 0);
    assert_eq!(
        fs::metadata(dir.path().join(ENTRIES_FILE)).unwrap().len(),
        0
    );
}

#[test]
fn read_only_log_refuses_to_append() {
    let dir = tempfile::tempdir().unwrap();
    Log::create(dir.path(), LogOptions::new()).unwrap();
    let mut log = Log::open_read_only(dir.path(), LogOptions::new()).unwrap();
    let signer = key();
    assert!(matches!(
        log.append(&signed("a", &signer), &signer, &TickingClock::default()),
        Err(StoreError::ReadOnly)
    ));
}

/// Every entry must record the tree it was appended after, and those trees must be the log's
/// own prefixes: an appender that raced another would record a stale tree.
fn assert_chain_is_whole(dir: &Path, expected: u64) {
    let log = Log::open_read_only(dir, LogOptions::new()).unwrap();
    assert_eq!(log.size(), expected);
    assert_eq!(log.torn_tail(), None);
    for index in 0..expected {
        let entry = log.entry(index).unwrap();
        let after = entry.custody().appended_after;
        assert_eq!(after.size, index);
        assert_eq!(Some(after.root_hash), log.tree().root_at(index), "{index}");
    }
}

#[test]
fn concurrent_appenders_in_threads_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    Log::create(dir.path(), LogOptions::new()).unwrap();
    std::thread::scope(|scope| {
        for writer in 0..4 {
            let path = dir.path();
            scope.spawn(move || {
                // Each thread opens the log on its own, as a separate process would.
                let mut log = Log::open(path, LogOptions::new()).unwrap();
                append_n(&mut log, 25, &format!("writer{writer}"));
            });
        }
    });
    assert_chain_is_whole(dir.path(), 100);
}

const CHILD_DIR: &str = "SIGIL_CUSTODY_TEST_APPENDER_DIR";

#[test]
fn concurrent_appender_processes_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    Log::create(dir.path(), LogOptions::new()).unwrap();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..2)
        .map(|_| {
            Command::new(&exe)
                .args(["--exact", "appender_process", "--ignored", "--nocapture"])
                .env(CHILD_DIR, dir.path())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stdout)
        );
    }
    assert_chain_is_whole(dir.path(), 200);
}

/// The body of each child process of `concurrent_appender_processes_lose_nothing`.
#[test]
#[ignore = "run as a child process by concurrent_appender_processes_lose_nothing"]
fn appender_process() {
    let dir = std::env::var_os(CHILD_DIR).expect("the log directory");
    let mut log = Log::open(Path::new(&dir), LogOptions::new()).unwrap();
    append_n(&mut log, 100, &format!("pid{}", std::process::id()));
}

#[test]
fn writer_sees_entries_other_writers_appended() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = Log::create(dir.path(), LogOptions::new()).unwrap();
    let mut second = Log::open(dir.path(), LogOptions::new()).unwrap();
    append_n(&mut first, 2, "first");
    append_n(&mut second, 1, "second");
    assert_eq!(second.size(), 3);
    assert_eq!(first.size(), 2);
    first.refresh().unwrap();
    assert_eq!(first.tree_head(), second.tree_head());
}

#[test]
fn batch_appends_chain_like_single_appends_and_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::create(dir.path(), LogOptions::new()).unwrap();
    append_n(&mut log, 3, "single");
    let signer = key();
    let clock = TickingClock::default();
    let drafts: Vec<_> = (0..50)
        .map(|i| signed(&format!("batch-{i}"), &signer))
        .collect();
    let appended = log.append_all(&drafts, &signer, &clock).unwrap();
    assert_eq!(appended.len(), 50);
    assert_eq!(appended[0].index, 3);
    assert_eq!(appended[49].tree_head.size, 53);
    drop(log);
    assert_chain_is_whole(dir.path(), 53);
}

#[test]
fn oversized_entry_in_a_batch_stops_the_batch_and_keeps_earlier_entries() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = Log::create(dir.path(), LogOptions::new().max_entry_bytes(4096)).unwrap();
    append_n(&mut log, 2, "before");
    let signer = key();
    let clock = TickingClock::default();
    let drafts = vec![signed("ok", &signer), signed(&"x".repeat(10_000), &signer)];
    let err = log.append_all(&drafts, &signer, &clock).unwrap_err();
    assert!(matches!(err, StoreError::Entry { index: 3, .. }), "{err}");
    drop(log);
    // The entry before the refused one was written whole; nothing after it.
    assert_chain_is_whole(dir.path(), 3);
}
