//! Comparing an incoming JSON body with a documented one.
//!
//! Three strengths, compared in this order: exact equality; the same
//! structure (same keys, same value types, same array lengths, all the way
//! down) whatever the values; and a similarity count for partial overlaps
//! (shared keys with the same type count for, missing or extra keys
//! against).
//!
//! "Same structure" is decided by a fingerprint: documented bodies get
//! theirs at load, a request body's is read in one pass without building a
//! `serde_json::Value`. The value itself is parsed only when exact equality
//! or similarity can still change the answer (see `select`).
//!
//! The request's pass is ours ([`shape_of`]): a JSON scanner that
//! validates and fingerprints common bodies in a third of the instructions
//! of serde_json's streaming deserializer ([`reference_shape_of`]), which
//! stays the judge: whatever the scanner is not sure of (escapes in keys,
//! `\u` escapes, exponents, long numbers, deep nesting, anything it finds
//! invalid) goes to serde_json, so both accept exactly the same texts and
//! errors keep serde_json's line and column. The fuzz target `json_shape`
//! and the tests below check the two against each other.

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
            let mut array = ArrayShape::default();
            for x in a {
                array.push(shape_hash(x));
            }
            array.finish()
        }
        Value::Object(m) => {
            let sum = m.iter().fold(0u64, |acc, (k, v)| {
                acc.wrapping_add(member(hash_key(k), shape_hash(v)))
            });
            object(m.len(), sum)
        }
    }
}

/// The structure fingerprint of a JSON text; fails exactly when the text
/// is not JSON (as serde_json decides).
pub fn shape_of(bytes: &[u8]) -> Result<u64, serde_json::Error> {
    match Scanner::new(bytes).document() {
        Some(shape) => Ok(shape),
        None => reference_shape_of(bytes),
    }
}

/// [`shape_of`] by serde_json's streaming deserializer: the reference the
/// fast scanner is checked against, and its fallback.
pub fn reference_shape_of(bytes: &[u8]) -> Result<u64, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let shape = Shape.deserialize(&mut de)?;
    de.end()?;
    Ok(shape)
}

/// Nesting the scanner follows before it leaves the text to serde_json
/// (whose own limit is 128).
const MAX_SCANNED_DEPTH: u32 = 64;

/// Longest number token the scanner judges itself; longer ones may be out
/// of `f64`'s range, which serde_json refuses.
const MAX_SCANNED_NUMBER: usize = 20;

/// A JSON scanner for the common case. Every method returns `None` both
/// for invalid text and for constructs it leaves to serde_json: `None`
/// means "ask serde_json", never "invalid".
struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// A byte ≥ 0x80 was seen (only possible inside strings once the
    /// grammar holds): the whole text is then checked as UTF-8.
    non_ascii: bool,
}

