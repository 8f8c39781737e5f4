//! Whole-document checks, run once everything is read: model references,
//! URI parameters against templates, duplicate actions.

use std::collections::HashMap;

use super::walk::Parser;
use crate::blueprint::model::Message;
use crate::diag::Diagnostic;

impl Parser<'_> {
    pub(super) fn finish(&mut self) {
        self.resolve_models();
        self.resolve_mson();
        self.check_parameters();
        self.check_duplicates();
        self.check_unanswered_requests();
    }

    /// Fills `[Name][]` references from the resource models.
    pub(super) fn resolve_models(&mut self) {
        let models: HashMap<String, Message> = self
            .bp
            .groups
            .iter()
            .flat_map(|g| &g.resources)
            .filter_map(|r| Some((r.name.clone()?, r.model.clone()?)))
            .collect();
        let mut undefined = Vec::new();
        for action in self.bp.actions_mut() {
            for example in &mut action.examples {
                let messages = example
                    .requests
                    .iter_mut()
                    .map(|r| &mut r.message)
                    .chain(example.responses.iter_mut().map(|r| &mut r.message));
                for msg in messages {
                    let Some(name) = msg.model_ref.clone() else {
                        continue;
                    };
                    match models.get(&name) {
                        Some(model) => fill_from_model(msg, model),
                        None => undefined.push((msg.span.start, name)),
                    }
                }
            }
        }
        for (at, name) in undefined {
            let known: Vec<&str> = models.keys().map(String::as_str).collect();
            let hint = if known.is_empty() {
                "no resource in this file defines a `+ Model`".to_string()
            } else {
                format!("models defined: {}", known.join(", "))
            };
            self.error(
                at,
                format!("undefined model reference `[{name}][]`; {hint}"),
            );
        }
    }

    /// Template variables without a description, and described
    /// parameters that no template uses.
    pub(super) fn check_parameters(&mut self) {
        let mut warnings = Vec::new();
        for resource in self.bp.groups.iter().flat_map(|g| &g.resources) {
            for action in &resource.actions {
                let uri = action.uri.as_ref().unwrap_or(&resource.uri);
                let vars = uri.variables();
                for var in &vars {
                    let described = action
                        .parameters
                        .iter()
                        .chain(&resource.parameters)
                        .any(|p| p.name == *var);
                    if !described {
                        warnings.push((
                            action.span.start,
                            format!(
                                "URI variable `{var}` of `{uri}` is not described in \
                                 `+ Parameters`"
                            ),
                        ));
                    }
                }
                for p in &action.parameters {
                    if !vars.contains(&p.name.as_str()) {
                        warnings.push((
                            p.span.start,
                            format!("parameter `{}` is not in the URI template `{uri}`", p.name),
                        ));
                    }
                }
            }
            for p in &resource.parameters {
                let used = resource.uri.variables().contains(&p.name.as_str())
                    || resource.actions.iter().any(|a| {
                        a.uri
                            .as_ref()
                            .is_some_and(|u| u.variables().contains(&p.name.as_str()))
                    });
                if !used {
                    warnings.push((
                        p.span.start,
                        format!(
                            "parameter `{}` is not in the URI template `{}` or any of its \
                             actions' templates",
                            p.name, resource.uri
                        ),
                    ));
                }
            }
        }
        for (at, message) in warnings {
            self.warn(at, message);
        }
    }

    /// A request with no response after it cannot be served or verified.
    pub(super) fn check_unanswered_requests(&mut self) {
        let unanswered: Vec<usize> = self
            .bp
            .groups
            .iter()
            .flat_map(|g| &g.resources)
            .flat_map(|r| &r.actions)
            .flat_map(|a| &a.examples)
            .filter(|ex| ex.responses.is_empty())
            .flat_map(|ex| ex.requests.iter().map(|r| r.message.span.start))
            .collect();
        for at in unanswered {
            self.warn(
                at,
                "request has no response, so the mock cannot answer it; add a `+ Response` after it",
            );
        }
    }

    pub(super) fn check_duplicates(&mut self) {
        let mut seen: HashMap<(String, String), usize> = HashMap::new();
        let mut found = Vec::new();
        for resource in self.bp.groups.iter().flat_map(|g| &g.resources) {
            for action in &resource.actions {
                let uri = action.uri.as_ref().unwrap_or(&resource.uri);
                let key = (action.method.clone(), uri.route_key());
                if let Some(&first) = seen.get(&key) {
                    found.push((action.span.start, first, key));
                } else {
                    seen.insert(key, action.span.start);
                }
            }
        }
        for (at, first, (method, uri)) in found {
            let d = Diagnostic::warning(
                self.source.location(at),
                format!("duplicate action {method} {uri}: requests will go to the first one"),
            )
            .with_related(self.source.location(first), "first defined here");
            self.diags.push(d);
        }
    }
}

fn fill_from_model(msg: &mut Message, model: &Message) {
    if msg.media_type.is_none() {
        msg.media_type = model.media_type.clone();
    }
    for (name, value) in &model.headers {
        if msg.header(name).is_none() {
            msg.headers.push((name.clone(), value.clone()));
        }
    }
    if msg.body.is_none() {
        msg.body = model.body.clone();
    }
    if msg.schema.is_none() {
        msg.schema = model.schema.clone();
    }
    if msg.attributes.is_none() {
        msg.attributes = model.attributes.clone();
    }
}
