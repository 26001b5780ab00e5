//! Any text: the number grammar never panics, and canonical forms parse back to themselves.
#![no_main]

use beian_numbers::{Found, parse_icp, parse_psb, scan};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for m in scan(text) {
        match m.found {
            Found::Icp(n) => {
                let again = parse_icp(&n.canonical).expect("canonical ICP parses");
                assert_eq!(again.canonical, n.canonical);
            }
            Found::Psb(n) => {
                let again = parse_psb(&n.canonical).expect("canonical PSB parses");
                assert_eq!(again.canonical, n.canonical);
            }
        }
    }
});
