//! Connect tokens: the reference's 2048-byte format (written by the C), the shorter format
//! netcode 0.3.1 wrote, and malformed input.

use std::net::SocketAddr;

use netcode::{ConnectToken, DecodeError, NETCODE_CONNECT_TOKEN_BYTES};

const PROTOCOL_ID: u64 = 0x1122_3344_5566_7788;

fn hosts() -> Vec<SocketAddr> {
    ["127.0.0.1:40000", "[2001:db8::7]:40001", "10.0.0.1:1"]
        .iter()
        .map(|h| h.parse().unwrap())
        .collect()
}

/// The token as netcode 0.3.1 serialized it: the same fields, IPv6 addresses as 16 octets in
/// network order, and no padding.
fn netcode_031_bytes(token: &ConnectToken) -> Vec<u8> {
    let mut out = b"NETCODE 1.00\0".to_vec();
    for field in [
        token.protocol,
        token.create_utc,
        token.expire_utc,
        token.sequence,
    ] {
        out.extend_from_slice(&field.to_le_bytes());
    }
    out.extend_from_slice(&token.private_data);
    out.extend_from_slice(&(token.hosts.len() as u32).to_le_bytes());
    for host in token.hosts.get() {
        match host {
            SocketAddr::V4(a) => {
                out.push(1);
                out.extend_from_slice(&a.ip().octets());
            }
            SocketAddr::V6(a) => {
                out.push(2);
                out.extend_from_slice(&a.ip().octets());
            }
        }
        out.extend_from_slice(&host.port().to_le_bytes());
    }
    out.extend_from_slice(&token.client_to_server_key);
    out.extend_from_slice(&token.server_to_client_key);
    out.extend_from_slice(&token.timeout_sec.to_le_bytes());
    out
}

fn generate() -> (ConnectToken, [u8; 32]) {
    let key = netcode::generate_key();
    let token = ConnectToken::generate(
        hosts().into_iter(),
        &key,
        60,
        9,
        PROTOCOL_ID,
        1234,
        Some(&[3; 256]),
    )
    .unwrap();
    (token, key)
}

#[test]
fn reference_format_round_trip() {
    let (token, key) = generate();
    let bytes = token.to_bytes().unwrap();
    let mut read = ConnectToken::from_bytes(&bytes).unwrap();
    assert_eq!(read.hosts.as_slice(), hosts().as_slice());
    assert_eq!(
        (read.protocol, read.sequence, read.timeout_sec),
        (PROTOCOL_ID, 9, 5)
    );
    assert_eq!(read.expire_utc - read.create_utc, 60);
    let private = read.decode(&key).unwrap();
    assert_eq!(private.client_id, 1234);
    assert_eq!(private.hosts.as_slice(), hosts().as_slice());
    assert_eq!(private.user_data, [3; 256]);
    assert_eq!(private.client_to_server_key, token.client_to_server_key);
    // Writing what was read gives the same bytes.
    assert_eq!(read.to_bytes().unwrap(), bytes);
}

#[test]
fn netcode_031_tokens_are_still_read() {
    let (token, key) = generate();
    let old = netcode_031_bytes(&token);
    assert!(old.len() < NETCODE_CONNECT_TOKEN_BYTES);
    let mut read = ConnectToken::read(&mut old.as_slice()).unwrap();
    assert_eq!(
        read.hosts.as_slice(),
        hosts().as_slice(),
        "IPv6 in 0.3.1's byte order"
    );
    assert_eq!(read.decode(&key).unwrap().client_id, 1234);
    // And it is written back in the reference's format.
    assert_eq!(read.to_bytes().unwrap(), token.to_bytes().unwrap());
}

#[test]
fn wrong_key_does_not_decode() {
    let (mut token, _) = generate();
    assert!(matches!(
        token.decode(&netcode::generate_key()),
        Err(DecodeError::InvalidPrivateKey)
    ));
}

#[test]
fn tampered_public_fields_break_decryption() {
    let (mut token, key) = generate();
    token.expire_utc += 1;
    assert!(matches!(
        token.decode(&key),
        Err(DecodeError::InvalidPrivateKey)
    ));
}

#[test]
fn malformed_tokens_are_refused() {
    let (token, _) = generate();
    let good = token.to_bytes().unwrap();

    let mut bad_version = good;
    bad_version[8] = b'2';
    assert!(matches!(
        ConnectToken::from_bytes(&bad_version),
        Err(DecodeError::InvalidVersion)
    ));

    for cut in [0, 1, 13, 100, 1100, 1200] {
        assert!(
            ConnectToken::from_bytes(&good[..cut]).is_err(),
            "a token cut at {cut} bytes"
        );
    }
    // Between the fields' end and 2048 bytes: neither format.
    let fields = netcode_031_bytes(&token).len();
    assert!(ConnectToken::from_bytes(&good[..fields + 10]).is_err());

    let count_at = 13 + 32 + 1024;
    for count in [0u32, 33, u32::MAX] {
        let mut bad = good;
        bad[count_at..count_at + 4].copy_from_slice(&count.to_le_bytes());
        assert!(
            matches!(ConnectToken::from_bytes(&bad), Err(DecodeError::Invalid(_))),
            "count {count}"
        );
    }
    let mut bad_type = good;
    bad_type[count_at + 4] = 9;
    assert!(matches!(
        ConnectToken::from_bytes(&bad_type),
        Err(DecodeError::Invalid(_))
    ));

    let mut expired_before_created = good;
    expired_before_created[13 + 8..13 + 16].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(matches!(
        ConnectToken::from_bytes(&expired_before_created),
        Err(DecodeError::Invalid(_))
    ));

    // The idiomatic reader is the C's, and refuses the same tokens.
    let mut bad_count = good;
    bad_count[count_at..count_at + 4].copy_from_slice(&33u32.to_le_bytes());
    for bad in [bad_version, bad_count, bad_type, expired_before_created] {
        assert!(matches!(
            netcode::Token::from_bytes(&bad),
            Err(netcode::Error::InvalidToken(_))
        ));
    }
    for cut in [0, 1, 13, 100, 1100, 1200, fields, 2047] {
        assert!(
            netcode::Token::from_bytes(&good[..cut]).is_err(),
            "cut at {cut}"
        );
    }

    // The padding is not read, by the reference C or here: a token with other bytes there
    // is the same token.
    let mut garbage_padding = good;
    garbage_padding[2047] = 1;
    assert_eq!(
        ConnectToken::from_bytes(&garbage_padding).unwrap().hosts,
        token.hosts
    );
    let read = netcode::Token::from_bytes(&garbage_padding).unwrap();
    assert_eq!(read.servers().as_slice(), token.hosts.as_slice());
}

