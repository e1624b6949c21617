//! Any bytes as a connect token: read (both formats, and as a `Token`), then write and decode what was read.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(mut token) = netcode::ConnectToken::from_bytes(data) {
        if let Ok(bytes) = token.to_bytes() {
            let again =
                netcode::ConnectToken::from_bytes(&bytes).expect("what was written reads back");
            assert_eq!(again.hosts, token.hosts);
        }
        let _ = token.decode(&[7; 32]);
    }
    if let Ok(token) = netcode::Token::from_bytes(data) {
        assert_eq!(&token.as_bytes()[..], data);
        let _ = token.decode(&[7; 32]);
    }
});
