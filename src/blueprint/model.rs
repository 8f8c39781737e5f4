//! The blueprint as plain data: what the document says, with where it says
//! it. Nothing here is compiled or validated further; `Contract` (serve
//! issue) builds matchers from it.

use std::sync::Arc;

use serde::Serialize;

use super::mson::ValueElement;
use super::uri_template::UriTemplate;
use crate::diag::Span;

/// One parsed API Blueprint document.
#[derive(Clone, Debug, Default, Serialize)]
#[non_exhaustive]
pub struct Blueprint {
    /// The file it came from, as named on the command line.
    pub file: Arc<str>,
    /// `Key: value` lines at the top (`FORMAT`, `HOST`, ...), in order.
    pub metadata: Vec<(String, String)>,
    /// The API name (first non-keyword heading).
    pub name: Option<String>,
    /// The overview text, as markdown.
    pub description: String,
    /// Resource groups in document order. Resources before the first
    /// `# Group` sit in a group without a name.
    pub groups: Vec<Group>,
    /// Named MSON types from `Data Structures` sections, kept as text until
    /// MSON support turns them into bodies.
    pub data_structures: Vec<DataStructure>,
}

impl Blueprint {
    /// The value of metadata `key` (case-insensitive).
    pub fn metadata(&self, key: &str) -> Option<&str> {
        self.metadata
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// Every action of every resource, in document order.
    pub fn actions_mut(&mut self) -> impl Iterator<Item = &mut Action> {
        self.groups
            .iter_mut()
            .flat_map(|g| &mut g.resources)
            .flat_map(|r| &mut r.actions)
    }

    /// The path part of `HOST` (`https://x/v1` → `/v1`), without a trailing
    /// slash; `None` when HOST is absent or has no path. A server may mount
    /// the API under it.
    pub fn base_path(&self) -> Option<&str> {
        let host = self.metadata("HOST")?;
        let after_scheme = host.split_once("://").map_or(host, |(_, rest)| rest);
        let path = &after_scheme[after_scheme.find('/')?..];
        let path = path.trim_end_matches('/');
        (!path.is_empty()).then_some(path)
    }
}

/// `# Group NAME` and the resources under it.
#[derive(Clone, Debug, Default, Serialize)]
#[non_exhaustive]
pub struct Group {
    /// `None` for resources that precede every group heading.
    pub name: Option<String>,
    /// Markdown under the heading.
    pub description: String,
    /// Resources in document order.
    pub resources: Vec<Resource>,
}

/// A resource: one URI template and the actions on it.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct Resource {
    /// `## NAME [URI]`; `None` for `## URI` and `## METHOD URI`.
    pub name: Option<String>,
    /// The resource's URI template.
    pub uri: UriTemplate,
    /// Markdown under the heading.
    pub description: String,
    /// `+ Parameters` of the resource.
    pub parameters: Vec<Parameter>,
    /// `+ Model`, referenced as `[NAME][]`.
    pub model: Option<Message>,
    /// `+ Attributes` of the resource.
    pub attributes: Option<Attributes>,
    /// Actions in document order.
    pub actions: Vec<Action>,
    /// The heading.
    pub span: Span,
}

/// An HTTP method on a resource, with its examples.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct Action {
    /// `### NAME [METHOD]`; `None` for `### METHOD`.
    pub name: Option<String>,
    /// Upper-case method token.
    pub method: String,
    /// `[METHOD URI]` overrides the resource's URI.
    pub uri: Option<UriTemplate>,
    /// Markdown under the heading.
    pub description: String,
    /// `+ Parameters` of the action (they override the resource's by name).
    pub parameters: Vec<Parameter>,
    /// `+ Attributes` of the action.
    pub attributes: Option<Attributes>,
    /// `+ Relation: NAME`.
    pub relation: Option<String>,
    /// The JSON Schema generated from the action's `+ Attributes` (which
    /// describe its requests). The reference attaches it to no request;
    /// strict mode validates request bodies against it.
    #[serde(skip)]
    pub attributes_schema: Option<Asset>,
    /// Request/response examples, in order.
    pub examples: Vec<Example>,
    /// The heading.
    pub span: Span,
}

