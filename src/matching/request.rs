//! The incoming request, read once into a view of its own so every check
//! is synchronous and hyper-free.

use std::cell::OnceCell;

use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, header};
use serde_json::Value;

use crate::contract::path_pattern::{DecodedPath, valid_percent_encoding};

/// The `Prefer` header (RFC 7240).
const PREFER: HeaderName = HeaderName::from_static("prefer");

/// A request's headers, with the ones the server reads by name found in
/// one pass over them: each `HeaderMap::get` hashes the name (~110
/// instructions), and a request was looked up four times.
#[derive(Debug, Clone, Copy)]
pub struct RequestHeaders<'r> {
    /// All of them.
    pub all: &'r HeaderMap,
    /// The first value of each of these.
    pub content_type: Option<&'r HeaderValue>,
    /// `Accept`.
    pub accept: Option<&'r HeaderValue>,
    /// `Prefer`.
    pub prefer: Option<&'r HeaderValue>,
    /// `Origin`.
    pub origin: Option<&'r HeaderValue>,
}

impl<'r> RequestHeaders<'r> {
    /// Finds the named headers (comparing a name costs no hashing: the
    /// standard ones are one byte).
    pub fn new(all: &'r HeaderMap) -> Self {
        let mut found = Self {
            all,
            content_type: None,
            accept: None,
            prefer: None,
            origin: None,
        };
        for (name, value) in all {
            let slot = if name == header::CONTENT_TYPE {
                &mut found.content_type
            } else if name == header::ACCEPT {
                &mut found.accept
            } else if name == header::ORIGIN {
                &mut found.origin
            } else if name == PREFER {
                &mut found.prefer
            } else {
                continue;
            };
            slot.get_or_insert(value);
        }
        found
    }
}

/// An HTTP request as the matcher sees it: borrowed parts, and what
/// matching needs decoded.
#[derive(Debug)]
pub struct RecordedRequest<'r> {
    /// The method.
    pub method: &'r Method,
    /// Decoded, non-empty path segments.
    pub segments: DecodedPath,
    /// Decoded query pairs, in order.
    pub query: Vec<(String, String)>,
    /// The headers.
    pub headers: RequestHeaders<'r>,
    /// The whole body.
    pub body: &'r [u8],
    /// The structure fingerprint of the body, when the body is JSON.
    pub json_shape: Option<u64>,
    /// The body as a JSON value, parsed on first use (see `json`).
    json: OnceCell<Value>,
}

/// How a request body is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyAs {
    /// As its `Content-Type` says: JSON when declared JSON (or undeclared
    /// and JSON-looking), text otherwise.
    Declared,
    /// As text whatever it claims: for a body declared JSON that does not
    /// parse, which may still be a documented pseudo-JSON example.
    Text,
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

impl<'r> RecordedRequest<'r> {
    /// Reads the parts of a request. The body is parsed as JSON when its
    /// `Content-Type` says JSON, or when it has none and looks like JSON.
    pub fn new(
        method: &'r Method,
        path: &str,
        query: Option<&str>,
        headers: RequestHeaders<'r>,
        body: &'r [u8],
    ) -> Result<Self, RequestError> {
        Self::read(method, path, query, headers, body, BodyAs::Declared)
    }

    /// [`new`](Self::new), reading the body as `body_as` says.
    pub fn read(
        method: &'r Method,
        path: &str,
        query: Option<&str>,
        headers: RequestHeaders<'r>,
        body: &'r [u8],
        body_as: BodyAs,
    ) -> Result<Self, RequestError> {
        let segments = DecodedPath::new(path).ok_or(RequestError::BadPercentEncoding)?;
        if !query.is_none_or(valid_percent_encoding) {
            return Err(RequestError::BadPercentEncoding);
        }
        let content_type = headers.content_type.and_then(|v| v.to_str().ok());
        let declared_json = content_type.is_some_and(crate::blueprint::is_json_media_type);
        // One streaming pass validates the body and fingerprints its
        // structure; the value itself is built only if scoring needs it.
        let json_shape = if body.is_empty() || body_as == BodyAs::Text {
            None
        } else if declared_json {
            let shape = crate::contract::json_shape::shape_of(body).map_err(|e| {
                RequestError::InvalidJson {
                    message: e.to_string(),
                }
            })?;
            Some(shape)
        } else if content_type.is_none() {
            crate::contract::json_shape::shape_of(body).ok()
        } else {
            None
        };
        Ok(Self {
            json_shape,
            method,
            segments,
            query: query.map(decode_query).unwrap_or_default(),
            headers,
            body,
            json: OnceCell::new(),
        })
    }

