//! Extraction before and after a change, on a machine whose speed wanders: one corpus of the
//! `hot_path` benchmark, extracted a fixed number of times, the time per repetition printed.
//! Run two builds of it (the *before* one in a worktree with its own target directory)
//! alternately, pinned to one core, several rounds, and compare the rounds' medians — criterion's
//! estimates of two binaries taken minutes apart differ by more than the change on a shared VM.
//!
//! `cargo bench --locked --bench extract_ab -- <corpus> <repetitions>`; corpora: `fleet_utf8`,
//! `fleet_gbk`, `large_utf8`, `large_gbk`, `copyright_utf8`, `none_utf8`, `none_gbk` (`none`:
//! large pages with no footer fact). Prints to standard error, as the other benchmarks print to the terminal.
#![allow(clippy::print_stderr)]

use std::hint::black_box;
use std::time::Instant;

mod corpus;
use corpus::{Footer, as_gbk, corpus, large_corpus};

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let (Some(which), Some(reps)) = (args.next(), args.next()) else {
        eprintln!("usage: extract_ab <corpus> <repetitions>");
        std::process::exit(2);
    };
    let Ok(reps) = reps.parse::<u32>() else {
        eprintln!("repetitions: a whole number, not {reps:?}");
        std::process::exit(2);
    };
    let large = |footer| -> Vec<Vec<u8>> {
        large_corpus(200, footer)
            .into_iter()
            .map(String::into_bytes)
            .collect()
    };
    let set = match which.as_str() {
        "fleet_utf8" => corpus().0,
        "fleet_gbk" => corpus().1,
        "large_utf8" => large(Footer::Numbers),
        "large_gbk" => as_gbk(&large_corpus(200, Footer::Numbers)),
        "copyright_utf8" => large(Footer::CopyrightOnly),
        "none_utf8" => large(Footer::Nothing),
        "none_gbk" => as_gbk(&large_corpus(200, Footer::Nothing)),
        other => {
            eprintln!("no corpus {other:?}");
            std::process::exit(2);
        }
    };
    let t = Instant::now();
    for _ in 0..reps {
        for page in &set {
            black_box(beian_footer::extract(black_box(page), None));
        }
    }
    eprintln!("{which} {:?} per repetition", t.elapsed() / reps.max(1));
}
