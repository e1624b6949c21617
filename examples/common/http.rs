//! Just enough HTTP/1.1 to talk to the backend: one POST per connection, plain `http://`.
//! A real game client speaks HTTPS to its backend with an HTTP library; the examples keep
//! the netcode crate's dependency list as it is, and the backend, on loopback or behind a
//! load balancer that terminates TLS, speaks plain HTTP.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// The largest answer read (a token answer is 2048 bytes).
const MAX_RESPONSE_BYTES: u64 = 64 * 1024;

/// `http://HOST:PORT[/PREFIX]`.
#[derive(Clone, Debug)]
pub struct Url {
    host: String,
    port: u16,
    prefix: String,
}

impl Url {
    /// Parses a base URL.
    pub fn parse(text: &str) -> Result<Url, String> {
        let rest = text.strip_prefix("http://").ok_or_else(|| {
            format!("{text:?}: give http://HOST:PORT (TLS belongs to the load balancer in front)")
        })?;
        let (authority, prefix) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() && !port.contains(']') => (host, port),
            _ => (authority, "80"),
        };
        let port = port
            .parse()
            .map_err(|_| format!("{text:?}: {port:?} is not a port"))?;
        if host.is_empty() {
            return Err(format!("{text:?} names no host"));
        }
        Ok(Url {
            host: host.to_string(),
            port,
            prefix: prefix.trim_end_matches('/').to_string(),
        })
    }
}

impl std::fmt::Display for Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "http://{}:{}{}", self.host, self.port, self.prefix)
    }
}

/// An answer: its status, headers (names in lowercase) and body.
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as text, for messages.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).trim().to_string()
    }
}

/// POSTs `body` (JSON, or nothing) to `path` under `url` with `Authorization: Bearer
/// credential`, asking for `accept`; waits at most `timeout` for each step.
pub fn post(
    url: &Url,
    path: &str,
    credential: &str,
    accept: &str,
    body: &str,
    timeout: Duration,
) -> Result<Response, String> {
    let target = (url.host.as_str(), url.port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {url}: {e}"))?
        .collect::<Vec<SocketAddr>>();
    let address = target
        .first()
        .ok_or_else(|| format!("{url} resolves to no address"))?;
    let mut stream = TcpStream::connect_timeout(address, timeout)
        .map_err(|e| format!("cannot reach the backend at {url}: {e}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| e.to_string())?;
    let request = format!(
        "POST {}{path} HTTP/1.1\r\nHost: {}:{}\r\nAuthorization: Bearer {credential}\r\n\
         Accept: {accept}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        url.prefix,
        url.host,
        url.port,
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("cannot send to the backend at {url}: {e}"))?;
    let mut raw = Vec::new();
    stream
        .take(MAX_RESPONSE_BYTES)
        .read_to_end(&mut raw)
        .map_err(|e| format!("no answer from the backend at {url}: {e}"))?;
    parse(&raw).ok_or_else(|| format!("the backend at {url} sent something that is not HTTP"))
}

/// Splits an HTTP/1.1 answer read to its end.
fn parse(raw: &[u8]) -> Option<Response> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok());
    if let Some(length) = length {
        body.truncate(length);
    }
    Some(Response {
        status,
        headers,
        body,
    })
}
