//! The web side of a netcode.io game: the service that hands an authenticated player a
//! connect token for the dedicated servers that have room, behind rate limits, with a
//! registry the servers report to and Prometheus metrics. The backend README
//! (backend/README.md) describes the HTTP API, the settings and how to deploy it.
//!
//! ```no_run
//! use netcode_backend::{App, Config, SessionTokens};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = Config::from_env()?;
//! let sessions = SessionTokens::new(b"the login service's secret, 32+ bytes".to_vec())?;
//! let app = App::new(config.clone(), sessions).await?;
//! let listener = tokio::net::TcpListener::bind(config.listen).await?;
//! netcode_backend::serve(listener, app, std::future::pending()).await?;
//! # Ok(()) }
//! ```

mod auth;
mod config;
mod fleet;
mod metrics;
mod store;

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use netcode::{ServerAddresses, Token, TokenGenerator, TokenSettings};
use serde::{Deserialize, Serialize};

pub use auth::{AuthError, Authenticator, Player, SessionTokens};
pub use config::{parse_protocol_id, read_key, Config, Limit, Secret};
pub use fleet::{choose, Refusal, ServerReport};
pub use metrics::{Metrics, Rejection};
pub use store::{Store, StoreError};

/// The largest request body accepted (a server report is about 150 bytes).
pub const MAX_BODY_BYTES: usize = 4096;

/// One backend instance: its settings, store, player authentication and counters.
pub struct App<A> {
    config: Config,
    store: Store,
    auth: A,
    metrics: Metrics,
}

impl<A: Authenticator> App<A> {
    /// An instance with the store `config` names (Redis at `redis_url`, else memory).
    pub async fn new(config: Config, auth: A) -> Result<Arc<App<A>>, StoreError> {
        let store = match &config.redis_url {
            Some(url) => Store::redis(url.expose()).await?,
            None => Store::memory(),
        };
        Ok(App::with_store(config, store, auth))
    }

    /// An instance with this store.
    pub fn with_store(config: Config, store: Store, auth: A) -> Arc<App<A>> {
        Arc::new(App {
            config,
            store,
            auth,
            metrics: Metrics::default(),
        })
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.config
    }
}

/// The HTTP routes: `POST /v1/connect`, `POST /v1/servers/heartbeat`, `GET /metrics`,
/// `GET /healthz`.
pub fn router<A: Authenticator>(app: Arc<App<A>>) -> Router {
    Router::new()
        .route("/v1/connect", post(connect::<A>))
        .route("/v1/servers/heartbeat", post(heartbeat::<A>))
        .route("/metrics", get(metrics::<A>))
        .route("/healthz", get(health::<A>))
        .fallback(|| async {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "no such endpoint: see the backend README",
            )
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "not with this method: see the backend README",
            )
        })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(app)
}

/// How long a client may take to send a request's head (its request line and headers),
/// counted from its first byte, or from the end of the previous answer on a kept-alive
/// connection: a slow or idle client is cut off then, and holds no connection longer.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// The most connections open at once; further clients wait in the listen queue until one
/// closes (which [`HEAD_TIMEOUT`] bounds for clients that send nothing).
pub const MAX_CONNECTIONS: usize = 1024;

/// The largest request head accepted (larger: 431).
pub const MAX_HEAD_BYTES: usize = 16 * 1024;

/// How long a request may take once its head has arrived, body and answer included (then
/// 408): a client that sends its body slowly holds a connection no longer.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The most connections one address may hold open, when clients reach the backend directly
/// (`trust_forwarded_for` off; behind a load balancer every connection is the balancer's).
pub const MAX_CONNECTIONS_PER_ADDRESS: usize = 32;

