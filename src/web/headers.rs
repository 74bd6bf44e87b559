//! The headers every answer gets by the kind of page it is, set in one place
//! (`front` applies them to the cached menu pages and to everything the
//! router answers alike), and absolute redirects.
//!
//! Handset pages, the gateway's pages included, run nothing: a sandbox
//! without scripts (`allow-same-origin` lets the emulator's shell read them),
//! no plug-ins, only this origin may frame them, and no Referer leaves (i-mode
//! browsers sent none). PC sites, the admin console and the API may not be
//! framed at all. The emulator's shell may run exactly its own script.

use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::uri::Authority;
use axum::response::Response;

use crate::handset::Charset;

/// What kind of page a path serves (one list, shared with the metrics).
pub use crate::metrics::RouteKind as Kind;

impl Kind {
    pub fn of(path: &str) -> Kind {
        let under = |prefix: &str| {
            path == prefix
                || path
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('/'))
        };
        if under("/api") || path == "/metrics" {
            Kind::Api
        } else if under("/emulator") {
            Kind::Emulator
        } else if [
            "/admin",
            "/outbox",
            "/mydocomo",
            "/shop",
            "/partners",
            "/p",
            "/assets",
        ]
        .iter()
        .any(|p| under(p))
        {
            Kind::Pc
        } else {
            Kind::Handset
        }
    }
}

pub const HANDSET_CSP: &str = "sandbox allow-forms allow-same-origin; default-src 'self'; script-src 'none'; object-src 'none'; frame-ancestors 'self'";
pub const PC_CSP: &str = "default-src 'self'; script-src 'none'; object-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// The emulator's policy: its own inline script by hash, nothing else.
pub fn emulator_csp(script_sha256_b64: &str) -> String {
    format!(
        "default-src 'self'; script-src 'sha256-{script_sha256_b64}'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; object-src 'none'; frame-src 'self'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// The headers of each kind, built once.
pub struct Policies {
    emulator: HeaderValue,
    /// Every header of a handset page in Shift_JIS and in UTF-8: the cached
    /// menu pages get a copy of one whole, not each header added in turn.
    handset_pages: [HeaderMap; 2],
}

impl Policies {
    pub fn new(emulator_script_hash: &str) -> Policies {
        let mut policies = Policies {
            emulator: HeaderValue::from_str(&emulator_csp(emulator_script_hash))
                .expect("a base64 hash makes a valid header"),
            handset_pages: Default::default(),
        };
        for charset in [Charset::ShiftJis, Charset::Utf8] {
            let mut headers = HeaderMap::with_capacity(4);
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(charset.html_content_type()),
            );
            policies.apply(Kind::Handset, &mut headers);
            policies.handset_pages[charset as usize] = headers;
        }
        policies
    }

    /// The headers of a handset page in `charset`, security headers included.
    pub fn handset_page(&self, charset: Charset) -> HeaderMap {
        self.handset_pages[charset as usize].clone()
    }

    /// Sets the security headers of `kind` on a response.
    pub fn apply(&self, kind: Kind, headers: &mut HeaderMap) {
        let (csp, referrer) = match kind {
            Kind::Handset => (HeaderValue::from_static(HANDSET_CSP), "no-referrer"),
            Kind::Pc => (HeaderValue::from_static(PC_CSP), "same-origin"),
            Kind::Emulator => (self.emulator.clone(), "same-origin"),
            Kind::Api => (HeaderValue::from_static(API_CSP), "same-origin"),
        };
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(header::REFERRER_POLICY, HeaderValue::from_static(referrer));
        if kind != Kind::Handset {
            headers.insert(
                HeaderName::from_static("x-frame-options"),
                HeaderValue::from_static("DENY"),
            );
        }
    }
}

/// The origin redirects point at: the request's Host when it is a plain
/// `host[:port]`, else the configured public URL.
pub fn origin(host: Option<&HeaderValue>, public_url: &str) -> String {
    match host
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.parse::<Authority>().ok())
        .filter(|a| {
            a.as_str()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        }) {
        Some(authority) => format!("http://{authority}"),
        None => public_url.to_string(),
    }
}

/// Makes a relative `Location` absolute (the i-mode browser required it).
pub fn absolute_location(response: &mut Response, origin: &str) {
    let Some(location) = response.headers().get(header::LOCATION) else {
        return;
    };
    let Ok(text) = location.to_str() else { return };
    if text.starts_with("http://") || text.starts_with("https://") {
        return;
    }
    let absolute = if text.starts_with('/') {
        format!("{origin}{text}")
    } else {
        format!("{origin}/{text}")
    };
    if let Ok(value) = HeaderValue::from_str(&absolute) {
        response.headers_mut().insert(header::LOCATION, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_have_their_kinds() {
        for (path, kind) in [
            ("/", Kind::Handset),
            ("/on/09012340001", Kind::Handset),
            ("/s/abc/g/cp/x", Kind::Handset),
            ("/emulator", Kind::Emulator),
            ("/admin", Kind::Pc),
            ("/admin/audit", Kind::Pc),
            ("/administrator", Kind::Handset),
            ("/outbox/3", Kind::Pc),
            ("/p/ims", Kind::Pc),
            ("/partners", Kind::Pc),
            ("/api/lines", Kind::Api),
            ("/metrics", Kind::Api),
        ] {
            assert_eq!(Kind::of(path), kind, "{path}");
        }
    }

    #[test]
    fn redirects_become_absolute_on_the_requests_host_or_the_public_url() {
        let mut r = Response::new(axum::body::Body::empty());
        r.headers_mut()
            .insert(header::LOCATION, HeaderValue::from_static("/s/x/m/imenu"));
        absolute_location(
            &mut r,
            &origin(
                Some(&HeaderValue::from_static("phone.test:8080")),
                "http://p",
            ),
        );
        assert_eq!(
            r.headers()[header::LOCATION],
            "http://phone.test:8080/s/x/m/imenu"
        );
        assert_eq!(
            origin(None, "http://127.0.0.1:8080"),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            origin(
                Some(&HeaderValue::from_static("evil.example/path")),
                "http://p"
            ),
            "http://p",
            "not a plain host"
        );
        let mut kept = Response::new(axum::body::Body::empty());
        kept.headers_mut().insert(
            header::LOCATION,
            HeaderValue::from_static("https://cp.example/"),
        );
        absolute_location(&mut kept, "http://p");
        assert_eq!(kept.headers()[header::LOCATION], "https://cp.example/");
    }
}
