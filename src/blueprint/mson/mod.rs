//! MSON (Markdown Syntax for Object Notation): the `+ Attributes` sections
//! and `# Data Structures` of a blueprint, turned into JSON bodies and JSON
//! Schemas the way the reference compiler (drafter.js 2.6.7) does.
//!
//! - `syntax` reads one list item's signature (`name: value (type, attrs) -
//!   description`) and defines the syntax tree ([`Element`]);
//! - `types` holds the named types and resolves references, inheritance and
//!   mixins, reporting unknown and circular ones;
//! - `render` produces the JSON body, `schema` the JSON Schema, both as
//!   [`json::Json`], which keeps member order and prints like
//!   `JSON.stringify(value, null, 2)`.
//!
//! The tree is built from markdown blocks by the blueprint parser (it owns
//! the block tree); everything here works on plain data.

pub mod json;
mod render;
mod schema;
pub(crate) mod syntax;
mod types;

pub use syntax::{Element, Literal, TypeName, TypeSpec, ValueElement};
pub use types::TypeTable;
