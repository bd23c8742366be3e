//! Test certificates made fresh by rcgen (ring): certificate authorities, server certificates
//! for 127.0.0.1 and localhost, client certificates.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

use crate::PkiError;

fn generate(what: &'static str) -> impl Fn(rcgen::Error) -> PkiError {
    move |source| PkiError::Generate { what, source }
}

/// A certificate authority that signs server and client certificates. For tests only: the key
/// lives in memory, unprotected.
pub struct Ca {
    cert: rcgen::Certificate,
    issuer: Issuer<'static, KeyPair>,
}

impl std::fmt::Debug for Ca {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ca").finish_non_exhaustive()
    }
}

/// An end-entity certificate with its private key and the chain to present (leaf, then the
/// CA), in DER and PEM.
#[derive(Clone)]
pub struct Leaf {
    cert_der: Vec<u8>,
    key_der: Vec<u8>,
    cert_pem: String,
    key_pem: String,
    chain_der: Vec<Vec<u8>>,
    chain_pem: String,
}

impl std::fmt::Debug for Leaf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key stays out of logs, even a test key.
        f.debug_struct("Leaf")
            .field("cert_der_len", &self.cert_der.len())
            .finish_non_exhaustive()
    }
}

impl Ca {
    /// A self-signed CA called `name` (its Common Name), with a fresh ECDSA P-256 key.
    ///
    /// # Errors
    /// [`PkiError::Generate`] when rcgen fails.
    pub fn new(name: &str) -> Result<Ca, PkiError> {
        let mut params = CertificateParams::new(Vec::new()).map_err(generate("CA parameters"))?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().map_err(generate("CA key"))?;
        let cert = params
            .self_signed(&key)
            .map_err(generate("CA certificate"))?;
        Ok(Ca {
            cert,
            issuer: Issuer::new(params, key),
        })
    }

    /// The CA certificate, DER.
    pub fn der(&self) -> Vec<u8> {
        self.cert.der().to_vec()
    }

    /// The CA certificate, PEM: what a client trusts, or a server checks client
    /// certificates against.
    pub fn pem(&self) -> String {
        self.cert.pem()
    }

    /// A server certificate valid for `names` (IP literals become IP address names, the rest
    /// DNS names; the first is also the Common Name).
    ///
    /// # Errors
    /// [`PkiError::Generate`] for an unusable name, or when rcgen fails.
    pub fn server(&self, names: &[&str]) -> Result<Leaf, PkiError> {
        self.leaf(names, ExtendedKeyUsagePurpose::ServerAuth)
    }

    /// A client certificate for `name` (its Common Name and subject alternative name).
    ///
    /// # Errors
    /// [`PkiError::Generate`] for an unusable name, or when rcgen fails.
    pub fn client(&self, name: &str) -> Result<Leaf, PkiError> {
        self.leaf(&[name], ExtendedKeyUsagePurpose::ClientAuth)
    }

    fn leaf(&self, names: &[&str], usage: ExtendedKeyUsagePurpose) -> Result<Leaf, PkiError> {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params =
            CertificateParams::new(names.clone()).map_err(generate("certificate names"))?;
        if let Some(first) = names.first() {
            params.distinguished_name.push(DnType::CommonName, first);
        }
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![usage];
        let key = KeyPair::generate().map_err(generate("leaf key"))?;
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(generate("leaf certificate"))?;
        Ok(Leaf {
            cert_der: cert.der().to_vec(),
            key_der: key.serialize_der(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            chain_der: vec![cert.der().to_vec(), self.der()],
            chain_pem: format!("{}{}", cert.pem(), self.pem()),
        })
    }
}

impl Leaf {
    /// The certificate, DER.
    pub fn cert_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// The private key, DER (PKCS#8).
    pub fn key_der(&self) -> &[u8] {
        &self.key_der
    }

    /// The certificate, PEM.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The private key, PEM (PKCS#8).
    pub fn key_pem(&self) -> &str {
        &self.key_pem
    }

