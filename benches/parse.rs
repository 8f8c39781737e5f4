//! Parse benchmarks: the seed, generated blueprints of 500 to 4,000
//! actions (to show growth is linear), and an MSON-heavy document of 1,000
//! Data Structures whose bodies and schemas are generated. Target: 2,000
//! actions in < 25 ms.
//!
//! Run: `cargo bench --bench parse`

use std::hint::black_box;

use apib_mock::blueprint;
use apib_mock::diag::SourceFile;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

// The binary's allocator, so the figures are the product's.
#[path = "../src/main/alloc.rs"]
mod alloc;
#[global_allocator]
static GLOBAL: alloc::Mimalloc = alloc::Mimalloc;

#[path = "support/generate.rs"]
mod generate;
use generate::{generated, generated_mson};

fn parse_benches(c: &mut Criterion) {
    let seed = include_str!("../specs/retailers.apib");
    let source = SourceFile::new("retailers.apib", seed.to_string());
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Bytes(seed.len() as u64));
    group.bench_function("seed", |b| {
        b.iter_with_large_drop(|| blueprint::parse(black_box(&source)))
    });
    for n in [500, 1000, 2000, 4000] {
        let text = generated(n);
        let source = SourceFile::new("generated.apib", text.clone());
        // Sanity: the generated document parses cleanly.
        let (bp, diags) = blueprint::parse(&source);
        assert!(diags.is_empty(), "{:?}", diags.first());
        assert_eq!(bp.transactions().len(), n * 2);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::new("actions", n), &source, |b, s| {
            b.iter_with_large_drop(|| blueprint::parse(black_box(s)))
        });
    }
    // MSON-heavy: 1,000 Data Structures, bodies and schemas generated.
    let text = generated_mson(1000);
    let source = SourceFile::new("mson.apib", text.clone());
    let (bp, diags) = blueprint::parse(&source);
    assert!(diags.is_empty(), "{:?}", diags.first());
    assert_eq!(bp.data_structures.len(), 1001);
    let generated_bodies = bp
        .transactions()
        .iter()
        .filter(|t| t.response.is_some_and(|r| r.message.body.is_some()))
        .count();
    assert_eq!(generated_bodies, 200);
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_with_input(
        BenchmarkId::new("mson_structures", 1000),
        &source,
        |b, s| b.iter_with_large_drop(|| blueprint::parse(black_box(s))),
    );
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = parse_benches
}
criterion_main!(benches);
