//! The fleet's certificate authority (generated at start with rcgen) and per-host leaf
//! certificates, issued on first use by SNI and cached.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use crate::FleetError;

/// How a host's certificate should look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum CertKind {
    Valid,
    Expired,
    /// Valid, but for another name (`other.` + the host).
    WrongName,
    /// No certificate: the handshake is refused.
    None,
}

pub(crate) struct Ca {
    issuer: Issuer<'static, KeyPair>,
    pub(crate) pem: String,
}

impl Ca {
    pub(crate) fn generate() -> Result<Ca, FleetError> {
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(FleetError::cert)?;
        params
            .distinguished_name
            .push(DnType::CommonName, "beian-audit simulated fleet CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().map_err(FleetError::cert)?;
        let cert = params.self_signed(&key).map_err(FleetError::cert)?;
        Ok(Ca {
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
        })
    }

    fn leaf(&self, host: &str, kind: CertKind) -> Result<Arc<CertifiedKey>, FleetError> {
        let (cert, key) = self.leaf_cert(host, kind)?;
        let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let signer = rustls::crypto::aws_lc_rs::sign::any_supported_type(&der)
            .map_err(|e| FleetError::Cert(e.to_string()))?;
        Ok(Arc::new(CertifiedKey::new(
            vec![CertificateDer::from(cert.der().to_vec())],
            signer,
        )))
    }

    /// A host's certificate and key as PEM, for another web server ([`crate::export`]).
    pub(crate) fn leaf_pem(
        &self,
        host: &str,
        kind: CertKind,
    ) -> Result<(String, String), FleetError> {
        let (cert, key) = self.leaf_cert(host, kind)?;
        Ok((cert.pem(), key.serialize_pem()))
    }

    fn leaf_cert(
        &self,
        host: &str,
        kind: CertKind,
    ) -> Result<(rcgen::Certificate, KeyPair), FleetError> {
        let named = if kind == CertKind::WrongName {
            format!("other.{host}")
        } else {
            host.to_string()
        };
        let mut params = CertificateParams::new(vec![named.clone()]).map_err(FleetError::cert)?;
        params.distinguished_name.push(DnType::CommonName, named);
        if kind == CertKind::Expired {
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        } else {
            params.not_before = rcgen::date_time_ymd(2024, 1, 1);
            params.not_after = rcgen::date_time_ymd(2099, 1, 1);
        }
        let key = KeyPair::generate().map_err(FleetError::cert)?;
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(FleetError::cert)?;
        Ok((cert, key))
    }
}

/// SNI → certificate, issued lazily.
pub(crate) struct Certs {
    pub(crate) ca: Ca,
    kinds: Arc<HashMap<String, CertKind>>,
    cache: Mutex<HashMap<String, Arc<CertifiedKey>>>,
}

impl std::fmt::Debug for Certs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Certs")
    }
}

impl Certs {
    pub(crate) fn new(ca: Ca, kinds: Arc<HashMap<String, CertKind>>) -> Self {
        Certs {
            ca,
            kinds,
            cache: Mutex::new(HashMap::new()),
        }
    }
}

impl Certs {
    /// How the certificate of `host` looks (`None`: the fleet does not serve the host).
    pub(crate) fn kind(&self, host: &str) -> Option<CertKind> {
        self.kinds.get(host).copied()
    }

    /// Issues every host's certificate now (they are otherwise issued on first use); returns
    /// how many are held.
    pub(crate) fn issue_all(&self) -> Result<usize, FleetError> {
        let mut fresh = Vec::new();
        for (host, kind) in self.kinds.iter() {
            if *kind != CertKind::None {
                fresh.push((host.clone(), self.ca.leaf(host, *kind)?));
            }
        }
        let mut cache = self
            .cache
            .lock()
            .map_err(|_| FleetError::Cert("certificate cache lock poisoned".into()))?;
        cache.extend(fresh);
        Ok(cache.len())
    }
}

impl ResolvesServerCert for Certs {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let host = hello.server_name()?.to_ascii_lowercase();
        let kind = *self.kinds.get(&host)?;
        if kind == CertKind::None {
            return None;
        }
        let mut cache = self.cache.lock().ok()?;
        if let Some(k) = cache.get(&host) {
            return Some(k.clone());
        }
        let k = self.ca.leaf(&host, kind).ok()?;
        cache.insert(host, k.clone());
        Some(k)
    }
}
