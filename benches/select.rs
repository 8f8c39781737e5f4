//! Request-path micro-benchmarks: reading a request and choosing its
//! transaction, without sockets. `cargo bench --bench select`

use std::hint::black_box;

use apib_mock::__private::Contract;
use apib_mock::__private::parse_bytes;
use apib_mock::__private::{RecordedRequest, RequestHeaders, select};
use criterion::{Criterion, criterion_group, criterion_main};
use hyper::Method;
use hyper::header::{HeaderMap, HeaderValue};

#[path = "../src/main/alloc.rs"]
mod alloc;
#[global_allocator]
static GLOBAL: alloc::Mimalloc = alloc::Mimalloc;

const POST_BODY: &str = r#"{"phone_number":"+593999999999","internal_id":"997dd550-c8d8-4bf7-ad98-a5ac4844a1ed","template_params":["test 1","test 2","test 3"]}"#;

fn headers(content_type: bool) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("slug", HeaderValue::from_static("test-connection"));
    h.insert(
        "api-key",
        HeaderValue::from_static("5cb99349568dfe207e796d7edcf0b11d"),
    );
    h.insert("accept", HeaderValue::from_static("application/json"));
    if content_type {
        h.insert("content-type", HeaderValue::from_static("application/json"));
    }
    h
}

fn select_benches(c: &mut Criterion) {
    let (doc, _) = parse_bytes("retailers.apib", include_bytes!("../specs/retailers.apib"));
    let (contract, _) = Contract::compile(&[doc]);
    let mut group = c.benchmark_group("request");
    let (get_headers, post_headers) = (headers(false), headers(true));
    group.bench_function("get_agents", |b| {
        b.iter(|| {
            let req = RecordedRequest::new(
                &Method::GET,
                "/retailers/api/v1/agents",
                None,
                RequestHeaders::new(&get_headers),
                &[],
            )
            .unwrap();
            black_box(select(&contract, &req));
        })
    });
    group.bench_function("post_notification", |b| {
        b.iter(|| {
            let req = RecordedRequest::new(
                &Method::POST,
                "/retailers/api/v1/whatsapp/send_notification_by_id",
                None,
                RequestHeaders::new(&post_headers),
                POST_BODY.as_bytes(),
            )
            .unwrap();
            black_box(select(&contract, &req));
        })
    });
    group.finish();
}

criterion_group!(benches, select_benches);
criterion_main!(benches);
