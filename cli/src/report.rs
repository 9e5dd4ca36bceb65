//! An error and its chain of causes, as printed.

use std::error::Error;

/// `label: <message>`, then `  caused by: <source>` for each source whose text the message does
/// not already contain (many errors quote their source in their own message), ending in a
/// newline. Control characters other than newline and tab are escaped: an error can quote a file
/// name, URL or archive member chosen by an attacker, and must not be able to drive the terminal.
#[must_use]
pub fn render(label: &str, error: &(dyn Error + 'static)) -> String {
    let mut message = format!("{label}: {error}");
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str("\n  caused by: ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    let mut out = escape(&message);
    out.push('\n');
    out
}

pub(crate) fn escape(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::fmt;

    use super::*;

    #[derive(Debug)]
    struct Chain(&'static str, Option<Box<Chain>>);

    impl fmt::Display for Chain {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }

    impl Error for Chain {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            self.1.as_deref().map(|c| c as &(dyn Error + 'static))
        }
    }

    #[test]
    fn each_cause_is_printed_once() {
        let error = Chain(
            "release app.tgz: download failed: connection reset",
            Some(Box::new(Chain(
                "connection reset",
                Some(Box::new(Chain("os error 104", None))),
            ))),
        );
        assert_eq!(
            render("error", &error),
            "error: release app.tgz: download failed: connection reset\n  caused by: os error 104\n"
        );
    }

    #[test]
    fn terminal_escape_in_a_hostile_member_name_is_neutralised() {
        let error = Chain("member \u{1b}]0;pwned\u{7}\u{1b}[2J: forbidden", None);
        let text = render("error", &error);
        assert!(!text.contains('\u{1b}') && !text.contains('\u{7}'));
        assert_eq!(
            text,
            "error: member \\u{1b}]0;pwned\\u{7}\\u{1b}[2J: forbidden\n"
        );
    }
}
