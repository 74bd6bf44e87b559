//! A cheap hasher for in-memory maps whose keys a client cannot choose.
//!
//! std's default (SipHash with a random key) protects a map from a client
//! that picks keys which all collide. Two maps on the hot path never insert a
//! key a client picked: session ids are 128 random bits drawn by the server
//! (a client can only look one up), and the page cache's keys are a node,
//! a page number and a handset kind, bounded by the menu. For them a
//! multiply-and-rotate mix (the one rustc uses internally) is enough and
//! costs a few nanoseconds instead of some tens.

use std::hash::{BuildHasherDefault, Hasher};

/// The hasher: state mixed by each word written.
#[derive(Default, Clone, Copy)]
pub struct FastHasher(u64);

/// For `HashMap::with_hasher(FastBuild::default())`.
pub type FastBuild = BuildHasherDefault<FastHasher>;

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        for b in chunks.remainder() {
            self.add(u64::from(*b));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn write_isize(&mut self, n: isize) {
        self.add(n as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, Hash};

    fn hash(value: impl Hash) -> u64 {
        FastBuild::default().hash_one(value)
    }

    #[test]
    fn equal_keys_hash_alike_and_near_keys_apart() {
        assert_eq!(hash((3usize, 1usize)), hash((3usize, 1usize)));
        assert_ne!(hash((3usize, 1usize)), hash((1usize, 3usize)));
        assert_ne!(hash([0u8; 16]), hash([1u8; 16]));
        // Nearby small keys spread over the high bits too (the map's control bytes).
        let tops: std::collections::HashSet<u64> = (0..64usize).map(|n| hash(n) >> 57).collect();
        assert!(tops.len() > 16, "{}", tops.len());
    }
}