/// Serves `app` on `listener` until `shutdown` completes (connections open then are dropped).
pub async fn serve<A: Authenticator>(
    listener: tokio::net::TcpListener,
    app: Arc<App<A>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let per_address = !app.config.trust_forwarded_for;
    let router = router(app);
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let held: Arc<std::sync::Mutex<HashMap<IpAddr, usize>>> = Arc::default();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(HEAD_TIMEOUT)
        .max_header_size(MAX_HEAD_BYTES)
        .max_buf_size(64 * 1024)
        .max_headers(64);
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            () = &mut shutdown => return Ok(()),
            slot = slots.clone().acquire_owned() => slot,
        };
        let Ok(slot) = slot else {
            return Ok(());
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of descriptors, or a connection reset before it was accepted: the
                // listener itself is fine; try again shortly.
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let ip = peer.ip().to_canonical();
        if per_address {
            let mut held = held.lock().unwrap_or_else(|p| p.into_inner());
            let count = held.entry(ip).or_default();
            if *count >= MAX_CONNECTIONS_PER_ADDRESS {
                continue; // closes it: this address holds enough
            }
            *count += 1;
        }
        let router = router.clone();
        let service = hyper::service::service_fn(
            move |mut request: hyper::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                let answer = tower::ServiceExt::oneshot(router.clone(), request);
                async move {
                    let answer = tokio::time::timeout(REQUEST_TIMEOUT, answer).await;
                    Ok::<_, std::convert::Infallible>(match answer {
                        Ok(Ok(response)) => response,
                        Ok(Err(never)) => match never {},
                        Err(_) => ApiError::new(
                            StatusCode::REQUEST_TIMEOUT,
                            "request_timeout",
                            "the request took over 10 s to arrive and be answered",
                        )
                        .into_response(),
                    })
                }
            },
        );
        let connection = http.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
        let held = held.clone();
        tokio::spawn(async move {
            // A client that sends garbage or goes silent ends its own connection; nothing to
            // do about it here.
            let _ = connection.await;
            if per_address {
                let mut held = held.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(count) = held.get_mut(&ip) {
                    *count -= 1;
                    if *count == 0 {
                        held.remove(&ip);
                    }
                }
            }
            drop(slot);
        });
    }
}

/// A refusal: its status, a stable code for programs and a message for people.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    retry_after: Option<Duration>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    message: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.code,
            message: &self.message,
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(wait) = self.retry_after {
            // Whole seconds, rounded up: a client that waits that long is in the next window.
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl<A> App<A> {
    /// Counts `why` and makes its refusal.
    fn refuse(
        &self,
        why: Rejection,
        status: StatusCode,
        code: &'static str,
        message: impl Into<String>,
    ) -> ApiError {
        self.metrics.rejected(why);
        tracing::debug!(code, status = status.as_u16(), "refused");
        ApiError::new(status, code, message)
    }

    fn store_failed(&self, error: StoreError) -> ApiError {
        tracing::warn!(error = %error.0, "the shared store failed");
        self.refuse(
            Rejection::StoreUnavailable,
            StatusCode::SERVICE_UNAVAILABLE,
            "store_unavailable",
            "the backend's shared store did not answer; try again in a few seconds",
        )
    }

    /// Counts a request against `limit` in `key`: 429 with `Retry-After` over it.
    async fn limit(&self, key: String, limit: Limit, per_player: bool) -> Result<(), ApiError> {
        let (count, left) = self
            .store
            .count(&key, limit.window)
            .await
            .map_err(|e| self.store_failed(e))?;
        if count <= limit.max {
            return Ok(());
        }
        self.metrics.limited(per_player);
        let whose = if per_player {
            "this player"
        } else {
            "this address"
        };
        Err(ApiError {
            retry_after: Some(left),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!(
                    "too many token requests from {whose}: {} per {} s; retry after the \
                     Retry-After seconds",
                    limit.max,
                    limit.window.as_secs()
                ),
            )
        })
    }

    /// The address `peer`'s request counts against (see [`source`]), or 400.
    fn source(&self, headers: &HeaderMap, peer: SocketAddr) -> Result<String, ApiError> {
        source(headers, peer, self.config.trust_forwarded_for).map_err(|()| {
            self.refuse(
                Rejection::BadRequest,
                StatusCode::BAD_REQUEST,
                "bad_request",
                "the last X-Forwarded-For entry is not an address: the load balancer in front \
                 should append the client's",
            )
        })
    }

    /// The body, or 413/400 for one over the limit or cut short.
    fn body(&self, body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
        body.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                self.refuse(
                    Rejection::TooLarge,
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too_large",
                    format!("the body is over {MAX_BODY_BYTES} bytes"),
                )
            } else {
                self.refuse(
                    Rejection::BadRequest,
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    rejection.body_text(),
                )
            }
        })
    }

    /// `value` from a JSON body, or 400 saying what is wrong with it.
    fn json<T: for<'de> Deserialize<'de>>(&self, body: &[u8]) -> Result<T, ApiError> {
        serde_json::from_slice(body).map_err(|e| {
            self.refuse(
                Rejection::BadRequest,
                StatusCode::BAD_REQUEST,
                "bad_request",
                format!("the body is not the JSON this endpoint takes: {e}"),
            )
        })
    }
}