    /// The chain to present, DER: this certificate, then its CA.
    pub fn chain_der(&self) -> &[Vec<u8>] {
        &self.chain_der
    }

    /// The chain to present, PEM: this certificate, then its CA.
    pub fn chain_pem(&self) -> &str {
        &self.chain_pem
    }
}

/// The usual cast for TLS tests: a CA, a server certificate from it for `127.0.0.1` and
/// `localhost`, a client certificate from it (`client-1`), and a client certificate from an
/// unrelated CA (`stranger`), which a server requiring client certificates must refuse.
///
/// Each `Pki::new` makes fresh keys, so tests do not share secrets or depend on files.
///
/// ```
/// let pki = flowsdk_testing::Pki::new()?;
/// assert!(pki.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
/// assert!(pki.client().key_pem().contains("PRIVATE KEY"));
/// # Ok::<(), flowsdk_testing::PkiError>(())
/// ```
#[derive(Debug)]
pub struct Pki {
    ca: Ca,
    server: Leaf,
    client: Leaf,
    stranger: Leaf,
}

impl Pki {
    /// Generates the CA and the three certificates.
    ///
    /// # Errors
    /// [`PkiError::Generate`] when rcgen fails.
    pub fn new() -> Result<Pki, PkiError> {
        let ca = Ca::new("FlowSDK test CA")?;
        let server = ca.server(&["127.0.0.1", "localhost"])?;
        let client = ca.client("client-1")?;
        let stranger = Ca::new("Unrelated CA")?.client("stranger")?;
        Ok(Pki {
            ca,
            server,
            client,
            stranger,
        })
    }

    /// The certificate authority.
    pub fn ca(&self) -> &Ca {
        &self.ca
    }

    /// The CA certificate, PEM.
    pub fn ca_pem(&self) -> String {
        self.ca.pem()
    }

    /// The server certificate, for `127.0.0.1` and `localhost`.
    pub fn server(&self) -> &Leaf {
        &self.server
    }

    /// A client certificate the CA signed (`client-1`).
    pub fn client(&self) -> &Leaf {
        &self.client
    }

    /// A client certificate from an unrelated CA (`stranger`).
    pub fn stranger(&self) -> &Leaf {
        &self.stranger
    }

    /// A client TLS configuration that trusts only this CA (no platform roots) and presents
    /// `identity` (e.g. [`Pki::client`] or [`Pki::stranger`]), if any.
    ///
    /// # Errors
    /// [`TransportError::Config`](flowsdk_transport::TransportError::Config) when the
    /// certificates do not parse (they always should).
    #[cfg(feature = "tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
    pub fn client_tls_config(
        &self,
        identity: Option<&Leaf>,
    ) -> Result<flowsdk_transport::TlsClientConfig, flowsdk_transport::TransportError> {
        let mut builder = flowsdk_transport::TlsClientConfig::builder()
            .root_certificates_pem(self.ca_pem())
            .platform_roots(false);
        if let Some(leaf) = identity {
            builder = builder.client_certificate_pem(leaf.chain_pem(), leaf.key_pem());
        }
        builder.build()
    }

    /// A server TLS configuration presenting the server certificate, with `client_auth`
    /// checked against this CA.
    ///
    /// # Errors
    /// [`TransportError::Config`](flowsdk_transport::TransportError::Config) when the
    /// certificates do not parse (they always should).
    #[cfg(feature = "tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
    pub fn server_tls_config(
        &self,
        client_auth: flowsdk_transport::ClientAuth,
    ) -> Result<flowsdk_transport::TlsServerConfig, flowsdk_transport::TransportError> {
        let mut builder = flowsdk_transport::TlsServerConfig::builder()
            .certificate_chain_pem(self.server.chain_pem(), self.server.key_pem());
        if client_auth != flowsdk_transport::ClientAuth::None {
            builder = builder
                .client_auth(client_auth)
                .client_root_certificates_pem(self.ca_pem());
        }
        builder.build()
    }
}
