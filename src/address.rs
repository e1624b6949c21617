//! Conversions between `SocketAddr` and the forms the C takes: its address struct and the
//! strings `netcode_parse_address` reads.

use std::ffi::CString;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use netcode_sys as raw;

/// The C's binary form of an address (IPv6 scope ids have no place in it and are dropped).
pub(crate) fn to_raw(address: &SocketAddr) -> raw::netcode_sys_address {
    let mut out = raw::netcode_sys_address {
        port: address.port(),
        ..Default::default()
    };
    match address.ip() {
        IpAddr::V4(ip) => {
            out.type_ = raw::NETCODE_SYS_ADDRESS_IPV4 as u8;
            out.ipv4 = ip.octets();
        }
        IpAddr::V6(ip) => {
            out.type_ = raw::NETCODE_SYS_ADDRESS_IPV6 as u8;
            out.ipv6 = ip.segments();
        }
    }
    out
}

/// `None` for an address of no known type.
pub(crate) fn from_raw(address: &raw::netcode_sys_address) -> Option<SocketAddr> {
    let ip = match i32::from(address.type_) {
        raw::NETCODE_SYS_ADDRESS_IPV4 => IpAddr::V4(Ipv4Addr::from(address.ipv4)),
        raw::NETCODE_SYS_ADDRESS_IPV6 => IpAddr::V6(Ipv6Addr::from(address.ipv6)),
        _ => return None,
    };
    Some(SocketAddr::new(ip, address.port))
}

/// The string form `netcode_parse_address` reads: `a.b.c.d:port` or `[v6]:port`.
pub(crate) fn to_c_string(address: &SocketAddr) -> CString {
    let text = match address {
        SocketAddr::V4(a) => format!("{}:{}", a.ip(), a.port()),
        SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
    };
    CString::new(text).expect("a formatted socket address has no NUL byte")
}

/// The unspecified address of `address`'s family with port 0: what a client binds to reach it.
pub(crate) fn any_of_family(address: &SocketAddr) -> SocketAddr {
    match address {
        SocketAddr::V4(_) => SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
        SocketAddr::V6(_) => SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_round_trip_keeps_address_and_port() {
        for text in [
            "127.0.0.1:40000",
            "10.1.2.3:1",
            "[::1]:40000",
            "[2001:db8::7]:80",
        ] {
            let address: SocketAddr = text.parse().unwrap();
            assert_eq!(from_raw(&to_raw(&address)), Some(address));
        }
    }

    #[test]
    fn strings_are_what_the_c_parses() {
        assert_eq!(
            to_c_string(&"127.0.0.1:0".parse().unwrap())
                .to_str()
                .unwrap(),
            "127.0.0.1:0"
        );
        assert_eq!(
            to_c_string(&"[::1]:80".parse().unwrap()).to_str().unwrap(),
            "[::1]:80"
        );
    }

    #[test]
    fn unknown_type_is_none() {
        let address = raw::netcode_sys_address {
            type_: 7,
            ..Default::default()
        };
        assert_eq!(from_raw(&address), None);
    }
}
