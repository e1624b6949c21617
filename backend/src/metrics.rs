//! The counters `/metrics` shows, in the Prometheus text format. Counters are this
//! instance's (Prometheus adds up the instances it scrapes); the fleet gauges are the shared
//! registry's, the same on every instance.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// Why a token request or a report was refused, as the `reason` label says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// 400: a malformed request.
    BadRequest,
    /// 401: missing or bad credentials.
    Unauthorized,
    /// 413: a body over the limit.
    TooLarge,
    /// 503: no server with a free slot.
    NoServer,
    /// 503: the shared store did not answer.
    StoreUnavailable,
    /// 409: a server of another protocol or protocol id tried to register.
    Mismatch,
}

const REASONS: [(Rejection, &str); 6] = [
    (Rejection::BadRequest, "bad_request"),
    (Rejection::Unauthorized, "unauthorized"),
    (Rejection::TooLarge, "too_large"),
    (Rejection::NoServer, "no_server"),
    (Rejection::StoreUnavailable, "store_unavailable"),
    (Rejection::Mismatch, "protocol_mismatch"),
];

/// This instance's counters.
#[derive(Default)]
pub struct Metrics {
    tokens_issued: AtomicU64,
    limited_player: AtomicU64,
    limited_address: AtomicU64,
    rejected: [AtomicU64; REASONS.len()],
    reports: AtomicU64,
}

impl Metrics {
    /// A token was issued.
    pub fn issued(&self) {
        self.tokens_issued.fetch_add(1, Ordering::Relaxed);
    }

    /// A request got 429; `per_player` says which limit.
    pub fn limited(&self, per_player: bool) {
        let counter = if per_player {
            &self.limited_player
        } else {
            &self.limited_address
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// A request was refused.
    pub fn rejected(&self, why: Rejection) {
        if let Some(i) = REASONS.iter().position(|(r, _)| *r == why) {
            self.rejected[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A server's report was accepted.
    pub fn reported(&self) {
        self.reports.fetch_add(1, Ordering::Relaxed);
    }

    /// The text of `/metrics`, with the fleet's `live_servers` and `free_slots`.
    pub fn render(&self, live_servers: usize, free_slots: u64) -> String {
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        let mut text = String::new();
        let mut family = |name: &str, kind: &str, help: &str, samples: &[(&str, u64)]| {
            let _ = writeln!(text, "# HELP netcode_backend_{name} {help}");
            let _ = writeln!(text, "# TYPE netcode_backend_{name} {kind}");
            for (labels, value) in samples {
                let _ = writeln!(text, "netcode_backend_{name}{labels} {value}");
            }
        };
        family(
            "tokens_issued_total",
            "counter",
            "Connect tokens issued by this instance.",
            &[("", get(&self.tokens_issued))],
        );
        family(
            "rate_limited_total",
            "counter",
            "Token requests answered 429, by the limit that refused them.",
            &[
                ("{limit=\"player\"}", get(&self.limited_player)),
                ("{limit=\"address\"}", get(&self.limited_address)),
            ],
        );
        let labels: Vec<String> = REASONS
            .iter()
            .map(|(_, name)| format!("{{reason=\"{name}\"}}"))
            .collect();
        let rejected: Vec<(&str, u64)> = labels
            .iter()
            .zip(&self.rejected)
            .map(|(label, counter)| (label.as_str(), get(counter)))
            .collect();
        family(
            "rejected_total",
            "counter",
            "Requests refused, by reason.",
            &rejected,
        );
        family(
            "server_reports_total",
            "counter",
            "Dedicated server reports accepted by this instance.",
            &[("", get(&self.reports))],
        );
        family(
            "live_servers",
            "gauge",
            "Dedicated servers that reported within the server TTL.",
            &[("", live_servers as u64)],
        );
        family(
            "free_slots",
            "gauge",
            "Free client slots over the live servers.",
            &[("", free_slots)],
        );
        text
    }
}
