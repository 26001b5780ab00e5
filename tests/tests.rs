//! End-to-end tests of the `beian` binary against the simulated fleet on loopback, with the
//! Parquet output read back by an independent reader (pyarrow, installed by `make test`).

mod util;

mod access;
mod bad_input;
mod cli;
mod defended;
mod deploy;
mod e2e;
mod evidence;
mod filing;
mod history;
mod hostile;
mod latency;
mod object_store;
mod polite;
mod real_footers;
mod render;
mod resume;
mod shards;
mod snapshots;
mod waivers;
