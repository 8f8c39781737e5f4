//! Source positions and diagnostics.
//!
//! The parser works on byte offsets ([`Span`]) because that is what
//! pulldown-cmark hands out. People read lines and columns, so every
//! diagnostic is resolved through a [`LineIndex`] as soon as it is raised
//! and carries its file name with it: a diagnostic never has to be matched
//! back to the file it came from.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

/// A byte range in one source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end`; a reversed range collapses to `start`.
    pub fn new(start: usize, end: usize) -> Self {
        Self {
            start,
            end: end.max(start),
        }
    }

    /// The smallest span covering both.
    pub fn cover(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// Line starts of one text, to turn byte offsets into lines and columns.
#[derive(Clone, Debug)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes `src`; costs one pass over the text.
    pub fn new(src: &str) -> Self {
        let nl = src.match_indices('\n').map(|(i, _)| i + 1);
        Self {
            starts: std::iter::once(0).chain(nl).collect(),
        }
    }

    /// 1-based line and column of byte `at`; columns count chars, so a
    /// multi-byte letter before the offset counts once.
    pub fn line_col(&self, src: &str, at: usize) -> (usize, usize) {
        let at = floor_char_boundary(src, at.min(src.len()));
        let line = self.starts.partition_point(|&s| s <= at).saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(0).min(at);
        (line + 1, src[start..at].chars().count() + 1)
    }

    /// Byte offset where 1-based `line` starts, if the text has it.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        self.starts.get(line.checked_sub(1)?).copied()
    }
}

fn floor_char_boundary(src: &str, mut at: usize) -> usize {
    while at > 0 && !src.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// A source text with its name and line index, as diagnostics need it.
///
/// A text assembled from several files (`<!-- include(...) -->`) carries a
/// [`SourceMap`], so that a location names the file a line came from and
/// that file's own line numbers.
#[derive(Clone, Debug)]
pub struct SourceFile {
    name: Arc<str>,
    text: String,
    lines: LineIndex,
    map: Option<Arc<SourceMap>>,
}

/// Where each part of an assembled text comes from.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    /// Sorted by `start`; each runs to the next one's start.
    segments: Vec<Segment>,
}

/// A run of the assembled text copied from one file.
#[derive(Clone, Debug)]
struct Segment {
    /// Offset in the assembled text.
    start: usize,
    /// The file it was copied from.
    origin: Arc<SourceFile>,
    /// Offset in `origin` of the segment's first copied byte.
    offset: usize,
    /// Bytes of indentation added before the copied text (an include
    /// nested under a list item is indented like it).
    indent: usize,
}

impl SourceMap {
    /// Records that the assembled text from `start` on is `origin` from
    /// `offset` on, after `indent` added bytes. Contiguous runs merge.
    pub fn push(&mut self, start: usize, origin: &Arc<SourceFile>, offset: usize, indent: usize) {
        if let Some(last) = self.segments.last()
            && indent == 0
            && last.indent == 0
            && Arc::ptr_eq(&last.origin, origin)
            && last.offset + (start - last.start) == offset
        {
            return;
        }
        self.segments.push(Segment {
            start,
            origin: origin.clone(),
            offset,
            indent,
        });
    }

    fn location(&self, at: usize) -> Option<Location> {
        let i = self
            .segments
            .partition_point(|s| s.start <= at)
            .checked_sub(1)?;
        let seg = &self.segments[i];
        let local = (at - seg.start).saturating_sub(seg.indent);
        Some(seg.origin.location(seg.offset + local))
    }
}

impl SourceFile {
    /// Wraps `text` read from `name` (a path, or a label such as
    /// `<embedded>`).
    pub fn new(name: impl Into<Arc<str>>, text: String) -> Self {
        let lines = LineIndex::new(&text);
        Self {
            name: name.into(),
            text,
            lines,
            map: None,
        }
    }

    /// A text assembled from several files, located through `map`.
    pub fn assembled(name: impl Into<Arc<str>>, text: String, map: SourceMap) -> Self {
        Self {
            map: Some(Arc::new(map)),
            ..Self::new(name, text)
        }
    }

    /// The file's name as given.
    pub fn name(&self) -> &Arc<str> {
        &self.name
    }

    /// The whole text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Where byte `at` is, as a person counts: in the file it came from.
    pub fn location(&self, at: usize) -> Location {
        if let Some(location) = self.map.as_ref().and_then(|m| m.location(at)) {
            return location;
        }
        let (line, column) = self.lines.line_col(&self.text, at);
        Location {
            file: self.name.clone(),
            line,
            column,
        }
    }
}

/// A resolved position: file, 1-based line and column.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Location {
    /// The file as it was named on the command line (or `<embedded>`).
    pub file: Arc<str>,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// How bad a diagnostic is. Warnings never stop a spec from loading.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Something was kept, but probably not as the author meant.
    Warning,
    /// Something could not be built at all.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// One problem found in a blueprint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Where the offending text starts.
    #[serde(flatten)]
    pub location: Location,
    /// What is wrong and, where it helps, what to do.
    pub message: String,
    /// A second place that matters (the first definition of a duplicate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related: Option<Related>,
}

/// A second location attached to a diagnostic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Related {
    /// Where.
    #[serde(flatten)]
    pub location: Location,
    /// Why it is mentioned.
    pub message: String,
}

impl Diagnostic {
    /// An error at `location`.
    pub fn error(location: Location, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, location, message)
    }

    /// A warning at `location`.
    pub fn warning(location: Location, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, location, message)
    }

    fn new(severity: Severity, location: Location, message: impl Into<String>) -> Self {
        Self {
            severity,
            location,
            message: message.into(),
            related: None,
        }
    }

    /// Attaches a second location.
    pub fn with_related(mut self, location: Location, message: impl Into<String>) -> Self {
        self.related = Some(Related {
            location,
            message: message.into(),
        });
        self
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.location, self.severity, self.message)?;
        if let Some(related) = &self.related {
            write!(f, "\n{}: note: {}", related.location, related.message)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_lines_and_chars_from_one() {
        let src = "ab\ncdé\nf";
        let idx = LineIndex::new(src);
        assert_eq!(idx.line_col(src, 0), (1, 1));
        assert_eq!(idx.line_col(src, 3), (2, 1));
        // 'é' is two bytes; the 'f' line starts after it.
        assert_eq!(idx.line_col(src, src.len() - 1), (3, 1));
        assert_eq!(idx.line_col(src, src.find('é').unwrap() + 2), (2, 4));
    }

    #[test]
    fn line_col_inside_a_multibyte_char_does_not_panic() {
        let src = "é";
        let idx = LineIndex::new(src);
        assert_eq!(idx.line_col(src, 1), (1, 1));
        assert_eq!(idx.line_col(src, 99), (1, 2));
    }

    #[test]
    fn diagnostic_renders_as_file_line_col() {
        let file = SourceFile::new("a.apib", "x\ny".to_string());
        let d = Diagnostic::warning(file.location(2), "odd")
            .with_related(file.location(0), "first here");
        assert_eq!(
            d.to_string(),
            "a.apib:2:1: warning: odd\na.apib:1:1: note: first here"
        );
    }
}
