//! The dedicated servers: what they report, which reports are accepted, and which servers a
//! token lists.

use std::net::SocketAddr;

use netcode::{Version, NETCODE_MAX_CLIENTS, NETCODE_MAX_SERVERS_PER_CONNECT};
use serde::{Deserialize, Serialize};

use crate::config::parse_protocol_id;

/// What a dedicated server sends to `POST /v1/servers/heartbeat`, every second or so.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerReport {
    /// The address players dial (the server's public address, which the tokens list).
    pub address: SocketAddr,
    /// Slots free now.
    pub free_slots: u32,
    /// Slots in all.
    pub max_slots: u32,
    /// The server's protocol, `1.00` or `1.02`.
    pub protocol: String,
    /// The server's protocol id, in hex.
    pub protocol_id: String,
    /// The longest token lifetime the server accepts (its restart rule; `None`: no rule, or
    /// not said).
    #[serde(default)]
    pub max_token_lifetime: Option<u32>,
}

/// Why a report was refused: a 400 (the report is wrong) or a 409 (the server does not
/// belong to this backend's fleet).
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The report itself is wrong.
    Invalid(String),
    /// The server speaks another protocol or protocol id than the tokens.
    Mismatch(String),
}

impl ServerReport {
    /// Checks the report against this backend's protocol, protocol id and token lifetime.
    pub fn check(
        &self,
        version: Version,
        protocol_id: u64,
        token_seconds: u32,
    ) -> Result<(), Refusal> {
        let ip = self.address.ip();
        let multicast_or_broadcast = ip.is_multicast()
            || matches!(ip, std::net::IpAddr::V4(v4) if v4.is_broadcast())
            || ip.to_canonical() != ip;
        if ip.is_unspecified() || self.address.port() == 0 || multicast_or_broadcast {
            return Err(Refusal::Invalid(format!(
                "address {} is not one players can dial: start the server with \
                 --public-address IP:PORT",
                self.address
            )));
        }
        if self.max_slots == 0 || self.max_slots as usize > NETCODE_MAX_CLIENTS {
            return Err(Refusal::Invalid(format!(
                "max_slots {} is not 1 to {NETCODE_MAX_CLIENTS}",
                self.max_slots
            )));
        }
        if self.free_slots > self.max_slots {
            return Err(Refusal::Invalid(format!(
                "free_slots {} is more than max_slots {}",
                self.free_slots, self.max_slots
            )));
        }
        let their_version = self.protocol.parse::<Version>().map_err(|_| {
            Refusal::Invalid(format!(
                "protocol {:?} is neither 1.00 nor 1.02",
                self.protocol
            ))
        })?;
        let their_id = parse_protocol_id(&self.protocol_id)
            .map_err(|e| Refusal::Invalid(format!("protocol_id: {e}")))?;
        if their_version != version || their_id != protocol_id {
            return Err(Refusal::Mismatch(format!(
                "this backend issues {version} tokens for protocol id {protocol_id:#018x}; the \
                 server speaks {their_version} with protocol id {their_id:#018x}, so no token \
                 of ours would let a player in"
            )));
        }
        if let Some(max) = self.max_token_lifetime.filter(|max| token_seconds > *max) {
            return Err(Refusal::Mismatch(format!(
                "this backend's tokens live {token_seconds} s, and the server refuses tokens \
                 that live longer than {max} s (its restart rule): start it with \
                 --max-token-lifetime {token_seconds} (ServerConfig::max_token_lifetime), or \
                 set NETCODE_BACKEND_TOKEN_SECONDS to {max}"
            )));
        }
        Ok(())
    }

    /// The share of slots taken, 0 to 1.
    fn load(&self) -> f64 {
        f64::from(self.max_slots - self.free_slots) / f64::from(self.max_slots)
    }
}

/// The servers a token lists, in the order a client tries them: those with a free slot,
/// least loaded first (then most free slots, then by address, so the order is stable), at
/// most 32.
pub fn choose(mut servers: Vec<ServerReport>) -> Vec<SocketAddr> {
    servers.retain(|s| s.free_slots > 0 && s.free_slots <= s.max_slots);
    servers.sort_by(|a, b| {
        a.load()
            .total_cmp(&b.load())
            .then(b.free_slots.cmp(&a.free_slots))
            .then(a.address.cmp(&b.address))
    });
    servers
        .into_iter()
        .take(NETCODE_MAX_SERVERS_PER_CONNECT)
        .map(|s| s.address)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(port: u16, free: u32, max: u32) -> ServerReport {
        ServerReport {
            address: SocketAddr::from(([127, 0, 0, 1], port)),
            free_slots: free,
            max_slots: max,
            protocol: "1.02".into(),
            protocol_id: "0x10".into(),
            max_token_lifetime: Some(30),
        }
    }

    #[test]
    fn least_loaded_first_full_ones_left_out_at_most_32() {
        let mut servers = vec![
            report(1, 2, 4),
            report(2, 0, 4),
            report(3, 4, 4),
            report(4, 3, 8),
        ];
        servers.extend((100..140).map(|port| report(port, 1, 64)));
        let chosen = choose(servers);
        assert_eq!(chosen.len(), 32);
        assert_eq!(
            chosen[..3].iter().map(|a| a.port()).collect::<Vec<_>>(),
            [3, 1, 4],
            "empty, then half full, then 5/8 full"
        );
        assert!(
            !chosen.iter().any(|a| a.port() == 2),
            "a full server is not listed"
        );
    }

    #[test]
    fn reports_are_checked() {
        let ok = report(40000, 1, 4);
        assert_eq!(ok.check(Version::V1_02, 0x10, 30), Ok(()));
        assert_eq!(ok.check(Version::V1_02, 0x10, 10), Ok(()));
        assert!(
            matches!(ok.check(Version::V1_02, 0x10, 31), Err(Refusal::Mismatch(m)) if m.contains("--max-token-lifetime 31"))
        );
        let unspecified = ServerReport {
            address: "0.0.0.0:40000".parse().unwrap(),
            ..ok.clone()
        };
        assert!(
            matches!(unspecified.check(Version::V1_02, 0x10, 30), Err(Refusal::Invalid(m)) if m.contains("--public-address"))
        );
        assert!(matches!(
            ok.check(Version::V1_00, 0x10, 30),
            Err(Refusal::Mismatch(_))
        ));
        assert!(matches!(
            ok.check(Version::V1_02, 0x11, 30),
            Err(Refusal::Mismatch(_))
        ));
        let overfull = ServerReport {
            free_slots: 5,
            ..ok.clone()
        };
        assert!(matches!(
            overfull.check(Version::V1_02, 0x10, 30),
            Err(Refusal::Invalid(_))
        ));
        let huge = ServerReport {
            max_slots: 257,
            free_slots: 1,
            ..ok
        };
        assert!(matches!(
            huge.check(Version::V1_02, 0x10, 30),
            Err(Refusal::Invalid(_))
        ));
    }
}
