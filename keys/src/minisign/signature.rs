//! minisign signature files: reading, writing, signing and streaming verification.

use std::fmt;
use std::io::Read;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::keys::COMMENT_MAX_BYTES;
use super::prehash::{Prehash, Prehasher, StreamVerifier};
use super::{KeyNumber, MinisignError, MinisignPublicKey};
use crate::public::{PublicKey, Scheme};
use crate::signer::Signer;

const UNTRUSTED_PREFIX: &str = "untrusted comment: ";
const TRUSTED_PREFIX: &str = "trusted comment: ";
/// minisign's `TRUSTEDCOMMENTMAXBYTES`.
const TRUSTED_COMMENT_MAX_BYTES: usize = 8192;
const SIG_ALG_LEGACY: &[u8; 2] = b"Ed";
const SIG_ALG_PREHASHED: &[u8; 2] = b"ED";
const SIG_LINE_BYTES: usize = 2 + 8 + 64;
/// The largest signature file read: four lines at their longest.
pub const MAX_SIGNATURE_FILE_BYTES: usize = COMMENT_MAX_BYTES + TRUSTED_COMMENT_MAX_BYTES + 256;
const WHAT: &str = "minisign signature";
/// Small enough to stay in the L2 cache between the read and the hash.
const READ_CHUNK: usize = 128 * 1024;

/// Whether a legacy signature (over the file itself, not its BLAKE2b-512 hash) is acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum LegacyMode {
    /// Prehashed signatures only, as `minisign -V -H` requires. The default.
    #[default]
    Refuse,
    /// Also accept legacy signatures; the whole file is then held in memory to verify it.
    Accept,
}

/// A parsed minisign signature file.
#[derive(Clone, PartialEq, Eq)]
pub struct MinisignSignature {
    pub untrusted_comment: String,
    pub prehashed: bool,
    pub key_number: KeyNumber,
    pub signature: [u8; 64],
    pub trusted_comment: String,
    pub global_signature: [u8; 64],
}

impl fmt::Debug for MinisignSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MinisignSignature")
            .field("key_number", &self.key_number)
            .field("prehashed", &self.prehashed)
            .field("trusted_comment", &self.trusted_comment)
            .finish_non_exhaustive()
    }
}

impl MinisignSignature {
    /// Reads a `.minisig` file.
    pub fn decode(text: &str) -> Result<Self, MinisignError> {
        if text.len() > MAX_SIGNATURE_FILE_BYTES {
            return Err(MinisignError::LineTooLong {
                what: WHAT,
                line: 0,
                limit: MAX_SIGNATURE_FILE_BYTES,
            });
        }
        let lines: Vec<&str> = text
            .split('\n')
            .map(|line| line.strip_suffix('\r').unwrap_or(line))
            .collect();
        let line = |index: usize, expected: &'static str| {
            lines
                .get(index)
                .copied()
                .filter(|line| !line.is_empty())
                .ok_or_else(|| MinisignError::Truncated {
                    what: WHAT,
                    expected,
                    found: format!(
                        "{} non-empty line(s)",
                        lines.iter().filter(|l| !l.is_empty()).count()
                    ),
                })
        };
        let untrusted = line(
            0,
            "4 lines: untrusted comment, signature, trusted comment, comment signature",
        )?;
        let untrusted_comment =
            untrusted
                .strip_prefix(UNTRUSTED_PREFIX)
                .ok_or(MinisignError::MissingPrefix {
                    what: WHAT,
                    line: 1,
                    prefix: UNTRUSTED_PREFIX,
                })?;
        if untrusted.len() >= COMMENT_MAX_BYTES {
            return Err(MinisignError::LineTooLong {
                what: WHAT,
                line: 1,
                limit: COMMENT_MAX_BYTES,
            });
        }
        let sig_bytes = decode_base64(line(1, "a signature line (line 2)")?, 2, SIG_LINE_BYTES)?;
        let prehashed = match [sig_bytes[0], sig_bytes[1]] {
            ref alg if alg == SIG_ALG_PREHASHED => true,
            ref alg if alg == SIG_ALG_LEGACY => false,
            other => {
                return Err(MinisignError::Algorithm {
                    what: WHAT,
                    found: String::from_utf8_lossy(&other).into_owned(),
                    expected: "ED (prehashed) or Ed (legacy)",
                });
            }
        };
        let trusted = line(2, "a trusted comment line (line 3)")?;
        let trusted_comment =
            trusted
                .strip_prefix(TRUSTED_PREFIX)
                .ok_or(MinisignError::MissingPrefix {
                    what: WHAT,
                    line: 3,
                    prefix: TRUSTED_PREFIX,
                })?;
        if trusted_comment.len() >= TRUSTED_COMMENT_MAX_BYTES - TRUSTED_PREFIX.len() {
            return Err(MinisignError::LineTooLong {
                what: WHAT,
                line: 3,
                limit: TRUSTED_COMMENT_MAX_BYTES,
            });
        }
        if !is_printable(trusted_comment) {
            return Err(MinisignError::Unprintable {
                what: "trusted comment",
            });
        }
        let global = decode_base64(line(3, "a comment signature line (line 4)")?, 4, 64)?;
        if let Some(extra) = lines
            .get(4..)
            .and_then(|rest| rest.iter().position(|l| !l.trim().is_empty()))
        {
            return Err(MinisignError::Length {
                what: "minisign signature (lines after the fourth)",
                expected: 4,
                found: 5 + extra,
            });
        }
        let mut key_number = [0u8; 8];
        key_number.copy_from_slice(&sig_bytes[2..10]);
        let mut signature = [0u8; 64];
        signature.copy_from_slice(&sig_bytes[10..74]);
        let mut global_signature = [0u8; 64];
        global_signature.copy_from_slice(&global);
        Ok(Self {
            untrusted_comment: untrusted_comment.to_owned(),
            prehashed,
            key_number: KeyNumber(key_number),
            signature,
            trusted_comment: trusted_comment.to_owned(),
            global_signature,
        })
    }

    /// The `.minisig` file, as minisign writes it.
    #[must_use]
    pub fn encode(&self) -> String {
        let mut sig_line = Vec::with_capacity(SIG_LINE_BYTES);
        sig_line.extend_from_slice(if self.prehashed {
            SIG_ALG_PREHASHED
        } else {
            SIG_ALG_LEGACY
        });
        sig_line.extend_from_slice(&self.key_number.0);
        sig_line.extend_from_slice(&self.signature);
        format!(
            "{UNTRUSTED_PREFIX}{}\n{}\n{TRUSTED_PREFIX}{}\n{}\n",
            self.untrusted_comment,
            BASE64.encode(sig_line),
            self.trusted_comment,
            BASE64.encode(self.global_signature)
        )
    }

    /// The bytes the global signature covers: the signature, then the trusted comment.
    fn global_message(&self) -> Vec<u8> {
        let mut message = Vec::with_capacity(64 + self.trusted_comment.len());
        message.extend_from_slice(&self.signature);
        message.extend_from_slice(self.trusted_comment.as_bytes());
        message
    }
}

