//! One writer per run directory: `DIR/.lock`, held with an advisory `flock(2)` (through rustix:
//! std's `File::try_lock` needs Rust 1.89, above our stated 1.85) for as long as a
//! [`crate::RunWriter`] started by [`crate::RunWriter::start`] lives. The kernel releases it when
//! the process ends however it ends (SIGKILL, a crash), so a stale lock file never blocks
//! `--resume`; while held, it names its holder for the message a second audit gets.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::Path;

use crate::layout::LOCK_FILE;
use crate::{WriteError, io};

/// A held run-directory lock; released when dropped.
#[derive(Debug)]
pub(crate) struct RunLock {
    _file: File,
}

impl RunLock {
    /// Takes the lock of `dir` (made when missing), or says who holds it.
    pub(crate) fn acquire(dir: &Path) -> Result<RunLock, WriteError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let path = dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io(&path))?;
        match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => {}
            Err(e) if e == rustix::io::Errno::WOULDBLOCK => {
                let mut holder = String::new();
                // Best effort: the holder wrote this when it took the lock.
                let _read = file.read_to_string(&mut holder);
                return Err(WriteError::Locked {
                    dir: dir.display().to_string(),
                    holder: holder.trim().to_string(),
                });
            }
            Err(e) => return Err(io(&path)(e.into())),
        }
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        let since = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let holder = format!(
            "pid {} on {} since {since}",
            std::process::id(),
            host.trim()
        );
        file.set_len(0).map_err(io(&path))?;
        file.rewind().map_err(io(&path))?;
        file.write_all(holder.as_bytes()).map_err(io(&path))?;
        Ok(RunLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_is_refused_naming_the_holder_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let first = RunLock::acquire(dir.path()).unwrap();
        let err = RunLock::acquire(dir.path()).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains(&format!("pid {}", std::process::id())) && text.contains(" since "),
            "{text}"
        );
        drop(first);
        // The file stays; the lock does not.
        assert!(dir.path().join(LOCK_FILE).exists());
        RunLock::acquire(dir.path()).unwrap();
    }
}
