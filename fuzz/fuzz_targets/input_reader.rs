//! Any bytes as a domain list: items or line errors, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for item in beian_input::Reader::new(data) {
        let _ = item;
    }
});
