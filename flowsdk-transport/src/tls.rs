//! TLS with rustls (`ring` provider): client and server settings, the client handshake over any
//! byte stream, and the server's acceptor.
//!
//! [`TlsClientConfig`] and [`TlsServerConfig`] are built from certificates and keys in DER or
//! PEM (bytes or files); every input is read and checked in `build()`, so a bad file is a
//! [`TransportError::Config`] before any connection is tried. Either can also wrap a rustls
//! configuration made by hand (`from_rustls`).

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::WebPkiClientVerifier;
use rustls::RootCertStore;

use crate::connection::BoxStream;
use crate::dial::Deadline;
use crate::{Address, Phase, TransportConfig, TransportError};

/// Certificates or a key as given to a builder; read and parsed in `build()`.
#[derive(Clone)]
enum Source {
    Der(Vec<u8>),
    Pem(Vec<u8>),
    PemFile(PathBuf),
}

// Key material never goes into logs: only its form and length (or the file's path).
impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Der(b) => write!(f, "Der({} bytes)", b.len()),
            Source::Pem(b) => write!(f, "Pem({} bytes)", b.len()),
            Source::PemFile(p) => write!(f, "PemFile({})", p.display()),
        }
    }
}

impl Source {
    fn describe(&self) -> String {
        match self {
            Source::Der(_) => "DER bytes".to_owned(),
            Source::Pem(_) => "PEM bytes".to_owned(),
            Source::PemFile(p) => p.display().to_string(),
        }
    }
}

/// A certificate chain (end entity first) and its private key.
#[derive(Clone, Debug)]
struct Identity {
    chain: Vec<Source>,
    key: Source,
}

impl Identity {
    fn der<C, B>(chain: C, key: impl Into<Vec<u8>>) -> Self
    where
        C: IntoIterator<Item = B>,
        B: Into<Vec<u8>>,
    {
        Identity {
            chain: chain.into_iter().map(|c| Source::Der(c.into())).collect(),
            key: Source::Der(key.into()),
        }
    }

    fn pem(chain_pem: impl Into<Vec<u8>>, key_pem: impl Into<Vec<u8>>) -> Self {
        Identity {
            chain: vec![Source::Pem(chain_pem.into())],
            key: Source::Pem(key_pem.into()),
        }
    }

    fn pem_file(chain_path: impl Into<PathBuf>, key_path: impl Into<PathBuf>) -> Self {
        Identity {
            chain: vec![Source::PemFile(chain_path.into())],
            key: Source::PemFile(key_path.into()),
        }
    }

    fn load(
        &self,
        what: &str,
    ) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), TransportError> {
        let mut chain = Vec::new();
        for source in &self.chain {
            chain.extend(load_certs(what, source)?);
        }
        if chain.is_empty() {
            return Err(TransportError::Config(format!(
                "{what}: the certificate chain is empty"
            )));
        }
        Ok((chain, load_key(what, &self.key)?))
    }
}

fn config_error(what: &str, source: &Source, detail: impl fmt::Display) -> TransportError {
    TransportError::Config(format!("{what} ({}): {detail}", source.describe()))
}

fn load_certs(what: &str, source: &Source) -> Result<Vec<CertificateDer<'static>>, TransportError> {
    let certs: Vec<CertificateDer<'static>> = match source {
        Source::Der(der) => return Ok(vec![CertificateDer::from(der.clone())]),
        Source::Pem(pem) => CertificateDer::pem_slice_iter(pem)
            .collect::<Result<_, _>>()
            .map_err(|e| config_error(what, source, e))?,
        Source::PemFile(path) => CertificateDer::pem_file_iter(path)
            .map_err(|e| config_error(what, source, e))?
            .collect::<Result<_, _>>()
            .map_err(|e| config_error(what, source, e))?,
    };
    if certs.is_empty() {
        return Err(config_error(
            what,
            source,
            "no CERTIFICATE section in the PEM data",
        ));
    }
    Ok(certs)
}

fn load_key(what: &str, source: &Source) -> Result<PrivateKeyDer<'static>, TransportError> {
    let no_key = |e: rustls::pki_types::pem::Error| match e {
        rustls::pki_types::pem::Error::NoItemsFound => config_error(
            what,
            source,
            "no PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY section in the PEM data",
        ),
        e => config_error(what, source, e),
    };
    match source {
        Source::Der(der) => {
            PrivateKeyDer::try_from(der.clone()).map_err(|e| config_error(what, source, e))
        }
        Source::Pem(pem) => PrivateKeyDer::from_pem_slice(pem).map_err(no_key),
        Source::PemFile(path) => PrivateKeyDer::from_pem_file(path).map_err(no_key),
    }
}

