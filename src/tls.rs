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

/// The client certificate a TLS connection presented (its leaf), as the
/// listener attaches it to each request of that connection.
#[derive(Clone, Debug)]
pub struct PeerCertificate(pub Arc<CertificateDer<'static>>);

impl PeerCertificate {
    /// The leaf of what rustls verified, if the client sent one.
    pub fn of(connection: &rustls::ServerConnection) -> Option<Self> {
        let leaf = connection.peer_certificates()?.first()?;
        Some(Self(Arc::new(leaf.clone().into_owned())))
    }

    /// The names the certificate gives its holder: the subject's Common
    /// Names, then its subjectAltName DNS names. Empty when it has none or
    /// cannot be read (the chain was verified by rustls already; this reads
    /// only names).
    pub fn names(&self) -> Vec<String> {
        der::names(self.0.as_ref()).unwrap_or_default()
    }

    /// OCPP security profile 3: whether the certificate names `cb_id`, as a
    /// subject Common Name or a SAN DNS name, exactly (ids are case-sensitive
    /// here, as in the registry).
    pub fn names_station(&self, cb_id: &str) -> bool {
        self.names().iter().any(|n| n == cb_id)
    }
}

/// Just enough DER to read a certificate's subject CN and SAN DNS names
/// (RFC 5280 4.1): rustls verifies certificates but does not expose names.
mod der {
    const SEQUENCE: u8 = 0x30;
    const SET: u8 = 0x31;
    const OID: u8 = 0x06;
    const EXPLICIT_0: u8 = 0xa0;
    const EXPLICIT_3: u8 = 0xa3;
    const OCTET_STRING: u8 = 0x04;
    const BOOLEAN: u8 = 0x01;
    const DNS_NAME: u8 = 0x82;
    /// 2.5.4.3, id-at-commonName.
    const CN: &[u8] = &[0x55, 0x04, 0x03];
    /// 2.5.29.17, id-ce-subjectAltName.
    const SAN: &[u8] = &[0x55, 0x1d, 0x11];

    /// One TLV: its tag, its value, and what follows it.
    fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let (&tag, rest) = input.split_first()?;
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = if first < 0x80 {
            (first as usize, rest)
        } else {
            let n = (first & 0x7f) as usize;
            if n == 0 || n > 4 || rest.len() < n {
                return None;
            }
            let len = rest[..n].iter().fold(0usize, |acc, b| (acc << 8) | *b as usize);
            (len, &rest[n..])
        };
        (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
    }

    /// The TLV with `tag` at the start of `input`.
    fn expect(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
        let (t, value, rest) = tlv(input)?;
        (t == tag).then_some((value, rest))
    }

    /// Every TLV in `input`, in order.
    fn items(mut input: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
        std::iter::from_fn(move || {
            let (tag, value, rest) = tlv(input)?;
            input = rest;
            Some((tag, value))
        })
    }

    /// A directory string as text: UTF8String, PrintableString, IA5String,
    /// TeletexString (taken as UTF-8), BMPString (UTF-16).
    fn text(tag: u8, value: &[u8]) -> Option<String> {
        match tag {
            0x0c | 0x13 | 0x16 | 0x14 => String::from_utf8(value.to_vec()).ok(),
            0x1e => {
                let units: Vec<u16> = value.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
                String::from_utf16(&units).ok()
            }
            _ => None,
        }
    }

    pub(super) fn names(cert: &[u8]) -> Option<Vec<String>> {
        let (certificate, _) = expect(cert, SEQUENCE)?;
        let (tbs, _) = expect(certificate, SEQUENCE)?;
        let mut rest = tbs;
        if let Some((_, after)) = expect(rest, EXPLICIT_0) {
            rest = after; // version
        }
        // serialNumber, signature, issuer, validity, then the subject.
        for _ in 0..4 {
            rest = tlv(rest)?.2;
        }
        let (subject, rest) = expect(rest, SEQUENCE)?;
        let mut names = Vec::new();
        for (_, rdn) in items(subject).filter(|(t, _)| *t == SET) {
            for (_, attribute) in items(rdn).filter(|(t, _)| *t == SEQUENCE) {
                let Some((oid, value)) = expect(attribute, OID) else { continue };
                if oid == CN {
                    names.extend(tlv(value).and_then(|(tag, v, _)| text(tag, v)));
                }
            }
        }
        // subjectPublicKeyInfo, then optional unique ids and the extensions.
        let extensions = items(tlv(rest)?.2).find(|(t, _)| *t == EXPLICIT_3).map(|(_, v)| v);
        if let Some((list, _)) = extensions.and_then(|e| expect(e, SEQUENCE)) {
            for (_, extension) in items(list).filter(|(t, _)| *t == SEQUENCE) {
                let Some((oid, mut value)) = expect(extension, OID) else { continue };
                if oid != SAN {
                    continue;
                }
                if let Some((_, after)) = expect(value, BOOLEAN) {
                    value = after; // critical
                }
                let Some((octets, _)) = expect(value, OCTET_STRING) else { continue };
                let Some((general_names, _)) = expect(octets, SEQUENCE) else { continue };
                for (tag, name) in items(general_names) {
                    if tag == DNS_NAME {
                        names.extend(String::from_utf8(name.to_vec()).ok());
                    }
                }
            }
        }
        Some(names)
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

    /// Made with `openssl req -x509 -subj "/O=Test CPO/CN=CP-A"
    /// -addext "subjectAltName=DNS:SAN-CP,IP:127.0.0.1,DNS:second.example"`.
    const CP_A: &str = "-----BEGIN CERTIFICATE-----\nMIIBwzCCAWqgAwIBAgIUbxd1q/rJwiH2ZQoAW4zhWbG4uHQwCgYIKoZIzj0EAwIw\nIjERMA8GA1UECgwIVGVzdCBDUE8xDTALBgNVBAMMBENQLUEwIBcNMjYxMjA2MjAz\nOTIxWhgPMjEyNjExMTIyMDM5MjFaMCIxETAPBgNVBAoMCFRlc3QgQ1BPMQ0wCwYD\nVQQDDARDUC1BMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEfYvi6xK9vwly19rp\nncBP5X3O12VoULabrPS/hs7xR5gOMVR8KoOrAVWgiNH/CddkF4QtJ0H9MJpfH2hR\n+lkKsaN8MHowHQYDVR0OBBYEFBbXCW44vlS7wfQwdezriFkLbMThMB8GA1UdIwQY\nMBaAFBbXCW44vlS7wfQwdezriFkLbMThMA8GA1UdEwEB/wQFMAMBAf8wJwYDVR0R\nBCAwHoIGU0FOLUNQhwR/AAABgg5zZWNvbmQuZXhhbXBsZTAKBggqhkjOPQQDAgNH\nADBEAiBNTmLhXkGYm2/IyiqrnsCueuFuKtARo5CHpjaukqRUBAIgGwG6r5C1qzq5\nnchzsFH/mWTK6xsuBPBn85y8MUYs8UQ=\n-----END CERTIFICATE-----\n";
    /// `-subj "/CN=RPC 1"`, no extensions but the key ids.
    const RPC_1: &str = "-----BEGIN CERTIFICATE-----\nMIIBdzCCAR2gAwIBAgIUUSj3teBRxwec2rnH2FQU2mX1jacwCgYIKoZIzj0EAwIw\nEDEOMAwGA1UEAwwFUlBDIDEwIBcNMjYxMjA2MjAzOTIxWhgPMjEyNjExMTIyMDM5\nMjFaMBAxDjAMBgNVBAMMBVJQQyAxMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\nQIvpuqCouwE4yw4qUzd+QHSD8uLMhkFg/KXhBXoeNfR7CB6Fzr8vu3dF6Y4Oo9Gx\ntLZsEvbwW3i6r/Whn07HY6NTMFEwHQYDVR0OBBYEFOZoKjNAtqnH1HdcrTWEpq1r\nG2oAMB8GA1UdIwQYMBaAFOZoKjNAtqnH1HdcrTWEpq1rG2oAMA8GA1UdEwEB/wQF\nMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIgJtIJsiuaYTgYGM9R5VJ9FmkgYrLQgUM4\nl4gkJW3YVYwCIQCzvHDCExaKK/FaNcxkwMpA4y4zwstakevKNweaZNmxzQ==\n-----END CERTIFICATE-----\n";

    fn peer(pem: &str) -> PeerCertificate {
        PeerCertificate(Arc::new(certificates(pem, "test certificate").unwrap().remove(0)))
    }

    #[test]
    fn a_certificate_names_its_station_by_cn_or_san_dns() {
        let cp_a = peer(CP_A);
        assert_eq!(cp_a.names(), ["CP-A", "SAN-CP", "second.example"]);
        assert!(cp_a.names_station("CP-A"));
        assert!(cp_a.names_station("SAN-CP"));
        for other in ["CP-VICTIM", "cp-a", "Test CPO", "127.0.0.1", "CP-A "] {
            assert!(!cp_a.names_station(other), "{other}");
        }
        assert_eq!(peer(RPC_1).names(), ["RPC 1"]);
        // Not a certificate: no names, never a panic.
        for junk in [&b""[..], b"\x30", b"\x30\x84\xff\xff\xff\xff", b"\x30\x03\x30\x01\x00"] {
            assert_eq!(der::names(junk).unwrap_or_default(), Vec::<String>::new());
        }
    }
}
