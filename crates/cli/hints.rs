//! What to do next. The libraries' errors state facts ("already contains audit output"); the
//! flags and commands that answer them belong to the binary, which prints them under the
//! error as `hint:` lines.

use beian_pipeline::{FinalizeRunError, JobError};
use beian_report::LoadError;
use beian_run::finalize::FinalizeError;
use beian_run::{RecordError, WriteError};
use beian_store::StoreError;

/// The hint for the first cause in `e`'s chain that has one. A transparent wrapper
/// (`JobError::Write`, `LoadError::Record`, …) shows its inner error's text and skips it in
/// the chain, so the wrappers are opened here.
pub(crate) fn hint(e: &anyhow::Error) -> Option<&'static str> {
    e.chain().find_map(|cause| {
        let write = opened(cause, |j: &JobError| match j {
            JobError::Write(w) => Some(w),
            _ => None,
        });
        let store = opened(cause, |j: &JobError| match j {
            JobError::Store(s) => Some(s),
            _ => None,
        });
        let record = opened(cause, |l: &LoadError| match l {
            LoadError::Record(r) => Some(r),
            _ => None,
        });
        let finalize = opened(cause, |f: &FinalizeRunError| match f {
            FinalizeRunError::Refused { cause, .. } => Some(&**cause),
            _ => None,
        });
        match (write, store, record, finalize) {
            (Some(WriteError::NotEmpty(_)), ..) => {
                Some("choose another --out, or pass --overwrite")
            }
            (Some(WriteError::Locked { .. }), ..) | (_, Some(StoreError::Locked { .. }), ..) => {
                Some(LOCKED)
            }
            (_, _, Some(RecordError::NotFinalized(_)), _) => {
                Some("run `beian finalize RUN` once every shard has completed")
            }
            (.., Some(FinalizeError::NoRecord { .. } | FinalizeError::Incomplete(_))) => {
                Some("run that shard again with --resume, then finalize")
            }
            _ => None,
        }
    })
}

/// `cause` as a `T`: itself, or the `T` inside a wrapper `W` (`open` picks it out).
fn opened<'a, T, W>(
    cause: &'a (dyn std::error::Error + 'static),
    open: impl Fn(&'a W) -> Option<&'a T>,
) -> Option<&'a T>
where
    T: std::error::Error + 'static,
    W: std::error::Error + 'static,
{
    cause
        .downcast_ref::<T>()
        .or_else(|| cause.downcast_ref::<W>().and_then(open))
}

/// Another audit holds the run directory.
const LOCKED: &str = "wait for the other audit to end, or stop it (a stopped or killed run is \
                      finished with --resume)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_follow_the_cause_through_the_chain() {
        let e = anyhow::Error::new(WriteError::NotEmpty("out".into())).context("opening the run");
        assert_eq!(hint(&e), Some("choose another --out, or pass --overwrite"));
        // Through a transparent wrapper, whose chain skips the inner error.
        let e = anyhow::Error::new(JobError::Write(WriteError::NotEmpty("out".into())));
        assert_eq!(hint(&e), Some("choose another --out, or pass --overwrite"));
        let e = anyhow::Error::new(FinalizeError::Incomplete("shard=0001".into()));
        assert_eq!(
            hint(&e),
            Some("run that shard again with --resume, then finalize")
        );
        let e = anyhow::Error::new(RecordError::NotFinalized("run".into()));
        assert!(hint(&e).is_some_and(|h| h.contains("beian finalize")));
        assert_eq!(hint(&anyhow::anyhow!("something else")), None);
    }
}
