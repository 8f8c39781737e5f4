//! RFC 9457 problem responses for everything that is not a documented
//! answer. Each carries `Apib-Mock-Match: none` so a client (or a person
//! reading a trace) can never take a mock miss for a documented 404.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{self, HeaderValue};
use hyper::{Response, StatusCode};
use serde::Serialize;
use serde_json::Value;

/// Header that marks a response as not coming from the contract.
pub(crate) const MATCH_HEADER: &str = "apib-mock-match";

/// The RFC 9457 members first, in their usual order, then the extras.
#[derive(Serialize)]
struct ProblemDocument {
    #[serde(rename = "type")]
    kind: String,
    title: &'static str,
    status: u16,
    detail: String,
    #[serde(flatten)]
    extra: Value,
}

/// Which rule failed; the `type` URI ends with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Problem {
    /// No template matches the path.
    NoRoute,
    /// The path is documented, the method is not.
    MethodNotAllowed,
    /// `Prefer` selects nothing documented.
    PreferenceUnsatisfied,
    /// Malformed percent-encoding.
    BadPercentEncoding,
    /// A body declared JSON that does not parse.
    InvalidJson,
    /// The body is over `--max-body`.
    BodyTooLarge,
    /// `--strict`: the request breaks the contract of the route it hit.
    ContractViolation,
    /// The request's framing is broken (a malformed chunked body).
    BadRequest,
    /// The body did not arrive within the body timeout.
    BodyTimeout,
    /// The memory budget for request bodies is spent: try again shortly.
    Overloaded,
    /// The admin API refuses a cross-origin or rebound request.
    AdminForbidden,
    /// The admin API needs its token.
    AdminUnauthorized,
    /// `--sandbox`: no entity has the id the request names.
    UnknownEntity,
    /// `--sandbox`: its sessions or bytes are at their limit.
    SandboxFull,
    /// `--proxy`: the backend could not be reached or broke off.
    ProxyFailed,
    /// `--proxy`: the backend did not answer in time.
    ProxyTimeout,
}

impl Problem {
    pub(crate) fn status(self) -> StatusCode {
        match self {
            Problem::NoRoute => StatusCode::NOT_FOUND,
            Problem::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Problem::PreferenceUnsatisfied | Problem::ContractViolation => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Problem::BadPercentEncoding | Problem::InvalidJson | Problem::BadRequest => {
                StatusCode::BAD_REQUEST
            }
            Problem::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Problem::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            Problem::Overloaded => StatusCode::SERVICE_UNAVAILABLE,
            Problem::AdminForbidden => StatusCode::FORBIDDEN,
            Problem::AdminUnauthorized => StatusCode::UNAUTHORIZED,
            Problem::UnknownEntity => StatusCode::NOT_FOUND,
            Problem::SandboxFull => StatusCode::INSUFFICIENT_STORAGE,
            Problem::ProxyFailed => StatusCode::BAD_GATEWAY,
            Problem::ProxyTimeout => StatusCode::GATEWAY_TIMEOUT,
        }
    }

    /// The short name used in the `type` URI and in the request log.
    pub(crate) fn slug(self) -> &'static str {
        match self {
            Problem::NoRoute => "no-route",
            Problem::MethodNotAllowed => "method-not-allowed",
            Problem::PreferenceUnsatisfied => "preference-unsatisfied",
            Problem::BadPercentEncoding => "bad-percent-encoding",
            Problem::InvalidJson => "invalid-json",
            Problem::BodyTooLarge => "body-too-large",
            Problem::ContractViolation => "contract-violation",
            Problem::BadRequest => "bad-request",
            Problem::BodyTimeout => "body-timeout",
            Problem::Overloaded => "overloaded",
            Problem::AdminForbidden => "admin-forbidden",
            Problem::AdminUnauthorized => "admin-unauthorized",
            Problem::UnknownEntity => "unknown-entity",
            Problem::SandboxFull => "sandbox-full",
            Problem::ProxyFailed => "proxy-failed",
            Problem::ProxyTimeout => "proxy-timeout",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Problem::NoRoute => "No documented route matches this path",
            Problem::MethodNotAllowed => "The path is documented, but not for this method",
            Problem::PreferenceUnsatisfied => {
                "The Prefer header asks for a response the action does not document"
            }
            Problem::BadPercentEncoding => "The URI has invalid percent-encoding",
            Problem::InvalidJson => "The request body is declared as JSON but does not parse",
            Problem::BodyTooLarge => "The request body is larger than the server accepts",
            Problem::ContractViolation => "The request breaks the contract of the route it hit",
            Problem::BadRequest => "The request is malformed",
            Problem::BodyTimeout => "The request body did not arrive in time",
            Problem::Overloaded => {
                "The server holds as many request bodies as it may; try again shortly"
            }
            Problem::AdminForbidden => "The admin API answers this machine's own tools only",
            Problem::AdminUnauthorized => "The admin API needs its token",
            Problem::UnknownEntity => "The sandbox has no entity with this id",
            Problem::SandboxFull => "The sandbox keeps as much state as it may",
            Problem::ProxyFailed => "The backend behind the mock gave no answer",
            Problem::ProxyTimeout => "The backend behind the mock did not answer in time",
        }
    }

    /// The response: `application/problem+json` with `type`, `title`,
    /// `status`, `detail`, plus `extra` members.
    pub(crate) fn response(self, detail: String, extra: Value) -> Response<Full<Bytes>> {
        let body = ProblemDocument {
            kind: format!("urn:apib-mock:problem:{}", self.slug()),
            title: self.title(),
            status: self.status().as_u16(),
            detail,
            extra,
        };
        let bytes = serde_json::to_vec_pretty(&body).unwrap_or_default();
        let mut res = Response::new(Full::new(Bytes::from(bytes)));
        *res.status_mut() = self.status();
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        // A sandbox 404 is the state's answer, not a miss of the mock.
        let matched = match self {
            Problem::ContractViolation => "violation",
            Problem::UnknownEntity => "sandbox",
            _ => "none",
        };
        h.insert(MATCH_HEADER, HeaderValue::from_static(matched));
        match self {
            Problem::Overloaded => {
                h.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            Problem::AdminUnauthorized => {
                h.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"apib-mock admin\""),
                );
            }
            Problem::BodyTimeout => {
                h.insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            _ => {}
        }
        res
    }
}

/// The documented routes closest to `path`, as a miss (and the
/// dashboard's view of one) lists them.
pub(crate) fn closest(contract: &crate::contract::Contract, path: &str) -> Vec<Value> {
    crate::matching::closest_routes(contract, path)
        .into_iter()
        .map(|e| {
            serde_json::json!({
                "method": e.method.as_str(),
                "uri_template": e.template,
                "example_uri": e.example_uri,
                "name": e.label,
            })
        })
        .collect()
}
