//! Where a run goes: a local directory, or a prefix in object storage (`s3://bucket/prefix`,
//! `gs://bucket/prefix`) through the `object_store` crate, with credentials and endpoint from
//! the usual environment variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_ENDPOINT_URL`, `AWS_REGION`, …; `GOOGLE_SERVICE_ACCOUNT`, …).
//!
//! A run is written in a local staging directory exactly as on disk and each completed file
//! is then uploaded as one object (a multipart upload when large), so a reader of the bucket
//! never sees half a part; `--resume` first brings what it needs down ([`Remote::pull`], [`Remote::tail`]).
//! One writer at a time: a lock object names the holder and its heartbeat ([`Remote::lock`]);
//! a holder that stopped beating (killed) no longer blocks.
#![deny(missing_docs)]

use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures_util::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, PutMode, UpdateVersion};
use tokio::io::AsyncWriteExt;

/// An object-storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL names no store this build knows, or the store could not be set up.
    #[error("{url}: cannot use this object store: {message}")]
    Open {
        /// The URL.
        url: String,
        /// Why (object_store's message, which carries its own causes).
        message: String,
    },
    /// A request to the store failed (after the store's own retries).
    #[error("{url}: {action} failed: {message}")]
    Request {
        /// The object (or prefix).
        url: String,
        /// What was done.
        action: &'static str,
        /// Why (object_store's message, which carries its own causes).
        message: String,
    },
    /// A local file could not be read or written.
    #[error("{path}: local file")]
    Local {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Another process holds the run's lock object.
    #[error("{url} is being written by another audit ({holder})")]
    Locked {
        /// The lock object.
        url: String,
        /// Who holds it, as it wrote.
        holder: String,
    },
}

/// Whether `s` names object storage rather than a local path.
pub fn is_remote(s: &str) -> bool {
    s.starts_with("s3://") || s.starts_with("gs://")
}

/// A prefix in object storage.
#[derive(Clone)]
pub struct Remote {
    store: Arc<dyn ObjectStore>,
    /// `scheme://bucket`.
    base: String,
    prefix: Path,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.url())
    }
}

/// The lock object's name under a run's prefix.
const LOCK: &str = ".lock.json";
/// How often a writer renews its lock object.
pub const HEARTBEAT: Duration = Duration::from_secs(20);
/// A lock object not renewed for this long belongs to a writer that is gone.
const STALE_AFTER: Duration = Duration::from_secs(90);

