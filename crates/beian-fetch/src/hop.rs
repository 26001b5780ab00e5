//! The redirect rule: what a response leads to — it is the page, the chain goes on to the
//! next URL, or the chain ends in a fault — decided from the response's status, `Location`
//! and body and the chain so far. No I/O: the fetcher's loop acts on the answer.

use std::collections::HashSet;

use beian_types::{ErrorClass, Hop};
use url::Url;

use crate::FetchError;
use crate::refresh::meta_refresh;

/// The chain so far.
pub(crate) struct Chain<'a> {
    /// The URL that answered.
    pub(crate) url: &'a Url,
    /// Every URL the chain has requested.
    pub(crate) seen: &'a HashSet<String>,
    /// Hops recorded so far.
    pub(crate) hops: usize,
    /// The chain already followed a meta refresh (one is followed at most).
    pub(crate) refreshed: bool,
    /// Most hops allowed.
    pub(crate) max_redirects: usize,
}

/// What a response leads to.
#[derive(Debug, PartialEq)]
pub(crate) enum Next {
    /// The response is the page.
    Page,
    /// Record `hop` and request `target`; `refresh` when a meta refresh led there.
    Follow {
        /// The hop to record.
        hop: Hop,
        /// The next URL.
        target: Url,
        /// A meta refresh, not a 3xx.
        refresh: bool,
    },
    /// The chain ends: record `hop` (when there is one), and the probe fails with `error`.
    Fault {
        /// The hop that led nowhere.
        hop: Option<Hop>,
        /// Why.
        error: FetchError,
    },
}

/// The rule: a 3xx with a `Location` is followed, and a 2xx page's meta refresh once per
/// chain; a refresh to the page itself is a landing page. A hop to an unusable or non-HTTP
/// URL, back to a URL of the chain, past `max_redirects` or to no host ends the chain.
pub(crate) fn next(
    chain: &Chain<'_>,
    status: u16,
    location: Option<&str>,
    body: Option<&[u8]>,
) -> Next {
    let redirect = (300..400).contains(&status);
    let location = if redirect {
        location.map(str::to_string)
    } else if !chain.refreshed && (200..300).contains(&status) {
        body.and_then(meta_refresh)
    } else {
        None
    };
    let Some(location) = location else {
        return Next::Page;
    };
    let hop = Hop {
        url: chain.url.to_string(),
        status,
        location: location.clone(),
    };
    let fault = |hop: Hop, class: ErrorClass, message: String| Next::Fault {
        hop: Some(hop),
        error: FetchError::new(class, message),
    };
    let target = match chain.url.join(location.trim()) {
        Ok(t) => t,
        Err(e) => {
            return fault(
                hop,
                ErrorClass::RedirectInvalid,
                format!("unusable Location {location:?}: {e}"),
            );
        }
    };
    if !redirect && target == *chain.url {
        // A page that refreshes itself is a landing page, not a redirect.
        return Next::Page;
    }
    if !matches!(target.scheme(), "http" | "https") {
        let message = format!("redirect to unsupported scheme {:?}", target.scheme());
        return fault(hop, ErrorClass::RedirectInvalid, message);
    }
    if chain.seen.contains(target.as_str()) {
        let message = format!("redirect loop back to {target}");
        return fault(hop, ErrorClass::RedirectLoop, message);
    }
    if chain.hops + 1 > chain.max_redirects {
        let message = format!("more than {} redirects", chain.max_redirects);
        return fault(hop, ErrorClass::RedirectLimit, message);
    }
    if target.host_str() != chain.url.host_str() && target.host_str().is_none() {
        return fault(
            hop,
            ErrorClass::RedirectInvalid,
            "redirect without host".into(),
        );
    }
    Next::Follow {
        hop,
        target,
        refresh: !redirect,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(
        url: &str,
        seen: &[&str],
        hops: usize,
        refreshed: bool,
        f: impl FnOnce(&Chain<'_>) -> Next,
    ) -> Next {
        let url: Url = url.parse().unwrap();
        let seen: HashSet<String> = seen.iter().map(|s| (*s).to_string()).collect();
        f(&Chain {
            url: &url,
            seen: &seen,
            hops,
            refreshed,
            max_redirects: 3,
        })
    }

    fn class(n: &Next) -> Option<ErrorClass> {
        match n {
            Next::Fault { error, .. } => Some(error.class),
            _ => None,
        }
    }

    #[test]
    fn a_redirect_is_followed_relative_to_its_url() {
        let n = at("http://a.cn/x/", &["http://a.cn/x/"], 0, false, |c| {
            next(c, 301, Some(" ../y "), None)
        });
        assert_eq!(
            n,
            Next::Follow {
                hop: Hop {
                    url: "http://a.cn/x/".into(),
                    status: 301,
                    location: " ../y ".into(),
                },
                target: "http://a.cn/y".parse().unwrap(),
                refresh: false,
            }
        );
        // A 3xx without a Location is the page; so is a 200 without a refresh, and a 404.
        for (status, location) in [(302, None), (200, None), (404, Some("/z"))] {
            let n = at("http://a.cn/", &[], 0, false, |c| {
                next(c, status, location, None)
            });
            assert_eq!(n, Next::Page, "{status}");
        }
    }

    #[test]
    fn a_meta_refresh_is_followed_once_and_not_to_itself() {
        let body = br#"<meta http-equiv="refresh" content="0; url=https://www.a.cn/">"#;
        let n = at("http://a.cn/", &[], 0, false, |c| {
            next(c, 200, None, Some(body))
        });
        assert!(
            matches!(&n, Next::Follow { refresh: true, target, .. } if target.as_str() == "https://www.a.cn/"),
            "{n:?}"
        );
        // The chain already followed one: this page is the page.
        let n = at("http://a.cn/", &[], 1, true, |c| {
            next(c, 200, None, Some(body))
        });
        assert_eq!(n, Next::Page);
        // A page that refreshes itself is a landing page.
        let own = br#"<meta http-equiv="refresh" content="30; url=/">"#;
        let n = at("http://a.cn/", &[], 0, false, |c| {
            next(c, 200, None, Some(own))
        });
        assert_eq!(n, Next::Page);
    }

    #[test]
    fn faults_end_the_chain_with_the_hop_recorded() {
        let loop_back = at(
            "http://a.cn/b",
            &["http://a.cn/", "http://a.cn/b"],
            1,
            false,
            |c| next(c, 302, Some("/"), None),
        );
        assert_eq!(class(&loop_back), Some(ErrorClass::RedirectLoop));
        assert!(matches!(loop_back, Next::Fault { hop: Some(_), .. }));
        let limit = at("http://a.cn/3", &[], 3, false, |c| {
            next(c, 302, Some("/4"), None)
        });
        assert_eq!(class(&limit), Some(ErrorClass::RedirectLimit));
        let file = at("http://a.cn/", &[], 0, false, |c| {
            next(c, 302, Some("file:///etc/passwd"), None)
        });
        assert_eq!(class(&file), Some(ErrorClass::RedirectInvalid));
        let unusable = at("http://a.cn/", &[], 0, false, |c| {
            next(c, 302, Some("http://[::1"), None)
        });
        assert_eq!(class(&unusable), Some(ErrorClass::RedirectInvalid));
        // Within the limit, to a new URL: followed.
        let ok = at("http://a.cn/2", &["http://a.cn/2"], 2, false, |c| {
            next(c, 302, Some("/3"), None)
        });
        assert!(matches!(ok, Next::Follow { .. }), "{ok:?}");
    }
}