fn decode_base64(
    line: &str,
    line_number: usize,
    expected: usize,
) -> Result<Vec<u8>, MinisignError> {
    let what = if line_number == 2 {
        "minisign signature line"
    } else {
        "minisign comment signature"
    };
    let bytes = BASE64
        .decode(line.trim())
        .map_err(|_| MinisignError::Base64 {
            what,
            line: line_number,
        })?;
    if bytes.len() != expected {
        return Err(MinisignError::Length {
            what,
            expected,
            found: bytes.len(),
        });
    }
    Ok(bytes)
}

/// minisign accepts comments of printable characters and tabs; nothing that could start a line.
fn is_printable(comment: &str) -> bool {
    !comment.chars().any(|c| c.is_control() && c != '\t')
}

/// What to write into a new signature.
#[derive(Debug, Clone)]
pub struct SignOptions {
    /// Signed, and shown to whoever verifies. `None` gives minisign's default:
    /// `timestamp:<unix time>\tfile:<file name>\thashed`.
    pub trusted_comment: Option<String>,
    /// Not signed. `None` gives minisign's default.
    pub untrusted_comment: Option<String>,
    /// The file name that the default trusted comment records.
    pub file_name: String,
    /// Seconds since the Unix epoch, for the default trusted comment.
    pub timestamp: u64,
}

impl SignOptions {
    /// Runs the checks that [`sign_prehash`] runs before it signs: the signer holds an Ed25519
    /// key, and both comments are printable and fit minisign's lines. A caller that hashes the
    /// data itself calls this first, so a bad comment is refused before gigabytes are read.
    pub fn check(&self, signer: &dyn Signer) -> Result<(), MinisignError> {
        SignatureComments::new(signer, self).map(|_| ())
    }
}

/// Signs everything `reader` yields, prehashed (BLAKE2b-512), as `minisign -S` does.
///
/// `signer` must hold an Ed25519 key; `key_number` is the number its public key file carries.
pub fn sign_reader<R: Read>(
    signer: &dyn Signer,
    key_number: KeyNumber,
    mut reader: R,
    options: &SignOptions,
) -> Result<MinisignSignature, MinisignError> {
    // Refuse a bad key or comment before reading what may be gigabytes.
    let comments = SignatureComments::new(signer, options)?;
    let mut hasher = Prehasher::new();
    let mut buffer = vec![0u8; READ_CHUNK];
    loop {
        let read = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        hasher.update(&buffer[..read]);
    }
    comments.sign(signer, key_number, &hasher.finish())
}

/// Signs data whose prehash the caller computed with a [`Prehasher`](super::Prehasher), as
/// [`sign_reader`] would sign the data itself.
pub fn sign_prehash(
    signer: &dyn Signer,
    key_number: KeyNumber,
    prehash: &Prehash,
    options: &SignOptions,
) -> Result<MinisignSignature, MinisignError> {
    SignatureComments::new(signer, options)?.sign(signer, key_number, prehash)
}

