//! Planning a year for a large roster must stay far below the 10 ms budget.

use std::hint::black_box;

use clinic::rotation::synthetic::{ROTATION, synthetic_roster};
use clinic::rotation::{History, plan};
use criterion::{Criterion, criterion_group, criterion_main};
use jiff::civil::date;

fn a_year_for_200_people_in_20_teams_across_8_zones(criterion: &mut Criterion) {
    let roster = synthetic_roster(200, 20, 8);
    let history = History::default();
    criterion.bench_function("plan 52 weeks, 200 people, 20 teams, 8 zones", |bencher| {
        bencher.iter(|| {
            plan(
                black_box(&roster),
                ROTATION,
                &history,
                &[],
                date(2027, 1, 4),
                black_box(52),
            )
        })
    });
}

criterion_group!(benches, a_year_for_200_people_in_20_teams_across_8_zones);
criterion_main!(benches);
