//! The conventions of rspec_api_documentation, the generator that wrote
//! the user's spec.
//!
//! It documents each request with its concrete URI in the description:
//! `**GET**&nbsp;&nbsp;`/retailers/api/v1/customers?page=1``. The
//! reference parser keeps that as text; we take it as the request's example
//! URI, which later tells apart requests of one action that differ only by
//! query or path values.

/// The method and URI of the first `**METHOD**&nbsp;&nbsp;`URI`` in
/// `description`.
///
/// A small scanner rather than a regex: it runs once per request, and in a
/// 2,000-action benchmark the regex's capture machinery cost 3% of parsing.
pub(crate) fn example_uri(description: &str) -> Option<(&str, &str)> {
    let mut rest = description;
    while let Some(open) = rest.find("**") {
        let after = &rest[open + 2..];
        let method_len = after.bytes().take_while(u8::is_ascii_alphabetic).count();
        if method_len > 0
            && let Some(tail) = after[method_len..].strip_prefix("**")
        {
            let method = &after[..method_len];
            let tail = skip_spacing(tail);
            if let Some(code) = tail.strip_prefix('`')
                && let Some(end) = code.find('`')
                && end > 0
            {
                return Some((method, code[..end].trim()));
            }
        }
        rest = after;
    }
    None
}

/// Skips whitespace and `&nbsp;` entities.
fn skip_spacing(mut text: &str) -> &str {
    loop {
        let trimmed = text.trim_start();
        match trimmed.strip_prefix("&nbsp;") {
            Some(rest) => text = rest,
            None => return trimmed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_seed_form() {
        let d = "**GET**&nbsp;&nbsp;`/retailers/api/v1/customers?page=1`";
        assert_eq!(
            example_uri(d),
            Some(("GET", "/retailers/api/v1/customers?page=1"))
        );
    }

    #[test]
    fn accepts_plain_spaces_and_text_around() {
        let d = "Some text **POST** `/x` more";
        assert_eq!(example_uri(d), Some(("POST", "/x")));
    }

    #[test]
    fn ignores_bold_text_without_a_code_span() {
        assert_eq!(example_uri("**Note** this is bold"), None);
        assert_eq!(example_uri("**GET** /x"), None);
        assert_eq!(example_uri("****``"), None);
        assert_eq!(example_uri("**GET**`"), None);
        assert_eq!(
            example_uri("**Note** **PUT**&nbsp;`/y`"),
            Some(("PUT", "/y"))
        );
    }
}
