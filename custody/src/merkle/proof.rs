//! Inclusion and consistency proofs: generated as RFC 9162 sections 2.1.3.1 and 2.1.4.1 define
//! them, verified with the algorithms of sections 2.1.3.2 and 2.1.4.2, step for step.

use serde::{Deserialize, Serialize};

use super::{Hash, Tree, node_hash, split_point};

/// Why a proof could not be made or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    #[error("leaf index {index} is outside a tree of size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("tree size {requested} is larger than the log, which has {available} entries")]
    SizeBeyondTree { requested: u64, available: u64 },
    #[error(
        "a consistency proof goes from a smaller tree to a larger one: {old_size} > {new_size}"
    )]
    SizesReversed { old_size: u64, new_size: u64 },
    #[error("proof has {found} hashes, but one for these sizes has {expected}")]
    WrongLength { expected: usize, found: usize },
    #[error("the proof leads to root {computed}, but the expected root is {expected}")]
    RootMismatch { expected: Hash, computed: Hash },
    #[error(
        "the proof leads to old root {computed}, but the earlier checkpoint has root {expected}"
    )]
    OldRootMismatch { expected: Hash, computed: Hash },
    #[error("trees of equal size {size} have different roots {old} and {new}")]
    EqualSizeRootsDiffer { size: u64, old: Hash, new: Hash },
}

/// The audit path proving that one leaf is in a tree (RFC 9162, section 2.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionProof {
    pub leaf_index: u64,
    pub tree_size: u64,
    /// Sibling hashes from the leaf up to the root.
    pub path: Vec<Hash>,
}

/// The proof that one tree is a prefix of another (RFC 9162, section 2.1.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsistencyProof {
    pub old_size: u64,
    pub new_size: u64,
    pub path: Vec<Hash>,
}

fn check_size(tree: &Tree, size: u64) -> Result<(), ProofError> {
    if size > tree.size() {
        return Err(ProofError::SizeBeyondTree {
            requested: size,
            available: tree.size(),
        });
    }
    Ok(())
}

/// The hash of a subtree inside a range already checked against the tree's size.
fn range_hash(tree: &Tree, start: u64, end: u64) -> Hash {
    // Ranges visited by the RFC recursion lie inside the checked size and are never empty, so
    // the lookup always succeeds; the empty root stands in if that reasoning were ever wrong,
    // which would then make the proof fail to verify rather than panic.
    tree.subtree(start, end).unwrap_or_else(Hash::empty_root)
}

pub(super) fn inclusion(tree: &Tree, index: u64, size: u64) -> Result<InclusionProof, ProofError> {
    check_size(tree, size)?;
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let mut path = Vec::new();
    // PATH(m, D[start:end]), unrolled from the root down; hashes are collected top-down and
    // reversed at the end into the RFC's leaf-to-root order.
    let (mut start, mut end, m) = (0u64, size, index);
    while end - start > 1 {
        let k = split_point(end - start);
        if m < start + k {
            path.push(range_hash(tree, start + k, end));
            end = start + k;
        } else {
            path.push(range_hash(tree, start, start + k));
            start += k;
        }
    }
    path.reverse();
    Ok(InclusionProof {
        leaf_index: index,
        tree_size: size,
        path,
    })
}

pub(super) fn consistency(
    tree: &Tree,
    old_size: u64,
    new_size: u64,
) -> Result<ConsistencyProof, ProofError> {
    check_size(tree, new_size)?;
    if old_size > new_size {
        return Err(ProofError::SizesReversed { old_size, new_size });
    }
    let mut path = Vec::new();
    if old_size > 0 && old_size < new_size {
        // SUBPROOF(m, D[start:end], b), unrolled like PATH above.
        let (mut start, mut end, mut m, mut complete) = (0u64, new_size, old_size, true);
        loop {
            let n = end - start;
            if m == n {
                if !complete {
                    path.push(range_hash(tree, start, end));
                }
                break;
            }
            let k = split_point(n);
            if m <= k {
                path.push(range_hash(tree, start + k, end));
                end = start + k;
            } else {
                path.push(range_hash(tree, start, start + k));
                start += k;
                m -= k;
                complete = false;
            }
        }
        path.reverse();
    }
    Ok(ConsistencyProof {
        old_size,
        new_size,
        path,
    })
}