fn root_store(what: &str, sources: &[Source]) -> Result<RootCertStore, TransportError> {
    let mut roots = RootCertStore::empty();
    for source in sources {
        for cert in load_certs(what, source)? {
            roots
                .add(cert)
                .map_err(|e| config_error(what, source, format!("not a usable root: {e}")))?;
        }
    }
    Ok(roots)
}

/// The crypto provider: the process default when the application installed one, otherwise
/// rustls's `ring` provider (the one this crate is built with).
fn provider() -> Arc<CryptoProvider> {
    CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()))
}

/// The platform's trusted roots, loaded once per process.
fn platform_roots() -> Result<RootCertStore, TransportError> {
    static ROOTS: OnceLock<Result<RootCertStore, String>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let found = rustls_native_certs::load_native_certs();
            let mut roots = RootCertStore::empty();
            let (_added, _ignored) = roots.add_parsable_certificates(found.certs);
            if roots.is_empty() {
                let errors: Vec<String> = found.errors.iter().map(ToString::to_string).collect();
                return Err(format!(
                    "no usable root certificate in the platform's store{}; configure roots \
                     with TlsClientConfig::builder().root_certificates_pem_file(..)",
                    if errors.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", errors.join("; "))
                    }
                ));
            }
            Ok(roots)
        })
        .clone()
        .map_err(TransportError::Config)
}

fn alpn_list(protocols: &[Vec<u8>]) -> Result<(), TransportError> {
    match protocols.iter().find(|p| p.is_empty() || p.len() > 255) {
        Some(p) => Err(TransportError::Config(format!(
            "ALPN protocol {:?} must be 1 to 255 bytes long",
            String::from_utf8_lossy(p)
        ))),
        None => Ok(()),
    }
}

/// TLS settings of the dialing side: which servers to trust, the client certificate for
/// mutual TLS, ALPN, and the name to check the server's certificate against.
///
/// Cheap to clone (the rustls configuration is shared). Set it with
/// [`TransportConfigBuilder::tls`](crate::TransportConfigBuilder::tls); without one, `mqtts://`
/// trusts the platform's root certificates and sends no client certificate.
///
/// ```
/// use flowsdk_transport::{TlsClientConfig, TransportConfig};
/// # let ca_pem = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap().cert.pem();
/// let tls = TlsClientConfig::builder()
///     .root_certificates_pem(ca_pem) // or .root_certificates_pem_file("ca.pem")
///     .alpn_protocols(["mqtt"])
///     .build()?;
/// let config = TransportConfig::builder().tls(tls).build();
/// # Ok::<(), flowsdk_transport::TransportError>(())
/// ```
#[derive(Clone)]
pub struct TlsClientConfig {
    rustls: Arc<rustls::ClientConfig>,
    server_name: Option<String>,
}

impl fmt::Debug for TlsClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsClientConfig")
            .field("server_name", &self.server_name)
            .field("alpn_protocols", &alpn_debug(&self.rustls.alpn_protocols))
            .field(
                "client_certificate",
                &self.rustls.client_auth_cert_resolver.has_certs(),
            )
            .finish()
    }
}

fn alpn_debug(protocols: &[Vec<u8>]) -> Vec<String> {
    protocols
        .iter()
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect()
}

impl TlsClientConfig {
    /// A builder; see its setters for the defaults.
    pub fn builder() -> TlsClientConfigBuilder {
        TlsClientConfigBuilder::default()
    }

    /// Wraps a rustls configuration made by hand (custom verifier, session storage, key log,
    /// cipher suites...). Its ALPN list is used as it is for TLS over TCP; QUIC replaces it with
    /// [`QuicConfig`](crate::QuicConfig)'s.
    pub fn from_rustls(config: Arc<rustls::ClientConfig>) -> Self {
        TlsClientConfig {
            rustls: config,
            server_name: None,
        }
    }

    /// Checks the server's certificate against `name` (and sends it as SNI) instead of the
    /// host of the address dialed; useful with [`TlsClientConfig::from_rustls`].
    #[must_use]
    pub fn with_server_name(mut self, name: impl Into<String>) -> Self {
        self.server_name = Some(name.into());
        self
    }

    /// The name the server's certificate is checked against, when it is not the address's host.
    pub fn server_name(&self) -> Option<&str> {
        self.server_name.as_deref()
    }

