//! What can go wrong writing or resuming a run directory.

use crate::SCHEMA_VERSION;

/// Writing output failed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// File-system error.
    #[error("file-system error on {path}")]
    Io {
        /// The path.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Parquet/Arrow encoding error.
    #[error("writing {table}: {message}")]
    Encode {
        /// The table.
        table: &'static str,
        /// Why.
        message: String,
    },
    /// The run's evidence could not be read (a record, its part, the rows naming it).
    #[error("{path}: {message}")]
    Evidence {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// The output directory already holds a run.
    #[error("{0} already contains audit output")]
    NotEmpty(String),
    /// A part file could not be written (a full disk: the parts before it are complete).
    #[error("writing {path}: {message}")]
    Part {
        /// The part being written.
        path: String,
        /// Why.
        message: String,
    },
    /// The sink refused a completed file.
    #[error("{path}: {message}")]
    Sink {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// Another process is writing the run directory.
    #[error("{dir} is being written by another audit ({holder})")]
    Locked {
        /// The run directory.
        dir: String,
        /// Who holds it, as it wrote in the lock file.
        holder: String,
    },
    /// `--resume` found another run than the one named.
    #[error(
        "{dir} holds run {found}, not run {want}: resume it under its own id, or choose another directory"
    )]
    OtherRun {
        /// The run directory.
        dir: String,
        /// The run it holds.
        found: String,
        /// The run named.
        want: String,
    },
    /// `--resume` found parts of another schema major version.
    #[error(
        "{path} was written with output schema {found}; this beian writes {SCHEMA_VERSION} and \
         resumes only its own runs: finish the run with the beian that started it, or start a \
         new one"
    )]
    OtherVersion {
        /// The part.
        path: String,
        /// Its `beian.schema_version`.
        found: String,
    },
}
