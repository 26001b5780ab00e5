//! The vocabulary of filing numbers (docs/rulebook.md §2–§3), shared by the input reader, the
//! footer extractor and the rules: the number grammars ([`scan`], [`parse_icp`],
//! [`parse_psb`]), the province table ([`provinces`]) and the filing systems' hosts
//! ([`hosts`]). Pure: no I/O, no judging — verdicts belong to `beian-rules`.
#![deny(missing_docs)]

mod grammar;
pub mod hosts;
pub mod provinces;

pub use grammar::{
    Found, NumberMatch, is_placeholder, may_contain_number, parse_icp, parse_psb, scan,
};
