//! Comparing an incoming JSON body with a documented one.
//!
//! Three strengths, compared in this order: exact equality; the same
//! structure (same keys, same value types, same array lengths, all the way
//! down) whatever the values; and a similarity count for partial overlaps
//! (shared keys with the same type count for, missing or extra keys
//! against).
//!
//! "Same structure" is decided by a fingerprint: documented bodies get
//! theirs at load, a request body's is read in one streaming pass without
//! building a `serde_json::Value`. The value itself is parsed only when
//! exact equality or similarity can still change the answer (see
//! `select`). Before this, parsing every request body into a `Value` was
//! an eighth of the CPU of a POST request.

use std::fmt;
use std::hash::{Hash, Hasher};

use rustc_hash::FxHasher;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// A fingerprint of the structure (keys, types, array lengths, not
/// values). Object members combine order-independently (a wrapping sum),
/// so the streaming reader, which sees keys in document order, agrees with
/// this one, which sees them sorted.
pub fn shape_hash(v: &Value) -> u64 {
    match v {
        Value::Null => leaf(0),
        Value::Bool(_) => leaf(1),
        Value::Number(_) => leaf(2),
        Value::String(_) => leaf(3),
        Value::Array(a) => {
            let mut h = FxHasher::default();
            4u8.hash(&mut h);
            for x in a {
                shape_hash(x).hash(&mut h);
            }
            a.len().hash(&mut h);
            h.finish()
        }
        Value::Object(m) => {
            let sum = m.iter().fold(0u64, |acc, (k, v)| {
                acc.wrapping_add(member(hash_key(k), shape_hash(v)))
            });
            object(m.len(), sum)
        }
    }
}

/// The structure fingerprint of a JSON text, read in one streaming pass;
/// fails exactly when the text is not JSON.
pub fn shape_of(bytes: &[u8]) -> Result<u64, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let shape = Shape.deserialize(&mut de)?;
    de.end()?;
    Ok(shape)
}

fn leaf(kind: u8) -> u64 {
    let mut h = FxHasher::default();
    kind.hash(&mut h);
    h.finish()
}

fn hash_key(key: &str) -> u64 {
    let mut h = FxHasher::default();
    key.hash(&mut h);
    h.finish()
}

fn member(key: u64, shape: u64) -> u64 {
    let mut h = FxHasher::default();
    key.hash(&mut h);
    shape.hash(&mut h);
    h.finish()
}

fn object(len: usize, sum: u64) -> u64 {
    let mut h = FxHasher::default();
    5u8.hash(&mut h);
    len.hash(&mut h);
    sum.hash(&mut h);
    h.finish()
}

/// Deserializes any JSON value into its fingerprint.
struct Shape;

impl<'de> DeserializeSeed<'de> for Shape {
    type Value = u64;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<u64, D::Error> {
        d.deserialize_any(ShapeVisitor)
    }
}

struct ShapeVisitor;

impl<'de> Visitor<'de> for ShapeVisitor {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<u64, E> {
        Ok(leaf(0))
    }
    fn visit_none<E: de::Error>(self) -> Result<u64, E> {
        Ok(leaf(0))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<u64, E> {
        Ok(leaf(1))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<u64, E> {
        Ok(leaf(2))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<u64, E> {
        Ok(leaf(2))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<u64, E> {
        Ok(leaf(2))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<u64, E> {
        Ok(leaf(3))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<u64, A::Error> {
        let mut h = FxHasher::default();
        4u8.hash(&mut h);
        let mut len = 0usize;
        while let Some(child) = seq.next_element_seed(Shape)? {
            child.hash(&mut h);
            len += 1;
        }
        len.hash(&mut h);
        Ok(h.finish())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<u64, A::Error> {
        let (mut len, mut sum) = (0usize, 0u64);
        while let Some(key) = map.next_key_seed(KeyHash)? {
            let child = map.next_value_seed(Shape)?;
            sum = sum.wrapping_add(member(key, child));
            len += 1;
        }
        Ok(object(len, sum))
    }
}

/// Deserializes an object key into its hash, without allocating it.
struct KeyHash;

impl<'de> DeserializeSeed<'de> for KeyHash {
    type Value = u64;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<u64, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl Visitor<'_> for KeyVisitor {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }
    fn visit_str<E: de::Error>(self, key: &str) -> Result<u64, E> {
        Ok(hash_key(key))
    }
}

/// A similarity score: +1 for each key (recursively) present in both with
/// the same type, −1 for each key present in only one, +1 for arrays of
/// equal length.
pub(crate) fn similarity(a: &Value, b: &Value) -> i64 {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut score = 0;
            for (k, v) in x {
                match y.get(k) {
                    Some(w) if kind(v) == kind(w) => score += 1 + similarity(v, w),
                    Some(_) => {}
                    None => score -= 1,
                }
            }
            score - y.keys().filter(|k| !x.contains_key(*k)).count() as i64
        }
        (Value::Array(x), Value::Array(y)) => {
            let len = i64::from(x.len() == y.len());
            len + x.iter().zip(y).map(|(v, w)| similarity(v, w)).sum::<i64>()
        }
        _ => 0,
    }
}

fn kind(v: &Value) -> u8 {
    match v {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Number(_) => 2,
        Value::String(_) => 3,
        Value::Array(_) => 4,
        Value::Object(_) => 5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn streaming_and_value_fingerprints_agree() {
        for text in [
            r#"{"b": [1, "x", null, true], "a": {"c": 1.5}}"#,
            "[]",
            "{}",
            r#""s""#,
            r#"[{"a": 1}, {"a": 2}]"#,
            r#"{"phone_number":"+1","template_params":["a","b","c"]}"#,
        ] {
            let value: Value = serde_json::from_str(text).unwrap();
            assert_eq!(
                shape_of(text.as_bytes()).unwrap(),
                shape_hash(&value),
                "{text}"
            );
        }
        assert!(shape_of(b"{").is_err());
        assert!(shape_of(b"{} x").is_err());
    }

    #[test]
    fn fingerprints_follow_structure_not_values() {
        let doc = shape_hash(&json!({"phone": "+1", "params": ["a", "b"]}));
        assert_eq!(
            doc,
            shape_hash(&json!({"params": ["x", "y"], "phone": "+2"}))
        );
        assert_ne!(
            doc,
            shape_hash(&json!({"phone": "+1", "params": ["a", "b", "c"]}))
        );
        assert_ne!(doc, shape_hash(&json!({"phone": 1, "params": ["a", "b"]})));
        assert_ne!(doc, shape_hash(&json!({"phone": "+1"})));
        assert_ne!(
            doc,
            shape_hash(&json!({"phone": "+1", "other": ["a", "b"]}))
        );
    }

    #[test]
    fn similarity_rewards_shared_keys_and_punishes_missing_ones() {
        let req = json!({"phone": "+1", "id": "x"});
        let two = json!({"phone": "+9", "id": "y"});
        let three = json!({"phone": "+9", "id": "y", "params": ["a"]});
        let one = json!({"phone": "+9"});
        assert!(similarity(&two, &req) > similarity(&three, &req));
        assert!(similarity(&two, &req) > similarity(&one, &req));
    }
}
