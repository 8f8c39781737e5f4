//! Markdown events → a small block tree with byte spans.
//!
//! API Blueprint is defined on markdown *blocks*: headings, list items and
//! the code blocks inside them. pulldown-cmark gives a flat event stream;
//! this module folds it into exactly the blocks the blueprint parser needs
//! and nothing more. Inline markup is not interpreted here: headings and
//! paragraphs keep only their span, and the parser reads the raw source
//! text through it, because API Blueprint signatures (`[GET /x]`,
//! `**GET**&nbsp;&nbsp;`...``) are defined on the raw text, not on what
//! markdown would render.

use std::borrow::Cow;

use pulldown_cmark::{CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd};

use super::list_layout::{self, Layout};
use crate::diag::Span;

/// One markdown block.
#[derive(Debug, Clone)]
pub(crate) struct Block<'a> {
    pub kind: BlockKind<'a>,
    pub span: Span,
}

/// The blocks the blueprint parser distinguishes.
#[derive(Debug, Clone)]
pub(crate) enum BlockKind<'a> {
    /// `#`-style or underlined heading; the text is read from the span.
    /// Its level does not matter: nesting follows keyword order.
    Heading,
    /// A paragraph, or the loose text of a tight list item.
    Paragraph,
    /// A bullet or ordered list.
    List(Vec<Item<'a>>),
    /// An indented or fenced code block: an asset.
    Code(CodeBlock<'a>),
    /// Anything else (HTML, tables, quotes, rules): description only.
    Other,
}

/// One list item and the blocks inside it.
#[derive(Debug, Clone)]
pub(crate) struct Item<'a> {
    pub span: Span,
    pub children: Vec<Block<'a>>,
}

/// The content of a code block, one entry per line.
#[derive(Debug, Clone, Default)]
pub(crate) struct CodeBlock<'a> {
    /// Each line's text (with its `\n`) and the source offset where that
    /// text starts, so that a JSON error at line *n* column *c* maps back
    /// to the source. Lines borrow the source unless pulldown-cmark had to
    /// alter them (tabs) or split them.
    lines: Vec<(usize, Cow<'a, str>)>,
    /// Fenced (``` or ~~~) rather than indented.
    pub fenced: bool,
}

impl<'a> CodeBlock<'a> {
    /// The block's text with the indentation common to all its non-blank
    /// lines removed, and the source offset of each kept line's start.
    ///
    /// pulldown-cmark strips only the four columns that make a code block;
    /// blueprints indent assets 8 or 12 columns under list items whose
    /// content starts at column 2 or 6, which leaves 2 extra spaces on
    /// every line. The reference parser drops them, and so do we.
    pub fn dedented(&self) -> (String, Vec<usize>) {
        let common = self
            .lines
            .iter()
            .filter_map(|(_, l)| {
                let spaces = l.bytes().take_while(|&b| b == b' ').count();
                // Blank lines (spaces, then nothing or a line end) do not
                // count.
                (!l[spaces..].trim().is_empty()).then_some(spaces)
            })
            .min()
            .unwrap_or(0);
        self.dedented_by(common)
    }

    /// The block's text with up to `cut` leading spaces removed from each
    /// line (blank lines become empty), and each kept line's offset.
    pub fn dedented_by(&self, cut: usize) -> (String, Vec<usize>) {
        let len = self.lines.iter().map(|(_, l)| l.len()).sum();
        let mut text = String::with_capacity(len);
        let mut offsets = Vec::with_capacity(self.lines.len());
        for (offset, line) in &self.lines {
            let spaces = line.bytes().take(cut).take_while(|&b| b == b' ').count();
            offsets.push(offset + spaces);
            let rest = &line[spaces..];
            if rest.trim().is_empty() {
                text.push('\n');
            } else {
                text.push_str(rest);
            }
        }
        (text, offsets)
    }

    /// The first and last lines of the block that are not blank, trimmed:
    /// enough to rule a shape out without building the text.
    pub fn edge_lines(&self) -> Option<(&str, &str)> {
        let mut lines = self
            .lines
            .iter()
            .map(|(_, l)| l.trim())
            .filter(|l| !l.is_empty());
        let first = lines.next()?;
        Some((first, lines.next_back().unwrap_or(first)))
    }

