//! The generic reading per mail (issue 19 asks at most 2 ms): our positive mails through the whole
//! parse (templates tried first, then the generic reading), and every mail of our own through the
//! generic reading alone, negatives included (most of those stop at the gate).

use std::hint::black_box;
use std::path::Path;

use clinic::maintenance::{parse_notice, read_generic_only};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn mails(dir: &str) -> Vec<Vec<u8>> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/generic")
        .join(dir);
    let mut paths: Vec<_> = std::fs::read_dir(&folder)
        .expect("the mails of our own")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| std::fs::read(p).expect("readable"))
        .collect()
}

fn generic_reading_per_mail(criterion: &mut Criterion) {
    let positives = mails("positive");
    let all: Vec<Vec<u8>> = positives.iter().cloned().chain(mails("negative")).collect();
    let mut group = criterion.benchmark_group("generic reading");
    group.throughput(Throughput::Elements(positives.len() as u64));
    group.bench_function("positive mails, whole parse", |b| {
        b.iter(|| {
            for raw in &positives {
                let _ = black_box(parse_notice(black_box(raw)));
            }
        })
    });
    group.throughput(Throughput::Elements(all.len() as u64));
    group.bench_function("all own mails, generic reading alone", |b| {
        b.iter(|| {
            for raw in &all {
                black_box(read_generic_only(black_box(raw)));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, generic_reading_per_mail);
criterion_main!(benches);
