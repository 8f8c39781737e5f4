//! Any bytes as a request body: the fast JSON scanner must reach
//! serde_json's verdict and fingerprint (`shape_of` falls back to
//! serde_json only where the scanner gives up, so a disagreement here is a
//! text the scanner accepted wrongly or fingerprinted differently).
#![no_main]

use apib_mock::__private::{reference_shape_of, shape_of};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    assert_eq!(
        shape_of(data).ok(),
        reference_shape_of(data).ok(),
        "{}",
        String::from_utf8_lossy(data)
    );
});
