//! A JSON Schema inferred from documented example bodies, for actions
//! that give neither `+ Schema` nor MSON Attributes.
//!
//! The schema accepts every example it was inferred from, and asks no more
//! of a request than all examples agree on: keys present in every example
//! object are required, a key's type is the union of the types seen, array
//! items get the union of every item seen. Values never matter.

use serde_json::{Map, Value, json};

/// The schema all `examples` satisfy; `None` without examples.
pub fn infer(examples: &[&Value]) -> Option<Value> {
    if examples.is_empty() {
        return None;
    }
    Some(infer_values(examples))
}

/// The JSON type of `v`, as JSON Schema names it.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        // An example's `1` says "a number", not "an integer": `1.5`
        // fits the contract just as well.
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn infer_values(values: &[&Value]) -> Value {
    let mut types: Vec<&str> = Vec::new();
    for v in values {
        let t = type_name(v);
        if !types.contains(&t) {
            types.push(t);
        }
    }
    let mut schema = Map::new();
    schema.insert(
        "type".into(),
        match types.as_slice() {
            [one] => json!(one),
            many => json!(many),
        },
    );
    let objects: Vec<&Map<String, Value>> = values.iter().filter_map(|v| v.as_object()).collect();
    if !objects.is_empty() {
        let mut keys: Vec<&String> = Vec::new();
        for o in &objects {
            for k in o.keys() {
                if !keys.contains(&k) {
                    keys.push(k);
                }
            }
        }
        let mut properties = Map::new();
        let mut required = Vec::new();
        for key in keys {
            let seen: Vec<&Value> = objects.iter().filter_map(|o| o.get(key)).collect();
            if seen.len() == objects.len() {
                required.push(json!(key));
            }
            properties.insert(key.clone(), infer_values(&seen));
        }
        schema.insert("properties".into(), Value::Object(properties));
        if !required.is_empty() {
            schema.insert("required".into(), Value::Array(required));
        }
    }
    let items: Vec<&Value> = values
        .iter()
        .filter_map(|v| v.as_array())
        .flatten()
        .collect();
    if !items.is_empty() {
        schema.insert("items".into(), infer_values(&items));
    }
    Value::Object(schema)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid(schema: &Value, instance: &Value) -> bool {
        jsonschema::validator_for(schema)
            .expect("inferred schemas compile")
            .is_valid(instance)
    }

    #[test]
    fn keys_in_every_example_are_required_and_types_unite() {
        let a = json!({"phone": "1", "params": ["x", "y"], "id": 1});
        let b = json!({"phone": "2", "params": ["x", "y", "z"], "id": 1.5, "extra": null});
        let schema = infer(&[&a, &b]).unwrap();
        // serde_json maps sort their keys.
        assert_eq!(schema["required"], json!(["id", "params", "phone"]));
        assert_eq!(schema["properties"]["id"]["type"], "number");
        assert_eq!(schema["properties"]["params"]["items"]["type"], "string");
        assert!(valid(&schema, &a) && valid(&schema, &b));
        assert!(
            !valid(&schema, &json!({"phone": "3", "params": []})),
            "id missing"
        );
        assert!(
            !valid(&schema, &json!({"phone": 3, "params": [], "id": 1})),
            "phone type"
        );
        assert!(
            !valid(&schema, &json!({"phone": "3", "params": [1], "id": 1})),
            "item type"
        );
        assert!(valid(
            &schema,
            &json!({"phone": "3", "params": [], "id": 7, "new": true})
        ));
    }

    #[test]
    fn mixed_types_and_nesting() {
        let a = json!([{"k": {"deep": true}}]);
        let b = json!(null);
        let schema = infer(&[&a, &b]).unwrap();
        assert_eq!(schema["type"], json!(["array", "null"]));
        assert!(valid(&schema, &a) && valid(&schema, &b));
        assert!(!valid(&schema, &json!([{"k": {"deep": "no"}}])));
        assert_eq!(infer(&[]), None);
    }
}
