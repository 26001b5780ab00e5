//! Telling people a report is ready: the digest posted once to chat webhooks — DingTalk,
//! WeCom and Feishu custom robots, or a generic JSON body — with a bounded number of retries
//! (connection failures, timeouts, 429 and 5xx). The report is written before anything is
//! posted, so a failed post never loses it; the caller reports the failure.
#![deny(missing_docs)]

mod format;
mod post;

pub use format::{Format, body};
pub use post::{Delivery, Notifier, NotifyError};
