//! Content negotiation and the `Prefer` header.

/// A parsed `Accept` header: its media ranges with their quality,
/// borrowed from the header. Parsed once per request, then scored against
/// each candidate; nothing is allocated for the usual few ranges.
#[derive(Debug, Default)]
pub(crate) struct Accept<'h> {
    ranges: smallvec::SmallVec<[(&'h str, &'h str, f32); 4]>,
}

impl<'h> Accept<'h> {
    /// Parses `text` (`text/html, application/json;q=0.9, */*;q=0.1`).
    pub(crate) fn parse(text: &'h str) -> Self {
        let mut accept = Accept::default();
        for range in text.split(',') {
            let mut params = range.split(';');
            let r = params.next().unwrap_or("").trim();
            if r.is_empty() {
                continue;
            }
            let q = params
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0)
                .clamp(0.0, 1.0);
            let (t, sub) = r.split_once('/').unwrap_or((r, ""));
            accept.ranges.push((t, sub, q));
        }
        accept
    }

    /// How well `media_type` (a lower-cased essence) satisfies it: 0 when
    /// not acceptable, else the quality (0–1000) plus a little for
    /// specificity, so `application/json` beats `*/*` at equal quality.
    pub(crate) fn score(&self, media_type: &str) -> u32 {
        let (ty, sub) = media_type.split_once('/').unwrap_or((media_type, ""));
        let mut best = 0;
        for &(rt, rs, ref q) in &self.ranges {
            let same_type = rt.eq_ignore_ascii_case(ty);
            let specificity = if rt == "*" && rs == "*" {
                1
            } else if same_type && rs == "*" {
                2
            } else if same_type && (rs.eq_ignore_ascii_case(sub) || suffix_matches(rs, sub)) {
                3
            } else {
                continue;
            };
            if *q > 0.0 {
                best = best.max((q * 1000.0) as u32 * 4 + specificity);
            }
        }
        best
    }
}

/// [`Accept::score`] for a one-off header (tests).
#[cfg(test)]
pub(crate) fn accept_score(accept: &str, media_type: &str) -> u32 {
    Accept::parse(accept).score(media_type)
}

/// `json` accepts `hal+json` (structured syntax suffix).
fn suffix_matches(range_sub: &str, sub: &str) -> bool {
    sub.rsplit_once('+')
        .is_some_and(|(_, suffix)| suffix == range_sub)
}

/// What a `Prefer` header asks for (Apiary `status=`, Prism `code=` and
/// `example=`). Unknown preferences are ignored, as RFC 7240 says.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Preference {
    /// A response status.
    pub status: Option<u16>,
    /// A request (example) name, or `#N` / `N` for the N-th transaction of
    /// the action.
    pub example: Option<String>,
}

impl Preference {
    /// Parses `Prefer: status=404` / `code=404, example="returns 404"`.
    /// Returns `None` when it asks for nothing we select on.
    pub fn parse(header: &str) -> Option<Self> {
        let mut pref = Preference::default();
        for token in header.split([',', ';']) {
            let Some((key, value)) = token.split_once('=') else {
                continue;
            };
            let value = value.trim().trim_matches('"');
            match key.trim().to_ascii_lowercase().as_str() {
                "status" | "code" => pref.status = value.parse().ok(),
                "example" => pref.example = Some(value.to_string()),
                _ => {}
            }
        }
        (pref.status.is_some() || pref.example.is_some()).then_some(pref)
    }

    /// The `Preference-Applied` value.
    pub fn applied(&self) -> String {
        let mut parts = Vec::new();
        if let Some(s) = self.status {
            parts.push(format!("status={s}"));
        }
        if let Some(e) = &self.example {
            parts.push(format!("example=\"{e}\""));
        }
        parts.join(", ")
    }

    /// True when transaction number `n` (1-based within its action), named
    /// `name`, answering `status`, satisfies the preference.
    pub fn accepts(&self, n: usize, name: Option<&str>, status: u16) -> bool {
        let status_ok = self.status.is_none_or(|s| s == status);
        let example_ok = self.example.as_deref().is_none_or(|e| {
            let index = e.trim_start_matches('#').parse::<usize>().ok();
            index == Some(n) || name.is_some_and(|name| name.eq_ignore_ascii_case(e))
        });
        status_ok && example_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_prefers_quality_then_specificity() {
        let accept = "text/html, application/json;q=0.9, */*;q=0.1";
        assert!(accept_score(accept, "application/json") > accept_score(accept, "image/png"));
        assert!(accept_score(accept, "text/html") > accept_score(accept, "application/json"));
        assert_eq!(accept_score("application/json", "text/plain"), 0);
        assert!(accept_score("application/json", "application/hal+json") > 0);
        assert_eq!(accept_score("text/plain;q=0", "text/plain"), 0);
    }

    #[test]
    fn prefer_reads_apiary_and_prism_forms() {
        assert_eq!(Preference::parse("status=404").unwrap().status, Some(404));
        let p = Preference::parse("code=400, example=\"returns 400 - Bad Request\"").unwrap();
        assert_eq!(p.status, Some(400));
        assert_eq!(p.example.as_deref(), Some("returns 400 - Bad Request"));
        assert_eq!(Preference::parse("return=minimal"), None);
        assert_eq!(
            p.applied(),
            "status=400, example=\"returns 400 - Bad Request\""
        );
    }

    #[test]
    fn prefer_matches_by_status_name_or_number() {
        let p = Preference::parse("example=#3").unwrap();
        assert!(p.accepts(3, None, 200));
        assert!(!p.accepts(2, None, 200));
        let p = Preference::parse("example=Sends it; status=200").unwrap();
        assert!(p.accepts(1, Some("sends it"), 200));
        assert!(!p.accepts(1, Some("sends it"), 400));
    }
}