    /// The ALPN protocols offered, most preferred first.
    pub fn alpn_protocols(&self) -> &[Vec<u8>] {
        &self.rustls.alpn_protocols
    }

    /// The rustls configuration.
    pub fn rustls_config(&self) -> &Arc<rustls::ClientConfig> {
        &self.rustls
    }

    /// What `mqtts://` uses without a configuration: the platform's roots, no client
    /// certificate, no ALPN. Built once per process.
    pub(crate) fn platform_default() -> Result<TlsClientConfig, TransportError> {
        static DEFAULT: OnceLock<Result<TlsClientConfig, String>> = OnceLock::new();
        DEFAULT
            .get_or_init(|| {
                TlsClientConfig::builder()
                    .build()
                    .map_err(|e| e.to_string())
            })
            .clone()
            .map_err(TransportError::Config)
    }
}

/// Builds a [`TlsClientConfig`]; every input is read and checked in
/// [`build`](TlsClientConfigBuilder::build).
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct TlsClientConfigBuilder {
    roots: Vec<Source>,
    platform_roots: Option<bool>,
    identity: Option<Identity>,
    alpn: Vec<Vec<u8>>,
    server_name: Option<String>,
}

impl TlsClientConfigBuilder {
    /// Checks the server's certificate against `name` (and sends it as SNI) instead of the host
    /// of the address dialed, e.g. to dial `mqtts://10.0.0.7:8883` whose certificate names
    /// `broker.internal`. Default: the address's host (a DNS name or an IP address).
    pub fn server_name(mut self, name: impl Into<String>) -> Self {
        self.server_name = Some(name.into());
        self
    }

    /// Trusts the CA certificate `der` (DER-encoded). May be called several times.
    pub fn root_certificate_der(mut self, der: impl Into<Vec<u8>>) -> Self {
        self.roots.push(Source::Der(der.into()));
        self
    }

    /// Trusts every CERTIFICATE in the PEM text `pem`.
    pub fn root_certificates_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.roots.push(Source::Pem(pem.into()));
        self
    }

    /// Trusts every CERTIFICATE in the PEM file at `path` (read by `build`).
    pub fn root_certificates_pem_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.roots.push(Source::PemFile(path.into()));
        self
    }

    /// Whether to trust the platform's root certificates (via `rustls-native-certs`) as well.
    /// Default: `true` when no root certificate is given, `false` otherwise.
    pub fn platform_roots(mut self, enabled: bool) -> Self {
        self.platform_roots = Some(enabled);
        self
    }

    /// The client certificate for mutual TLS: `chain` (DER, end entity first, then any
    /// intermediates) and its private key `key` (DER: PKCS#8, PKCS#1 or SEC1). Default: none.
    pub fn client_certificate_der<C, B>(mut self, chain: C, key: impl Into<Vec<u8>>) -> Self
    where
        C: IntoIterator<Item = B>,
        B: Into<Vec<u8>>,
    {
        self.identity = Some(Identity::der(chain, key));
        self
    }

    /// The client certificate for mutual TLS from PEM text: `chain_pem` holds the certificates
    /// (end entity first), `key_pem` the private key. Both may be the same text.
    pub fn client_certificate_pem(
        mut self,
        chain_pem: impl Into<Vec<u8>>,
        key_pem: impl Into<Vec<u8>>,
    ) -> Self {
        self.identity = Some(Identity::pem(chain_pem, key_pem));
        self
    }

    /// The client certificate for mutual TLS from PEM files (read by `build`); both paths may
    /// name the same file.
    pub fn client_certificate_pem_file(
        mut self,
        chain_path: impl Into<PathBuf>,
        key_path: impl Into<PathBuf>,
    ) -> Self {
        self.identity = Some(Identity::pem_file(chain_path, key_path));
        self
    }

    /// ALPN protocols to offer over TLS, most preferred first (e.g. `["mqtt"]`). Default: none.
    /// QUIC offers [`QuicConfig`](crate::QuicConfig)'s list instead.
    pub fn alpn_protocols<I, P>(mut self, protocols: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: AsRef<[u8]>,
    {
        self.alpn = protocols.into_iter().map(|p| p.as_ref().to_vec()).collect();
        self
    }

    /// Reads and checks every certificate and key and builds the rustls configuration.
    ///
    /// # Errors
    /// [`TransportError::Config`] naming the input: a file that cannot be read, PEM without a
    /// certificate or key, a certificate that is not a usable root, a key that does not match
    /// the certificate, no root certificate at all (none given, platform roots off or none
    /// found), an ALPN protocol that is empty or over 255 bytes.
    pub fn build(self) -> Result<TlsClientConfig, TransportError> {
        alpn_list(&self.alpn)?;
        let mut roots = root_store("root certificates", &self.roots)?;
        if self.platform_roots.unwrap_or(self.roots.is_empty()) {
            roots.extend(platform_roots()?.roots);
        }
        if roots.is_empty() {
            return Err(TransportError::Config(
                "TLS client: no root certificate to trust: add one (root_certificate_der, \
                 root_certificates_pem, root_certificates_pem_file) or enable platform_roots"
                    .to_owned(),
            ));
        }
        let builder = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| TransportError::Config(format!("TLS client: {e}")))?
            .with_root_certificates(roots);
        let mut config = match &self.identity {
            Some(identity) => {
                let (chain, key) = identity.load("client certificate")?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| TransportError::Config(format!("client certificate: {e}")))?
            }
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = self.alpn;
        Ok(TlsClientConfig {
            rustls: Arc::new(config),
            server_name: self.server_name,
        })
    }
}

