//! List nesting the way the reference parser's markdown (sundown) reads
//! it, mapped onto CommonMark.
//!
//! Blueprints are written against the reference, and its markdown nests
//! list items by a rule CommonMark does not share: inside an item, every
//! line loses up to 4 leading spaces, and what is left decides. A bullet
//! with at most 3 spaces left opens a nested list unless it is indented
//! no more than the item itself (then it is the next item), so
//! `      + Headers` (6 spaces) under `+ Request` is a section, and
//! ` + id` (1 space) under `+ Parameters` is nested. A content line is a
//! code block when 4 or more spaces are left, else text. CommonMark instead
//! counts from each item's content column, and reads those lines as text,
//! code, or the next item.
//!
//! [`layout`] runs the reference's rule over the lines and says where a
//! line must move for CommonMark to nest it the same way (most documents:
//! nowhere). What the reference keeps of text used "as written" (a body
//! that is not a code block) follows from the same rule: the content of an
//! item `d` levels deep loses its first `4 × d` columns.

/// What [`layout`] found.
#[derive(Debug, Default)]
pub(crate) struct Layout {
    /// The edits that make CommonMark read the document as the reference
    /// does, in source order: list lines re-indented where their nesting
    /// says, and a space after the hashes of headings written without one
    /// (`##Users`, which sundown reads as a heading and CommonMark as text).
    pub edits: Vec<Edit>,
    /// Some list line was re-indented (code blocks then come from the
    /// edited copy, whose columns are not the source's).
    pub reindented: bool,
}

/// `src[start..end]` becomes `spaces` spaces in the copy CommonMark reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Edit {
    pub start: usize,
    pub end: usize,
    pub spaces: usize,
}

/// An open list item.
struct Open {
    /// The reference's indentation of the item's bullet, within its parent.
    orgpre: usize,
    /// Where the bullet stands in the CommonMark copy.
    bullet_col: usize,
    /// Where its content starts in the CommonMark copy.
    content_col: usize,
}

impl Open {
    /// An item whose bullet stands at `bullet_col` in the copy, its line
    /// being `text` (from the bullet on).
    fn new(orgpre: usize, bullet_col: usize, text: &str) -> Self {
        Open {
            orgpre,
            bullet_col,
            content_col: content_col(bullet_col, text),
        }
    }
}

/// What the previous non-blank line was, for CommonMark's lazy lines.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Prev {
    Text,
    Code,
    Other,
}

/// Reads the list nesting of `src`.
pub(crate) fn layout(src: &str) -> Layout {
    let mut out = Layout::default();
    let mut stack: Vec<Open> = Vec::new();
    let mut in_empty = false;
    let mut fence: Option<(u8, usize)> = None;
    let mut prev = Prev::Other;
    let mut start = 0;
    let lines = memchr::memchr_iter(b'\n', src.as_bytes())
        .map(|n| n + 1)
        .chain((!src.ends_with('\n')).then_some(src.len()))
        .scan(0, |from, end| {
            let line = &src[*from..end];
            *from = end;
            Some(line)
        });
    for line in lines {
        let line_start = start;
        start += line.len();
        let (cols, bytes) = indentation(line);
        let text = &line[bytes..];
        // `indentation` took the spaces and tabs: what is left is blank
        // when it is only the line end.
        if text.trim_start_matches(['\r', '\n']).is_empty() {
            in_empty = true;
            continue;
        }
        let fence_marker = fence_marker(text);
        let bullet_shaped = is_bullet(text);
        let in_fence = fence.is_some();
        if let Some((c, n)) = fence_marker {
            fence = match fence {
                None => Some((c, n)),
                Some((open, len)) if open == c && n >= len => None,
                keep => keep,
            };
        }
        let heading = cols <= 3 && !in_fence && text.starts_with('#');
        if heading {
            let hashes = text.bytes().take_while(|&b| b == b'#').count();
            let next = text.as_bytes().get(hashes);
            if hashes <= 6 && next.is_some_and(|b| !b.is_ascii_whitespace()) {
                let at = line_start + bytes + hashes;
                out.edits.push(Edit {
                    start: at,
                    end: at,
                    spaces: 1,
                });
            }
        }
        if stack.is_empty() {
            if cols <= 3 && !in_fence && bullet_shaped {
                stack.push(Open::new(cols, cols, text));
                prev = Prev::Text;
            } else {
                prev = Prev::Other;
            }
            in_empty = false;
            continue;
        }
        // A heading ends every list (the reference's markdown stops an
        // item there, even without a blank line).
        if heading {
            stack.clear();
            in_empty = false;
            prev = Prev::Other;
            continue;
        }
        let mut rest = cols;
        let mut placed = None;
        for level in 0..stack.len() {
            let pre = rest.min(4);
            let left = rest - pre;
            let bullet = !in_fence && left <= 3 && bullet_shaped;
            if bullet && pre <= stack[level].orgpre {
                // The next item of this list (indented as much as the
                // item, or less).
                let bullet_col = stack[level].bullet_col;
                stack.truncate(level);
                stack.push(Open::new(pre, bullet_col, text));
                placed = Some(Placed::Bullet);
                break;
            }
            if bullet && level + 1 == stack.len() {
                // A list nested in the innermost item: where CommonMark
                // nests it too, it stays.
                let parent = stack[level].content_col;
                let bullet_col = if (parent..parent + 4).contains(&cols) {
                    cols
                } else {
                    parent
                };
                stack.push(Open::new(left, bullet_col, text));
                placed = Some(Placed::Bullet);
                break;
            }
            if !bullet && in_empty && pre == 0 {
                // Not indented after a blank line: the item ends.
                stack.truncate(level);
                placed = Some(Placed::Content { residual: rest });
                break;
            }
            if !bullet && level + 1 == stack.len() {
                placed = Some(Placed::Content { residual: left });
                break;
            }
            rest = left;
        }
        // The innermost level always places the line.
        let Some(placed) = placed else {
            continue;
        };
        let Some(item) = stack.last() else {
            // The list ended: a top-level line, left as it is.
            in_empty = false;
            prev = Prev::Other;
            continue;
        };
        let target = match placed {
            Placed::Bullet => {
                prev = Prev::Text;
                (cols != item.bullet_col).then_some(item.bullet_col)
            }
            Placed::Content { residual } => {
                let c = item.content_col;
                let lazy = !in_empty && prev == Prev::Text;
                let code = residual >= 4 && !in_fence && !lazy;
                // Where CommonMark reads the line the same way, it stays:
                // a lazy line continues its paragraph wherever it stands.
                let fits = if lazy {
                    true
                } else if in_fence {
                    cols >= c
                } else if code {
                    cols >= c + 4
                } else {
                    (c..c + 4).contains(&cols)
                };
                prev = if in_fence || fence_marker.is_some() {
                    Prev::Other
                } else if code {
                    Prev::Code
                } else {
                    Prev::Text
                };
                (!fits).then_some(c + residual)
            }
        };
        if let Some(spaces) = target {
            out.edits.push(Edit {
                start: line_start,
                end: line_start + bytes,
                spaces,
            });
            out.reindented = true;
        }
        in_empty = false;
    }
    out
}

