//! Writing to stdout and stderr without panicking, and a stdout its reader has closed.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use sigil_keys::{Classify, ErrorKind};

/// Set once a write to stdout found the pipe closed: later output is dropped.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writing to standard output failed for a reason other than its reader closing it (a full
/// disk behind a redirect, for example).
#[derive(Debug)]
pub struct StdoutError(std::io::Error);

impl std::fmt::Display for StdoutError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "writing to standard output: {}", self.0)
    }
}

impl std::error::Error for StdoutError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

impl Classify for StdoutError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Operational
    }
}

/// Writes `text` to stdout and flushes it. When the reader has closed the pipe (`... | head`),
/// this and all later output is dropped without error: the command goes on with its work and
/// exits as it would have. Any other write failure is an error, so that output lost to a full
/// disk is not reported as success.
pub fn say(text: &str) -> Result<(), StdoutError> {
    write_to(&mut std::io::stdout().lock(), text)
}

fn write_to(out: &mut impl Write, text: &str) -> Result<(), StdoutError> {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return Ok(());
    }
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        Err(error) => Err(StdoutError(error)),
    }
}

/// Writes `text` to stderr (warnings, progress, errors). A stderr that cannot be written to is
/// ignored: there is nowhere left to report it.
pub fn note(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Failing(std::io::ErrorKind);

    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(self.0.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_full_disk_behind_stdout_is_an_error_but_a_closed_pipe_is_not() {
        let full = write_to(&mut Failing(std::io::ErrorKind::StorageFull), "report\n");
        let error = full.unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("writing to standard output: ")
        );
        assert!(!STDOUT_CLOSED.load(Ordering::Relaxed));
        assert!(write_to(&mut Failing(std::io::ErrorKind::BrokenPipe), "report\n").is_ok());
        // Once closed, output is dropped: even a writer that would fail is not touched.
        assert!(write_to(&mut Failing(std::io::ErrorKind::StorageFull), "more\n").is_ok());
    }
}