impl<'a> Scanner<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Scanner {
            bytes,
            pos: 0,
            non_ascii: false,
        }
    }

    /// One value and nothing but whitespace after it.
    fn document(mut self) -> Option<u64> {
        let shape = self.element(0)?;
        self.skip_whitespace();
        if self.pos != self.bytes.len() {
            return None;
        }
        // Outside strings only ASCII passes the grammar, and strings are
        // separated by ASCII: the text is UTF-8 exactly when every string
        // is.
        if self.non_ascii && std::str::from_utf8(self.bytes).is_err() {
            return None;
        }
        Some(shape)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.pos += 1;
        }
    }

    /// Consumes `byte` after optional whitespace.
    fn expect(&mut self, byte: u8) -> Option<()> {
        self.skip_whitespace();
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    /// Any value: strings here, the most common, without a call; the rest
    /// through [`Scanner::value`].
    #[inline(always)]
    fn element(&mut self, depth: u32) -> Option<u64> {
        self.skip_whitespace();
        if self.peek()? == b'"' {
            self.string(false)?;
            return Some(leaf(3));
        }
        self.value(depth)
    }

    /// A value that is not a string (whitespace already skipped).
    fn value(&mut self, depth: u32) -> Option<u64> {
        match self.peek()? {
            b'{' => self.object(depth + 1),
            b'[' => self.array(depth + 1),
            b't' => self.literal(b"true", 1),
            b'f' => self.literal(b"false", 1),
            b'n' => self.literal(b"null", 0),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn literal(&mut self, word: &[u8], kind: u8) -> Option<u64> {
        let end = self.pos + word.len();
        (self.bytes.get(self.pos..end)? == word).then(|| {
            self.pos = end;
            leaf(kind)
        })
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)?`; exponents go to serde_json.
    fn number(&mut self) -> Option<u64> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek()? {
            b'0' => self.pos += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !self.peek()?.is_ascii_digit() {
                return None;
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) || self.pos - start > MAX_SCANNED_NUMBER {
            return None;
        }
        Some(leaf(2))
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
    }

    /// A string starting at the opening quote; returns its raw content.
    /// Simple escapes are accepted in values; `\u` escapes, and any escape
    /// in a key (whose decoded text is hashed), go to serde_json.
    #[inline(always)] // short strings dominate: a call costs ~18 instructions
    fn string(&mut self, key: bool) -> Option<&'a [u8]> {
        self.pos += 1;
        let start = self.pos;
        loop {
            self.pos += plain_run(&self.bytes[self.pos..]);
            let b = self.peek()?;
            self.pos += 1;
            match b {
                b'"' => return Some(&self.bytes[start..self.pos - 1]),
                b'\\' if !key => match self.peek()? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.pos += 1,
                    _ => return None,
                },
                0..0x20 | b'\\' => return None,
                0x80.. => self.non_ascii = true,
                _ => {}
            }
        }
    }

    fn array(&mut self, depth: u32) -> Option<u64> {
        if depth > MAX_SCANNED_DEPTH {
            return None;
        }
        self.pos += 1;
        let mut array = ArrayShape::default();
        self.skip_whitespace();
        if self.peek()? == b']' {
            self.pos += 1;
        } else {
            loop {
                array.push(self.element(depth)?);
                self.skip_whitespace();
                match self.peek()? {
                    b',' => self.pos += 1,
                    b']' => {
                        self.pos += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        Some(array.finish())
    }

    fn object(&mut self, depth: u32) -> Option<u64> {
        if depth > MAX_SCANNED_DEPTH {
            return None;
        }
        self.pos += 1;
        let (mut len, mut sum) = (0usize, 0u64);
        self.skip_whitespace();
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(object(0, 0));
        }
        loop {
            self.skip_whitespace();
            if self.peek()? != b'"' {
                return None;
            }
            let key = hash_key_bytes(self.string(true)?);
            self.expect(b':')?;
            let child = self.element(depth)?;
            sum = sum.wrapping_add(member(key, child));
            len += 1;
            self.skip_whitespace();
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Some(object(len, sum));
                }
                _ => return None,
            }
        }
    }
}

/// The length of the leading run of `bytes` that a string can hold as it
/// is: no `"`, `\\`, control character or non-ASCII byte. Eight bytes per
/// step (the classic "has a byte below n" word tricks): string bytes are
/// most of what a JSON body is made of.
#[inline(always)]
fn plain_run(bytes: &[u8]) -> usize {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = ONES << 7;
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x;
    let mut run = 0;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let Ok(chunk) = <[u8; 8]>::try_from(chunk) else {
            break; // never: the chunks are exact
        };
        let x = u64::from_le_bytes(chunk);
        let quote = x ^ (ONES * u64::from(b'"'));
        let backslash = x ^ (ONES * u64::from(b'\\'));
        // Each test's lowest flagged byte is exact (borrows only reach
        // higher bytes), so the lowest flag of all of them is the stop.
        let stop = (below(quote, 1) | below(backslash, 1) | below(x, 0x20) | x) & HIGH;
        if stop != 0 {
            return run + (stop.trailing_zeros() / 8) as usize;
        }
        run += 8;
    }
    run + chunks
        .remainder()
        .iter()
        .take_while(|&&b| (0x20..0x80).contains(&b) && b != b'"' && b != b'\\')
        .count()
}

fn leaf(kind: u8) -> u64 {
    let mut h = FxHasher::default();
    kind.hash(&mut h);
    h.finish()
}

fn hash_key(key: &str) -> u64 {
    hash_key_bytes(key.as_bytes())
}

/// Keys hash as bytes, so the scanner can hash a key before the text's
/// UTF-8 is checked.
fn hash_key_bytes(key: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write(key);
    h.finish()
}

/// An array's fingerprint, element by element: the one definition the
/// value, the scanner and the serde visitor share (they must agree).
struct ArrayShape {
    hasher: FxHasher,
    len: usize,
}

impl Default for ArrayShape {
    fn default() -> Self {
        let mut hasher = FxHasher::default();
        4u8.hash(&mut hasher);
        Self { hasher, len: 0 }
    }
}

impl ArrayShape {
    fn push(&mut self, element: u64) {
        element.hash(&mut self.hasher);
        self.len += 1;
    }

    fn finish(mut self) -> u64 {
        self.len.hash(&mut self.hasher);
        self.hasher.finish()
    }
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
        let mut array = ArrayShape::default();
        while let Some(child) = seq.next_element_seed(Shape)? {
            array.push(child);
        }
        Ok(array.finish())
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

    /// The seed's notification body.
    fn seed_body() -> &'static str {
        r#"{"phone_number":"+593999999999","internal_id":"997dd550-c8d8-4bf7-ad98-a5ac4844a1ed","template_params":["test 1","test 2","test 3"]}"#
    }

    /// The scanner against serde_json on one text: the same verdict, the
    /// same fingerprint, and when the scanner answers itself, the answer
    /// serde_json gives.
    fn agrees(text: &[u8]) -> bool {
        let reference = reference_shape_of(text).ok();
        assert_eq!(
            shape_of(text).ok(),
            reference,
            "{}",
            String::from_utf8_lossy(text)
        );
        let fast = Scanner::new(text).document();
        if fast.is_some() {
            assert_eq!(fast, reference, "{}", String::from_utf8_lossy(text));
        }
        fast.is_some()
    }

    #[test]
    fn plain_runs_stop_at_the_first_special_byte() {
        for (text, run) in [
            ("", 0),
            ("abc", 3),
            ("abcdefgh", 8),
            ("abcdefghij\"", 10),
            ("abcdefgh\\", 8),
            ("ab\u{1}cdefghijk", 2),
            ("abcdefghijklmné", 14),
            ("\"abcdefghijkl", 0),
            ("a ~}{z0123456789\n", 16),
        ] {
            assert_eq!(plain_run(text.as_bytes()), run, "{text:?}");
        }
    }

    #[test]
    #[rustfmt::skip]
    fn the_scanner_judges_like_serde_json() {
        let texts: &[&[u8]] = &[
            b"0", b"-0", b"-", b"01", b"1.", b".5", b"1.5", b"-12.25", b"1e5", b"1E-5",
            b"1e400", b"123456789012345678901234567890", b"true", b"tru", b"falsey", b"null",
            b"nul", b"\"\"", b"\"a", b"\"\\\"\"", b"\"\\n\\t\\/\\b\\f\\r\\\\\"", b"\"\\x\"",
            b"\"\\u00e9\"", b"\"\\ud800\"", b"\"\\ud83d\\ude00\"", b"\"\x01\"", b"\"\t\"",
            "\"é\"".as_bytes(), b"\"\xff\"", b"\"\xc3\"", b"\xef\xbb\xbf{}", b"[]", b"[ ]",
            b"[1,]", b"[,1]", b"[1 2]", b"[[[]]]", b"{}", b"{ }", b"{\"a\"}", b"{\"a\":}",
            b"{\"a\":1,}", b"{\"a\":1 \"b\":2}", b"{a:1}", b"{\"a\\n\":1}", b"{\"a\":1}",
            b"{\"a\":1,\"a\":2}", b" \n\t\r{\"a\" : [ 1 , \"x\" , null ] } \n", b"{} x",
            b"{}}", b"", b"   ", b"\x00", b"[1]\x00", b"{\"a\":[true,false,null,{}]}",
            b"1 2", b"\"\\u", b"[-]", b"[-a]", b"[0.e1]", b"{\"\xc3\xa9\":\"\xe2\x82\xac\"}",
        ];
        for text in texts {
            agrees(text);
        }
        // The common case never needs serde_json.
        assert!(agrees(seed_body().as_bytes()));
        let deep = |n| format!("{}{}", "[".repeat(n), "]".repeat(n));
        for n in [63, 64, 65, 127, 128, 129] {
            agrees(deep(n).as_bytes());
        }
    }

    /// Random edits of documented-looking bodies (a fixed-seed xorshift, so
    /// every run tries the same texts): the fuzz target `json_shape` does
    /// the same without end.
    #[test]
    fn the_scanner_judges_like_serde_json_on_mutations() {
        let seeds = [
            seed_body(),
            r#"[{"a": -1.5, "b": [true, false, null], "c": {"d": "é\n"}}, 0, ""]"#,
        ];
        let alphabet = b"{}[]\",:. -+0123456789eEtrufalsn\\/\x01\x7f\xc3\xa9\xff";
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |bound: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % bound as u64) as usize
        };
        let mut answered_itself = 0;
        for _ in 0..20_000 {
            let mut text = seeds[next(seeds.len())].as_bytes().to_vec();
            for _ in 0..1 + next(3) {
                let at = next(text.len() + 1);
                let byte = alphabet[next(alphabet.len())];
                match next(3) {
                    0 if at < text.len() => text[at] = byte,
                    1 if at < text.len() => {
                        text.remove(at);
                    }
                    _ => text.insert(at, byte),
                }
            }
            answered_itself += usize::from(agrees(&text));
        }
        // Many edits keep the text JSON: the fast path was really tried.
        assert!(answered_itself > 1000, "{answered_itself}");
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