/// Whether a TLS server asks its clients for a certificate (mutual TLS).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClientAuth {
    /// No client certificate is asked for.
    #[default]
    None,
    /// A client may present a certificate, which must then chain to the client roots; clients
    /// without one are accepted too (check [`PeerInfo::certificates`](crate::PeerInfo::certificates)).
    Optional,
    /// Every client must present a certificate that chains to the client roots.
    Required,
}

/// TLS settings of the listening side: the server's certificate and key, client authentication
/// (mutual TLS) and ALPN.
///
/// Cheap to clone (the rustls configuration is shared). Set it with
/// [`ListenerConfigBuilder::tls`](crate::ListenerConfigBuilder::tls); `mqtts://`, `wss://` and
/// `quic://` listeners need one.
///
/// ```
/// use flowsdk_transport::{ClientAuth, ListenerConfig, TlsServerConfig};
/// # let server = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
/// # let (cert_pem, key_pem) = (server.cert.pem(), server.signing_key.serialize_pem());
/// # let ca_pem = cert_pem.clone();
/// let tls = TlsServerConfig::builder()
///     .certificate_chain_pem(cert_pem, key_pem) // or certificate_chain_pem_file(..)
///     .client_auth(ClientAuth::Required)
///     .client_root_certificates_pem(ca_pem)
///     .build()?;
/// let config = ListenerConfig::builder().tls(tls).build();
/// # Ok::<(), flowsdk_transport::TransportError>(())
/// ```
#[derive(Clone)]
pub struct TlsServerConfig {
    rustls: Arc<rustls::ServerConfig>,
    /// `None` for a configuration from [`TlsServerConfig::from_rustls`].
    client_auth: Option<ClientAuth>,
}

impl fmt::Debug for TlsServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsServerConfig")
            .field("alpn_protocols", &alpn_debug(&self.rustls.alpn_protocols))
            .field("client_auth", &self.client_auth)
            .finish()
    }
}

impl TlsServerConfig {
    /// A builder; see its setters for the defaults.
    pub fn builder() -> TlsServerConfigBuilder {
        TlsServerConfigBuilder::default()
    }

    /// Wraps a rustls configuration made by hand (certificate resolver for several names,
    /// custom client verifier, session tickets...). QUIC listeners replace its ALPN list with
    /// [`QuicConfig`](crate::QuicConfig)'s.
    pub fn from_rustls(config: Arc<rustls::ServerConfig>) -> Self {
        TlsServerConfig {
            rustls: config,
            client_auth: None,
        }
    }

    /// The ALPN protocols accepted, most preferred first.
    pub fn alpn_protocols(&self) -> &[Vec<u8>] {
        &self.rustls.alpn_protocols
    }

    /// Whether clients are asked for a certificate; `None` for a configuration from
    /// [`TlsServerConfig::from_rustls`], whose verifier decides.
    pub fn client_auth(&self) -> Option<ClientAuth> {
        self.client_auth
    }

    /// The rustls configuration.
    pub fn rustls_config(&self) -> &Arc<rustls::ServerConfig> {
        &self.rustls
    }
}

/// Builds a [`TlsServerConfig`]; every input is read and checked in
/// [`build`](TlsServerConfigBuilder::build).
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct TlsServerConfigBuilder {
    identity: Option<Identity>,
    client_auth: ClientAuth,
    client_roots: Vec<Source>,
    alpn: Vec<Vec<u8>>,
}

