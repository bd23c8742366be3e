//! Certificates for the TLS and QUIC tests, made fresh by rcgen for each test: certificate
//! authorities, server certificates for 127.0.0.1 and localhost, client certificates.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// A certificate authority that signs server and client certificates.
pub struct Ca {
    cert: rcgen::Certificate,
    issuer: Issuer<'static, KeyPair>,
}

/// An end-entity certificate with its key, and the chain to present (leaf, then the CA).
pub struct Leaf {
    pub cert_der: Vec<u8>,
    pub key_der: Vec<u8>,
    pub cert_pem: String,
    pub key_pem: String,
    pub chain_der: Vec<Vec<u8>>,
}

impl Ca {
    pub fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::new()).expect("no names is valid");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().expect("key generated");
        let cert = params.self_signed(&key).expect("CA self-signed");
        Ca {
            cert,
            issuer: Issuer::new(params, key),
        }
    }

    pub fn der(&self) -> Vec<u8> {
        self.cert.der().to_vec()
    }

    pub fn pem(&self) -> String {
        self.cert.pem()
    }

    /// A server certificate valid for `names` (IP literals become IP address names).
    pub fn server(&self, names: &[&str]) -> Leaf {
        self.leaf(names, ExtendedKeyUsagePurpose::ServerAuth)
    }

    /// A client certificate for `name`.
    pub fn client(&self, name: &str) -> Leaf {
        self.leaf(&[name], ExtendedKeyUsagePurpose::ClientAuth)
    }

    fn leaf(&self, names: &[&str], usage: ExtendedKeyUsagePurpose) -> Leaf {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names.clone()).expect("valid names");
        params
            .distinguished_name
            .push(DnType::CommonName, &names[0]);
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![usage];
        let key = KeyPair::generate().expect("key generated");
        let cert = params.signed_by(&key, &self.issuer).expect("leaf signed");
        Leaf {
            cert_der: cert.der().to_vec(),
            key_der: key.serialize_der(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            chain_der: vec![cert.der().to_vec(), self.der()],
        }
    }
}

/// The usual cast: a CA, a server certificate from it for 127.0.0.1 and localhost, a client
/// certificate from it, and a client certificate from an unrelated CA.
pub struct Pki {
    pub ca: Ca,
    pub server: Leaf,
    pub client: Leaf,
    pub stranger: Leaf,
}

impl Pki {
    pub fn new() -> Pki {
        let ca = Ca::new("FlowSDK test CA");
        let server = ca.server(&["127.0.0.1", "localhost"]);
        let client = ca.client("client-1");
        let stranger = Ca::new("Unrelated CA").client("stranger");
        Pki {
            ca,
            server,
            client,
            stranger,
        }
    }
}
