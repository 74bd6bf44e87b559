//! The gateway's HTTP client to content providers: plain http and https
//! (rustls, the Mozilla root certificates plus any `--gateway-ca`), one
//! connection pool for the whole server, and the wait limit of every exchange.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use http_body_util::Full;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

/// Why the gateway client could not be built (only `--gateway-ca` can fail).
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot read the gateway CA file {path}: {reason}")]
    Ca { path: String, reason: String },
    #[error("cannot set up TLS for the gateway: {0}")]
    Tls(#[from] rustls::Error),
}

/// The client and its timeout, built once at start.
pub struct Upstreams {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    /// How long one handset request may wait for the site (redirects included).
    pub timeout: Duration,
}

impl Upstreams {
    /// A client trusting the Mozilla roots and, if given, the certificates of
    /// a PEM file (for a content provider's self-signed development site).
    pub fn new(extra_ca: Option<&Path>, timeout: Duration) -> Result<Upstreams, ClientError> {
        let mut roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        if let Some(path) = extra_ca {
            let ca_error = |reason: String| ClientError::Ca {
                path: path.display().to_string(),
                reason,
            };
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| ca_error(e.to_string()))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ca_error(e.to_string()))?;
            if certs.is_empty() {
                return Err(ca_error("no certificate in it".into()));
            }
            for cert in certs {
                roots.add(cert).map_err(|e| ca_error(e.to_string()))?;
            }
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(timeout));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Ok(Upstreams { client, timeout })
    }

    /// Sends one request (no redirects followed here).
    pub async fn send(
        &self,
        req: hyper::Request<Full<Bytes>>,
    ) -> Result<hyper::Response<hyper::body::Incoming>, SendError> {
        self.client.request(req).await.map_err(|e| {
            if is_certificate_problem(&e) {
                SendError::Certificate
            } else {
                SendError::Unreachable
            }
        })
    }
}

/// How a request to a content provider failed.
#[derive(Debug, PartialEq, Eq)]
pub enum SendError {
    /// Nobody answered, or the connection broke.
    Unreachable,
    /// The TLS handshake failed: an untrusted, expired or wrong-name certificate.
    Certificate,
}

/// Whether a rustls error sits anywhere in the chain. `io::Error` hides its
/// inner error from `source()` (and the connector wraps one io::Error in
/// another), so io errors are looked into by hand.
fn is_certificate_problem(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(err);
    while let Some(e) = next {
        if e.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        next = match e.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_empty_ca_file_is_a_clear_start_error() {
        let missing = Upstreams::new(
            Some(Path::new("/nonexistent/ca.pem")),
            Duration::from_secs(1),
        );
        assert!(matches!(missing, Err(ClientError::Ca { .. })));
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let err = Upstreams::new(Some(&empty), Duration::from_secs(1))
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("no certificate"), "{err}");
    }
}
