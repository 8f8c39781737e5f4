//! Parse benchmarks: the seed, and generated blueprints of 500 to 4,000
//! actions (to show growth is linear). Target: 2,000 actions in < 25 ms.
//!
//! Run: `cargo bench --bench parse`

use std::fmt::Write;
use std::hint::black_box;

use apib_mock::blueprint;
use apib_mock::diag::SourceFile;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

/// A blueprint shaped like the seed: groups of resources, each action with
/// parameters, a named request with headers and a JSON body, and two
/// responses.
fn generated(actions: usize) -> String {
    let mut s = String::from("FORMAT: 1A\nHOST: https://api.example.com\n\n# Generated API\n\n");
    for i in 0..actions {
        if i % 50 == 0 {
            let _ = writeln!(s, "# Group Group {}\n", i / 50);
        }
        if i % 2 == 0 {
            let _ = writeln!(s, "## Resource {i} [/resources{i}/{{id}}{{?page,limit}}]\n");
            let _ = writeln!(
                s,
                "+ Parameters\n    + id: `{i}` (string, required) - The id.\n    + page: `1` (number, optional)\n        + Default: `1`\n    + limit (number, optional)\n"
            );
        }
        let method = if i % 2 == 0 { "GET" } else { "POST" };
        let _ = writeln!(s, "### Action {i} [{method}]\n");
        let _ = writeln!(
            s,
            "+ Request example {i} (application/json)\n**{method}**&nbsp;&nbsp;`/resources{i}/abc?page=2`\n\n    + Headers\n\n            Api-Key: key{i}\n            Slug: test\n\n    + Body\n\n            {{\n              \"name\": \"item {i}\",\n              \"tags\": [\"a\", \"b\"],\n              \"count\": {i}\n            }}\n"
        );
        let _ = writeln!(
            s,
            "+ Response 200 (application/json; charset=utf-8)\n\n    + Headers\n\n            X-Request-Id: {i}\n\n    + Body\n\n            {{\n              \"id\": {i},\n              \"message\": \"ok\"\n            }}\n"
        );
        let _ = writeln!(
            s,
            "+ Response 404 (application/json)\n\n        {{ \"error\": \"not found\" }}\n"
        );
    }
    s
}

fn parse_benches(c: &mut Criterion) {
    let seed = include_str!("../specs/retailers.apib");
    let source = SourceFile::new("retailers.apib", seed.to_string());
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Bytes(seed.len() as u64));
    group.bench_function("seed", |b| b.iter(|| blueprint::parse(black_box(&source))));
    for n in [500, 1000, 2000, 4000] {
        let text = generated(n);
        let source = SourceFile::new("generated.apib", text.clone());
        // Sanity: the generated document parses cleanly.
        let (bp, diags) = blueprint::parse(&source);
        assert!(diags.is_empty(), "{:?}", diags.first());
        assert_eq!(bp.transactions().len(), n * 2);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::new("actions", n), &source, |b, s| {
            b.iter(|| blueprint::parse(black_box(s)))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = parse_benches
}
criterion_main!(benches);