    /// The source offset where the block's first line of text starts (after
    /// the indentation CommonMark took), if it has one.
    pub fn first_offset(&self) -> Option<usize> {
        self.lines.first().map(|(offset, _)| *offset)
    }

    /// Appends a piece of code text reported at source `span`. Pieces hold
    /// one or more lines, and a line may arrive in several pieces.
    fn push(&mut self, piece: CowStr<'a>, span: Span) {
        // The event's range covers the text exactly when it was not altered
        // (no tab expansion); otherwise fall back to the range start.
        let exact = span.end.saturating_sub(span.start) == piece.len();
        let borrowed = match &piece {
            CowStr::Borrowed(s) => Some(*s),
            _ => None,
        };
        let mut at = 0;
        for line in piece.split_inclusive('\n') {
            let offset = if exact { span.start + at } else { span.start };
            match self.lines.last_mut() {
                Some((_, last)) if !last.ends_with('\n') => last.to_mut().push_str(line),
                _ => {
                    let text = match borrowed {
                        Some(b) => Cow::Borrowed(&b[at..at + line.len()]),
                        None => Cow::Owned(line.to_string()),
                    };
                    self.lines.push((offset, text));
                }
            }
            at += line.len();
        }
    }
}

/// Parses `src` into top-level blocks, and says whether list lines had to
/// be re-indented for CommonMark to nest them as the reference parser does
/// (code blocks then come from an edited copy).
pub(crate) fn blocks(src: &str) -> (Vec<Block<'_>>, bool) {
    // No extensions: tables and the like are description text either way,
    // and plain CommonMark is the fastest to scan.
    let mut builder = TreeBuilder::default();
    let Layout { edits, reindented } = list_layout::layout(src);
    if edits.is_empty() {
        for (event, range) in Parser::new_ext(src, Options::empty()).into_offset_iter() {
            builder.event(event, Span::new(range.start, range.end));
        }
        return (builder.finish(), reindented);
    }
    // Where CommonMark would read the document otherwise than the
    // reference's markdown (sundown), parse a copy edited to read the
    // same, and map every range back to `src`; the events own their text
    // then (a document that needs it pays for the copy, not every one).
    let mut copy = String::with_capacity(src.len() + edits.len() * 4);
    let mut placed = Vec::with_capacity(edits.len());
    let mut from = 0;
    for edit in &edits {
        copy.push_str(&src[from..edit.start]);
        placed.push(copy.len());
        copy.extend(std::iter::repeat_n(' ', edit.spaces));
        from = edit.end;
    }
    copy.push_str(&src[from..]);
    let back = |offset: usize| match placed.partition_point(|&p| p <= offset) {
        0 => offset,
        k => {
            let (edit, at) = (&edits[k - 1], placed[k - 1]);
            let inside = offset - at;
            if inside < edit.spaces {
                edit.start + inside.min(edit.end - edit.start)
            } else {
                edit.end + inside - edit.spaces
            }
        }
    };
    for (event, range) in Parser::new_ext(&copy, Options::empty()).into_offset_iter() {
        builder.event(
            event.into_static(),
            Span::new(back(range.start), back(range.end)),
        );
    }
    (builder.finish(), reindented)
}

/// A container being filled: the document, a list, or an item.
enum Frame<'a> {
    Blocks(Vec<Block<'a>>),
    List {
        items: Vec<Item<'a>>,
        span: Span,
    },
    Item {
        children: Vec<Block<'a>>,
        span: Span,
    },
    Code {
        code: CodeBlock<'a>,
        span: Span,
    },
    /// A leaf block (heading, paragraph, other) whose events are skipped;
    /// `None` for inline markup in a tight item, already in `loose_text`.
    Leaf {
        kind: Option<BlockKind<'a>>,
        span: Span,
        depth: usize,
    },
}

#[derive(Default)]
struct TreeBuilder<'a> {
    stack: Vec<Frame<'a>>,
    /// Inline text met directly inside a tight list item: it forms an
    /// implicit paragraph that ends at the next block.
    loose_text: Option<Span>,
}

