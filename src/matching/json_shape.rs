//! Comparing an incoming JSON body with a documented one.
//!
//! Three strengths, compared in this order: exact equality; the same
//! structure (same keys, same value types, same array lengths, all the way
//! down) whatever the values; and a similarity count for partial overlaps
//! (shared keys with the same type count for, missing or extra keys
//! against).

use std::hash::{Hash, Hasher};

use rustc_hash::FxHasher;

use serde_json::Value;

/// A fingerprint of the structure (keys, types, array lengths, not
/// values): equal structures have equal fingerprints, so comparing
/// fingerprints rules out most candidates with one integer comparison.
pub fn shape_hash(v: &Value) -> u64 {
    let mut h = FxHasher::default();
    feed(v, &mut h);
    h.finish()
}

fn feed(v: &Value, h: &mut FxHasher) {
    kind(v).hash(h);
    match v {
        // serde_json's map iterates in key order: deterministic.
        Value::Object(m) => {
            m.len().hash(h);
            for (k, v) in m {
                k.hash(h);
                feed(v, h);
            }
        }
        Value::Array(a) => {
            a.len().hash(h);
            for x in a {
                feed(x, h);
            }
        }
        _ => {}
    }
}

/// True when both have the same shape: objects with the same keys, arrays
/// of the same length, and at each leaf a value of the same JSON type.
pub(crate) fn same_structure(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_structure(v, w)))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| same_structure(v, w))
        }
        _ => kind(a) == kind(b),
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
    fn structure_ignores_values_but_not_keys_types_or_lengths() {
        let doc = json!({"phone": "+1", "params": ["a", "b"]});
        assert!(same_structure(
            &doc,
            &json!({"params": ["x", "y"], "phone": "+2"})
        ));
        assert!(!same_structure(
            &doc,
            &json!({"phone": "+1", "params": ["a", "b", "c"]})
        ));
        assert!(!same_structure(
            &doc,
            &json!({"phone": 1, "params": ["a", "b"]})
        ));
        assert!(!same_structure(&doc, &json!({"phone": "+1"})));
    }

    #[test]
    fn shape_hash_follows_structure_not_values() {
        let a = json!({"phone": "+1", "params": ["a", "b"]});
        assert_eq!(
            shape_hash(&a),
            shape_hash(&json!({"params": ["x", "y"], "phone": "+2"}))
        );
        assert_ne!(
            shape_hash(&a),
            shape_hash(&json!({"phone": "+1", "params": ["a"]}))
        );
        assert_ne!(
            shape_hash(&a),
            shape_hash(&json!({"phone": 1, "params": ["a", "b"]}))
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
