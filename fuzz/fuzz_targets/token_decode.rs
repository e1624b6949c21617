//! The C's parser of the private part of a connect token, on any plaintext: the input is
//! encrypted here with the key the token is then decoded with, so it gets past the MAC. The
//! input's first byte picks the version (`netcode_fuzz::version_of`): on NETCODE 1.00 the
//! plaintext goes through the 0.3.1 API's `ConnectToken::decode` and `Token::decode`, on 1.02
//! (whose private part also carries a timeout) through `Token::decode`.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use netcode::netcode_sys as raw;
use netcode::{
    ConnectToken, HostList, PrivateData, ServerAddresses, Token, TokenGenerator, TokenSettings,
    Version,
};

const KEY: [u8; 32] = [7; 32];

/// The plaintext of a private part: its 1024 bytes but the 16 of the MAC.
const PLAIN: usize = raw::NETCODE_SYS_CONNECT_TOKEN_PRIVATE_BYTES as usize - 16;

fuzz_target!(|data: &[u8]| {
    let (version, data) = netcode_fuzz::version_of(data);
    let mut plain = [0u8; PLAIN];
    let n = data.len().min(plain.len());
    plain[..n].copy_from_slice(&data[..n]);
    if version == Version::V1_00 {
        through_connect_token(&plain);
    }
    through_token(version, &plain);
});

/// Encrypts `plain` as a private part on `version`'s wire, bound to the other fields given.
fn encrypt(
    version: Version,
    plain: &[u8; PLAIN],
    protocol_id: u64,
    expire: u64,
    nonce: &[u8; 24],
) -> [u8; 1024] {
    let wire = match version {
        Version::V1_00 => raw::NETCODE_SYS_WIRE_100,
        Version::V1_02 => raw::NETCODE_SYS_WIRE_102,
    };
    let mut private = [0u8; 1024];
    private[..PLAIN].copy_from_slice(plain);
    // SAFETY: a 1024-byte buffer (the plaintext, then room for the MAC), a 24-byte nonce and a
    // 32-byte key; the shim encrypts in place and writes nothing else.
    let ok = unsafe {
        raw::netcode_sys_encrypt_connect_token_data(
            wire,
            private.as_mut_ptr(),
            protocol_id,
            expire,
            nonce.as_ptr(),
            KEY.as_ptr(),
        )
    };
    assert_eq!(ok, 1, "the shim encrypts any plaintext");
    private
}

/// A real token of `version` with `plain` as its private part (encrypted as the reference
/// does), decoded with `Token::decode`.
fn through_token(version: Version, plain: &[u8; PLAIN]) {
    // One token of each version, made once: its public part is all that is used.
    static TOKENS: OnceLock<[Token; 2]> = OnceLock::new();
    let tokens = TOKENS.get_or_init(|| {
        [Version::V1_00, Version::V1_02].map(|version| {
            let servers = ServerAddresses::one("127.0.0.1:1".parse().unwrap());
            let settings = TokenSettings::new(5, servers).version(version);
            TokenGenerator::new(settings, &KEY)
                .and_then(|generator| generator.generate(1, &[3; 256]))
                .expect("a token")
        })
    });
    let token = &tokens[usize::from(version == Version::V1_02)];
    let private = encrypt(
        version,
        plain,
        token.protocol_id(),
        token.expire_timestamp(),
        token.nonce(),
    );
    // The private part follows the version info, protocol id, timestamps and nonce.
    let offset = 13 + 3 * 8 + if version == Version::V1_00 { 8 } else { 24 };
    let mut bytes = *token.as_bytes();
    bytes[offset..offset + 1024].copy_from_slice(&private);
    let token = Token::from_bytes(&bytes).expect("the public part is unchanged");
    if let Ok(decoded) = token.decode(&KEY) {
        let servers = (&decoded.servers).into_iter().count();
        assert!((1..=32).contains(&servers));
        assert_eq!(decoded.timeout_seconds.is_some(), version == Version::V1_02);
    }
}

/// A 1.00 token of the 0.3.1 API with `plain` as its private part, decoded with
/// `ConnectToken::decode`.
fn through_connect_token(plain: &[u8; PLAIN]) {
    let private = PrivateData {
        client_id: 1,
        hosts: HostList::new(["127.0.0.1:1".parse().unwrap()].into_iter()),
        client_to_server_key: [1; 32],
        server_to_client_key: [2; 32],
        user_data: [3; 256],
    };
    let mut token = ConnectToken::with_private_data(&private, &KEY, 5, 10, 20, 3, 5).unwrap();
    let mut nonce = [0u8; 24];
    nonce[..8].copy_from_slice(&token.sequence.to_le_bytes());
    token.private_data = encrypt(
        Version::V1_00,
        plain,
        token.protocol,
        token.expire_utc,
        &nonce,
    );
    if let Ok(decoded) = token.decode(&KEY) {
        assert!(!decoded.hosts.is_empty() && decoded.hosts.len() <= 32);
    }
}
