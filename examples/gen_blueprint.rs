//! Prints a generated blueprint of N actions (default 2000) to stdout:
//! `cargo run --release --example gen_blueprint -- 2000 > /tmp/g.apib`.

#[path = "../benches/support/generate.rs"]
mod generate;

fn main() {
    let n = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2000);
    print!("{}", generate::generated(n));
}