impl Remote {
    /// Opens `url` (`s3://bucket/prefix` or `gs://bucket/prefix`), configured from the
    /// environment. An `http://` endpoint (a test server on loopback) is allowed as such.
    pub fn open(url: &str) -> Result<Remote, StoreError> {
        let open_err = |e: object_store::Error| StoreError::Open {
            url: url.to_string(),
            message: e.to_string(),
        };
        let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let store: Arc<dyn ObjectStore> = match scheme {
            "s3" => {
                let mut b = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket);
                let endpoint = std::env::var("AWS_ENDPOINT_URL")
                    .or_else(|_| std::env::var("AWS_ENDPOINT"))
                    .unwrap_or_default();
                if endpoint.starts_with("http://") {
                    b = b.with_allow_http(true);
                }
                Arc::new(b.build().map_err(open_err)?)
            }
            "gs" => Arc::new(
                object_store::gcp::GoogleCloudStorageBuilder::from_env()
                    .with_bucket_name(bucket)
                    .build()
                    .map_err(open_err)?,
            ),
            _ => {
                return Err(StoreError::Open {
                    url: url.to_string(),
                    message: "unknown scheme: use s3:// or gs://".to_string(),
                });
            }
        };
        Ok(Remote {
            store,
            base: format!("{scheme}://{bucket}"),
            prefix: Path::from(prefix.trim_end_matches('/')),
        })
    }

    /// This prefix and `segment` below it (`a/b` joins two levels).
    pub fn join(&self, segment: &str) -> Remote {
        let mut prefix = self.prefix.clone();
        for part in segment.split('/').filter(|p| !p.is_empty()) {
            prefix = prefix.child(part);
        }
        Remote {
            store: self.store.clone(),
            base: self.base.clone(),
            prefix,
        }
    }

    /// `scheme://bucket/prefix`.
    pub fn url(&self) -> String {
        if self.prefix.as_ref().is_empty() {
            self.base.clone()
        } else {
            format!("{}/{}", self.base, self.prefix)
        }
    }

    fn object(&self, rel: &str) -> Path {
        let mut p = self.prefix.clone();
        for part in rel.split('/').filter(|p| !p.is_empty()) {
            p = p.child(part);
        }
        p
    }

    fn request_err(
        &self,
        rel: &str,
        action: &'static str,
    ) -> impl FnOnce(object_store::Error) -> StoreError {
        let url = format!("{}/{rel}", self.url());
        move |e| StoreError::Request {
            url,
            action,
            message: e.to_string(),
        }
    }

    /// Every object below the prefix, by its path relative to it.
    pub async fn list(&self) -> Result<Vec<String>, StoreError> {
        let metas: Vec<object_store::ObjectMeta> = self
            .store
            .list(Some(&self.prefix))
            .try_collect()
            .await
            .map_err(self.request_err("", "listing"))?;
        let skip = self.prefix.as_ref().len();
        let mut out: Vec<String> = metas
            .into_iter()
            .map(|m| {
                let full = m.location.as_ref();
                full.get(skip..)
                    .unwrap_or(full)
                    .trim_start_matches('/')
                    .to_string()
            })
            .collect();
        out.sort();
        Ok(out)
    }

    /// The names one level below the prefix (`run_date=2026-11-27`), sorted.
    pub async fn children(&self) -> Result<Vec<String>, StoreError> {
        let listed = self
            .store
            .list_with_delimiter(Some(&self.prefix))
            .await
            .map_err(self.request_err("", "listing"))?;
        let mut out: Vec<String> = listed
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename().map(str::to_string))
            .collect();
        out.sort();
        Ok(out)
    }

    /// Uploads the local file `from` as `rel`: one object, a multipart upload when large;
    /// the object appears only once complete.
    pub async fn put_file(&self, rel: &str, from: &FsPath) -> Result<(), StoreError> {
        let local = |source| StoreError::Local {
            path: from.display().to_string(),
            source,
        };
        let mut file = tokio::fs::File::open(from).await.map_err(local)?;
        let mut w = object_store::buffered::BufWriter::new(self.store.clone(), self.object(rel));
        let copied = tokio::io::copy(&mut file, &mut w).await;
        let closed = match copied {
            Ok(_) => w.shutdown().await,
            Err(e) => {
                // Whatever the store holds of it is thrown away.
                let _aborted = w.abort().await;
                Err(e)
            }
        };
        closed.map_err(|e| StoreError::Request {
            url: format!("{}/{rel}", self.url()),
            action: "uploading",
            message: e.to_string(),
        })
    }

    /// Writes `bytes` as the object `rel`.
    pub async fn put_bytes(&self, rel: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        self.store
            .put(&self.object(rel), bytes.into())
            .await
            .map(|_| ())
            .map_err(self.request_err(rel, "writing"))
    }

    /// The object `rel`, or `None` when there is none.
    pub async fn get(&self, rel: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match self.store.get(&self.object(rel)).await {
            Ok(r) => Ok(Some(
                r.bytes()
                    .await
                    .map_err(self.request_err(rel, "reading"))?
                    .to_vec(),
            )),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.request_err(rel, "reading")(e)),
        }
    }

    /// The last `len` bytes of the object `rel` (all of it when it is shorter): one ranged
    /// request, for reading a file's footer without downloading the file.
    pub async fn tail(&self, rel: &str, len: u64) -> Result<Vec<u8>, StoreError> {
        let opts = object_store::GetOptions {
            range: Some(object_store::GetRange::Suffix(len)),
            ..Default::default()
        };
        let got = self
            .store
            .get_opts(&self.object(rel), opts)
            .await
            .map_err(self.request_err(rel, "reading"))?;
        Ok(got
            .bytes()
            .await
            .map_err(self.request_err(rel, "reading"))?
            .to_vec())
    }

    /// Deletes the object `rel` (a missing one is no error).
    pub async fn delete(&self, rel: &str) -> Result<(), StoreError> {
        match self.store.delete(&self.object(rel)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.request_err(rel, "deleting")(e)),
        }
    }

    /// Downloads the objects below the prefix that `want` picks (by relative path) into
    /// `dir`, keeping their relative paths; returns them.
    pub async fn pull(
        &self,
        dir: &FsPath,
        want: impl Fn(&str) -> bool,
    ) -> Result<Vec<String>, StoreError> {
        let mut got = Vec::new();
        for rel in self.list().await? {
            if rel == LOCK || !want(&rel) {
                continue;
            }
            let to = dir.join(&rel);
            let local = |source| StoreError::Local {
                path: to.display().to_string(),
                source,
            };
            if let Some(parent) = to.parent() {
                tokio::fs::create_dir_all(parent).await.map_err(local)?;
            }
            let bytes = self.get(&rel).await?.unwrap_or_default();
            tokio::fs::write(&to, bytes).await.map_err(local)?;
            got.push(rel);
        }
        Ok(got)
    }

    /// Takes the run's lock object, or says who holds it. It is created only if absent
    /// (a conditional put: of two writers starting together, one wins). A lock is a gone
    /// writer's, and taken over (conditional on the version read, so only one taker wins),
    /// when its holder ran on this host and its process is no more (a kill), or when it was
    /// not renewed for 90 s (a writer elsewhere that died: a Kubernetes pod replaced after a
    /// node was lost fails until then, and is retried). Keep it with [`Remote::renew`] every
    /// [`HEARTBEAT`]; [`Remote::unlock`] at the end.
    pub async fn lock(&self) -> Result<LockVersion, StoreError> {
        let path = self.object(LOCK);
        let locked = |holder: String| StoreError::Locked {
            url: format!("{}/{LOCK}", self.url()),
            holder,
        };
        // A lock deleted between our reads is tried again.
        for _ in 0..3 {
            match self
                .store
                .put_opts(&path, lock_body().into(), PutMode::Create.into())
                .await
            {
                Ok(r) => return Ok(LockVersion(r.into())),
                Err(object_store::Error::AlreadyExists { .. }) => {}
                Err(e) => return Err(self.request_err(LOCK, "writing")(e)),
            }
            let found = match self.store.get(&path).await {
                Ok(r) => r,
                Err(object_store::Error::NotFound { .. }) => continue,
                Err(e) => return Err(self.request_err(LOCK, "reading")(e)),
            };
            let seen = UpdateVersion {
                e_tag: found.meta.e_tag.clone(),
                version: found.meta.version.clone(),
            };
            let bytes = found
                .bytes()
                .await
                .map_err(self.request_err(LOCK, "reading"))?;
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            let beat = v["heartbeat"].as_i64().unwrap_or(0);
            let age = time::OffsetDateTime::now_utc().unix_timestamp() - beat;
            let gone_here = v["host"].as_str() == Some(host().as_str())
                && v["pid"]
                    .as_u64()
                    .is_some_and(|pid| !FsPath::new(&format!("/proc/{pid}")).exists());
            let stale = age >= i64::try_from(STALE_AFTER.as_secs()).unwrap_or(i64::MAX);
            if !gone_here && !stale {
                return Err(locked(format!(
                    "pid {} on {}, last heard of {age} s ago; a holder silent for {} s is \
                     taken over",
                    v["pid"],
                    v["host"].as_str().unwrap_or("?"),
                    STALE_AFTER.as_secs()
                )));
            }
            return match self
                .store
                .put_opts(&path, lock_body().into(), PutMode::Update(seen).into())
                .await
            {
                Ok(r) => Ok(LockVersion(r.into())),
                Err(object_store::Error::Precondition { .. }) => Err(locked(
                    "another audit, which took the abandoned lock over first".to_string(),
                )),
                Err(e) => Err(self.request_err(LOCK, "writing")(e)),
            };
        }
        Err(locked(
            "another audit, changing it as we read it".to_string(),
        ))
    }

    /// Renews the lock object's heartbeat, if it is still the one `held` names; returns the
    /// lock's new version.
    pub async fn renew(&self, held: &LockVersion) -> Result<LockVersion, StoreError> {
        self.store
            .put_opts(
                &self.object(LOCK),
                lock_body().into(),
                PutMode::Update(held.0.clone()).into(),
            )
            .await
            .map(|r| LockVersion(r.into()))
            .map_err(self.request_err(LOCK, "renewing"))
    }

    /// Removes the lock object.
    pub async fn unlock(&self) -> Result<(), StoreError> {
        self.delete(LOCK).await
    }
}

/// A held lock object's version: renewing it is conditional on it.
#[derive(Debug, Clone)]
pub struct LockVersion(UpdateVersion);

/// The lock object's content: who holds it, and when it last said so.
fn lock_body() -> Vec<u8> {
    serde_json::json!({
        "pid": std::process::id(),
        "host": host(),
        "heartbeat": time::OffsetDateTime::now_utc().unix_timestamp(),
    })
    .to_string()
    .into_bytes()
}

/// This machine's name (a pod's name in Kubernetes).
fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// The path of `file` relative to `dir`, with `/` separators (the object's name).
pub fn relative(dir: &FsPath, file: &FsPath) -> Option<String> {
    let rel: PathBuf = file.strip_prefix(dir).ok()?.to_path_buf();
    Some(
        rel.components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/"),
    )
}