impl TlsServerConfigBuilder {
    /// The server's certificate `chain` (DER, end entity first, then intermediates) and its
    /// private key `key` (DER: PKCS#8, PKCS#1 or SEC1). Required (this or a PEM form).
    pub fn certificate_chain_der<C, B>(mut self, chain: C, key: impl Into<Vec<u8>>) -> Self
    where
        C: IntoIterator<Item = B>,
        B: Into<Vec<u8>>,
    {
        self.identity = Some(Identity::der(chain, key));
        self
    }

    /// The server's certificate chain and key from PEM text; both may be the same text.
    pub fn certificate_chain_pem(
        mut self,
        chain_pem: impl Into<Vec<u8>>,
        key_pem: impl Into<Vec<u8>>,
    ) -> Self {
        self.identity = Some(Identity::pem(chain_pem, key_pem));
        self
    }

    /// The server's certificate chain and key from PEM files (read by `build`); both paths may
    /// name the same file.
    pub fn certificate_chain_pem_file(
        mut self,
        chain_path: impl Into<PathBuf>,
        key_path: impl Into<PathBuf>,
    ) -> Self {
        self.identity = Some(Identity::pem_file(chain_path, key_path));
        self
    }

    /// Whether clients are asked for a certificate. Default: [`ClientAuth::None`].
    /// `Optional` and `Required` need client roots.
    pub fn client_auth(mut self, auth: ClientAuth) -> Self {
        self.client_auth = auth;
        self
    }

    /// Accepts client certificates issued by the CA certificate `der`. May be called several
    /// times.
    pub fn client_root_certificate_der(mut self, der: impl Into<Vec<u8>>) -> Self {
        self.client_roots.push(Source::Der(der.into()));
        self
    }

    /// Accepts client certificates issued by any CERTIFICATE in the PEM text `pem`.
    pub fn client_root_certificates_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.client_roots.push(Source::Pem(pem.into()));
        self
    }

    /// Accepts client certificates issued by any CERTIFICATE in the PEM file at `path`.
    pub fn client_root_certificates_pem_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.client_roots.push(Source::PemFile(path.into()));
        self
    }

    /// ALPN protocols accepted, most preferred first. Default: none (any or no offer is
    /// accepted); when set, a client offering none of them is refused with the
    /// `no_application_protocol` alert. QUIC listeners use [`QuicConfig`](crate::QuicConfig)'s
    /// list instead.
    pub fn alpn_protocols<I, P>(mut self, protocols: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: AsRef<[u8]>,
    {
        self.alpn = protocols.into_iter().map(|p| p.as_ref().to_vec()).collect();
        self
    }

    /// Reads and checks every certificate and key and builds the rustls configuration.
    ///
    /// # Errors
    /// [`TransportError::Config`] naming the input: no certificate chain, a file that cannot be
    /// read, PEM without a certificate or key, a key that does not match the certificate,
    /// client authentication without client roots (or client roots without client
    /// authentication), an ALPN protocol that is empty or over 255 bytes.
    pub fn build(self) -> Result<TlsServerConfig, TransportError> {
        alpn_list(&self.alpn)?;
        let identity = self.identity.as_ref().ok_or_else(|| {
            TransportError::Config(
                "TLS server: no certificate: set certificate_chain_der, certificate_chain_pem \
                 or certificate_chain_pem_file"
                    .to_owned(),
            )
        })?;
        let (chain, key) = identity.load("server certificate")?;
        let provider = provider();
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| TransportError::Config(format!("TLS server: {e}")))?;
        let builder = match (self.client_auth, self.client_roots.is_empty()) {
            (ClientAuth::None, true) => builder.with_no_client_auth(),
            (ClientAuth::None, false) => {
                return Err(TransportError::Config(
                    "TLS server: client roots are set but client_auth is None; use \
                     ClientAuth::Optional or ClientAuth::Required"
                        .to_owned(),
                ))
            }
            (_, true) => {
                return Err(TransportError::Config(format!(
                    "TLS server: client_auth {:?} needs client roots \
                     (client_root_certificate_der, client_root_certificates_pem, \
                     client_root_certificates_pem_file)",
                    self.client_auth
                )))
            }
            (auth, false) => {
                let roots = root_store("client root certificates", &self.client_roots)?;
                let mut verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone());
                if auth == ClientAuth::Optional {
                    verifier = verifier.allow_unauthenticated();
                }
                let verifier = verifier.build().map_err(|e| {
                    TransportError::Config(format!("TLS server: client verifier: {e}"))
                })?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut config = builder
            .with_single_cert(chain, key)
            .map_err(|e| TransportError::Config(format!("server certificate: {e}")))?;
        config.alpn_protocols = self.alpn;
        Ok(TlsServerConfig {
            rustls: Arc::new(config),
            client_auth: Some(self.client_auth),
        })
    }
}