impl InclusionProof {
    /// Checks that `leaf` (a leaf hash) is at this proof's index in the tree with `root`
    /// (RFC 9162, section 2.1.3.2).
    pub fn verify(&self, leaf: &Hash, root: &Hash) -> Result<(), ProofError> {
        let computed = self.root_from_leaf(leaf)?;
        if computed != *root {
            return Err(ProofError::RootMismatch {
                expected: *root,
                computed,
            });
        }
        Ok(())
    }

    /// The root this proof leads to from `leaf`.
    pub fn root_from_leaf(&self, leaf: &Hash) -> Result<Hash, ProofError> {
        // Step 1.
        if self.leaf_index >= self.tree_size {
            return Err(ProofError::IndexOutOfRange {
                index: self.leaf_index,
                size: self.tree_size,
            });
        }
        let expected = expected_inclusion_length(self.leaf_index, self.tree_size);
        let wrong_length = ProofError::WrongLength {
            expected,
            found: self.path.len(),
        };
        // Steps 2 and 3.
        let mut fn_ = self.leaf_index;
        let mut sn = self.tree_size - 1;
        let mut r = *leaf;
        // Step 4.
        for p in &self.path {
            if sn == 0 {
                return Err(wrong_length);
            }
            if fn_ & 1 == 1 || fn_ == sn {
                r = node_hash(p, &r);
                if fn_ & 1 == 0 {
                    while fn_ & 1 == 0 && fn_ != 0 {
                        fn_ >>= 1;
                        sn >>= 1;
                    }
                }
            } else {
                r = node_hash(&r, p);
            }
            fn_ >>= 1;
            sn >>= 1;
        }
        // Step 5.
        if sn != 0 {
            return Err(wrong_length);
        }
        Ok(r)
    }
}

impl ConsistencyProof {
    /// Checks that the tree of `old_size` with `old_root` is a prefix of the tree of `new_size`
    /// with `new_root` (RFC 9162, section 2.1.4.2).
    pub fn verify(&self, old_root: &Hash, new_root: &Hash) -> Result<(), ProofError> {
        let (old_size, new_size) = (self.old_size, self.new_size);
        if old_size > new_size {
            return Err(ProofError::SizesReversed { old_size, new_size });
        }
        if old_size == new_size {
            // Nothing to prove but that the two trees are one.
            if !self.path.is_empty() {
                return Err(ProofError::WrongLength {
                    expected: 0,
                    found: self.path.len(),
                });
            }
            if old_root != new_root {
                return Err(ProofError::EqualSizeRootsDiffer {
                    size: old_size,
                    old: *old_root,
                    new: *new_root,
                });
            }
            return Ok(());
        }
        if old_size == 0 {
            // The empty tree is a prefix of every tree.
            if !self.path.is_empty() {
                return Err(ProofError::WrongLength {
                    expected: 0,
                    found: self.path.len(),
                });
            }
            return Ok(());
        }
        let wrong_length = ProofError::WrongLength {
            expected: expected_consistency_length(old_size, new_size),
            found: self.path.len(),
        };
        // Step 1.
        if self.path.is_empty() {
            return Err(wrong_length);
        }
        // Step 2: a complete old tree is itself the first node of the path.
        let mut path: Vec<Hash> = Vec::with_capacity(self.path.len() + 1);
        if old_size.is_power_of_two() {
            path.push(*old_root);
        }
        path.extend_from_slice(&self.path);
        // Steps 3 and 4.
        let mut fn_ = old_size - 1;
        let mut sn = new_size - 1;
        while fn_ & 1 == 1 {
            fn_ >>= 1;
            sn >>= 1;
        }
        // Step 5. `path` is not empty: `self.path` was checked to be non-empty above.
        let mut fr = path[0];
        let mut sr = path[0];
        // Step 6.
        for c in &path[1..] {
            if sn == 0 {
                return Err(wrong_length);
            }
            if fn_ & 1 == 1 || fn_ == sn {
                fr = node_hash(c, &fr);
                sr = node_hash(c, &sr);
                if fn_ & 1 == 0 {
                    while fn_ & 1 == 0 && fn_ != 0 {
                        fn_ >>= 1;
                        sn >>= 1;
                    }
                }
            } else {
                sr = node_hash(&sr, c);
            }
            fn_ >>= 1;
            sn >>= 1;
        }
        // Step 7.
        if sn != 0 {
            return Err(wrong_length);
        }
        if fr != *old_root {
            return Err(ProofError::OldRootMismatch {
                expected: *old_root,
                computed: fr,
            });
        }
        if sr != *new_root {
            return Err(ProofError::RootMismatch {
                expected: *new_root,
                computed: sr,
            });
        }
        Ok(())
    }
}

