//! Reporting a verify run: one progress line per case for people, and
//! JUnit XML / JSON files for CI.

use std::fmt::Write;

use serde_json::{Value, json};

use super::Outcome;

/// `--report junit:FILE` / `--report json:FILE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportFile {
    /// JUnit XML written to this file.
    Junit(String),
    /// JSON written to this file.
    Json(String),
}

impl std::str::FromStr for ReportFile {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.split_once(':') {
            Some(("junit", path)) if !path.is_empty() => Ok(ReportFile::Junit(path.into())),
            Some(("json", path)) if !path.is_empty() => Ok(ReportFile::Json(path.into())),
            _ => Err(format!("`{s}`: write junit:FILE or json:FILE")),
        }
    }
}

/// The progress line (and failure details) for one case.
pub fn line(o: &Outcome) -> String {
    let status = o.status.map_or("-".to_string(), |s| s.to_string());
    let mut text = format!(
        "{} {} {} {} → {} ({} ms)",
        if o.passed() { "pass" } else { "FAIL" },
        o.case.name,
        o.case.method,
        o.case.uri,
        status,
        o.elapsed.as_millis()
    );
    if !o.passed() {
        let _ = write!(text, "\n       at {}", o.case.source);
        for f in &o.failures {
            let _ = write!(text, "\n       {f}");
        }
    }
    text
}

/// The closing summary line.
pub fn summary(outcomes: &[Outcome], skipped: usize) -> String {
    let failed = outcomes.iter().filter(|o| !o.passed()).count();
    format!(
        "{} passed, {failed} failed, {skipped} skipped ({} transactions)",
        outcomes.len() - failed,
        outcomes.len() + skipped
    )
}

/// The JSON report.
pub fn json_report(server: &str, outcomes: &[Outcome], skipped: &[(String, String)]) -> Value {
    let cases: Vec<Value> = outcomes
        .iter()
        .map(|o| {
            json!({
                "name": o.case.name,
                "method": o.case.method,
                "uri": o.case.uri,
                "source": o.case.source,
                "result": if o.passed() { "pass" } else { "fail" },
                "expected_status": o.case.expect.status,
                "actual_status": o.status,
                "millis": o.elapsed.as_secs_f64() * 1000.0,
                "failures": o.failures,
            })
        })
        .chain(
            skipped
                .iter()
                .map(|(name, why)| json!({ "name": name, "result": "skip", "failures": [why] })),
        )
        .collect();
    let failed = outcomes.iter().filter(|o| !o.passed()).count();
    json!({
        "server": server,
        "passed": outcomes.len() - failed,
        "failed": failed,
        "skipped": skipped.len(),
        "cases": cases,
    })
}

/// The JUnit XML report: one test case per transaction, the action as
/// its class name.
pub fn junit_report(outcomes: &[Outcome], skipped: &[(String, String)]) -> String {
    let failed = outcomes.iter().filter(|o| !o.passed()).count();
    let time: f64 = outcomes.iter().map(|o| o.elapsed.as_secs_f64()).sum();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuites><testsuite name=\"apib-mock verify\" tests=\"{}\" failures=\"{failed}\" skipped=\"{}\" time=\"{time:.3}\">",
        outcomes.len() + skipped.len(),
        skipped.len()
    );
    let split = |name: &str| match name.rsplit_once(" > ") {
        Some((class, case)) => (class.to_string(), case.to_string()),
        None => (String::new(), name.to_string()),
    };
    for o in outcomes {
        let (class, case) = split(&o.case.name);
        let _ = write!(
            xml,
            "  <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\">",
            escape(&class),
            escape(&case),
            o.elapsed.as_secs_f64()
        );
        if !o.passed() {
            let _ = write!(
                xml,
                "<failure message=\"{}\">{}\n{}</failure>",
                escape(o.failures.first().map_or("", String::as_str)),
                escape(&format!(
                    "{} {} at {}",
                    o.case.method, o.case.uri, o.case.source
                )),
                escape(&o.failures.join("\n"))
            );
        }
        xml.push_str("</testcase>\n");
    }
    for (name, why) in skipped {
        let (class, case) = split(name);
        let _ = writeln!(
            xml,
            "  <testcase classname=\"{}\" name=\"{}\"><skipped message=\"{}\"/></testcase>",
            escape(&class),
            escape(&case),
            escape(why)
        );
    }
    xml.push_str("</testsuite></testsuites>\n");
    xml
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 has no place for other control characters.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => out.push('?'),
            c => out.push(c),
        }
    }
    out
}