enum Placed {
    Bullet,
    Content { residual: usize },
}

/// Leading whitespace of `line`: (columns, tabs to the next multiple of
/// 4, as the reference expands them; bytes).
fn indentation(line: &str) -> (usize, usize) {
    let mut cols = 0;
    for (i, b) in line.bytes().enumerate() {
        match b {
            b' ' => cols += 1,
            b'\t' => cols = (cols / 4 + 1) * 4,
            _ => return (cols, i),
        }
    }
    (cols, line.len())
}

/// `+ x`, `- x`, `* x` (not a rule such as `* * *`).
fn is_bullet(text: &str) -> bool {
    let b = text.as_bytes();
    matches!(b.first(), Some(b'+' | b'-' | b'*'))
        && matches!(b.get(1), Some(b' ' | b'\t') | None | Some(b'\n' | b'\r'))
        && !is_rule(text)
}

fn is_rule(text: &str) -> bool {
    let t = text.trim();
    let Some(c) = t.chars().next() else {
        return false;
    };
    matches!(c, '*' | '-' | '_')
        && t.chars().filter(|&x| x == c).count() >= 3
        && t.chars().all(|x| x == c || x == ' ')
}

/// The content column of an item whose bullet stands at `bullet_col`.
fn content_col(bullet_col: usize, text: &str) -> usize {
    let gap = text[1..]
        .bytes()
        .take_while(|&b| b == b' ')
        .count()
        .clamp(1, 4);
    bullet_col + 1 + gap
}

/// A code fence (three or more backticks or tildes): its character and
/// length.
fn fence_marker(text: &str) -> Option<(u8, usize)> {
    let b = text.as_bytes();
    let c = *b.first()?;
    if c != b'`' && c != b'~' {
        return None;
    }
    let n = b.iter().take_while(|&&x| x == c).count();
    (n >= 3).then_some((c, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moved(src: &str) -> Vec<(usize, usize)> {
        let layout = layout(src);
        layout
            .edits
            .iter()
            .map(|e| {
                let line = src[..e.start].matches('\n').count() + 1;
                (line, e.spaces)
            })
            .collect()
    }

    #[test]
    fn a_well_formed_blueprint_needs_no_move() {
        let src = "+ Response 200\n\n    + Headers\n\n            X: 1\n\n    + Body\n\n            {\n              \"a\": 1\n            }\n+ Request\n\n        text\n";
        assert_eq!(moved(src), []);
    }

    #[test]
    fn sections_indented_six_or_seven_spaces_are_nested() {
        // Line 2 (6 spaces) becomes a nested item at the content column
        // of `+ Request`; its asset (12 spaces) is code for both.
        let src = "+ Request\n      + Headers\n\n            X: 1\n";
        assert_eq!(moved(src), [(2, 2)]);
    }

    #[test]
    fn a_bullet_one_space_in_is_nested_not_the_next_item() {
        let src = "+ Parameters\n + id: 1 (number)\n + name: a (string)\n+ Response 200\n";
        assert_eq!(moved(src), [(2, 2), (3, 2)]);
    }

    #[test]
    fn a_closing_line_indented_less_than_its_code_block_is_text() {
        let src = "+ Response 200\n\n        {\n          \"a\": 1\n      }\n";
        assert_eq!(moved(src), [(5, 4)]);
    }
}
