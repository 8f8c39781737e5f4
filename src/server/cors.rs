//! CORS for browsers in development: on by default, permissive, and
//! honest about what the contract documents.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Response, StatusCode};

/// Headers of our own that a browser app may want to read.
const OWN_HEADERS: &str = "Apib-Mock-Transaction, Apib-Mock-Match, Apib-Mock-State, Apib-Mock-Violations, Preference-Applied";

/// Adds the CORS response headers for a request from `origin`.
pub(crate) fn decorate(
    headers: &mut HeaderMap,
    origin: &HeaderValue,
    expose: Option<&HeaderValue>,
) {
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        HeaderValue::from_static("true"),
    );
    let exposed = match expose.and_then(|e| e.to_str().ok()) {
        Some(documented) => HeaderValue::from_str(&format!("{documented}, {OWN_HEADERS}")).ok(),
        None => Some(HeaderValue::from_static(OWN_HEADERS)),
    };
    if let Some(exposed) = exposed {
        headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, exposed);
    }
}

/// The answer to a preflight `OPTIONS` for a documented path: the
/// documented methods, and whatever headers the browser asks to send.
pub(crate) fn preflight(
    origin: Option<&HeaderValue>,
    methods: &[Method],
    request_headers: Option<&HeaderValue>,
) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(Bytes::new()));
    *res.status_mut() = StatusCode::NO_CONTENT;
    let h = res.headers_mut();
    let mut list: Vec<&str> = methods.iter().map(Method::as_str).collect();
    if list.contains(&"GET") && !list.contains(&"HEAD") {
        list.push("HEAD");
    }
    if let Ok(v) = HeaderValue::from_str(&list.join(", ")) {
        h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, v);
    }
    if let Some(requested) = request_headers {
        h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, requested.clone());
    }
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    match origin {
        Some(origin) => {
            h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
            h.insert(header::VARY, HeaderValue::from_static("Origin"));
            h.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
        None => {
            h.insert(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            );
        }
    }
    res
}