/// The `Authorization: Bearer` credential: `Missing` without the header, `Invalid` for one
/// that is not a bearer credential (another scheme, non-ASCII bytes, nothing after it).
fn bearer(headers: &HeaderMap) -> Result<&str, AuthError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or(AuthError::Missing)?;
    let value = value.to_str().map_err(|_| AuthError::Invalid)?.trim();
    let (scheme, credential) = value
        .split_once(|c: char| c.is_ascii_whitespace())
        .ok_or(AuthError::Invalid)?;
    let credential = credential.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || credential.is_empty() {
        return Err(AuthError::Invalid);
    }
    Ok(credential)
}

/// The address a request counts against: the peer's, or, behind a trusted load balancer, the
/// last `X-Forwarded-For` entry (the one the balancer appended: an address, with or without a
/// port); IPv6 by its /64. `Err` when trusted and that entry is not an address: counting such
/// requests against the balancer's own address would let a client spend everyone's budget.
fn source(headers: &HeaderMap, peer: SocketAddr, trust_forwarded_for: bool) -> Result<String, ()> {
    let mut ip = peer.ip();
    if trust_forwarded_for {
        if let Some(value) = headers.get_all("x-forwarded-for").iter().next_back() {
            let last = value
                .as_bytes()
                .rsplit(|b| *b == b',')
                .next()
                .unwrap_or_default();
            let last = std::str::from_utf8(last).map_err(|_| ())?.trim();
            ip = last
                .parse::<IpAddr>()
                .or_else(|_| last.parse::<SocketAddr>().map(|a| a.ip()))
                .map_err(|_| ())?;
        }
    }
    Ok(match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{}/64", Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
    })
}

/// The JSON answer of `POST /v1/connect`.
#[derive(Serialize, Deserialize, Debug)]
pub struct ConnectResponse {
    /// The 2048-byte connect token, in standard base64.
    pub connect_token: String,
    /// The client id in the token.
    pub client_id: u64,
    /// `NETCODE 1.02` or `NETCODE 1.00`.
    pub protocol: String,
    /// When the token stops being accepted to start a connection (Unix seconds).
    pub expires_at: u64,
    /// The servers the token lists, in the order the client tries them.
    pub servers: Vec<SocketAddr>,
}

async fn connect<A: Authenticator>(
    State(app): State<Arc<App<A>>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let config = &app.config;
    let address = app.source(&headers, peer)?;
    app.limit(format!("address:{address}"), config.address_limit, false)
        .await?;
    let body = app.body(body)?;
    // Empty, or `{}`: nothing to say yet, but a client that sends more has it wrong.
    if !body.iter().all(u8::is_ascii_whitespace) {
        let request: serde_json::Value = app.json(&body)?;
        if !request.as_object().is_some_and(serde_json::Map::is_empty) {
            return Err(app.refuse(
                Rejection::BadRequest,
                StatusCode::BAD_REQUEST,
                "bad_request",
                "the body of /v1/connect is empty or {}",
            ));
        }
    }
    let unauthorized = |e: AuthError| {
        app.refuse(
            Rejection::Unauthorized,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            e.message(),
        )
    };
    let credential = bearer(&headers).map_err(unauthorized)?;
    let player = app
        .auth
        .authenticate(credential)
        .await
        .map_err(unauthorized)?;

    // No server, no count: a player retrying through an outage keeps its budget.
    let servers = app.store.servers().await.map_err(|e| app.store_failed(e))?;
    let Ok(addresses) = ServerAddresses::new(choose(servers)) else {
        return Err(app.refuse(
            Rejection::NoServer,
            StatusCode::SERVICE_UNAVAILABLE,
            "no_server",
            "no dedicated server has a free slot; try again in a few seconds",
        ));
    };
    app.limit(format!("player:{}", player.id), config.player_limit, true)
        .await?;
    let token = issue(config, addresses, &player).map_err(|e| {
        tracing::error!(error = %e, "cannot make a token");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the backend could not make a token",
        )
    })?;
    app.store
        .reserve(token.servers().as_slice()[0])
        .await
        .map_err(|e| app.store_failed(e))?;
    app.metrics.issued();
    tracing::info!(
        client_id = player.id,
        servers = token.servers().as_slice().len(),
        first = %token.servers().as_slice()[0],
        "token issued"
    );

    let wants_raw = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("application/octet-stream"));
    if wants_raw {
        let bytes = token.as_bytes().to_vec();
        return Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response());
    }
    Ok(Json(ConnectResponse {
        connect_token: STANDARD.encode(token.as_bytes()),
        client_id: player.id,
        protocol: token.version().to_string(),
        expires_at: token.expire_timestamp(),
        servers: token.servers().as_slice().to_vec(),
    })
    .into_response())
}

