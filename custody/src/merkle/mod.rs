//! The Merkle tree of RFC 9162 (Certificate Transparency 2.0), section 2.1, which keeps the hash
//! scheme of RFC 6962: a leaf is SHA-256(0x00 || entry), an interior node SHA-256(0x01 || left ||
//! right), and a tree of n leaves splits at the largest power of two smaller than n.
//!
//! [`Tree`] keeps every complete subtree's hash, level by level, so appending is amortized O(1)
//! and the hash of any subtree the proofs need costs O(log n).

mod proof;

use std::fmt;

use ring::digest;

pub use proof::{ConsistencyProof, InclusionProof, ProofError};

/// A SHA-256 hash: of a leaf, of an interior node, or a tree's root.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The root of the empty tree: SHA-256 of nothing (RFC 9162, section 2.1.1).
    #[must_use]
    pub fn empty_root() -> Self {
        sha256(&[&[]])
    }

    /// The hash from its 32 bytes; `None` if `bytes` is not 32 bytes long.
    #[must_use]
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(Self)
    }

    /// The hash from 64 hex digits.
    pub fn from_hex(text: &str) -> Result<Self, HashParseError> {
        let bytes = hex::decode(text).map_err(|_| HashParseError::NotHex {
            found: text.to_owned(),
        })?;
        Self::from_slice(&bytes).ok_or(HashParseError::Length { found: bytes.len() })
    }

    #[must_use]
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    #[must_use]
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl serde::Serialize for Hash {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> serde::Deserialize<'de> for Hash {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::from_hex(&text).map_err(serde::de::Error::custom)
    }
}

/// Why text is not a hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HashParseError {
    #[error("expected a hex SHA-256 hash, found {found:?}")]
    NotHex { found: String },
    #[error("expected a 32-byte SHA-256 hash, found {found} bytes")]
    Length { found: usize },
}

fn sha256(parts: &[&[u8]]) -> Hash {
    let mut context = digest::Context::new(&digest::SHA256);
    for part in parts {
        context.update(part);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(context.finish().as_ref());
    Hash(out)
}

/// The hash of a leaf: SHA-256(0x00 || entry) (RFC 9162, section 2.1.1).
#[must_use]
pub fn leaf_hash(entry: &[u8]) -> Hash {
    sha256(&[&[0x00], entry])
}

/// The hash of an interior node: SHA-256(0x01 || left || right) (RFC 9162, section 2.1.1).
#[must_use]
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    sha256(&[&[0x01], &left.0, &right.0])
}

/// The largest power of two strictly smaller than `n`; `n` must be at least 2.
pub(crate) fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// A Merkle tree held in memory as the hashes of all its complete subtrees.
///
/// `levels[0]` holds the leaf hashes; `levels[k][i]` is the hash of the complete subtree over
/// leaves `i * 2^k .. (i + 1) * 2^k`. A tree of n leaves stores fewer than 2n hashes.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Tree {
    levels: Vec<Vec<Hash>>,
}

impl fmt::Debug for Tree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tree")
            .field("size", &self.size())
            .field("root", &self.root())
            .finish()
    }
}

impl Tree {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A tree over these leaf hashes, in order.
    #[must_use]
    pub fn from_leaf_hashes(leaves: impl IntoIterator<Item = Hash>) -> Self {
        let mut tree = Self::new();
        for leaf in leaves {
            tree.push_leaf_hash(leaf);
        }
        tree
    }

