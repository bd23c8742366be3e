//! `Address`: where to dial or listen, parsed from the strings users write.

use std::fmt;
use std::str::FromStr;

use crate::TransportError;

/// The kind of transport an address names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// MQTT over TCP: `mqtt://`, `tcp://`, or a bare `host:port`. Default port 1883.
    Tcp,
    /// MQTT over TLS over TCP: `mqtts://`, `ssl://`, `tls://`. Default port 8883.
    Tls,
    /// MQTT over QUIC, one bidirectional stream per connection: `quic://`. Default port 14567.
    Quic,
    /// MQTT over WebSocket: `ws://host:port/path`. Default port 80, path `/mqtt`.
    Ws,
    /// MQTT over WebSocket over TLS: `wss://`. Default port 443, path `/mqtt`.
    Wss,
    /// MQTT over a Unix domain socket: `unix:///path/to.sock`.
    Unix,
}

impl Scheme {
    /// The scheme as written in an address, e.g. `"mqtts"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Tcp => "mqtt",
            Scheme::Tls => "mqtts",
            Scheme::Quic => "quic",
            Scheme::Ws => "ws",
            Scheme::Wss => "wss",
            Scheme::Unix => "unix",
        }
    }

    /// The port used when an address gives none.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Tcp => 1883,
            Scheme::Tls => 8883,
            Scheme::Quic => 14567,
            Scheme::Ws => 80,
            Scheme::Wss => 443,
            Scheme::Unix => 0,
        }
    }

    /// `true` when the transport runs TLS (mqtts, wss, and QUIC, which always does).
    pub fn is_secure(self) -> bool {
        matches!(self, Scheme::Tls | Scheme::Wss | Scheme::Quic)
    }
}

/// A parsed transport address.
///
/// | written | scheme | meaning |
/// | --- | --- | --- |
/// | `mqtt://host:1883`, `tcp://host:1883`, `host:1883` | [`Scheme::Tcp`] | TCP |
/// | `mqtts://host:8883`, `ssl://…`, `tls://…` | [`Scheme::Tls`] | TLS over TCP |
/// | `quic://host:14567` | [`Scheme::Quic`] | QUIC |
/// | `ws://host:8083/mqtt` | [`Scheme::Ws`] | WebSocket |
/// | `wss://host:443/mqtt` | [`Scheme::Wss`] | WebSocket over TLS |
/// | `unix:///run/app.sock` | [`Scheme::Unix`] | Unix domain socket |
///
/// IPv6 literals go in brackets: `mqtt://[::1]:1883`.
///
/// ```
/// use flowsdk_transport::{Address, Scheme};
/// let a: Address = "mqtts://broker.example:8884".parse()?;
/// assert_eq!((a.scheme(), a.host(), a.port()), (Scheme::Tls, "broker.example", 8884));
/// let b: Address = "127.0.0.1:1883".parse()?;
/// assert_eq!(b.scheme(), Scheme::Tcp);
/// let c: Address = "ws://localhost:8083/mqtt".parse()?;
/// assert_eq!(c.path(), "/mqtt");
/// # Ok::<(), flowsdk_transport::TransportError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Address {
    scheme: Scheme,
    host: String,
    port: u16,
    path: String,
}

impl Address {
    /// An address from its parts. For [`Scheme::Unix`], `host` is ignored and `path` is the
    /// socket path.
    pub fn new(
        scheme: Scheme,
        host: impl Into<String>,
        port: u16,
        path: impl Into<String>,
    ) -> Self {
        Address {
            scheme,
            host: host.into(),
            port,
            path: path.into(),
        }
    }

    /// A TCP address for a socket address.
    pub fn tcp(addr: std::net::SocketAddr) -> Self {
        Address::from_socket_addr(Scheme::Tcp, addr)
    }

    /// An address of `scheme` for a socket address (WebSocket paths default to `/mqtt`).
    pub fn from_socket_addr(scheme: Scheme, addr: std::net::SocketAddr) -> Self {
        let path = if matches!(scheme, Scheme::Ws | Scheme::Wss) {
            "/mqtt"
        } else {
            ""
        };
        Address::new(scheme, addr.ip().to_string(), addr.port(), path)
    }

    /// A Unix domain socket address.
    pub fn unix(path: impl Into<String>) -> Self {
        Address::new(Scheme::Unix, "", 0, path)
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The host name or IP literal (without brackets); empty for Unix sockets.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port (0 for Unix sockets; 0 when listening asks the system for a free port).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The WebSocket request path, or the Unix socket path; empty otherwise.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// `host:port`, with IPv6 literals in brackets, as `ToSocketAddrs` expects.
    pub fn host_port(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.scheme {
            Scheme::Unix => write!(f, "unix://{}", self.path),
            Scheme::Ws | Scheme::Wss => {
                write!(
                    f,
                    "{}://{}{}",
                    self.scheme.as_str(),
                    self.host_port(),
                    self.path
                )
            }
            s => write!(f, "{}://{}", s.as_str(), self.host_port()),
        }
    }
}

impl FromStr for Address {
    type Err = TransportError;

