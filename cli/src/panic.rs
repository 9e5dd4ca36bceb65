//! A panic is a bug: it is reported as one line naming what to send, and exits with 2.

use std::panic::PanicHookInfo;

/// When this environment variable is set, every sigil command panics as it starts, after the
/// hook is installed: the tests use it to show that each binary reports a panic as an internal
/// error with exit code 2.
pub const PANIC_TEST_VAR: &str = "SIGIL_TEST_PANIC";

/// Where bugs are reported.
const REPORT_TO: &str = "the sigil maintainers";

pub(crate) fn install(program: &'static str) {
    std::panic::set_hook(Box::new(move |info| {
        crate::note(&message(program, info));
        // Exiting from the hook gives the same code in debug builds (which unwind) and release
        // builds (which abort on panic, and would die of SIGABRT), whichever thread panicked.
        std::process::exit(2);
    }));
}

pub(crate) fn panic_if_asked() {
    if std::env::var_os(PANIC_TEST_VAR).is_some() {
        panic!("{PANIC_TEST_VAR} is set");
    }
}

fn message(program: &str, info: &PanicHookInfo<'_>) -> String {
    let payload = info
        .payload()
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| info.payload().downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)");
    let location = info
        .location()
        .map(|l| format!(" at {}:{}", l.file(), l.line()))
        .unwrap_or_default();
    line(program, payload, &location)
}

fn line(program: &str, payload: &str, location: &str) -> String {
    format!(
        "{program}: internal error (a bug in {program} {version}): {payload}{location}; please \
         report this line and the command that caused it to {REPORT_TO}\n",
        version = env!("CARGO_PKG_VERSION"),
        payload = crate::report::escape(payload).replace('\n', " "),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_internal_error_is_one_line_naming_version_location_and_what_to_report() {
        let text = super::line(
            "sigil-signer",
            "index out of bounds\nsecond line",
            " at signer/src/main.rs:7",
        );
        assert_eq!(
            text,
            format!(
                "sigil-signer: internal error (a bug in sigil-signer {}): index out of bounds \
                 second line at signer/src/main.rs:7; please report this line and the command \
                 that caused it to the sigil maintainers\n",
                env!("CARGO_PKG_VERSION")
            )
        );
        assert_eq!(text.lines().count(), 1);
    }
}
