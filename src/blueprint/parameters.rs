//! `+ Parameters` entries: the one-line signature of a URI parameter.
//!
//! Current form: `` name: `example` (type, required|optional) - description ``.
//! Old form, still met in the wild:
//! `` name = `default` (optional, type, `example`) ... description ``.

/// A parameter signature, split into its parts; all text is borrowed.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct ParamSignature<'a> {
    pub name: &'a str,
    pub example: Option<&'a str>,
    pub default: Option<&'a str>,
    pub type_name: Option<&'a str>,
    /// `Some(true)` for `required`, `Some(false)` for `optional`.
    pub required: Option<bool>,
    pub description: &'a str,
    /// True when the old `=` / `...` form was used.
    pub old_style: bool,
}

/// Parses one parameter line. Returns `None` when there is no name.
pub(crate) fn parse(line: &str) -> Option<ParamSignature<'_>> {
    let mut sig = ParamSignature::default();
    let mut rest = line.trim();
    let (name, after) = if let Some(quoted) = rest.strip_prefix('`') {
        let end = quoted.find('`')?;
        (&quoted[..end], &quoted[end + 1..])
    } else {
        let end = rest
            .find(|c: char| c.is_whitespace() || matches!(c, ':' | '=' | '('))
            .unwrap_or(rest.len());
        (&rest[..end], &rest[end..])
    };
    if name.is_empty() {
        return None;
    }
    sig.name = name;
    rest = after.trim_start();
    if let Some(value) = rest.strip_prefix(':') {
        let (v, after) = value_until_attrs(value);
        sig.example = v;
        rest = after;
    } else if let Some(value) = rest.strip_prefix('=') {
        let (v, after) = value_until_attrs(value);
        sig.default = v;
        sig.old_style = true;
        rest = after;
    }
    if let Some(attrs) = rest.strip_prefix('(')
        && let Some(close) = attrs.find(')')
    {
        for attr in attrs[..close].split(',').map(str::trim) {
            match attr.to_ascii_lowercase().as_str() {
                "" => {}
                "required" => sig.required = Some(true),
                "optional" => sig.required = Some(false),
                _ if attr.starts_with('`') => {
                    sig.example = Some(attr.trim_matches('`'));
                    sig.old_style = true;
                }
                _ => sig.type_name = Some(attr),
            }
        }
        rest = attrs[close + 1..].trim_start();
    }
    if let Some(desc) = rest.strip_prefix("...") {
        sig.old_style = true;
        sig.description = desc.trim();
    } else {
        sig.description = rest.strip_prefix('-').unwrap_or(rest).trim();
    }
    Some(sig)
}

/// A value after `:` or `=`: backticked, or plain text up to ` (` / ` - `.
fn value_until_attrs(text: &str) -> (Option<&str>, &str) {
    let text = text.trim_start();
    if let Some(quoted) = text.strip_prefix('`') {
        // ``a `b` c`` style double backticks are rare; take the shortest.
        if let Some(end) = quoted.find('`') {
            return (Some(&quoted[..end]), quoted[end + 1..].trim_start());
        }
    }
    let end = [text.find(" ("), text.find('('), text.find(" - ")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(text.len());
    let value = text[..end].trim();
    (
        (!value.is_empty()).then_some(value),
        text[end..].trim_start(),
    )
}

/// A value in `+ Default: v`, `+ Example: v` or a `+ Members` entry.
pub(crate) fn plain_value(text: &str) -> &str {
    let text = text.trim();
    if let Some(quoted) = text.strip_prefix('`')
        && let Some(end) = quoted.find('`')
    {
        return &quoted[..end];
    }
    text.split(" - ").next().unwrap_or(text).trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_parameter_with_backticked_example() {
        let p = parse("id: `4881ljusi3874` (string, required)").unwrap();
        assert_eq!(p.name, "id");
        assert_eq!(p.example, Some("4881ljusi3874"));
        assert_eq!(p.type_name, Some("string"));
        assert_eq!(p.required, Some(true));
        assert!(!p.old_style);
    }

    #[test]
    fn plain_example_type_and_description() {
        let p = parse("page: 1 (optional, number) - The page of questions").unwrap();
        assert_eq!(p.example, Some("1"));
        assert_eq!(p.required, Some(false));
        assert_eq!(p.type_name, Some("number"));
        assert_eq!(p.description, "The page of questions");
    }

    #[test]
    fn name_only_and_name_with_type() {
        let p = parse("id (string) - ID of the gist").unwrap();
        assert_eq!(
            (p.name, p.type_name, p.required),
            ("id", Some("string"), None)
        );
        assert_eq!(p.description, "ID of the gist");
        assert_eq!(parse("limit").unwrap().name, "limit");
        assert_eq!(parse("").map(|p| p.name), None);
    }

    #[test]
    fn old_style_default_and_example() {
        let p = parse("id = `1` (optional, number, `42`) ... The id").unwrap();
        assert_eq!(p.default, Some("1"));
        assert_eq!(p.example, Some("42"));
        assert_eq!(p.description, "The id");
        assert!(p.old_style);
    }

    #[test]
    fn enum_type_keeps_its_brackets() {
        let p = parse("status: `open` (enum[string])").unwrap();
        assert_eq!(p.type_name, Some("enum[string]"));
    }
}
