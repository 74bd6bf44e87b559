//! Turning a rendered page into a response, and reading handset input.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::Markup;

use crate::error::AppError;
use crate::handset::{encode_page_for, Charset, FormData, Pictograms};
use crate::views::Ctx;

/// Marks an answer whose links already carry the world's prefix (or that is
/// not garake's page at all): the front leaves its body as it is.
#[derive(Clone, Copy)]
pub struct Based;

/// A rendered handset page, encoded in the profile's charset on the way out.
pub struct Page {
    body: Body,
    charset: Charset,
    pictograms: Pictograms,
    status: StatusCode,
    no_store: bool,
}

/// A page still to encode, or already encoded (from the page cache).
enum Body {
    Markup(Markup),
    Encoded(Vec<u8>),
}

impl Page {
    pub fn new(ctx: &Ctx, markup: Markup) -> Page {
        Page {
            body: Body::Markup(markup),
            charset: ctx.profile.charset,
            pictograms: ctx.profile.pictograms,
            status: StatusCode::OK,
            no_store: false,
        }
    }

    /// A page already encoded in `charset` (the profile's).
    pub fn encoded(charset: Charset, bytes: Vec<u8>) -> Page {
        Page {
            body: Body::Encoded(bytes),
            charset,
            pictograms: Pictograms::Extended,
            status: StatusCode::OK,
            no_store: false,
        }
    }

    /// PIN and recovery pages must not be kept in any cache.
    pub fn no_store(mut self) -> Page {
        self.no_store = true;
        self
    }

    pub fn status(mut self, status: StatusCode) -> Page {
        self.status = status;
        self
    }
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let body = match self.body {
            Body::Markup(m) => encode_page_for(&m.into_string(), self.charset, self.pictograms),
            Body::Encoded(bytes) => bytes,
        };
        let content_type = self.charset.html_content_type();
        let mut response = Response::new(axum::body::Body::from(body));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        // Room for these and the security headers `front` adds: one allocation.
        headers.reserve(6);
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        if self.no_store {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        response
    }
}

/// Why a body could not be read: too large → 413, too slow → 408, else 400.
pub fn body_error(
    rejection: &(dyn std::error::Error + 'static),
    status: StatusCode,
    text: String,
) -> AppError {
    if crate::serve::is_body_timeout(rejection) {
        AppError::Timeout
    } else if status == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::TooLarge
    } else {
        AppError::BadRequest(text)
    }
}

/// A request body within the limit and the deadline.
pub fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, AppError> {
    body.map_err(|r| body_error(&r, r.status(), r.body_text()))
}

/// Reads a posted form in the page's charset: too large → 413, too slow →
/// 408, undecodable → 400.
pub fn read_form(
    body: Result<Bytes, BytesRejection>,
    charset: Charset,
) -> Result<FormData, AppError> {
    Ok(FormData::parse(&body_bytes(body)?, charset)?)
}

/// Reads the query string in the page's charset.
pub fn read_query(query: Option<&str>, charset: Charset) -> Result<FormData, AppError> {
    Ok(FormData::parse(query.unwrap_or("").as_bytes(), charset)?)
}

/// The `p` (page number) query parameter: 1 when absent, 404 when not a number.
pub fn page_param(query: Option<&str>, charset: Charset) -> Result<usize, AppError> {
    match read_query(query, charset)?.get("p")? {
        None => Ok(1),
        Some(p) => p.parse().map_err(|_| AppError::NotFound),
    }
}
