//! The server's random choices (chaos, delay distributions, the
//! sandbox's new ids): splitmix64 over one atomic counter, so a fixed
//! seed (`--seed`) and the same requests in the same order give the same
//! choices.

use std::sync::atomic::{AtomicU64, Ordering};

/// splitmix64's increment.
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// A seeded sequence, shared by reference (`&self` everywhere).
#[derive(Debug)]
pub(crate) struct Rng(AtomicU64);

impl Rng {
    /// Starts at `seed`, or at the clock when there is none.
    pub(crate) fn new(seed: Option<u64>) -> Self {
        Rng(AtomicU64::new(seed_or_clock(seed)))
    }

    /// Starts over at `seed` (or the clock).
    pub(crate) fn reseed(&self, seed: Option<u64>) {
        self.0.store(seed_or_clock(seed), Ordering::Relaxed);
    }

    pub(crate) fn next(&self) -> u64 {
        let mut z = self
            .0
            .fetch_add(GOLDEN, Ordering::Relaxed)
            .wrapping_add(GOLDEN);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub(crate) fn unit(&self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Below `n` (0 for `n` = 0).
    pub(crate) fn below(&self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn seed_or_clock(seed: Option<u64>) -> u64 {
    seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_repeats_its_sequence() {
        let (a, b) = (Rng::new(Some(7)), Rng::new(Some(7)));
        let first: Vec<u64> = (0..5).map(|_| a.next()).collect();
        let second: Vec<u64> = (0..5).map(|_| b.next()).collect();
        assert_eq!(first, second);
        a.reseed(Some(7));
        assert_eq!(a.next(), first[0]);
        assert!((0..1000).all(|_| a.below(10) < 10 && (0.0..1.0).contains(&a.unit())));
    }
}
