//! Transactions: one documented request paired with one documented
//! response, the unit everything downstream (routes, serving, verifying)
//! works on.
//!
//! Pairing follows the format: within an action, each `+ Request` after a
//! response starts a new example; every request of an example pairs with
//! every response of it, requests outermost (as the reference compiler
//! emits them). An example with no request pairs its responses with an
//! implicit empty request; a request with no response gets none.

use super::model::{Action, Blueprint, Parameter, Request, Resource, Response};
use super::uri_template::UriTemplate;

/// One request/response pair, borrowed from its [`Blueprint`].
#[derive(Clone, Debug)]
pub struct Transaction<'a> {
    /// `# Group` name.
    pub group: Option<&'a str>,
    /// The resource.
    pub resource: &'a Resource,
    /// The action.
    pub action: &'a Action,
    /// 0-based index of the example within the action.
    pub example: usize,
    /// `None` for the implicit request of an example without one.
    pub request: Option<&'a Request>,
    /// `None` for a request documented without a response.
    pub response: Option<&'a Response>,
}

impl<'a> Transaction<'a> {
    /// `Group > Resource > Action`, the parts the document names (an
    /// unnamed action is `METHOD template`): with `#N`, the one name of a
    /// transaction everywhere (`Apib-Mock-Transaction`, the journal,
    /// coverage, `verify`).
    pub fn action_label(&self) -> String {
        let mut parts: Vec<String> = [self.group, self.resource.name.as_deref()]
            .into_iter()
            .flatten()
            .map(str::to_string)
            .collect();
        parts.push(
            self.action
                .name
                .clone()
                .unwrap_or_else(|| format!("{} {}", self.action.method, self.uri_template())),
        );
        parts.join(" > ")
    }

    /// The action's URI template, else the resource's.
    pub fn uri_template(&self) -> &'a UriTemplate {
        self.action.uri.as_ref().unwrap_or(&self.resource.uri)
    }

    /// The action's parameters, then the resource's that the action does
    /// not override.
    pub fn parameters(&self) -> impl Iterator<Item = &'a Parameter> + 'a {
        let action = &self.action.parameters;
        action.iter().chain(
            self.resource
                .parameters
                .iter()
                .filter(move |p| !action.iter().any(|a| a.name == p.name)),
        )
    }

    /// The concrete URI of this request: the one written in its
    /// description (rspec_api_documentation), else the template expanded
    /// with each parameter's example or default. `None` when a path
    /// variable has neither.
    pub fn example_uri(&self) -> Option<String> {
        if let Some(uri) = self.request.and_then(|r| r.example_uri.as_ref()) {
            return Some(uri.clone());
        }
        self.uri_template().expand(|name| {
            let p = self.parameters().find(|p| p.name == name)?;
            p.example.clone().or_else(|| p.default.clone())
        })
    }
}

impl Blueprint {
    /// Every transaction, in document order.
    pub fn transactions(&self) -> Vec<Transaction<'_>> {
        let mut out = Vec::new();
        for group in &self.groups {
            for resource in &group.resources {
                for action in &resource.actions {
                    for (example, ex) in action.examples.iter().enumerate() {
                        let requests: Vec<Option<&Request>> = if ex.requests.is_empty() {
                            vec![None]
                        } else {
                            ex.requests.iter().map(Some).collect()
                        };
                        for request in requests {
                            let responses: Vec<Option<&Response>> = if ex.responses.is_empty() {
                                vec![None]
                            } else {
                                ex.responses.iter().map(Some).collect()
                            };
                            for response in responses {
                                out.push(Transaction {
                                    group: group.name.as_deref(),
                                    resource,
                                    action,
                                    example,
                                    request,
                                    response,
                                });
                            }
                        }
                    }
                }
            }
        }
        out
    }
}
