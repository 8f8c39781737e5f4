//! Bounds on what clients may hold: connections (a share of the file
//! descriptors, keeping some for reloads and the admin API) and the bytes
//! of request bodies held in memory at once, all requests together.

use std::sync::atomic::{AtomicUsize, Ordering};

/// File descriptors kept free of connections: spec files read by a reload,
/// the watcher, stdout and stderr, and a few connections' worth of slack.
const FD_HEADROOM: usize = 64;

/// The most connections served at once by default, however many file
/// descriptors the process may open.
const MAX_DEFAULT_CONNECTIONS: usize = 16_384;

/// The default connection limit: the process's open-file limit less some
/// headroom (1,024 when the limit cannot be read).
pub(crate) fn default_max_connections() -> usize {
    let fds = open_file_limit().unwrap_or(1024);
    fds.saturating_sub(FD_HEADROOM)
        .clamp(16, MAX_DEFAULT_CONNECTIONS)
}

/// The soft limit on open files, from `/proc/self/limits` (Linux; `None`
/// elsewhere or when unlimited).
fn open_file_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The bytes of request bodies held in memory, against a budget.
#[derive(Debug)]
pub(crate) struct BodyBudget {
    limit: usize,
    held: AtomicUsize,
}

/// Bytes taken from the budget, given back when dropped (a borrow: no
/// reference count to touch per request).
#[derive(Debug)]
pub(crate) struct Held<'b> {
    bytes: usize,
    held: &'b AtomicUsize,
}

impl BodyBudget {
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            limit,
            held: AtomicUsize::new(0),
        }
    }

    /// An empty hold, to grow with [`Held::grow`].
    pub(crate) fn hold(&self) -> Held<'_> {
        Held {
            bytes: 0,
            held: &self.held,
        }
    }

    /// Takes `bytes` more for `hold`; false (and nothing taken) when the
    /// budget cannot give them.
    pub(crate) fn grow(&self, hold: &mut Held<'_>, bytes: usize) -> bool {
        let mut current = self.held.load(Ordering::Relaxed);
        loop {
            let Some(next) = current.checked_add(bytes).filter(|&n| n <= self.limit) else {
                return false;
            };
            match self.held.compare_exchange_weak(
                current,
                next,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    hold.bytes += bytes;
                    return true;
                }
                Err(now) => current = now,
            }
        }
    }

    /// Bytes held now.
    #[cfg(test)]
    pub(crate) fn held(&self) -> usize {
        self.held.load(Ordering::Relaxed)
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if self.bytes > 0 {
            self.held.fetch_sub(self.bytes, Ordering::Relaxed);
        }
    }
}

/// `10MiB` → 10485760.
pub(crate) fn parse_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: usize = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a size such as 10MiB"))?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        other => {
            return Err(format!(
                "unknown size unit `{other}`; use KiB, MiB, KB or MB"
            ));
        }
    };
    n.checked_mul(factor)
        .ok_or_else(|| format!("`{text}` is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_refuses_past_its_limit_and_gets_bytes_back_on_drop() {
        let budget = BodyBudget::new(100);
        let mut a = budget.hold();
        assert!(budget.grow(&mut a, 60));
        let mut b = budget.hold();
        assert!(!budget.grow(&mut b, 41), "over the limit");
        assert!(budget.grow(&mut b, 40));
        assert_eq!(budget.held(), 100);
        drop(a);
        assert_eq!(budget.held(), 40);
        assert!(budget.grow(&mut b, 60));
        drop(b);
        assert_eq!(budget.held(), 0);
    }

    #[test]
    fn the_default_connection_limit_leaves_headroom() {
        let n = default_max_connections();
        assert!((16..=MAX_DEFAULT_CONNECTIONS).contains(&n));
        if let Some(fds) = open_file_limit() {
            assert!(n + FD_HEADROOM <= fds.max(16 + FD_HEADROOM));
        }
    }
}
