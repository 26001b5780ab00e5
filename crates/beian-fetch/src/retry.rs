//! `Retry-After` on a 429 or 503 (RFC 9110 §10.2.3): how long the server asks the probe to
//! wait, and whether the probe waits once and asks again. Pure: the header, the clock and the
//! budget in, a wait or none out.

use std::time::{Duration, SystemTime};

/// The longest `Retry-After` a probe honours: a longer one is a rate limit the run reports
/// (the response stands), not a wait.
pub(crate) const RETRY_AFTER_MAX: Duration = Duration::from_secs(60);

/// The delay a `Retry-After` value asks for at `now`: delay-seconds (`120`) or an HTTP-date
/// (`Wed, 21 Oct 2026 07:28:00 GMT`; a date past is no wait). `None`: unusable.
pub(crate) fn parse(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        return v.parse::<u64>().ok().map(Duration::from_secs);
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The wait before asking again: on a 429 or 503 whose `Retry-After` asks for no more than
/// [`RETRY_AFTER_MAX`] and fits in what is left of the probe's budget (`left`).
pub(crate) fn wait_before_retry(
    status: u16,
    headers: &[(String, String)],
    now: SystemTime,
    left: Duration,
) -> Option<Duration> {
    if status != 429 && status != 503 {
        return None;
    }
    let (_, value) = headers.iter().find(|(n, _)| n == "retry-after")?;
    parse(value, now).filter(|d| *d <= RETRY_AFTER_MAX && *d < left)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hs(v: &str) -> Vec<(String, String)> {
        vec![("retry-after".to_string(), v.to_string())]
    }

    #[test]
    fn seconds_and_dates() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2026 07:28:00 GMT").unwrap();
        assert_eq!(parse("2", now), Some(Duration::from_secs(2)));
        assert_eq!(parse(" 30 ", now), Some(Duration::from_secs(30)));
        assert_eq!(
            parse("Wed, 21 Oct 2026 07:28:05 GMT", now),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            parse("Wed, 21 Oct 2026 07:27:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse("soon", now), None);
        assert_eq!(parse("-1", now), None);
        assert_eq!(parse("1.5", now), None);
    }

    #[test]
    fn waits_once_within_the_cap_and_the_budget() {
        let now = SystemTime::UNIX_EPOCH;
        let left = Duration::from_secs(20);
        assert_eq!(
            wait_before_retry(429, &hs("1"), now, left),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            wait_before_retry(503, &hs("3"), now, left),
            Some(Duration::from_secs(3))
        );
        // Another status, no header, over the budget, over the cap: no wait.
        assert_eq!(wait_before_retry(403, &hs("1"), now, left), None);
        assert_eq!(wait_before_retry(429, &[], now, left), None);
        assert_eq!(wait_before_retry(429, &hs("30"), now, left), None);
        assert_eq!(
            wait_before_retry(429, &hs("3600"), now, Duration::from_secs(7200)),
            None
        );
    }
}
