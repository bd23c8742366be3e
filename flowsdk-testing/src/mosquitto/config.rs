//! Finding the binary, picking ports and writing mosquitto.conf.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Where Debian and Ubuntu install the broker.
const DEBIAN_PATH: &str = "/usr/sbin/mosquitto";

/// The mosquitto binary: Debian's path, or the first `mosquitto` on `PATH`.
pub(crate) fn find_binary() -> Option<PathBuf> {
    let debian = PathBuf::from(DEBIAN_PATH);
    if debian.is_file() {
        return Some(debian);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("mosquitto"))
            .find(|candidate| candidate.is_file())
    })
}

/// A port on 127.0.0.1 that was free a moment ago: bind port 0, read it, let it go. Another
/// process may take it before mosquitto binds it, which is why starting is retried.
pub(crate) fn free_port() -> std::io::Result<u16> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
}

/// The listeners of one broker, fixed for its lifetime so a restart binds the same ports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ports {
    pub(crate) tcp: u16,
    pub(crate) ws: Option<u16>,
    pub(crate) tls: Option<u16>,
    pub(crate) wss: Option<u16>,
}

impl Ports {
    pub(crate) fn pick(websockets: bool, tls: bool) -> std::io::Result<Ports> {
        let optional = |wanted: bool| -> std::io::Result<Option<u16>> {
            if wanted {
                free_port().map(Some)
            } else {
                Ok(None)
            }
        };
        Ok(Ports {
            tcp: free_port()?,
            ws: optional(websockets)?,
            tls: optional(tls)?,
            wss: optional(websockets && tls)?,
        })
    }

    pub(crate) fn all(&self) -> impl Iterator<Item = u16> {
        [Some(self.tcp), self.ws, self.tls, self.wss]
            .into_iter()
            .flatten()
    }
}

/// Certificate files for the TLS listeners.
#[derive(Clone, Debug)]
pub(crate) struct TlsFiles {
    pub(crate) cafile: PathBuf,
    pub(crate) certfile: PathBuf,
    pub(crate) keyfile: PathBuf,
    pub(crate) require_certificate: bool,
}

/// What goes into mosquitto.conf.
#[derive(Debug)]
pub(crate) struct ConfigPlan<'a> {
    pub(crate) ports: Ports,
    pub(crate) tls: Option<&'a TlsFiles>,
    pub(crate) persistence_dir: Option<&'a Path>,
    pub(crate) extra_lines: &'a [String],
}

impl ConfigPlan<'_> {
    /// The configuration text. General options (and the caller's extra lines) come before the
    /// first `listener`, where mosquitto reads them as global.
    pub(crate) fn render(&self) -> String {
        let mut c = String::new();
        c.push_str("per_listener_settings false\nallow_anonymous true\n");
        match self.persistence_dir {
            Some(dir) => {
                // mosquitto wants the trailing slash.
                let _ = writeln!(
                    c,
                    "persistence true\npersistence_location {}/",
                    dir.display()
                );
            }
            None => c.push_str("persistence false\n"),
        }
        c.push_str(
            "log_dest stderr\nlog_type error\nlog_type warning\nlog_type notice\n\
             log_type information\nlog_timestamp true\n",
        );
        for line in self.extra_lines {
            c.push_str(line);
            c.push('\n');
        }
        let p = self.ports;
        let _ = writeln!(c, "listener {} 127.0.0.1", p.tcp);
        if let Some(ws) = p.ws {
            let _ = writeln!(c, "listener {ws} 127.0.0.1\nprotocol websockets");
        }
        if let Some(tls) = self.tls {
            let files = format!(
                "cafile {}\ncertfile {}\nkeyfile {}\nrequire_certificate {}\n",
                tls.cafile.display(),
                tls.certfile.display(),
                tls.keyfile.display(),
                tls.require_certificate
            );
            if let Some(port) = p.tls {
                let _ = write!(c, "listener {port} 127.0.0.1\n{files}");
            }
            if let Some(port) = p.wss {
                let _ = write!(c, "listener {port} 127.0.0.1\nprotocol websockets\n{files}");
            }
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_puts_extra_lines_before_the_listeners() {
        let tls = TlsFiles {
            cafile: "/d/ca.pem".into(),
            certfile: "/d/server.pem".into(),
            keyfile: "/d/server.key".into(),
            require_certificate: true,
        };
        let extra = vec!["max_inflight_messages 1000".to_string()];
        let text = ConfigPlan {
            ports: Ports {
                tcp: 1,
                ws: Some(2),
                tls: Some(3),
                wss: Some(4),
            },
            tls: Some(&tls),
            persistence_dir: Some(Path::new("/d")),
            extra_lines: &extra,
        }
        .render();
        let extra_at = text.find("max_inflight_messages 1000").unwrap();
        assert!(extra_at < text.find("listener 1 127.0.0.1").unwrap());
        assert!(text.contains("persistence_location /d/\n"));
        assert!(text.contains("listener 2 127.0.0.1\nprotocol websockets\n"));
        assert!(text.contains("listener 3 127.0.0.1\ncafile /d/ca.pem\n"));
        assert!(text.contains("listener 4 127.0.0.1\nprotocol websockets\ncafile"));
        assert_eq!(text.matches("require_certificate true").count(), 2);
    }
}
