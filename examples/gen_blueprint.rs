//! Prints a generated blueprint to stdout: N actions (default 2000), or
//! with `--mson`, N Data Structures (default 1000) used by Attributes:
//! `cargo run --release --example gen_blueprint -- 2000 > /tmp/g.apib`,
//! `cargo run --release --example gen_blueprint -- --mson 1000 > /tmp/m.apib`.

#[path = "../benches/support/generate.rs"]
mod generate;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mson = args.iter().any(|a| a == "--mson");
    let n = args.iter().find_map(|a| a.parse().ok());
    if mson {
        print!("{}", generate::generated_mson(n.unwrap_or(1000)));
    } else {
        print!("{}", generate::generated(n.unwrap_or(2000)));
    }
}
