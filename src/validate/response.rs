//! `--proxy-all --strict`: is a real backend's answer one the contract
//! documents? Its status must be one the action documents; then, against
//! the documented response with that status, its media type and, for
//! JSON, its body's shape (every documented member present with the
//! documented JSON type, recursively; values are examples). Drift, not
//! proof: what a validation proxy in front of a real server can tell.

use serde_json::Value;

use super::Violation;
use crate::contract::infer::type_name;
use crate::contract::{Contract, essence};

/// Every way an answer (`status`, `content_type`, `body`) to a request of
/// endpoint `endpoint` differs from the contract.
pub fn check_response(
    contract: &Contract,
    endpoint: usize,
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Vec<Violation> {
    let e = &contract.endpoints()[endpoint];
    let documented: Vec<_> = e
        .transactions
        .iter()
        .map(|&id| contract.transaction(id))
        .filter(|tx| tx.response.status.as_u16() == status)
        .collect();
    let rule = |tx: Option<&crate::contract::CompiledTransaction>| {
        tx.map_or_else(
            || e.label.clone(),
            |tx| format!("{}:{}", tx.source.0, tx.source.1),
        )
    };
    let Some(tx) = documented.first() else {
        let mut statuses: Vec<u16> = e
            .transactions
            .iter()
            .map(|&id| contract.transaction(id).response.status.as_u16())
            .collect();
        statuses.sort_unstable();
        statuses.dedup();
        let list: Vec<String> = statuses.iter().map(u16::to_string).collect();
        return vec![Violation {
            place: "status",
            at: String::new(),
            expected: format!("one of {}", list.join(", ")),
            actual: status.to_string(),
            rule: rule(None),
        }];
    };
    let mut out = Vec::new();
    let got = content_type.map(essence);
    if let Some(media) = &tx.response.media_type
        && got.as_deref() != Some(media.as_str())
    {
        out.push(Violation {
            place: "response-header",
            at: "content-type".into(),
            expected: media.clone(),
            actual: got.clone().unwrap_or_else(|| "none".into()),
            rule: rule(Some(tx)),
        });
        return out;
    }
    let Ok(expected) = serde_json::from_slice::<Value>(&tx.response.body) else {
        return out;
    };
    match serde_json::from_slice::<Value>(body) {
        Ok(actual) => {
            let mut pointer = String::new();
            shape_diff(
                &expected,
                &actual,
                &mut pointer,
                &mut |at, expected, actual| {
                    out.push(Violation {
                        place: "response-body",
                        at,
                        expected,
                        actual,
                        rule: rule(Some(tx)),
                    });
                },
            );
        }
        Err(e) => out.push(Violation {
            place: "response-body",
            at: String::new(),
            expected: "JSON".into(),
            actual: format!("not JSON ({e})"),
            rule: rule(Some(tx)),
        }),
    }
    out
}

/// Reports each documented member missing or of another JSON type (a
/// documented `null` accepts anything; arrays are compared by their first
/// documented item).
fn shape_diff(
    expected: &Value,
    actual: &Value,
    pointer: &mut String,
    report: &mut impl FnMut(String, String, String),
) {
    match (expected, actual) {
        (Value::Null, _) => {}
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&k.replace('~', "~0").replace('/', "~1"));
                match a.get(k) {
                    Some(av) => shape_diff(ev, av, pointer, report),
                    None => report(pointer.clone(), type_name(ev).into(), "missing".into()),
                }
                pointer.truncate(len);
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if let Some(first) = e.first() {
                for (i, av) in a.iter().enumerate() {
                    let len = pointer.len();
                    pointer.push_str(&format!("/{i}"));
                    shape_diff(first, av, pointer, report);
                    pointer.truncate(len);
                }
            }
        }
        (e, a) if type_name(e) != type_name(a) => {
            report(pointer.clone(), type_name(e).into(), type_name(a).into());
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_members_and_other_types_are_drift() {
        let mut found = Vec::new();
        shape_diff(
            &serde_json::json!({"id": 1, "tags": [{"name": "a"}], "note": null}),
            &serde_json::json!({"tags": [{"name": 2}], "note": {"x": 1}}),
            &mut String::new(),
            &mut |at, e, a| found.push(format!("{at}: {e} / {a}")),
        );
        assert_eq!(
            found,
            ["/id: number / missing", "/tags/0/name: string / number"]
        );
    }
}
