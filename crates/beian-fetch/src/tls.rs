//! TLS client setup: aws-lc-rs provider, webpki roots plus extra roots, and a verifier that
//! lets the handshake finish whatever the certificate, so that a bad certificate becomes a
//! finding (checked after the handshake with the real webpki verifier) and the page is still
//! fetched.

use std::sync::Arc;

use rustls::CipherSuite;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};

/// Accepts any certificate chain but still checks handshake signatures against the leaf key.
#[derive(Debug)]
struct RecordOnly {
    algs: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for RecordOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

/// The client TLS configuration and the verifier used to judge certificates afterwards.
pub(crate) struct Tls {
    pub(crate) config: Arc<rustls::ClientConfig>,
    pub(crate) verifier: Arc<WebPkiServerVerifier>,
}

/// Error building the TLS configuration (bad extra roots).
#[derive(Debug, thiserror::Error)]
#[error("TLS setup failed: {0}")]
pub struct TlsSetupError(pub(crate) String);

/// TLS sessions kept for resumption (a few KB each).
const SESSIONS: usize = 4096;

/// The audit's TLS provider: aws-lc-rs with AES-128-GCM/SHA-256 offered first, as browsers
/// do (then AES-256-GCM, ChaCha20). The server follows the client's order, and SHA-256 runs on
/// the CPU's SHA extensions where SHA-384 does not (the handshake's hashing was 3.4% of the
/// audit's CPU with rustls' default order, 0.6% with this one).
pub fn crypto_provider() -> rustls::crypto::CryptoProvider {
    let mut provider = rustls::crypto::aws_lc_rs::default_provider();
    // TLS 1.3 suites still first; within each version AES-128-GCM first, the rest in order.
    provider.cipher_suites.sort_by_key(|s| {
        let aes_128_gcm = matches!(
            s.suite(),
            CipherSuite::TLS13_AES_128_GCM_SHA256
                | CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
                | CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
        );
        (s.tls13().is_none(), !aes_128_gcm)
    });
    provider
}

pub(crate) fn build(extra_roots: &[CertificateDer<'static>]) -> Result<Tls, TlsSetupError> {
    let provider = Arc::new(crypto_provider());
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    for c in extra_roots {
        roots
            .add(c.clone())
            .map_err(|e| TlsSetupError(format!("extra root certificate: {e}")))?;
    }
    let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| TlsSetupError(e.to_string()))?;
    let algs = provider.signature_verification_algorithms;
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsSetupError(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(RecordOnly { algs }))
        .with_no_client_auth();
    // HTTP/1.1 only: HTTP/2 was measured against nginx (BENCHMARKS.md, issue 16) and saved
    // the servers nothing — a site's probes send one request per https connection.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    // A site's hosts are contacted again within seconds (a redirect from the apex to www
    // while www's own probes run): keep the sessions of the hosts of the sites in progress
    // (rustls keeps 256 by default, fewer than the hosts of 4 × 64 sites).
    config.resumption = rustls::client::Resumption::in_memory_sessions(SESSIONS);
    Ok(Tls {
        config: Arc::new(config),
        verifier,
    })
}

/// Checks a presented chain the way a browser would; `None` when valid.
pub(crate) fn judge_chain(
    verifier: &WebPkiServerVerifier,
    chain: &[CertificateDer<'static>],
    host: &str,
) -> Option<String> {
    let Some((leaf, rest)) = chain.split_first() else {
        return Some("no certificate presented".into());
    };
    let name = match ServerName::try_from(host.to_string()) {
        Ok(n) => n,
        Err(e) => return Some(format!("invalid server name: {e}")),
    };
    match verifier.verify_server_cert(leaf, rest, &name, &[], UnixTime::now()) {
        Ok(_) => None,
        Err(e) => Some(cert_error_text(&e)),
    }
}

fn cert_error_text(e: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => {
            "expired".into()
        }
        rustls::Error::InvalidCertificate(C::NotValidYet | C::NotValidYetContext { .. }) => {
            "not yet valid".into()
        }
        rustls::Error::InvalidCertificate(
            C::NotValidForName | C::NotValidForNameContext { .. },
        ) => "name mismatch".into(),
        rustls::Error::InvalidCertificate(C::UnknownIssuer) => {
            "unknown issuer (untrusted chain)".into()
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aes_128_gcm_is_offered_first_and_no_suite_is_lost() {
        let ours = crypto_provider().cipher_suites;
        let default = rustls::crypto::aws_lc_rs::default_provider().cipher_suites;
        assert_eq!(ours[0].suite(), CipherSuite::TLS13_AES_128_GCM_SHA256);
        assert_eq!(ours.len(), default.len());
        assert!(
            default
                .iter()
                .all(|d| ours.iter().any(|o| o.suite() == d.suite()))
        );
        // TLS 1.3 suites still come before TLS 1.2 ones.
        let first_12 = ours.iter().position(|s| s.tls13().is_none());
        let last_13 = ours.iter().rposition(|s| s.tls13().is_some());
        assert!(last_13 < first_12, "{ours:?}");
    }
}