/// The comments of a signature about to be made, checked.
struct SignatureComments {
    trusted: String,
    untrusted: String,
}

impl SignatureComments {
    fn new(signer: &dyn Signer, options: &SignOptions) -> Result<Self, MinisignError> {
        if signer.public_key().scheme() != Scheme::Ed25519 {
            return Err(MinisignError::NotEd25519(signer.public_key().scheme()));
        }
        let trusted = match &options.trusted_comment {
            Some(comment) => comment.clone(),
            None => format!(
                "timestamp:{}\tfile:{}\thashed",
                options.timestamp, options.file_name
            ),
        };
        if !is_printable(&trusted) {
            return Err(MinisignError::Unprintable {
                what: "trusted comment",
            });
        }
        if trusted.len() >= TRUSTED_COMMENT_MAX_BYTES - TRUSTED_PREFIX.len() {
            return Err(MinisignError::LineTooLong {
                what: "trusted comment",
                line: 3,
                limit: TRUSTED_COMMENT_MAX_BYTES,
            });
        }
        let untrusted = options
            .untrusted_comment
            .clone()
            .unwrap_or_else(|| "signature from minisign secret key".to_owned());
        if !is_printable(&untrusted) {
            return Err(MinisignError::Unprintable {
                what: "untrusted comment",
            });
        }
        // minisign reads the first line into a buffer of COMMENT_MAX_BYTES, prefix and newline
        // included: a longer line would make a signature that neither tool can read back.
        if UNTRUSTED_PREFIX.len() + untrusted.len() >= COMMENT_MAX_BYTES {
            return Err(MinisignError::LineTooLong {
                what: "untrusted comment",
                line: 1,
                limit: COMMENT_MAX_BYTES,
            });
        }
        Ok(Self { trusted, untrusted })
    }

    fn sign(
        self,
        signer: &dyn Signer,
        key_number: KeyNumber,
        prehash: &Prehash,
    ) -> Result<MinisignSignature, MinisignError> {
        let signature = to_64(&signer.sign(prehash.digest())?)?;
        let mut result = MinisignSignature {
            untrusted_comment: self.untrusted,
            prehashed: true,
            key_number,
            signature,
            trusted_comment: self.trusted,
            global_signature: [0; 64],
        };
        result.global_signature = to_64(&signer.sign(&result.global_message())?)?;
        Ok(result)
    }
}

fn to_64(bytes: &[u8]) -> Result<[u8; 64], MinisignError> {
    bytes.try_into().map_err(|_| MinisignError::Length {
        what: "Ed25519 signature from the signer",
        expected: 64,
        found: bytes.len(),
    })
}

/// A signature that verified: what the signer vouched for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSignature {
    pub key_number: KeyNumber,
    pub trusted_comment: String,
    pub prehashed: bool,
    /// Bytes read from the verified data.
    pub length: u64,
}

/// Verifies `signature` over everything `reader` yields, under `public_key`.
///
/// The checks run in an order that names what is wrong: the key number, then the signature
/// over the trusted comment, then the data. Prehashed data is streamed (see
/// [`StreamVerifier`]) in constant memory; a legacy signature, accepted only with
/// [`LegacyMode::Accept`], needs the whole data in memory.
pub fn verify_reader<R: Read>(
    public_key: &MinisignPublicKey,
    signature: &MinisignSignature,
    mut reader: R,
    legacy: LegacyMode,
) -> Result<VerifiedSignature, MinisignError> {
    check_header(public_key, signature)?;
    if !signature.prehashed {
        if legacy == LegacyMode::Refuse {
            return Err(MinisignError::LegacyRefused);
        }
        let mut data = Vec::new();
        reader.read_to_end(&mut data)?;
        PublicKey::Ed25519(public_key.key)
            .verify(&data, &signature.signature)
            .map_err(|_| MinisignError::ContentMismatch(public_key.key_number))?;
        return Ok(verified(signature, data.len() as u64));
    }
    let mut stream = StreamVerifier::new(public_key, signature)?;
    let mut buffer = vec![0u8; READ_CHUNK];
    loop {
        let read = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        stream.update(&buffer[..read]);
    }
    stream.finish()
}

/// The checks that do not need the data: the key number, then the signature over the
/// trusted comment.
pub(super) fn check_header(
    public_key: &MinisignPublicKey,
    signature: &MinisignSignature,
) -> Result<(), MinisignError> {
    if signature.key_number != public_key.key_number {
        return Err(MinisignError::WrongKey {
            signature: signature.key_number,
            public_key: public_key.key_number,
        });
    }
    PublicKey::Ed25519(public_key.key)
        .verify(&signature.global_message(), &signature.global_signature)
        .map_err(|_| MinisignError::TrustedCommentTampered(public_key.key_number))
}

/// What a signature that verified over `length` bytes vouches for.
pub(super) fn verified(signature: &MinisignSignature, length: u64) -> VerifiedSignature {
    VerifiedSignature {
        key_number: signature.key_number,
        trusted_comment: signature.trusted_comment.clone(),
        prehashed: signature.prehashed,
        length,
    }
}
