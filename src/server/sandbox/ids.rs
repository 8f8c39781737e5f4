//! New ids in the style of the documented ones.

use serde_json::Value;

use crate::contract::collections::IdStyle;
use crate::server::random::Rng;

/// A new id of `style`, not among `taken`: integers follow the largest
/// integer id in use.
pub(super) fn new_id(
    style: &IdStyle,
    rng: &Rng,
    largest: Option<u64>,
    taken: impl Fn(&str) -> bool,
) -> Value {
    match style {
        IdStyle::Integer { text } => {
            let mut next = largest.map_or(1, |n| n.saturating_add(1));
            while taken(&next.to_string()) {
                next = next.saturating_add(1);
            }
            if *text {
                Value::String(next.to_string())
            } else {
                Value::from(next)
            }
        }
        IdStyle::Uuid | IdStyle::Like(_) => loop {
            let id = match style {
                IdStyle::Like(like) if !like.is_empty() => like_id(like, rng),
                _ => uuid(rng),
            };
            if !taken(&id) {
                return Value::String(id);
            }
        },
    }
}

/// A random version-4 UUID.
fn uuid(rng: &Rng) -> String {
    let (a, b) = (rng.next(), rng.next());
    let b = (b & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
    let a = (a & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000;
    let hex = format!("{a:016x}{b:016x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// An id shaped like `like`: each digit, lower-case and upper-case letter
/// replaced by a random one of its kind, anything else kept.
fn like_id(like: &str, rng: &Rng) -> String {
    like.chars()
        .map(|c| {
            let (base, n) = match c {
                '0'..='9' => (b'0', 10),
                'a'..='z' => (b'a', 26),
                'A'..='Z' => (b'A', 26),
                other => return other,
            };
            (base + rng.below(n) as u8) as char
        })
        .collect()
}

/// The id as a number, for integer styles.
pub(super) fn as_integer(id: &str) -> Option<u64> {
    id.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_keep_the_documented_style() {
        let rng = Rng::new(Some(7));
        let id = new_id(&IdStyle::Like("4881ljusi3874".into()), &rng, None, |_| {
            false
        });
        let id = id.as_str().expect("a string id").to_string();
        assert_eq!(id.len(), 13);
        assert!(id[..4].bytes().all(|b| b.is_ascii_digit()), "{id}");
        assert!(id[4..9].bytes().all(|b| b.is_ascii_lowercase()), "{id}");
        assert!(id[9..].bytes().all(|b| b.is_ascii_digit()), "{id}");

        let next = new_id(&IdStyle::Integer { text: false }, &rng, Some(41), |i| {
            i == "42"
        });
        assert_eq!(next, Value::from(43));
        let text = new_id(&IdStyle::Integer { text: true }, &rng, None, |_| false);
        assert_eq!(text, Value::from("1"));

        let u = new_id(&IdStyle::Uuid, &rng, None, |_| false);
        let u = u.as_str().expect("a string");
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"), "{u}");
    }

    #[test]
    fn a_seed_repeats_its_ids() {
        let style = IdStyle::Like("ab12".into());
        let a = new_id(&style, &Rng::new(Some(3)), None, |_| false);
        let b = new_id(&style, &Rng::new(Some(3)), None, |_| false);
        assert_eq!(a, b);
    }
}