impl<'a> TreeBuilder<'a> {
    fn event(&mut self, event: Event<'a>, span: Span) {
        if self.stack.is_empty() {
            self.stack.push(Frame::Blocks(Vec::new()));
        }
        // Inside a leaf, only count nesting until it closes.
        if let Some(Frame::Leaf { depth, .. }) = self.stack.last_mut() {
            match event {
                Event::Start(_) => *depth += 1,
                Event::End(_) if *depth > 0 => *depth -= 1,
                Event::End(_) => self.close_leaf(),
                _ => {}
            }
            return;
        }
        if let Some(Frame::Code { code, .. }) = self.stack.last_mut() {
            match event {
                Event::Text(text) => code.push(text, span),
                Event::End(_) => self.close_code(),
                _ => {}
            }
            return;
        }
        match event {
            Event::Start(tag) => self.start(tag, span),
            Event::End(TagEnd::List(_)) => {
                self.flush_loose_text();
                if let Some(Frame::List { items, span }) = self.stack.pop() {
                    self.push_block(Block {
                        kind: BlockKind::List(items),
                        span,
                    });
                }
            }
            Event::End(TagEnd::Item) => {
                self.flush_loose_text();
                if let Some(Frame::Item { children, span }) = self.stack.pop()
                    && let Some(Frame::List { items, .. }) = self.stack.last_mut()
                {
                    items.push(Item { span, children });
                }
            }
            Event::End(_) => {}
            Event::Rule | Event::Html(_) => self.push_block(Block {
                kind: BlockKind::Other,
                span,
            }),
            // Inline content outside a paragraph: the loose text of a
            // tight list item.
            _ => {
                self.loose_text = Some(match self.loose_text {
                    Some(open) => open.cover(span),
                    None => span,
                });
            }
        }
    }

    fn start(&mut self, tag: Tag<'a>, span: Span) {
        match tag {
            Tag::List(_) => {
                self.flush_loose_text();
                self.stack.push(Frame::List {
                    items: Vec::new(),
                    span,
                });
            }
            Tag::Item => self.stack.push(Frame::Item {
                children: Vec::with_capacity(4),
                span,
            }),
            Tag::CodeBlock(kind) => {
                self.flush_loose_text();
                self.stack.push(Frame::Code {
                    code: CodeBlock {
                        fenced: matches!(kind, CodeBlockKind::Fenced(_)),
                        ..CodeBlock::default()
                    },
                    span,
                });
            }
            // Inline tags (emphasis, links, ...) in a tight item's text.
            Tag::Emphasis
            | Tag::Strong
            | Tag::Strikethrough
            | Tag::Link { .. }
            | Tag::Image { .. }
            | Tag::Superscript
            | Tag::Subscript => {
                self.loose_text = Some(match self.loose_text {
                    Some(open) => open.cover(span),
                    None => span,
                });
                self.stack.push(Frame::Leaf {
                    kind: None,
                    span,
                    depth: 0,
                });
            }
            other => {
                self.flush_loose_text();
                let kind = match other {
                    Tag::Heading { .. } => BlockKind::Heading,
                    Tag::Paragraph => BlockKind::Paragraph,
                    _ => BlockKind::Other,
                };
                self.stack.push(Frame::Leaf {
                    kind: Some(kind),
                    span,
                    depth: 0,
                });
            }
        }
    }

    fn close_leaf(&mut self) {
        if let Some(Frame::Leaf {
            kind: Some(kind),
            span,
            ..
        }) = self.stack.pop()
        {
            self.push_block(Block { kind, span });
        }
    }

    fn close_code(&mut self) {
        if let Some(Frame::Code { code, span }) = self.stack.pop() {
            self.push_block(Block {
                kind: BlockKind::Code(code),
                span,
            });
        }
    }

    fn flush_loose_text(&mut self) {
        if let Some(span) = self.loose_text.take() {
            self.push_raw(Block {
                kind: BlockKind::Paragraph,
                span,
            });
        }
    }