/// The number of hashes in the audit path of `index` in a tree of `size` (for error messages).
fn expected_inclusion_length(index: u64, size: u64) -> usize {
    let (mut start, mut end, mut length) = (0u64, size, 0usize);
    while end - start > 1 {
        let k = split_point(end - start);
        if index < start + k {
            end = start + k;
        } else {
            start += k;
        }
        length += 1;
    }
    length
}

/// The number of hashes in a consistency proof between these sizes (for error messages).
fn expected_consistency_length(old_size: u64, new_size: u64) -> usize {
    if old_size == 0 || old_size >= new_size {
        return 0;
    }
    let (mut start, mut end, mut m, mut complete, mut length) =
        (0u64, new_size, old_size, true, 0usize);
    loop {
        let n = end - start;
        if m == n {
            return length + usize::from(!complete);
        }
        let k = split_point(n);
        if m <= k {
            end = start + k;
        } else {
            start += k;
            m -= k;
            complete = false;
        }
        length += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{REFERENCE_ROOTS, h, reference_tree};
    use super::super::{Tree, leaf_hash};
    use super::*;

    #[test]
    fn inclusion_proofs_match_the_reference_vectors() {
        let tree = reference_tree();
        let proof = tree.inclusion_proof(0, 8).unwrap();
        assert_eq!(
            proof.path,
            [
                h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
            ]
        );
        let proof = tree.inclusion_proof(5, 8).unwrap();
        assert_eq!(
            proof.path,
            [
                h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
                h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            ]
        );
        let root = h(REFERENCE_ROOTS[8]);
        let leaf = tree.leaf(5).unwrap();
        proof.verify(&leaf, &root).unwrap();
    }

    #[test]
    fn consistency_proofs_match_the_reference_vectors() {
        let tree = reference_tree();
        let proof = tree.consistency_proof(2, 8).unwrap();
        assert_eq!(
            proof.path,
            [
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
            ]
        );
        proof
            .verify(&h(REFERENCE_ROOTS[2]), &h(REFERENCE_ROOTS[8]))
            .unwrap();
        let proof = tree.consistency_proof(6, 8).unwrap();
        assert_eq!(
            proof.path,
            [
                h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
                h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            ]
        );
        proof
            .verify(&h(REFERENCE_ROOTS[6]), &h(REFERENCE_ROOTS[8]))
            .unwrap();
    }

    fn big_tree(n: u32) -> Tree {
        Tree::from_leaf_hashes((0..n).map(|i| leaf_hash(format!("entry {i}").as_bytes())))
    }

    #[test]
    fn every_inclusion_proof_verifies_and_has_logarithmic_size() {
        let tree = big_tree(65);
        for size in 1..=65u64 {
            let root = tree.root_at(size).unwrap();
            for index in 0..size {
                let proof = tree.inclusion_proof(index, size).unwrap();
                assert!(proof.path.len() <= 64 - (size - 1).leading_zeros() as usize);
                assert_eq!(
                    proof.path.len(),
                    expected_inclusion_length(index, size),
                    "{index}/{size}"
                );
                proof.verify(&tree.leaf(index).unwrap(), &root).unwrap();
            }
        }
    }

    #[test]
    fn every_consistency_proof_verifies() {
        let tree = big_tree(65);
        for new_size in 0..=65u64 {
            for old_size in 0..=new_size {
                let proof = tree.consistency_proof(old_size, new_size).unwrap();
                assert_eq!(
                    proof.path.len(),
                    expected_consistency_length(old_size, new_size)
                );
                proof
                    .verify(
                        &tree.root_at(old_size).unwrap(),
                        &tree.root_at(new_size).unwrap(),
                    )
                    .unwrap_or_else(|e| panic!("{old_size} -> {new_size}: {e}"));
            }
        }
    }

    #[test]
    fn forged_inclusion_proofs_fail() {
        let tree = big_tree(37);
        let root = tree.root();
        for index in 0..37 {
            let proof = tree.inclusion_proof(index, 37).unwrap();
            let leaf = tree.leaf(index).unwrap();
            // Another leaf's hash at this index.
            let other = tree.leaf((index + 1) % 37).unwrap();
            assert!(proof.verify(&other, &root).is_err());
            // One flipped bit in a path hash.
            let mut flipped = proof.clone();
            flipped.path[0].0[0] ^= 1;
            assert!(matches!(
                flipped.verify(&leaf, &root),
                Err(ProofError::RootMismatch { .. })
            ));
            // A hash dropped, or one added.
            let mut short = proof.clone();
            short.path.pop();
            assert!(short.verify(&leaf, &root).is_err());
            let mut long = proof.clone();
            long.path.push(root);
            assert!(matches!(
                long.verify(&leaf, &root),
                Err(ProofError::WrongLength { .. })
            ));
            // The same path claimed for a different index.
            let mut moved = proof.clone();
            moved.leaf_index = (index + 1) % 37;
            assert!(moved.verify(&leaf, &root).is_err());
        }
        let mut past_end = tree.inclusion_proof(3, 37).unwrap();
        past_end.leaf_index = 37;
        assert_eq!(
            past_end.verify(&tree.leaf(3).unwrap(), &root),
            Err(ProofError::IndexOutOfRange {
                index: 37,
                size: 37
            })
        );
    }

    #[test]
    fn forked_trees_fail_consistency() {
        let honest = big_tree(20);
        // A fork: the same first 9 entries, then a different tenth.
        let mut fork = Tree::from_leaf_hashes((0..9).map(|i| honest.leaf(i).unwrap()));
        fork.push_entry(b"rewritten history");
        for i in 10..20 {
            fork.push_leaf_hash(honest.leaf(i).unwrap());
        }
        for old_size in 10..20 {
            let proof = fork.consistency_proof(old_size, 20).unwrap();
            assert!(
                proof
                    .verify(&honest.root_at(old_size).unwrap(), &fork.root())
                    .is_err(),
                "{old_size}"
            );
        }
        // Equal sizes, different roots.
        let proof = honest.consistency_proof(20, 20).unwrap();
        assert!(matches!(
            proof.verify(&honest.root(), &fork.root()),
            Err(ProofError::EqualSizeRootsDiffer { size: 20, .. })
        ));
    }

    #[test]
    fn mangled_consistency_proofs_fail() {
        let tree = big_tree(40);
        for new_size in 2..=40u64 {
            for old_size in 1..new_size {
                let old_root = tree.root_at(old_size).unwrap();
                let new_root = tree.root_at(new_size).unwrap();
                let proof = tree.consistency_proof(old_size, new_size).unwrap();
                let mut flipped = proof.clone();
                flipped.path[0].0[31] ^= 0x80;
                assert!(flipped.verify(&old_root, &new_root).is_err());
                let mut short = proof.clone();
                short.path.pop();
                assert!(short.verify(&old_root, &new_root).is_err());
                let mut long = proof.clone();
                long.path.push(new_root);
                assert!(long.verify(&old_root, &new_root).is_err());
            }
        }
    }

    #[test]
    fn proofs_beyond_the_tree_are_refused() {
        let tree = big_tree(5);
        assert_eq!(
            tree.inclusion_proof(0, 6),
            Err(ProofError::SizeBeyondTree {
                requested: 6,
                available: 5
            })
        );
        assert_eq!(
            tree.inclusion_proof(5, 5),
            Err(ProofError::IndexOutOfRange { index: 5, size: 5 })
        );
        assert_eq!(
            tree.consistency_proof(4, 3),
            Err(ProofError::SizesReversed {
                old_size: 4,
                new_size: 3
            })
        );
    }
}
