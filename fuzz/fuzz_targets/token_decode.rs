//! The C's parser of the private part of a connect token, on any plaintext: the input is
//! encrypted here with the key the token is then decoded with, so it gets past the MAC.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netcode::{ConnectToken, HostList, PrivateData};

const KEY: [u8; 32] = [7; 32];

fuzz_target!(|data: &[u8]| {
    let private = PrivateData {
        client_id: 1,
        hosts: HostList::new(["127.0.0.1:1".parse().unwrap()].into_iter()),
        client_to_server_key: [1; 32],
        server_to_client_key: [2; 32],
        user_data: [3; 256],
    };
    let mut token = ConnectToken::with_private_data(&private, &KEY, 5, 10, 20, 3, 5).unwrap();
    // 1008 bytes of plaintext from the input, encrypted as the reference does.
    let mut plain = [0u8; 1008];
    let n = data.len().min(plain.len());
    plain[..n].copy_from_slice(&data[..n]);
    let mut additional = b"NETCODE 1.00\0".to_vec();
    additional.extend_from_slice(&token.protocol.to_le_bytes());
    additional.extend_from_slice(&token.expire_utc.to_le_bytes());
    let nonce = token.sequence.to_le_bytes();
    let mut length = 0u64;
    // SAFETY: private_data has room for the 1008 bytes and the 16-byte MAC.
    let result = unsafe {
        libsodium_sys::crypto_aead_chacha20poly1305_encrypt(
            token.private_data.as_mut_ptr(),
            &mut length,
            plain.as_ptr(),
            plain.len() as u64,
            additional.as_ptr(),
            additional.len() as u64,
            std::ptr::null(),
            nonce.as_ptr(),
            KEY.as_ptr(),
        )
    };
    assert_eq!(result, 0);
    if let Ok(decoded) = token.decode(&KEY) {
        assert!(!decoded.hosts.is_empty() && decoded.hosts.len() <= 32);
    }
});
