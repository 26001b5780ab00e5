//! The proxy's certificates: one key pair per renderer and a self-signed certificate per host,
//! made on first use. The browser talks only to the proxy and is started with
//! `--ignore-certificate-errors`; the origin's real certificate is the audit's business,
//! checked by its own fetcher upstream.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use rustls::sign::CertifiedKey;
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// A certificate or the proxy's key could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    /// rcgen failed to make a key or a certificate.
    #[error("making a certificate")]
    Make(#[source] rcgen::Error),
    /// rustls did not take the key.
    #[error("loading the proxy's key")]
    Key(#[source] rustls::Error),
}

pub(crate) struct HostCerts {
    key: rcgen::KeyPair,
    signing: Arc<dyn rustls::sign::SigningKey>,
    made: Mutex<HashMap<String, Arc<CertifiedKey>>>,
}

impl std::fmt::Debug for HostCerts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostCerts").finish_non_exhaustive()
    }
}

/// How many hosts' certificates are kept (a page rarely names more than a few hosts).
const KEPT: usize = 1024;

impl HostCerts {
    pub(crate) fn new() -> Result<Self, CertError> {
        let key = rcgen::KeyPair::generate().map_err(CertError::Make)?;
        let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let signing = provider()
            .key_provider
            .load_private_key(der)
            .map_err(CertError::Key)?;
        Ok(HostCerts {
            key,
            signing,
            made: Mutex::new(HashMap::new()),
        })
    }

    /// The certificate and key the proxy shows for `host`.
    pub(crate) fn for_host(&self, host: &str) -> Result<Arc<CertifiedKey>, CertError> {
        // A poisoned lock only means another render panicked; the map is still sound.
        let mut made = self.made.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(c) = made.get(host) {
            return Ok(c.clone());
        }
        let params =
            rcgen::CertificateParams::new(vec![host.to_string()]).map_err(CertError::Make)?;
        let cert = params.self_signed(&self.key).map_err(CertError::Make)?;
        let certified = Arc::new(CertifiedKey::new(
            vec![cert.der().clone()],
            self.signing.clone(),
        ));
        if made.len() >= KEPT {
            made.clear();
        }
        made.insert(host.to_string(), certified.clone());
        Ok(certified)
    }
}

pub(crate) fn provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::aws_lc_rs::default_provider()
}

/// Always the one certificate: the proxy knows the host from the `CONNECT` line, which also
/// covers IP-literal URLs (no SNI).
#[derive(Debug)]
pub(crate) struct Fixed(pub(crate) Arc<CertifiedKey>);

impl rustls::server::ResolvesServerCert for Fixed {
    fn resolve(&self, _hello: rustls::server::ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}