    fn from_str(s: &str) -> Result<Self, TransportError> {
        let invalid = |reason: &'static str| TransportError::InvalidAddress {
            address: s.to_owned(),
            reason,
        };
        let s_trim = s.trim();
        let (scheme, rest) = match s_trim.split_once("://") {
            Some((scheme, rest)) => {
                let scheme = match scheme.to_ascii_lowercase().as_str() {
                    "mqtt" | "tcp" => Scheme::Tcp,
                    "mqtts" | "ssl" | "tls" => Scheme::Tls,
                    "quic" => Scheme::Quic,
                    "ws" => Scheme::Ws,
                    "wss" => Scheme::Wss,
                    "unix" => Scheme::Unix,
                    _ => {
                        return Err(invalid(
                            "unknown scheme: use mqtt, mqtts, quic, ws, wss or unix",
                        ))
                    }
                };
                (scheme, rest)
            }
            None => (Scheme::Tcp, s_trim),
        };
        if scheme == Scheme::Unix {
            if rest.is_empty() {
                return Err(invalid(
                    "unix:// needs a socket path, e.g. unix:///run/app.sock",
                ));
            }
            return Ok(Address::unix(rest));
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let path = match scheme {
            Scheme::Ws | Scheme::Wss if path.is_empty() => "/mqtt",
            Scheme::Ws | Scheme::Wss => path,
            _ if path.is_empty() || path == "/" => "",
            _ => return Err(invalid("only ws:// and wss:// addresses take a path")),
        };
        let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
            let (host, after) = bracketed
                .split_once(']')
                .ok_or_else(|| invalid("IPv6 literal without a closing ']'"))?;
            let port = match after.strip_prefix(':') {
                Some(p) => Some(p),
                None if after.is_empty() => None,
                None => return Err(invalid("unexpected text after the IPv6 literal")),
            };
            (host, port)
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            return Err(invalid("no host"));
        }
        let port = match port {
            Some(p) => p
                .parse::<u16>()
                .map_err(|_| invalid("port is not a number from 0 to 65535"))?,
            None => scheme.default_port(),
        };
        Ok(Address::new(scheme, host, port, path))
    }
}

/// Anything that names an address: an [`Address`], or a string in one of its forms.
pub trait IntoAddress {
    /// The address.
    ///
    /// # Errors
    /// [`TransportError::InvalidAddress`] for a string that is not an address.
    fn into_address(self) -> Result<Address, TransportError>;
}

impl IntoAddress for Address {
    fn into_address(self) -> Result<Address, TransportError> {
        Ok(self)
    }
}

impl IntoAddress for &Address {
    fn into_address(self) -> Result<Address, TransportError> {
        Ok(self.clone())
    }
}

impl IntoAddress for &str {
    fn into_address(self) -> Result<Address, TransportError> {
        self.parse()
    }
}

impl IntoAddress for String {
    fn into_address(self) -> Result<Address, TransportError> {
        self.parse()
    }
}

impl IntoAddress for &String {
    fn into_address(self) -> Result<Address, TransportError> {
        self.parse()
    }
}

impl TryFrom<&str> for Address {
    type Error = TransportError;
    fn try_from(s: &str) -> Result<Self, TransportError> {
        s.parse()
    }
}

impl TryFrom<String> for Address {
    type Error = TransportError;
    fn try_from(s: String) -> Result<Self, TransportError> {
        s.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_users_write_parse_to_scheme_host_port_and_path() {
        let cases = [
            ("mqtt://host:1883", Scheme::Tcp, "host", 1883, ""),
            ("tcp://host", Scheme::Tcp, "host", 1883, ""),
            ("host:1999", Scheme::Tcp, "host", 1999, ""),
            ("mqtts://host", Scheme::Tls, "host", 8883, ""),
            ("ssl://h:1", Scheme::Tls, "h", 1, ""),
            ("quic://h", Scheme::Quic, "h", 14567, ""),
            ("ws://h:8083/mqtt", Scheme::Ws, "h", 8083, "/mqtt"),
            ("ws://h:8083", Scheme::Ws, "h", 8083, "/mqtt"),
            ("wss://h/x/y", Scheme::Wss, "h", 443, "/x/y"),
            ("mqtt://[::1]:1884", Scheme::Tcp, "::1", 1884, ""),
            ("[::1]", Scheme::Tcp, "::1", 1883, ""),
            ("unix:///run/app.sock", Scheme::Unix, "", 0, "/run/app.sock"),
        ];
        for (s, scheme, host, port, path) in cases {
            let a: Address = s.parse().unwrap();
            assert_eq!(
                (a.scheme(), a.host(), a.port(), a.path()),
                (scheme, host, port, path),
                "{s}"
            );
            let again: Address = a.to_string().parse().unwrap();
            assert_eq!(again, a, "{s} does not survive Display and parse");
        }
    }

    #[test]
    fn malformed_addresses_name_the_problem() {
        for s in [
            "gopher://h",
            "mqtt://:1883",
            "mqtt://h:99999",
            "mqtt://h/path",
            "unix://",
            "[::1",
        ] {
            match s.parse::<Address>() {
                Err(TransportError::InvalidAddress { address, .. }) => assert_eq!(address, s),
                other => panic!("{s}: {other:?}"),
            }
        }
    }
}