    /// The body as a JSON value, when it is JSON (parsed once, on first
    /// call).
    pub fn json(&self) -> Option<&Value> {
        self.json_shape?;
        Some(
            self.json
                .get_or_init(|| serde_json::from_slice(self.body).unwrap_or(Value::Null)),
        )
    }

    /// The first value of header `name`, if it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.all.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as text (lossy).
    pub fn body_text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(self.body)
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

    /// Reads a POST with `ct` as its Content-Type; the error, or the
    /// decoded segments, query and JSON body.
    #[allow(clippy::type_complexity)]
    fn read(
        path: &str,
        query: Option<&str>,
        ct: Option<&str>,
        body: &str,
    ) -> Result<(Vec<String>, Vec<(String, String)>, Option<Value>), RequestError> {
        let mut headers = HeaderMap::new();
        if let Some(ct) = ct {
            headers.insert(header::CONTENT_TYPE, ct.parse().unwrap());
        }
        let r = RecordedRequest::new(
            &Method::POST,
            path,
            query,
            RequestHeaders::new(&headers),
            body.as_bytes(),
        )?;
        let segments = r
            .segments
            .segments()
            .iter()
            .map(|s| s.to_string())
            .collect();
        Ok((segments, r.query.clone(), r.json().cloned()))
    }

    #[test]
    fn query_and_path_are_decoded() {
        let (segments, query, _) = read("/a%20b/c", Some("x=1+2&y=%C3%A9"), None, "").unwrap();
        assert_eq!(segments, ["a b", "c"]);
        assert_eq!(
            query,
            [("x".into(), "1 2".into()), ("y".into(), "é".into())]
        );
    }

    #[test]
    fn invalid_percent_encoding_is_refused() {
        assert_eq!(
            read("/a%zz", None, None, "").unwrap_err(),
            RequestError::BadPercentEncoding
        );
        assert_eq!(
            read("/a", Some("q=%"), None, "").unwrap_err(),
            RequestError::BadPercentEncoding
        );
    }

    #[test]
    fn declared_json_must_parse_and_undeclared_json_is_sniffed() {
        assert!(matches!(
            read("/", None, Some("application/json"), "{").unwrap_err(),
            RequestError::InvalidJson { .. }
        ));
        assert_eq!(
            read("/", None, None, "{\"a\":1}").unwrap().2,
            Some(serde_json::json!({"a": 1}))
        );
        assert_eq!(
            read("/", None, Some("text/plain"), "{\"a\":1}").unwrap().2,
            None
        );
    }

    #[test]
    fn the_named_headers_are_the_first_values_of_their_names() {
        let mut all = HeaderMap::new();
        all.append("slug", "s".parse().unwrap());
        all.append("accept", "text/html".parse().unwrap());
        all.append("Accept", "application/json".parse().unwrap());
        all.append("prefer", "status=404".parse().unwrap());
        all.append("content-type", "application/json".parse().unwrap());
        let found = RequestHeaders::new(&all);
        assert_eq!(found.accept.unwrap(), "text/html");
        assert_eq!(found.prefer.unwrap(), "status=404");
        assert_eq!(found.content_type.unwrap(), "application/json");
        assert_eq!(found.origin, None);
        all.insert("origin", "http://x".parse().unwrap());
        assert_eq!(RequestHeaders::new(&all).origin.unwrap(), "http://x");
    }
}