/// The TLS client handshake over `stream`, within the connect deadline.
///
/// Returns the encrypted stream, the server's certificate chain (DER, end entity first) and
/// the agreed ALPN protocol.
pub(crate) async fn connect_stream(
    stream: BoxStream,
    address: &Address,
    config: &TransportConfig,
    deadline: &Deadline,
) -> Result<(BoxStream, Vec<Bytes>, Option<Bytes>), TransportError> {
    let tls = match &config.tls {
        Some(tls) => tls.clone(),
        None => TlsClientConfig::platform_default()?,
    };
    let server_name = server_name(address, &tls)?;
    let connector = tokio_rustls::TlsConnector::from(tls.rustls);
    let tls_stream = deadline
        .run(Phase::TlsHandshake, async {
            connector
                .connect(server_name, stream)
                .await
                .map_err(|e| TransportError::io(address, Phase::TlsHandshake, e))
        })
        .await?;
    let (_, session) = tls_stream.get_ref();
    let certificates = certificate_chain(session.peer_certificates());
    let alpn = session.alpn_protocol().map(Bytes::copy_from_slice);
    Ok((Box::new(tls_stream), certificates, alpn))
}

/// The name to check the server's certificate against: the override, or the address's host.
pub(crate) fn server_name(
    address: &Address,
    tls: &TlsClientConfig,
) -> Result<ServerName<'static>, TransportError> {
    let name = tls.server_name.as_deref().unwrap_or(address.host());
    ServerName::try_from(name.to_owned()).map_err(|e| {
        TransportError::Config(format!(
            "{address}: {name:?} is not a valid TLS server name: {e}"
        ))
    })
}

pub(crate) fn certificate_chain(chain: Option<&[CertificateDer<'_>]>) -> Vec<Bytes> {
    chain
        .unwrap_or_default()
        .iter()
        .map(|c| Bytes::copy_from_slice(c.as_ref()))
        .collect()
}

/// The accepting side of TLS over TCP (and under WebSocket for `wss://`).
#[derive(Clone)]
pub(crate) struct TlsAcceptor {
    inner: tokio_rustls::TlsAcceptor,
    config: TlsServerConfig,
}

impl fmt::Debug for TlsAcceptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TlsAcceptor").field(&self.config).finish()
    }
}

impl TlsAcceptor {
    pub(crate) fn new(config: &TlsServerConfig) -> Result<Self, TransportError> {
        Ok(TlsAcceptor {
            inner: tokio_rustls::TlsAcceptor::from(config.rustls.clone()),
            config: config.clone(),
        })
    }

    /// The server handshake; the caller bounds it with the handshake timeout.
    ///
    /// Returns the encrypted stream, the client's certificate chain (empty without mutual TLS)
    /// and the agreed ALPN protocol.
    pub(crate) async fn accept(
        &self,
        stream: BoxStream,
        peer: &Address,
    ) -> Result<(BoxStream, Vec<Bytes>, Option<Bytes>), TransportError> {
        let tls_stream = self
            .inner
            .accept(stream)
            .await
            .map_err(|e| TransportError::io(peer, Phase::TlsHandshake, e))?;
        let (_, session) = tls_stream.get_ref();
        let certificates = certificate_chain(session.peer_certificates());
        let alpn = session.alpn_protocol().map(Bytes::copy_from_slice);
        Ok((Box::new(tls_stream), certificates, alpn))
    }
}

/// What TLS said, when an I/O error is a TLS failure: a rustls error (a certificate refused
/// locally, an alert received from the peer) or a QUIC connection closed by a TLS alert.
/// [`TransportError::io`] turns such errors into [`TransportError::Tls`].
pub(crate) fn failure_message(error: &std::io::Error) -> Option<String> {
    let inner = error.get_ref()?;
    if let Some(tls) = inner.downcast_ref::<rustls::Error>() {
        return Some(tls.to_string());
    }
    #[cfg(feature = "quic")]
    if let Some(message) = crate::quic::tls_failure_message(inner) {
        return Some(message);
    }
    None
}