    /// The number of leaves.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |leaves| leaves.len() as u64)
    }

    /// Appends an entry: its leaf hash is computed here.
    pub fn push_entry(&mut self, entry: &[u8]) -> Hash {
        let hash = leaf_hash(entry);
        self.push_leaf_hash(hash);
        hash
    }

    /// Appends a leaf hash, and the hashes of the subtrees it completes.
    pub fn push_leaf_hash(&mut self, leaf: Hash) {
        let mut level = 0;
        let mut hash = leaf;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            let row = &mut self.levels[level];
            row.push(hash);
            if row.len() % 2 == 1 {
                return;
            }
            let right = row[row.len() - 1];
            let left = row[row.len() - 2];
            hash = node_hash(&left, &right);
            level += 1;
        }
    }

    /// The leaf hash at `index`.
    #[must_use]
    pub fn leaf(&self, index: u64) -> Option<Hash> {
        let index = usize::try_from(index).ok()?;
        self.levels.first()?.get(index).copied()
    }

    /// The root of the whole tree.
    #[must_use]
    pub fn root(&self) -> Hash {
        // The whole range is always within the tree.
        self.subtree(0, self.size())
            .unwrap_or_else(Hash::empty_root)
    }

    /// The root of the tree made of the first `size` leaves; `None` if the tree is smaller.
    #[must_use]
    pub fn root_at(&self, size: u64) -> Option<Hash> {
        if size > self.size() {
            return None;
        }
        if size == 0 {
            return Some(Hash::empty_root());
        }
        self.subtree(0, size)
    }

    /// MTH(D[start:end]) for a range the RFC 9162 recursion visits: `start` is a multiple of the
    /// largest power of two not above `end - start`, or the range ends the tree. `None` if the
    /// range is empty or lies beyond the tree.
    pub(crate) fn subtree(&self, start: u64, end: u64) -> Option<Hash> {
        if start >= end || end > self.size() {
            return None;
        }
        let n = end - start;
        if n.is_power_of_two() && start % n == 0 {
            let level = n.trailing_zeros() as usize;
            let index = usize::try_from(start >> level).ok()?;
            return self.levels.get(level)?.get(index).copied();
        }
        if n == 1 {
            return self.leaf(start);
        }
        let k = split_point(n);
        let left = self.subtree(start, start + k)?;
        let right = self.subtree(start + k, end)?;
        Some(node_hash(&left, &right))
    }

    /// The audit path of leaf `index` in the tree of the first `size` leaves (RFC 9162,
    /// section 2.1.3.1).
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<InclusionProof, ProofError> {
        proof::inclusion(self, index, size)
    }

    /// The proof that the tree of the first `old_size` leaves is a prefix of the tree of the
    /// first `new_size` leaves (RFC 9162, section 2.1.4.1).
    pub fn consistency_proof(
        &self,
        old_size: u64,
        new_size: u64,
    ) -> Result<ConsistencyProof, ProofError> {
        proof::consistency(self, old_size, new_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The leaves of the reference test vectors of RFC 6962 implementations (Certificate
    /// Transparency, transparency-dev/merkle).
    pub(crate) const REFERENCE_LEAVES: [&str; 8] = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ];

    /// The roots of the trees of the first 0..=8 reference leaves, as those implementations
    /// publish them.
    pub(crate) const REFERENCE_ROOTS: [&str; 9] = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    pub(crate) fn reference_tree() -> Tree {
        let mut tree = Tree::new();
        for leaf in REFERENCE_LEAVES {
            tree.push_entry(&hex::decode(leaf).unwrap_or_default());
        }
        tree
    }

    pub(crate) fn h(text: &str) -> Hash {
        Hash::from_hex(text).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A plain recursive MTH, written from the RFC's definition, to check the cached one.
    fn mth(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => Hash::empty_root(),
            1 => leaves[0],
            n => {
                let k = split_point(n as u64) as usize;
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    #[test]
    fn roots_match_the_rfc6962_reference_vectors() {
        let tree = reference_tree();
        for (size, expected) in REFERENCE_ROOTS.iter().enumerate() {
            assert_eq!(tree.root_at(size as u64), Some(h(expected)), "size {size}");
        }
        assert_eq!(tree.root(), h(REFERENCE_ROOTS[8]));
        assert_eq!(tree.root_at(9), None);
    }

    #[test]
    fn small_roots_computed_by_hand() {
        let l: Vec<Hash> = REFERENCE_LEAVES
            .iter()
            .map(|x| leaf_hash(&hex::decode(x).unwrap_or_default()))
            .collect();
        let tree = reference_tree();
        // Three leaves split 2 + 1, not at the midpoint.
        let three = node_hash(&node_hash(&l[0], &l[1]), &l[2]);
        assert_eq!(tree.root_at(3), Some(three));
        // Seven leaves split 4 + (2 + 1).
        let four = node_hash(&node_hash(&l[0], &l[1]), &node_hash(&l[2], &l[3]));
        let seven = node_hash(&four, &node_hash(&node_hash(&l[4], &l[5]), &l[6]));
        assert_eq!(tree.root_at(7), Some(seven));
        assert_eq!(
            l[0],
            sha256(&[&[0x00]]),
            "a leaf hash is SHA-256 over 0x00 and the entry"
        );
    }

    #[test]
    fn cached_subtrees_agree_with_the_plain_recursion_for_every_size() {
        let leaves: Vec<Hash> = (0u32..70).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let tree = Tree::from_leaf_hashes(leaves.iter().copied());
        for size in 0..=leaves.len() {
            assert_eq!(
                tree.root_at(size as u64),
                Some(mth(&leaves[..size])),
                "size {size}"
            );
        }
    }

    #[test]
    fn split_point_is_the_largest_power_of_two_below() {
        assert_eq!(split_point(2), 1);
        assert_eq!(split_point(3), 2);
        assert_eq!(split_point(4), 2);
        assert_eq!(split_point(5), 4);
        assert_eq!(split_point(8), 4);
        assert_eq!(split_point(9), 8);
        assert_eq!(split_point(u64::MAX), 1 << 63);
    }

    #[test]
    fn hashes_parse_strictly() {
        assert!(matches!(
            Hash::from_hex("zz"),
            Err(HashParseError::NotHex { .. })
        ));
        assert_eq!(
            Hash::from_hex("00"),
            Err(HashParseError::Length { found: 1 })
        );
    }
}
