//! TLS for every role (OCPP security profiles 2 and 3), with rustls and ring.
//!
//! The nodes hand over PEM text: Node-RED's own `tls-config` node reads the
//! files or holds uploaded certificates, so the engine never needs to know
//! where they came from. A CA *file* path is still accepted for the
//! `CP client JSON` option that predates the `tls-config` choice.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use serde::Deserialize;
use std::sync::Arc;

/// What a node passes (JSON, camelCase); every field optional.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "camelCase", default)]
pub struct TlsOptions {
    /// Certificate chain (PEM), leaf first: the server's, or the client's for profile 3.
    pub cert: Option<String>,
    /// Private key (PEM, PKCS#8, PKCS#1 or SEC1; not encrypted).
    pub key: Option<String>,
    /// CA certificates (PEM): a client trusts them besides the system roots;
    /// a server checks client certificates against them.
    pub ca: Option<String>,
    /// A PEM file of CA certificates (read once, at start).
    pub ca_file: Option<String>,
    /// Server: refuse clients without a certificate signed by `ca` (profile 3).
    pub require_client_cert: bool,
    /// Client: `false` accepts any server certificate (tests with self-signed
    /// certificates only; the node warns).
    pub verify_server: Option<bool>,
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read the CA file {path}: {source}")]
    ReadFile { path: String, source: std::io::Error },
    #[error("the {what} is not valid PEM: {detail}")]
    Pem { what: &'static str, detail: String },
    #[error("the {what} holds no certificate")]
    NoCertificate { what: &'static str },
    #[error("{0}: set a certificate and its private key in the TLS configuration")]
    Missing(&'static str),
    #[error("a client certificate is required but no CA to check it against is set; add the CA certificate to the TLS configuration")]
    NoClientCa,
    #[error("the private key is encrypted; give an unencrypted key (openssl pkey -in key.pem -out plain.pem)")]
    EncryptedKey,
    #[error("TLS set-up failed: {0}")]
    Rustls(#[from] rustls::Error),
    #[error("TLS set-up failed: {0}")]
    Verifier(String),
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn present(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.trim().is_empty())
}

fn certificates(pem: &str, what: &'static str) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Pem { what, detail: e.to_string() })?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate { what });
    }
    Ok(certs)
}

fn private_key(pem: &str) -> Result<PrivateKeyDer<'static>, TlsError> {
    if pem.contains("ENCRYPTED") {
        return Err(TlsError::EncryptedKey);
    }
    PrivateKeyDer::from_pem_slice(pem.as_bytes())
        .map_err(|e| TlsError::Pem { what: "private key", detail: e.to_string() })
}

impl TlsOptions {
    /// The CA certificates from `ca` and `ca_file`, if any.
    fn extra_roots(&self) -> Result<Vec<CertificateDer<'static>>, TlsError> {
        let mut roots = Vec::new();
        if let Some(pem) = present(&self.ca) {
            roots.extend(certificates(pem, "CA certificate")?);
        }
        if let Some(path) = present(&self.ca_file) {
            let pem =
                std::fs::read_to_string(path).map_err(|source| TlsError::ReadFile { path: path.to_owned(), source })?;
            roots.extend(certificates(&pem, "CA file")?);
        }
        Ok(roots)
    }

    fn identity(
        &self,
        role: &'static str,
    ) -> Result<Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>, TlsError> {
        match (present(&self.cert), present(&self.key)) {
            (Some(cert), Some(key)) => Ok(Some((certificates(cert, "certificate")?, private_key(key)?))),
            (None, None) => Ok(None),
            _ => Err(TlsError::Missing(role)),
        }
    }

    /// A server's configuration: its certificate, and client-certificate
    /// checks when a CA is given (required or optional).
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, TlsError> {
        let (chain, key) = self
            .identity("a TLS server needs a certificate and key")?
            .ok_or(TlsError::Missing("a TLS server needs a certificate and key"))?;
        let builder = rustls::ServerConfig::builder_with_provider(provider()).with_safe_default_protocol_versions()?;
        let client_cas = self.extra_roots()?;
        let builder = if client_cas.is_empty() {
            if self.require_client_cert {
                return Err(TlsError::NoClientCa);
            }
            builder.with_no_client_auth()
        } else {
            let mut roots = rustls::RootCertStore::empty();
            for ca in client_cas {
                roots.add(ca)?;
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider());
            let verifier = if self.require_client_cert { verifier } else { verifier.allow_unauthenticated() };
            builder.with_client_cert_verifier(verifier.build().map_err(|e| TlsError::Verifier(e.to_string()))?)
        };
        let mut config = builder.with_single_cert(chain, key)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }

    /// A client's configuration: system roots plus the given CAs, and a
    /// client certificate when one is set.
    pub fn client_config(&self) -> Result<Arc<rustls::ClientConfig>, TlsError> {
        let mut roots = rustls::RootCertStore::empty();
        for cert in rustls_native_certs::load_native_certs().certs {
            let _ = roots.add(cert);
        }
        for ca in self.extra_roots()? {
            roots.add(ca)?;
        }
        let builder = rustls::ClientConfig::builder_with_provider(provider()).with_safe_default_protocol_versions()?;
        let builder = if self.verify_server == Some(false) {
            builder.dangerous().with_custom_certificate_verifier(Arc::new(AcceptAnyServer(provider())))
        } else {
            builder.with_root_certificates(roots)
        };
        let config = match self.identity("a client certificate needs its key")? {
            Some((chain, key)) => builder.with_client_auth_cert(chain, key)?,
            None => builder.with_no_client_auth(),
        };
        Ok(Arc::new(config))
    }
}

/// For `verify_server: false`: checks signatures but not who signed.
#[derive(Debug)]
struct AcceptAnyServer(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AcceptAnyServer {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_an_identity_is_an_error() {
        let opts = TlsOptions { cert: Some("-----BEGIN CERTIFICATE-----\n".into()), ..Default::default() };
        assert!(matches!(opts.server_config(), Err(TlsError::Missing(_))));
        assert!(matches!(TlsOptions::default().server_config(), Err(TlsError::Missing(_))));
    }

    #[test]
    fn encrypted_keys_are_refused_with_a_hint() {
        let pem = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";
        assert!(matches!(private_key(pem), Err(TlsError::EncryptedKey)));
    }

    #[test]
    fn a_ca_that_is_not_pem_is_reported() {
        let opts = TlsOptions { ca: Some("not a certificate".into()), ..Default::default() };
        assert!(matches!(opts.client_config(), Err(TlsError::NoCertificate { .. })));
        let opts = TlsOptions { ca_file: Some("/nonexistent/ca.pem".into()), ..Default::default() };
        assert!(opts.client_config().unwrap_err().to_string().contains("/nonexistent/ca.pem"));
    }

    #[test]
    fn a_required_client_certificate_needs_a_ca() {
        let opts = TlsOptions { require_client_cert: true, ..Default::default() };
        // Missing identity is reported first; with one, the missing CA is.
        assert!(opts.server_config().is_err());
    }
}