/// A connect token for `player` listing `servers`, with the configured settings.
fn issue(config: &Config, servers: ServerAddresses, player: &Player) -> netcode::Result<Token> {
    let settings = TokenSettings::new(config.protocol_id, servers)
        .version(config.version)
        .expire_seconds(config.token_seconds)
        .timeout_seconds(config.timeout_seconds);
    TokenGenerator::new(settings, config.private_key.expose())?
        .generate(player.id, &player.user_data)
}

/// Whether `given` is `secret`, in time that does not depend on where they differ.
fn same_secret(given: &str, secret: &str) -> bool {
    let (given, secret) = (given.as_bytes(), secret.as_bytes());
    given.len() == secret.len()
        && given
            .iter()
            .zip(secret)
            .fold(0, |acc, (a, b)| acc | (a ^ b))
            == 0
}

async fn heartbeat<A: Authenticator>(
    State(app): State<Arc<App<A>>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiError> {
    let config = &app.config;
    if !bearer(&headers).is_ok_and(|given| same_secret(given, config.fleet_secret.expose())) {
        // Wrong secrets count against the address limit, so that guessing it is throttled
        // (the right one is never counted: a fleet reports every second).
        let address = app.source(&headers, peer)?;
        app.limit(format!("fleet:{address}"), config.address_limit, false)
            .await?;
        return Err(app.refuse(
            Rejection::Unauthorized,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "servers register with Authorization: Bearer <NETCODE_FLEET_SECRET>; this is not it",
        ));
    }
    let body = app.body(body)?;
    let report: ServerReport = app.json(&body)?;
    report
        .check(config.version, config.protocol_id, config.token_seconds)
        .map_err(|refusal| match refusal {
            Refusal::Invalid(message) => app.refuse(
                Rejection::BadRequest,
                StatusCode::BAD_REQUEST,
                "bad_request",
                message,
            ),
            Refusal::Mismatch(message) => app.refuse(
                Rejection::Mismatch,
                StatusCode::CONFLICT,
                "protocol_mismatch",
                message,
            ),
        })?;
    app.store
        .report(&report, config.server_ttl)
        .await
        .map_err(|e| app.store_failed(e))?;
    app.metrics.reported();
    tracing::debug!(address = %report.address, free = report.free_slots, "server reported");
    Ok(StatusCode::NO_CONTENT)
}

async fn metrics<A: Authenticator>(State(app): State<Arc<App<A>>>) -> Result<Response, ApiError> {
    let servers = app.store.servers().await.map_err(|e| app.store_failed(e))?;
    let free: u64 = servers.iter().map(|s| u64::from(s.free_slots)).sum();
    let text = app.metrics.render(servers.len(), free);
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response())
}

async fn health<A: Authenticator>(
    State(app): State<Arc<App<A>>>,
) -> Result<&'static str, ApiError> {
    app.store.ping().await.map_err(|e| app.store_failed(e))?;
    Ok("ok\n")
}
