//! Who is asking for a token: the [`Authenticator`] trait, and [`SessionTokens`], a demo
//! authentication that is safe to copy.

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use netcode::NETCODE_USER_DATA_BYTES;
use sha2::Sha256;

/// An authenticated player: what goes into its connect token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Player {
    /// The token's client id: the servers see it, and refuse a second connection with it.
    pub id: u64,
    /// The token's user data, which the server gets when the player connects (a server can
    /// trust it: only the backend could have written it).
    pub user_data: [u8; NETCODE_USER_DATA_BYTES],
}

/// Why a credential was refused: the 401's message (never which part of a signature failed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthError {
    /// No `Authorization: Bearer ...` header.
    Missing,
    /// The credential is not one this authenticator issued, or it was altered.
    Invalid,
    /// The credential was valid and has expired: log in again.
    Expired,
}

impl AuthError {
    /// What the player is told.
    pub fn message(self) -> &'static str {
        match self {
            AuthError::Missing => "no credentials: send Authorization: Bearer <session token>",
            AuthError::Invalid => "the credentials are not valid: log in again",
            AuthError::Expired => "the session has expired: log in again",
        }
    }
}

/// Tells who a bearer credential belongs to. Plug in the game's own (a session store, an
/// OAuth introspection call, a JWT check): the service calls it for every token request,
/// after the per-address limit and before the per-player one.
pub trait Authenticator: Send + Sync + 'static {
    /// The player that `credential` (the `Authorization: Bearer` value) authenticates.
    fn authenticate(
        &self,
        credential: &str,
    ) -> impl Future<Output = Result<Player, AuthError>> + Send;
}

type HmacSha256 = Hmac<Sha256>;

/// The demo authentication: session tokens `PLAYER_ID.EXPIRES.SIGNATURE`, where EXPIRES is a
/// Unix time and SIGNATURE an HMAC-SHA256 of the rest under a secret only the backend (and the
/// login service that issues sessions) holds, checked in constant time.
///
/// Safe to copy: it cannot be forged without the secret, a changed id or expiry breaks the
/// signature, it expires, and it carries no secret itself. What it does not do: revoke a
/// session before it expires (keep sessions short, or check a revocation list in your own
/// [`Authenticator`]).
///
/// ```
/// use netcode_backend::{Authenticator, SessionTokens};
/// use std::time::Duration;
///
/// let sessions = SessionTokens::new(b"a secret of 32 bytes at least!!!".to_vec()).unwrap();
/// let session = sessions.issue(42, Duration::from_secs(3600));
/// let player = sessions.verify(&session).unwrap();
/// assert_eq!(player.id, 42);
/// assert!(sessions.verify(&session.replace("42.", "43.")).is_err());
/// ```
#[derive(Clone)]
pub struct SessionTokens {
    secret: Vec<u8>,
}

impl SessionTokens {
    /// Sessions signed with `secret` (32 bytes at least).
    pub fn new(secret: Vec<u8>) -> Result<SessionTokens, String> {
        if secret.len() < 32 {
            return Err("a session secret needs 32 bytes at least".into());
        }
        Ok(SessionTokens { secret })
    }

    /// A session for player `id`, valid for `lifetime` from now.
    pub fn issue(&self, id: u64, lifetime: Duration) -> String {
        let expires = unix_now().saturating_add(lifetime.as_secs());
        let claims = format!("{id}.{expires}");
        let signature = URL_SAFE_NO_PAD.encode(self.mac(&claims).finalize().into_bytes());
        format!("{claims}.{signature}")
    }

    /// The player of `session`, if this secret signed it and it has not expired.
    pub fn verify(&self, session: &str) -> Result<Player, AuthError> {
        let (claims, signature) = session.rsplit_once('.').ok_or(AuthError::Invalid)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| AuthError::Invalid)?;
        self.mac(claims)
            .verify_slice(&signature)
            .map_err(|_| AuthError::Invalid)?;
        // Signed by us, so well formed; parsed all the same.
        let (id, expires) = claims.split_once('.').ok_or(AuthError::Invalid)?;
        let id = id.parse::<u64>().map_err(|_| AuthError::Invalid)?;
        let expires = expires.parse::<u64>().map_err(|_| AuthError::Invalid)?;
        if expires <= unix_now() {
            return Err(AuthError::Expired);
        }
        Ok(Player {
            id,
            user_data: [0; NETCODE_USER_DATA_BYTES],
        })
    }

    fn mac(&self, claims: &str) -> HmacSha256 {
        // An HMAC takes a key of any length.
        let mut mac = HmacSha256::new_from_slice(&self.secret).unwrap_or_else(|_| unreachable!());
        mac.update(b"netcode-backend session v1\0");
        mac.update(claims.as_bytes());
        mac
    }
}

impl Authenticator for SessionTokens {
    async fn authenticate(&self, credential: &str) -> Result<Player, AuthError> {
        self.verify(credential)
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}