/// Requests followed by the responses that answer them.
#[derive(Clone, Debug, Default, Serialize)]
#[non_exhaustive]
pub struct Example {
    /// Explicit requests; none means an implicit empty request.
    pub requests: Vec<Request>,
    /// Responses; each pairs with every request of the example.
    pub responses: Vec<Response>,
}

/// `+ Request [NAME] [(MEDIA TYPE)]`.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct Request {
    /// The identifier after `Request`.
    pub name: Option<String>,
    /// A concrete URI written in the description the way
    /// rspec_api_documentation does (`**GET**&nbsp;&nbsp;`/path?q=1``).
    pub example_uri: Option<String>,
    /// Headers, body, schema...
    pub message: Message,
}

/// `+ Response STATUS [(MEDIA TYPE)]`.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct Response {
    /// The documented status code.
    pub status: u16,
    /// Headers, body, schema...
    pub message: Message,
}

/// What requests, responses and models share.
#[derive(Clone, Debug, Default, Serialize)]
#[non_exhaustive]
pub struct Message {
    /// The media type in parentheses on the signature line.
    pub media_type: Option<String>,
    /// Headers in order, the media type's `Content-Type` first when the
    /// `+ Headers` section does not set one.
    pub headers: Vec<(String, String)>,
    /// The body asset.
    pub body: Option<Asset>,
    /// The schema asset.
    pub schema: Option<Asset>,
    /// `+ Attributes`, kept for MSON support.
    pub attributes: Option<Attributes>,
    /// Markdown description.
    pub description: String,
    /// The model this message was filled from (`[NAME][]`).
    pub model_ref: Option<String>,
    /// The signature line.
    pub span: Span,
}

impl Message {
    /// The `Content-Type` header's value, if any.
    pub fn content_type(&self) -> Option<&str> {
        self.header("Content-Type")
    }

    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A `+ Body` or `+ Schema` asset: its text, byte for byte, or the JSON
/// generated from MSON Attributes.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct Asset {
    /// The content, code-block indentation removed.
    pub text: String,
    /// Where the content starts (for a generated asset: the Attributes).
    pub span: Span,
    /// Generated from `+ Attributes` rather than written in the document.
    pub generated: bool,
}

/// An `+ Attributes [(TYPE)]` section.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct Attributes {
    /// The type in parentheses, e.g. `Note` or `array[Note]`.
    pub type_spec: Option<String>,
    /// The section's text, as written.
    pub text: String,
    /// The section.
    pub span: Span,
    /// The MSON it holds: a value element without identifier.
    #[serde(skip)]
    pub element: ValueElement,
}

/// A named type under `# Data Structures`.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct DataStructure {
    /// `### NAME`.
    pub name: String,
    /// `(BASE)` after the name.
    pub base: Option<String>,
    /// The description paragraphs below the heading.
    pub text: String,
    /// The heading.
    pub span: Span,
    /// The MSON definition, its identifier the type's name.
    #[serde(skip)]
    pub element: ValueElement,
}

/// One URI parameter from `+ Parameters`.
#[derive(Clone, Debug, Default, Serialize)]
#[non_exhaustive]
pub struct Parameter {
    /// The variable name.
    pub name: String,
    /// `: example` (or the old style's third attribute).
    pub example: Option<String>,
    /// `+ Default: value` (or the old style's `= value`).
    pub default: Option<String>,
    /// `string`, `number`, `boolean`, `enum[string]`...
    pub type_name: Option<String>,
    /// API Blueprint makes URI parameters required unless they say
    /// `optional`.
    pub required: bool,
    /// Enumeration values from `+ Members` (or old `+ Values`).
    pub members: Vec<String>,
    /// The description after ` - `.
    pub description: String,
    /// The list item.
    pub span: Span,
}
