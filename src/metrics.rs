//! Counters for `GET /metrics` (Prometheus text format): requests by route
//! kind and status, how long answers took, and how often each limit bit.
//! Everything here is a fixed set of atomics: counting costs a few relaxed
//! increments and can never grow.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// What kind of page a route serves (the security headers and the request
/// counters go by it; `web::headers` tells a path's kind).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteKind {
    /// Power-on, menus, settings, mail, the gateway: what a handset shows.
    Handset,
    /// My docomo, the shop counter, partner sites, the admin console, the outbox.
    Pc,
    /// The emulator's shell: the one page with script.
    Emulator,
    /// JSON and text for scripts.
    Api,
}

impl RouteKind {
    pub const ALL: [RouteKind; 4] = [
        RouteKind::Handset,
        RouteKind::Pc,
        RouteKind::Emulator,
        RouteKind::Api,
    ];

    /// The name in `/metrics`.
    pub fn as_str(self) -> &'static str {
        match self {
            RouteKind::Handset => "handset",
            RouteKind::Pc => "pc",
            RouteKind::Emulator => "emulator",
            RouteKind::Api => "api",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Upper bounds (seconds) of the latency histogram's buckets.
pub const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The limits whose hits are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// An open connection closed to make room for a new one.
    ConnectionsClosed,
    /// A new connection closed at once: every open one was being answered.
    ConnectionsRefused,
    BodyTooLarge,
    BodyTooSlow,
    /// A throttle or rate limit said no (429).
    RateLimited,
    /// The Argon2 queue was full or a check waited too long (503).
    Argon2Busy,
    /// The gateway's queue of fetches was full or a fetch waited too long (503).
    GatewayBusy,
    /// The gateway's budget of page bytes had no room in time (503).
    GatewayBytesBusy,
    /// Event streams or mail waits at their limit (503).
    StreamsOrWaitsFull,
    /// A partner site at its member cap (429).
    PartnerSiteFull,
    /// The server at its most worlds (503).
    Worlds,
}

impl Limit {
    pub const ALL: [Limit; 11] = [
        Limit::ConnectionsClosed,
        Limit::ConnectionsRefused,
        Limit::BodyTooLarge,
        Limit::BodyTooSlow,
        Limit::RateLimited,
        Limit::Argon2Busy,
        Limit::GatewayBusy,
        Limit::GatewayBytesBusy,
        Limit::StreamsOrWaitsFull,
        Limit::PartnerSiteFull,
        Limit::Worlds,
    ];

    /// The name in `/metrics` (`garake_limit_hits_total{limit=…}`).
    pub fn as_str(self) -> &'static str {
        match self {
            Limit::ConnectionsClosed => "connections_closed",
            Limit::ConnectionsRefused => "connections_refused",
            Limit::BodyTooLarge => "body_too_large",
            Limit::BodyTooSlow => "body_too_slow",
            Limit::RateLimited => "rate_limited",
            Limit::Argon2Busy => "argon2_busy",
            Limit::GatewayBusy => "gateway_busy",
            Limit::GatewayBytesBusy => "gateway_bytes_busy",
            Limit::StreamsOrWaitsFull => "streams_or_waits_full",
            Limit::PartnerSiteFull => "partner_site_full",
            Limit::Worlds => "worlds_full",
        }
    }
}

/// Status codes 100–599, one counter each per kind.
const CODES: usize = 500;

/// Request counters are kept in this many shards, summed when read: the
/// threads that answer requests each count in their own, so two cores never
/// contend for one counter's cache line on every request.
const SHARDS: usize = 4;

/// One shard of the request counters (on its own cache lines).
#[repr(align(128))]
struct Shard {
    requests: Box<[AtomicU64]>,
    /// One per bound of `BUCKETS`, then one for longer answers; the
    /// histogram's count is their sum (one increment fewer per request).
    buckets: [AtomicU64; BUCKETS.len() + 1],
    micros: AtomicU64,
}

impl Default for Shard {
    fn default() -> Shard {
        Shard {
            requests: (0..RouteKind::ALL.len() * CODES)
                .map(|_| AtomicU64::new(0))
                .collect(),
            buckets: Default::default(),
            micros: AtomicU64::new(0),
        }
    }
}

/// The shard of the calling thread: threads take shards in turn.
fn shard_index() -> usize {
    use std::sync::atomic::AtomicUsize;
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static MINE: usize = NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS;
    }
    MINE.with(|i| *i)
}

#[derive(Default)]
pub struct Metrics {
    shards: [Shard; SHARDS],
    limits: [AtomicU64; Limit::ALL.len()],
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("requests", &self.count())
            .finish_non_exhaustive()
    }
}

impl Metrics {
    /// One answered request: its kind, status and time to the response head.
    pub fn request(&self, kind: RouteKind, status: u16, took: Duration) {
        let kind = kind.index();
        let shard = &self.shards[shard_index()];
        if let Some(slot) = (status as usize)
            .checked_sub(100)
            .filter(|c| *c < CODES)
            .map(|c| kind * CODES + c)
        {
            shard.requests[slot].fetch_add(1, Ordering::Relaxed);
        }
        let secs = took.as_secs_f64();
        // Cumulative buckets are summed when written out; each request lands in one.
        let i = BUCKETS
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(BUCKETS.len());
        shard.buckets[i].fetch_add(1, Ordering::Relaxed);
        let micros = took.as_micros() as u64;
        if micros > 0 {
            shard.micros.fetch_add(micros, Ordering::Relaxed);
        }
    }

