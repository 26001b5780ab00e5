//! `Host` header values, read alike by the HTTP servers and the raw hostile answers.

/// The host name of a `Host` header value: lower case, without the port.
pub(crate) fn host_name(value: &str) -> String {
    value
        .rsplit_once(':')
        .map_or(value, |(h, _)| h)
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    #[test]
    fn port_and_case_go() {
        assert_eq!(super::host_name("WWW.Example.CN:8080"), "www.example.cn");
        assert_eq!(super::host_name("example.cn"), "example.cn");
    }
}
