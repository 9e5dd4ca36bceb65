//! Secret material: bytes and passwords that are zeroized on drop and never printed.

use std::fmt;

use zeroize::Zeroizing;

/// Secret bytes (a private key, a derived key). Zeroized on drop; `Debug` shows only the length.
#[derive(Clone, Default)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    /// Takes ownership of `bytes`; the caller's buffer is moved, not copied.
    #[must_use]
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// Copies `bytes` into a new secret buffer.
    #[must_use]
    pub fn from_slice(bytes: &[u8]) -> Self {
        Self::new(bytes.to_vec())
    }

    /// The secret bytes. Callers must not copy them into buffers that are not zeroized.
    #[must_use]
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes([REDACTED; {} bytes])", self.0.len())
    }
}

/// A password or passphrase. Zeroized on drop; never shown by `Debug`.
#[derive(Clone)]
pub struct Password(Zeroizing<String>);

impl Password {
    #[must_use]
    pub fn new(password: String) -> Self {
        Self(Zeroizing::new(password))
    }

    /// Reads a password from the first line of `text`, dropping one trailing `\n` or `\r\n`,
    /// the way password files and environment variables are usually written.
    #[must_use]
    pub fn from_line(mut text: String) -> Self {
        let keep = text
            .strip_suffix("\r\n")
            .or_else(|| text.strip_suffix('\n'))
            .map(str::len)
            .unwrap_or(text.len());
        // Truncating keeps the allocation, which `Zeroizing` wipes on drop.
        text.truncate(keep);
        Self::new(text)
    }

    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secret_bytes() {
        let secret = SecretBytes::from_slice(b"\x01\x02hunter2");
        let shown = format!("{secret:?}");
        assert!(!shown.contains("hunter2"));
        assert!(!shown.contains("1, 2"));
        assert!(shown.contains("REDACTED"));
    }

    #[test]
    fn debug_never_shows_password() {
        let password = Password::new("correct horse".to_owned());
        assert_eq!(format!("{password:?}"), "Password([REDACTED])");
    }

    #[test]
    fn password_line_drops_one_line_ending() {
        assert_eq!(Password::from_line("pw\n".into()).expose(), "pw");
        assert_eq!(Password::from_line("pw\r\n".into()).expose(), "pw");
        assert_eq!(Password::from_line("pw \n\n".into()).expose(), "pw \n");
        assert_eq!(Password::from_line("pw".into()).expose(), "pw");
    }
}
