//! The incoming request, read once into our own type so every check is
//! synchronous and hyper-free.

use std::cell::OnceCell;

use bytes::Bytes;
use hyper::header::HeaderMap;
use hyper::{Method, header};
use serde_json::Value;

use crate::contract::path_pattern::{DecodedPath, valid_percent_encoding};

/// An HTTP request as the matcher sees it.
#[derive(Debug)]
pub struct RecordedRequest {
    /// The method.
    pub method: Method,
    /// Decoded, non-empty path segments.
    pub segments: DecodedPath,
    /// Decoded query pairs, in order.
    pub query: Vec<(String, String)>,
    /// All headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
    /// The structure fingerprint of the body, when the body is JSON.
    pub json_shape: Option<u64>,
    /// The body as a JSON value, parsed on first use (see `json`).
    json: OnceCell<Value>,
}

/// A request that cannot even be matched: why, and its headers and body
/// given back (the journal still shows them).
#[derive(Debug)]
pub struct Unreadable {
    /// Why.
    pub error: RequestError,
    /// The request's headers, as received.
    pub headers: HeaderMap,
    /// The request's body, as received.
    pub body: Bytes,
}

/// Why a request cannot even be matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestError {
    /// `%` not followed by two hex digits, in the path or query.
    BadPercentEncoding,
    /// A body declared as JSON that does not parse.
    InvalidJson {
        /// serde_json's message, with line and column.
        message: String,
    },
}

impl RecordedRequest {
    /// Reads the parts of a request. The body is parsed as JSON when its
    /// `Content-Type` says JSON, or when it has none and looks like JSON.
    ///
    /// An unreadable request hands its headers and body back (boxed: the
    /// error is rare and the parts are large).
    pub fn new(
        method: Method,
        path: &str,
        query: Option<&str>,
        headers: HeaderMap,
        body: Bytes,
    ) -> Result<Self, Box<Unreadable>> {
        match Self::json_shape(path, query, &headers, &body) {
            Ok(json_shape) => Ok(Self {
                json_shape,
                method,
                segments: DecodedPath::new(path),
                query: query.map(decode_query).unwrap_or_default(),
                headers,
                body,
                json: OnceCell::new(),
            }),
            Err(error) => Err(Box::new(Unreadable {
                error,
                headers,
                body,
            })),
        }
    }

    /// Checks the path, query and body are readable; the body's structure
    /// fingerprint when it is JSON.
    fn json_shape(
        path: &str,
        query: Option<&str>,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Option<u64>, RequestError> {
        if !valid_percent_encoding(path) || !query.is_none_or(valid_percent_encoding) {
            return Err(RequestError::BadPercentEncoding);
        }
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        let declared_json = content_type.is_some_and(crate::blueprint::is_json_media_type);
        // One streaming pass validates the body and fingerprints its
        // structure; the value itself is built only if scoring needs it.
        Ok(if body.is_empty() {
            None
        } else if declared_json {
            let shape =
                super::json_shape::shape_of(body).map_err(|e| RequestError::InvalidJson {
                    message: e.to_string(),
                })?;
            Some(shape)
        } else if content_type.is_none() {
            super::json_shape::shape_of(body).ok()
        } else {
            None
        })
    }

    /// The body as a JSON value, when it is JSON (parsed once, on first
    /// call).
    pub fn json(&self) -> Option<&Value> {
        self.json_shape?;
        Some(
            self.json
                .get_or_init(|| serde_json::from_slice(&self.body).unwrap_or(Value::Null)),
        )
    }

    /// The headers and the body, given back.
    pub fn into_parts(self) -> (HeaderMap, Bytes) {
        (self.headers, self.body)
    }

    /// The first value of header `name`, if it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as text (lossy).
    pub fn body_text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }
}

/// Decoded query pairs, in order.
fn decode_query(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(
        path: &str,
        query: Option<&str>,
        ct: Option<&str>,
        body: &str,
    ) -> Result<RecordedRequest, RequestError> {
        let mut headers = HeaderMap::new();
        if let Some(ct) = ct {
            headers.insert(header::CONTENT_TYPE, ct.parse().unwrap());
        }
        RecordedRequest::new(
            Method::POST,
            path,
            query,
            headers,
            Bytes::from(body.to_string()),
        )
        .map_err(|unreadable| unreadable.error)
    }

    #[test]
    fn query_and_path_are_decoded() {
        let r = req("/a%20b/c", Some("x=1+2&y=%C3%A9"), None, "").unwrap();
        assert_eq!(r.segments.segments().as_slice(), ["a b", "c"]);
        assert_eq!(
            r.query,
            [("x".into(), "1 2".into()), ("y".into(), "é".into())]
        );
    }

    #[test]
    fn invalid_percent_encoding_is_refused() {
        assert_eq!(
            req("/a%zz", None, None, "").unwrap_err(),
            RequestError::BadPercentEncoding
        );
        assert_eq!(
            req("/a", Some("q=%"), None, "").unwrap_err(),
            RequestError::BadPercentEncoding
        );
    }

    #[test]
    fn an_unreadable_request_gives_its_headers_and_body_back() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
        headers.insert("api-key", "k".parse().unwrap());
        let back =
            RecordedRequest::new(Method::POST, "/a", None, headers, Bytes::from("{x")).unwrap_err();
        assert!(matches!(back.error, RequestError::InvalidJson { .. }));
        assert_eq!(back.headers.get("api-key").unwrap(), "k");
        assert_eq!(&back.body[..], b"{x");
    }

    #[test]
    fn declared_json_must_parse_and_undeclared_json_is_sniffed() {
        assert!(matches!(
            req("/", None, Some("application/json"), "{").unwrap_err(),
            RequestError::InvalidJson { .. }
        ));
        assert_eq!(
            req("/", None, None, "{\"a\":1}").unwrap().json().cloned(),
            Some(serde_json::json!({"a": 1}))
        );
        assert_eq!(
            req("/", None, Some("text/plain"), "{\"a\":1}")
                .unwrap()
                .json()
                .cloned(),
            None
        );
    }
}