    fn push_block(&mut self, block: Block<'a>) {
        self.flush_loose_text();
        self.push_raw(block);
    }

    fn push_raw(&mut self, block: Block<'a>) {
        match self.stack.last_mut() {
            Some(Frame::Blocks(blocks))
            | Some(Frame::Item {
                children: blocks, ..
            }) => blocks.push(block),
            // A block directly in a list (cannot happen in CommonMark) or
            // in a leaf: keep it at the nearest container.
            _ => {
                if let Some(Frame::Blocks(blocks)) = self.stack.first_mut() {
                    blocks.push(block);
                }
            }
        }
    }

    fn finish(mut self) -> Vec<Block<'a>> {
        self.flush_loose_text();
        // Close whatever a truncated stream left open.
        while self.stack.len() > 1 {
            match self.stack.last() {
                Some(Frame::Leaf { .. }) => self.close_leaf(),
                Some(Frame::Code { .. }) => self.close_code(),
                Some(Frame::Item { .. }) => self.event(Event::End(TagEnd::Item), Span::default()),
                _ => {
                    if let Some(Frame::List { items, span }) = self.stack.pop() {
                        self.push_block(Block {
                            kind: BlockKind::List(items),
                            span,
                        });
                    }
                }
            }
        }
        match self.stack.pop() {
            Some(Frame::Blocks(blocks)) => blocks,
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(blocks: &[Block]) -> Vec<&'static str> {
        blocks
            .iter()
            .map(|b| match b.kind {
                BlockKind::Heading => "heading",
                BlockKind::Paragraph => "paragraph",
                BlockKind::List(_) => "list",
                BlockKind::Code(_) => "code",
                BlockKind::Other => "other",
            })
            .collect()
    }

    #[test]
    fn tight_list_item_text_becomes_a_paragraph() {
        let src = "+ Response 200\n+ Request A\n";
        let (blocks, _) = blocks(src);
        let BlockKind::List(items) = &blocks[0].kind else {
            panic!("expected a list")
        };
        assert_eq!(items.len(), 2);
        assert_eq!(kinds(&items[0].children), ["paragraph"]);
        let s = items[1].children[0].span;
        assert_eq!(&src[s.start..s.end], "Request A");
    }

    #[test]
    fn nested_code_block_keeps_line_offsets_and_dedents() {
        let src = "+ Response 200\n\n    + Body\n\n            {\n              \"a\": 1\n            }\n";
        let (blocks, _) = blocks(src);
        let BlockKind::List(items) = &blocks[0].kind else {
            panic!()
        };
        let BlockKind::List(inner) = &items[0].children[1].kind else {
            panic!()
        };
        let BlockKind::Code(code) = &inner[0].children[1].kind else {
            panic!()
        };
        let (text, offsets) = code.dedented();
        assert_eq!(text, "{\n  \"a\": 1\n}\n");
        assert_eq!(&src[offsets[1]..offsets[1] + 3], "  \"");
    }

    #[test]
    fn a_heading_without_a_space_after_its_hashes_is_a_heading() {
        let src = "#API\n\n##Users [/users]\ntext\n+ Response 200\n###Get [GET]\n```\n#x\n```\n";
        let (blocks, _) = blocks(src);
        assert_eq!(
            kinds(&blocks),
            ["heading", "heading", "paragraph", "list", "heading", "code"]
        );
        let text = |b: &Block| &src[b.span.start..b.span.end];
        assert_eq!(text(&blocks[1]), "##Users [/users]\n");
        assert_eq!(text(&blocks[4]), "###Get [GET]\n");
        let BlockKind::Code(code) = &blocks[5].kind else {
            panic!()
        };
        assert_eq!(code.dedented().0, "#x\n");
    }

    #[test]
    fn emphasis_in_a_tight_item_stays_one_paragraph() {
        let src = "+ Request **a** b\n    + Body\n\n            x\n";
        let (blocks, _) = blocks(src);
        let BlockKind::List(items) = &blocks[0].kind else {
            panic!()
        };
        assert_eq!(kinds(&items[0].children), ["paragraph", "list"]);
    }
}
