//! The error a lockfile reader returns: which file, and what was wrong with it.

use std::error::Error;
use std::fmt;
use std::path::{Path, PathBuf};

/// A lockfile that could not be read. Its message names the file; its source chain holds the
/// underlying parser's error, if any.
#[derive(Debug)]
pub struct LockfileError {
    path: PathBuf,
    kind: ErrorKind,
}

impl LockfileError {
    pub(crate) fn new(path: &Path, kind: ErrorKind) -> Self {
        Self {
            path: path.to_path_buf(),
            kind,
        }
    }

    /// The lockfile's path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What was wrong.
    #[must_use]
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }
}

impl fmt::Display for LockfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.kind)
    }
}

impl Error for LockfileError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.kind.source()
    }
}

/// What was wrong with a lockfile.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The file could not be read.
    #[error("cannot read the file")]
    Io(#[source] std::io::Error),
    /// The file is larger than the limit.
    #[error("the file is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The file is not UTF-8 text.
    #[error("the file is not UTF-8 text")]
    NotUtf8(#[source] std::str::Utf8Error),
    /// The file name is not one of the known lockfile names.
    #[error(
        "expected a file named Cargo.lock, package-lock.json, npm-shrinkwrap.json, yarn.lock or \
         pnpm-lock.yaml, found {found:?}"
    )]
    UnknownFormat {
        /// The file name found.
        found: String,
    },
    /// The JSON syntax is invalid, nested deeper than serde_json's limit of 128, or an object
    /// repeats a key.
    #[error("invalid JSON")]
    Json(#[source] serde_json::Error),
    /// The YAML syntax is invalid.
    #[error("invalid YAML at line {line}, column {column}: {message}")]
    Yaml {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the YAML parser expected.
        message: String,
    },
    /// cargo-lock refused the Cargo.lock. The message is bounded: the TOML parser quotes the
    /// offending line, which a hostile file can make arbitrarily long.
    #[error("invalid Cargo.lock: {message}")]
    Cargo {
        /// What the parser said, shortened.
        message: String,
    },
    /// A yarn classic line could not be read.
    #[error("line {line}: expected {expected}, found {found:?}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// What was expected there.
        expected: &'static str,
        /// What was found (shortened).
        found: String,
    },
    /// The declared format version is not one this reader knows.
    #[error("unsupported {format} version: expected {expected}, found {found:?}")]
    UnsupportedVersion {
        /// The format.
        format: &'static str,
        /// The versions supported.
        expected: &'static str,
        /// The version declared.
        found: String,
    },
    /// The file lists no packages at all, which the package manager never writes for a
    /// project (Cargo.lock always lists the project's own crates): it was emptied or truncated,
    /// and passing it would pass an audit of nothing.
    #[error("the {format} lists no packages (an empty or truncated file?): {fix}")]
    Empty {
        /// The format.
        format: &'static str,
        /// What to do about it.
        fix: &'static str,
    },
    /// An entry is not shaped as the format requires.
    #[error("{at}: expected {expected}, found {found}")]
    Malformed {
        /// The entry or key.
        at: String,
        /// What the format requires.
        expected: &'static str,
        /// What was there.
        found: String,
    },
    /// An integrity string or checksum is not valid.
    #[error("{at}: invalid integrity {found:?}: {reason}")]
    Integrity {
        /// The entry.
        at: String,
        /// The value found (shortened).
        found: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// A field is longer than the limit.
    #[error("{at}: {field} is {found} bytes long, over the limit of {limit}")]
    FieldTooLong {
        /// The entry.
        at: String,
        /// The field.
        field: &'static str,
        /// Its length.
        found: usize,
        /// The limit.
        limit: usize,
    },
    /// The document nests deeper than the limit.
    #[error("nesting deeper than the limit of {limit} levels")]
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// More packages than the limit.
    #[error("{found} packages, over the limit of {limit}")]
    TooManyPackages {
        /// How many were found.
        found: usize,
        /// The limit.
        limit: usize,
    },
    /// Two parts of the file disagree.
    #[error("{at}: conflicting entries: {first} and {second}")]
    Conflict {
        /// The entry.
        at: String,
        /// What one part says.
        first: String,
        /// What the other part says.
        second: String,
    },
}