#[test]
fn host_counts_are_checked_when_generating() {
    let key = netcode::generate_key();
    let none: Vec<SocketAddr> = Vec::new();
    assert!(ConnectToken::generate(none.into_iter(), &key, 1, 0, 0, 0, None).is_err());
    let many: Vec<SocketAddr> = (0..33)
        .map(|i| SocketAddr::from(([127, 0, 0, 1], 1000 + i)))
        .collect();
    assert!(ConnectToken::generate(many.clone().into_iter(), &key, 1, 0, 0, 0, None).is_err());
    assert!(ConnectToken::generate(many.into_iter().take(32), &key, 1, 0, 0, 0, None).is_ok());
    for bad in [
        "",
        "localhost",
        "127.0.0.1",
        "300.0.0.1:1",
        "[::1]",
        "[::1]:99999",
        "1.2.3.4:-1",
    ] {
        let err = ConnectToken::generate_with_string([bad].into_iter(), &key, 1, 0, 0, 0, None)
            .unwrap_err();
        assert!(err.to_string().contains("ip:port"), "{bad:?}: {err}");
    }
}

#[test]
fn a_token_with_no_hosts_cannot_be_written_or_used() {
    let (mut token, _) = generate();
    token.hosts = netcode::HostList::new(std::iter::empty());
    assert!(token.to_bytes().is_err());
    let mut sink = Vec::new();
    assert_eq!(
        token.write(&mut sink).unwrap_err().kind(),
        std::io::ErrorKind::InvalidInput
    );
    assert!(matches!(
        netcode::Token::try_from(&token),
        Err(netcode::Error::InvalidToken(_))
    ));
    assert!(netcode::UdpClient::new(&token).is_err());
}

/// The idiomatic generator: settings checked once, 1 to 32 servers kept by the type, a fresh
/// random nonce and session keys per token, and tokens that read back as the C wrote them.
#[test]
fn token_generator_settings_and_tokens() {
    use netcode::{Error, ServerAddresses, Token, TokenGenerator, TokenSettings};

    let many = (0..33).map(|port| std::net::SocketAddr::from(([127, 0, 0, 1], 40000 + port)));
    assert!(matches!(
        ServerAddresses::new(many.clone()),
        Err(Error::ServerAddressCount(33))
    ));
    let servers = ServerAddresses::new(many.take(32)).unwrap();
    let key = netcode::generate_key();
    let settings = TokenSettings::new(0x77, servers.clone())
        .expire_seconds(15)
        .timeout_seconds(9);
    let generator = TokenGenerator::new(settings, &key).unwrap();
    let a = generator.generate(1, &[1; 256]).unwrap();
    let b = generator.generate(1, &[1; 256]).unwrap();
    assert_ne!(a.nonce(), b.nonce(), "a fresh nonce per token");
    assert_ne!(a.as_bytes()[..], b.as_bytes()[..]);
    for token in [&a, &b] {
        assert_eq!(token.servers(), &servers);
        assert_eq!(token.protocol_id(), 0x77);
        assert_eq!(token.timeout_seconds(), 9);
        assert_eq!(token.expire_timestamp() - token.create_timestamp(), 15);
        assert_eq!(&Token::from_bytes(token.as_bytes()).unwrap(), token);
        let private = token.decode(&key).unwrap();
        assert_eq!((private.client_id, private.user_data), (1, [1; 256]));
        assert_eq!(private.servers, servers);
    }
    let keys_a = a.decode(&key).unwrap();
    let keys_b = b.decode(&key).unwrap();
    assert_ne!(keys_a.client_to_server_key, keys_b.client_to_server_key);
    assert!(matches!(
        a.decode(&netcode::generate_key()),
        Err(Error::TokenDoesNotDecrypt)
    ));
    // A 1.02 token has no 0.3.1 form; a 1.00 token converts both ways without a change of
    // bytes.
    assert!(matches!(
        netcode::ConnectToken::try_from(&a),
        Err(Error::InvalidToken(_))
    ));
    let settings = TokenSettings::new(0x77, servers).version(netcode::Version::V1_00);
    let a = TokenGenerator::new(settings, &key)
        .unwrap()
        .generate(1, &[1; 256])
        .unwrap();
    let old = netcode::ConnectToken::try_from(&a).unwrap();
    assert_eq!(old.sequence.to_le_bytes(), a.nonce()[..8]);
    assert_eq!(a.nonce()[8..], [0; 16]);
    assert_eq!(Token::try_from(&old).unwrap(), a);
}