    /// Requests counted so far.
    fn count(&self) -> u64 {
        (0..=BUCKETS.len()).map(|i| self.bucket(i)).sum()
    }

    /// One histogram bucket (not cumulative), over the shards.
    fn bucket(&self, i: usize) -> u64 {
        self.total(|s| &s.buckets[i])
    }

    /// One counter summed over the shards.
    fn total(&self, counter: impl Fn(&Shard) -> &AtomicU64) -> u64 {
        self.shards
            .iter()
            .map(|s| counter(s).load(Ordering::Relaxed))
            .sum()
    }

    /// A limit bit.
    pub fn limit_hit(&self, limit: Limit) {
        self.limits[limit as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// The counters in Prometheus text format, followed by `gauges`
    /// (name, help, value) read at the time of the scrape.
    pub fn render(&self, gauges: &[(&str, &str, f64)]) -> String {
        let mut out = String::new();
        out.push_str("# HELP garake_requests_total Requests answered, by route kind and status.\n");
        out.push_str("# TYPE garake_requests_total counter\n");
        for kind in RouteKind::ALL {
            let (k, kind) = (kind.index(), kind.as_str());
            for code in 0..CODES {
                let n = self.total(|s| &s.requests[k * CODES + code]);
                if n > 0 {
                    let _ = writeln!(
                        out,
                        "garake_requests_total{{kind=\"{kind}\",status=\"{}\"}} {n}",
                        code + 100
                    );
                }
            }
        }
        out.push_str(
            "# HELP garake_request_duration_seconds Time from a request to its response head.\n",
        );
        out.push_str("# TYPE garake_request_duration_seconds histogram\n");
        let mut cumulative = 0;
        for (i, bound) in BUCKETS.iter().enumerate() {
            cumulative += self.bucket(i);
            let _ = writeln!(
                out,
                "garake_request_duration_seconds_bucket{{le=\"{bound}\"}} {cumulative}"
            );
        }
        let count = self.count();
        let _ = writeln!(
            out,
            "garake_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            out,
            "garake_request_duration_seconds_sum {}",
            self.total(|s| &s.micros) as f64 / 1e6
        );
        let _ = writeln!(out, "garake_request_duration_seconds_count {count}");
        out.push_str("# HELP garake_limit_hits_total Times a limit refused or dropped something, by limit.\n");
        out.push_str("# TYPE garake_limit_hits_total counter\n");
        for limit in Limit::ALL {
            let (i, limit) = (limit as usize, limit.as_str());
            let _ = writeln!(
                out,
                "garake_limit_hits_total{{limit=\"{limit}\"}} {}",
                self.limits[i].load(Ordering::Relaxed)
            );
        }
        for (name, help, value) in gauges {
            let kind = if name.ends_with("_total") {
                "counter"
            } else {
                "gauge"
            };
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_from_many_threads_add_up() {
        let m = std::sync::Arc::new(Metrics::default());
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let m = m.clone();
                std::thread::spawn(move || {
                    for _ in 0..1000 {
                        m.request(RouteKind::Handset, 200, Duration::from_micros(1));
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let text = m.render(&[]);
        assert!(text.contains("garake_requests_total{kind=\"handset\",status=\"200\"} 8000\n"));
        assert!(text.contains("garake_request_duration_seconds_count 8000\n"));
        assert!(text.contains("garake_request_duration_seconds_sum 0.008\n"));
    }

    #[test]
    fn requests_land_in_one_bucket_and_limits_by_name() {
        let m = Metrics::default();
        m.request(RouteKind::Handset, 200, Duration::from_micros(300));
        m.request(RouteKind::Handset, 200, Duration::from_millis(30));
        m.request(RouteKind::Api, 404, Duration::from_secs(20));
        m.request(RouteKind::Pc, 99, Duration::ZERO); // no such status: counted in the histogram only
        m.limit_hit(Limit::RateLimited);
        let text = m.render(&[("garake_sessions", "Handset sessions.", 3.0)]);
        assert!(text.contains("garake_requests_total{kind=\"handset\",status=\"200\"} 2\n"));
        assert!(text.contains("garake_requests_total{kind=\"api\",status=\"404\"} 1\n"));
        assert!(text.contains("garake_request_duration_seconds_bucket{le=\"0.001\"} 2\n"));
        assert!(text.contains("garake_request_duration_seconds_bucket{le=\"0.05\"} 3\n"));
        assert!(text.contains("garake_request_duration_seconds_bucket{le=\"+Inf\"} 4\n"));
        assert!(text.contains("garake_request_duration_seconds_bucket{le=\"10\"} 3\n"));
        assert!(text.contains("garake_request_duration_seconds_count 4\n"));
        assert!(text.contains("garake_request_duration_seconds_sum 20.0303\n"));
        assert!(text.contains("garake_limit_hits_total{limit=\"rate_limited\"} 1\n"));
        assert!(text.contains("# TYPE garake_sessions gauge\ngarake_sessions 3\n"));
    }
}
