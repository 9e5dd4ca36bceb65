//! minisign's password KDF: libsodium's `crypto_pwhash_scryptsalsa208sha256`, which is scrypt
//! with (N, r, p) derived from an "opslimit" and a "memlimit".

use zeroize::Zeroizing;

use super::MinisignError;
use crate::private::MAX_SCRYPT_MEMORY;

/// libsodium's `OPSLIMIT_SENSITIVE`, what minisign writes.
pub(crate) const OPSLIMIT_SENSITIVE: u64 = 33_554_432;
/// libsodium's `MEMLIMIT_SENSITIVE` (1 GiB), what minisign writes.
pub(crate) const MEMLIMIT_SENSITIVE: u64 = 1_073_741_824;
/// libsodium's `OPSLIMIT_INTERACTIVE`.
pub(crate) const OPSLIMIT_INTERACTIVE: u64 = 524_288;
/// libsodium's `MEMLIMIT_INTERACTIVE` (16 MiB).
pub(crate) const MEMLIMIT_INTERACTIVE: u64 = 16_777_216;

/// scrypt's (log2 N, r, p) for libsodium's limits: the `pickparams` rule of libsodium.
fn pick_params(opslimit: u64, memlimit: u64) -> (u8, u32, u32) {
    let opslimit = opslimit.max(32_768);
    let r: u32 = 8;
    let mut n_log2: u8 = 1;
    if opslimit < memlimit / 32 {
        let max_n = opslimit / (u64::from(r) * 4);
        while n_log2 < 63 && (1u64 << n_log2) <= max_n / 2 {
            n_log2 += 1;
        }
        (n_log2, r, 1)
    } else {
        let max_n = memlimit / (u64::from(r) * 128);
        while n_log2 < 63 && (1u64 << n_log2) <= max_n / 2 {
            n_log2 += 1;
        }
        let max_rp = ((opslimit / 4) / (1u64 << n_log2)).min(0x3fff_ffff);
        // `max_rp` is at most 0x3fffffff, so it fits in u32.
        let p = u32::try_from(max_rp).unwrap_or(u32::MAX) / r;
        (n_log2, r, p.max(1))
    }
}

/// Derives `out.len()` bytes from `password` as minisign does.
pub(crate) fn derive(
    password: &[u8],
    salt: &[u8; 32],
    opslimit: u64,
    memlimit: u64,
    out: &mut [u8],
) -> Result<(), MinisignError> {
    let (n_log2, r, p) = pick_params(opslimit, memlimit);
    let memory = 128u64
        .saturating_mul(u64::from(r))
        .saturating_mul(1u64.checked_shl(u32::from(n_log2)).unwrap_or(u64::MAX))
        .saturating_mul(u64::from(p));
    if n_log2 >= 40 || memory > MAX_SCRYPT_MEMORY {
        return Err(MinisignError::KdfTooCostly {
            requested: memory,
            limit: MAX_SCRYPT_MEMORY,
        });
    }
    let params =
        // The last argument is only the length of PHC password hashes; `scrypt::scrypt` derives
        // as many bytes as `out` holds.
        scrypt::Params::new(n_log2, r, p, 64).map_err(|_| MinisignError::KdfTooCostly {
            requested: memory,
            limit: MAX_SCRYPT_MEMORY,
        })?;
    let mut stream = Zeroizing::new(vec![0u8; out.len()]);
    scrypt::scrypt(password, salt, &params, &mut stream).map_err(|_| MinisignError::Length {
        what: "scrypt output",
        expected: out.len(),
        found: 0,
    })?;
    out.copy_from_slice(&stream);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_limits_are_minisigns_scrypt_parameters() {
        // minisign 0.11 encrypts with N = 2^20, r = 8, p = 1 (1 GiB).
        assert_eq!(
            pick_params(OPSLIMIT_SENSITIVE, MEMLIMIT_SENSITIVE),
            (20, 8, 1)
        );
    }

    #[test]
    fn interactive_limits() {
        assert_eq!(
            pick_params(OPSLIMIT_INTERACTIVE, MEMLIMIT_INTERACTIVE),
            (14, 8, 1)
        );
    }

    #[test]
    fn hostile_limits_are_refused_before_allocating() {
        let mut out = [0u8; 104];
        let err = derive(b"pw", &[0; 32], u64::MAX, u64::MAX, &mut out).unwrap_err();
        assert!(matches!(err, MinisignError::KdfTooCostly { .. }), "{err}");
    }
}
