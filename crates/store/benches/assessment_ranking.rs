//! City-wide assessment ranking over a month, from the counters kept on each transition
//! (SQLite), side by side with the same ranking as a plain `GROUP BY` over case rows
//! (PostgreSQL).
//!
//! Not criterion: the fill takes minutes, so this is a load-generator style bench with its own
//! timing (min / median / p95 of repeated queries). Run:
//!
//! ```text
//! cargo bench -p store --bench assessment_ranking            # SQLite counters
//! YIWANG_BENCH_PG_CASES=10000000 cargo bench -p store --bench assessment_ranking   # + PostgreSQL
//! ```
//!
//! **The synthetic history.** The counters table holds one row per (scope, day, counter) that
//! is not zero, so its size depends on how many scopes are busy each day, not on the number of
//! cases. 10,000,000 cases a year are ~27,400 a day; over a city of ~5,000 unit grids that is
//! ~5 reports per grid and day, so every scope has every common counter every day. The bench
//! therefore fills the table **densely** for a whole year (`YIWANG_BENCH_DAYS`, default 365):
//! every day × every scope × every counter of its family, which is what ≥ 10 M cases a year
//! leave (and an upper bound for fewer). Scopes: 3 districts, 39 streets, 390 communities,
//! 5,070 grids, 40 departments, 300 road chiefs, 1,000 inspectors, 40 operators, 12 shift
//! supervisors, 20 dispatchers.

use std::time::{Duration, Instant};

use assessment::scope::{Period, ScopeKind};
use assessment::scores::{ScoreConfig, rank_scopes};
use chrono::NaiveDate;
use domain::area::AreaLevel;
use domain::org::Role;
use store::{ConnectOptions, Store};

const CASE_COUNTERS: &[&str] = &[
    "reported",
    "public_reported",
    "valid_reports",
    "public_verified",
    "filed",
    "dispatches",
    "inaccurate_dispatches",
    "feedbacks",
    "handling_minutes",
    "handled",
    "handled_on_time",
    "closed",
    "closed_on_time",
    "closed_reworked",
    "handling_due",
    "handling_left_late",
];

fn person_counters(role: &str) -> &'static [&'static str] {
    match role {
        "inspector" => &[
            "reported",
            "valid_reports",
            "missed",
            "filed",
            "verify_tasks",
            "verified",
            "verified_on_time",
            "check_tasks",
            "checked",
            "checked_on_time",
        ],
        "operator" => &[
            "intake",
            "verify_sent",
            "verify_sent_on_time",
            "check_sent",
            "check_sent_on_time",
        ],
        "shift_supervisor" => &[
            "filed",
            "filed_on_time",
            "filed_then_voided",
            "closes",
            "closes_on_time",
        ],
        _ => &["dispatches", "dispatches_on_time", "inaccurate_dispatches"],
    }
}

fn stats(mut t: Vec<Duration>) -> String {
    t.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let p = |q: f64| t[((t.len() as f64 - 1.0) * q).round() as usize];
    format!(
        "min {:7.2} ms  median {:7.2} ms  p95 {:7.2} ms",
        ms(t[0]),
        ms(p(0.5)),
        ms(p(0.95))
    )
}

fn fill_sqlite(path: &str, first: i64, days: i64) -> rusqlite::Result<u64> {
    let conn = rusqlite::Connection::open(path)?;
    conn.execute_batch(
        "PRAGMA synchronous = OFF; PRAGMA journal_mode = WAL; PRAGMA cache_size = -262144;
         CREATE TEMP TABLE bench_scopes (kind TEXT, id TEXT);
         CREATE TEMP TABLE bench_counters (kind TEXT, counter TEXT);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 13),
           d AS (SELECT '4101' || printf('%02d', i) AS c FROM n WHERE i <= 3),
           s AS (SELECT d.c || printf('%03d', i) AS c FROM d, n),
           m AS (SELECT s.c || printf('%03d', i) AS c FROM s, n WHERE i <= 10),
           g AS (SELECT m.c || printf('%03d', i) AS c FROM m, n)
         INSERT INTO bench_scopes
           SELECT 'city', '' UNION ALL SELECT 'district', c FROM d UNION ALL
           SELECT 'street', c FROM s UNION ALL SELECT 'community', c FROM m UNION ALL
           SELECT 'grid', c FROM g;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
         INSERT INTO bench_scopes
           SELECT 'department', CAST(i AS TEXT) FROM n WHERE i <= 40 UNION ALL
           SELECT 'road_chief', CAST(1000 + i AS TEXT) FROM n WHERE i <= 300 UNION ALL
           SELECT 'inspector', CAST(2000 + i AS TEXT) FROM n UNION ALL
           SELECT 'operator', CAST(4000 + i AS TEXT) FROM n WHERE i <= 40 UNION ALL
           SELECT 'shift_supervisor', CAST(5000 + i AS TEXT) FROM n WHERE i <= 12 UNION ALL
           SELECT 'dispatcher', CAST(6000 + i AS TEXT) FROM n WHERE i <= 20;",
    )?;
    {
        let mut ins = conn.prepare("INSERT INTO bench_counters VALUES (?1, ?2)")?;
        for kind in [
            "city",
            "district",
            "street",
            "community",
            "grid",
            "department",
            "road_chief",
        ] {
            for c in CASE_COUNTERS {
                ins.execute([kind, c])?;
            }
        }
        for role in ["inspector", "operator", "shift_supervisor", "dispatcher"] {
            for c in person_counters(role) {
                ins.execute([role, c])?;
            }
        }
    }
    let n = conn.execute(
        "WITH RECURSIVE d(day) AS (SELECT ?1 UNION ALL SELECT day + 1 FROM d WHERE day < ?1 + ?2 - 1)
         INSERT INTO assessment_counters (scope_kind, day, scope_id, counter, value)
         SELECT s.kind, d.day, s.id, c.counter,
                CASE c.counter WHEN 'handling_minutes' THEN 200 + abs(random() % 2000)
                               WHEN 'handling_left_late' THEN abs(random() % 3)
                               ELSE 1 + abs(random() % 40) END
           FROM bench_scopes s JOIN bench_counters c ON c.kind = s.kind, d
          ORDER BY s.kind, d.day, s.id, c.counter",
        rusqlite::params![first, days],
    )?;
    // The monthly table, as the transitions would have kept it.
    conn.execute_batch(
        "INSERT INTO assessment_counters_monthly (scope_kind, month, scope_id, counter, value)
         SELECT scope_kind,
                CAST(strftime('%Y', day * 86400, 'unixepoch') AS INTEGER) * 12
                  + CAST(strftime('%m', day * 86400, 'unixepoch') AS INTEGER) - 1,
                scope_id, counter, SUM(value)
           FROM assessment_counters GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4;
         ANALYZE; PRAGMA wal_checkpoint(TRUNCATE);",
    )?;
    Ok(n as u64)
}

async fn bench_sqlite(rt_days: i64) {
    let dir = tempfile::tempdir().expect("tempdir");
    // YIWANG_BENCH_DB keeps the filled file (and reuses it when it exists): the fill takes
    // minutes, the queries seconds.
    let kept = std::env::var("YIWANG_BENCH_DB").ok();
    let path = kept
        .clone()
        .unwrap_or_else(|| dir.path().join("bench.db").display().to_string());
    let reuse = kept.is_some() && std::path::Path::new(&path).exists();
    Store::open(&ConnectOptions::new(path.clone()))
        .await
        .expect("open")
        .close()
        .await;
    let month = Period::new(
        NaiveDate::from_ymd_opt(2026, 11, 1).expect("date"),
        NaiveDate::from_ymd_opt(2026, 11, 30).expect("date"),
    );
    // The year ending with the benchmarked month.
    let first = i64::from(month.last.0) - rt_days + 1;
    if reuse {
        println!("SQLite: reusing {path}");
    } else {
        let started = Instant::now();
        let rows = tokio::task::spawn_blocking({
            let path = path.clone();
            move || fill_sqlite(&path, first, rt_days)
        })
        .await
        .expect("join")
        .expect("fill");
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        println!(
            "SQLite: {rows} counter rows over {rt_days} days filled in {:.1} s, file {:.0} MiB",
            started.elapsed().as_secs_f64(),
            size as f64 / 1048576.0
        );
    }
    // YIWANG_BENCH_ONLY=grid (a family name) runs only that family's month ranking.
    let only = std::env::var("YIWANG_BENCH_ONLY").ok();
    let store = Store::open(&ConnectOptions::new(path.clone()))
        .await
        .expect("open");
    let config = ScoreConfig::default();
    let grids = std::collections::HashMap::new();
    for (name, kind, reps) in [
        ("district", ScopeKind::Area(AreaLevel::District), 30),
        ("street", ScopeKind::Area(AreaLevel::Street), 30),
        ("department", ScopeKind::Department, 30),
        ("road_chief", ScopeKind::RoadChief, 30),
        ("inspector", ScopeKind::Person(Role::Inspector), 30),
        ("dispatcher", ScopeKind::Person(Role::Dispatcher), 30),
        ("community", ScopeKind::Area(AreaLevel::Community), 10),
        ("grid", ScopeKind::Area(AreaLevel::Grid), 20),
    ] {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let mut times = Vec::new();
        let mut n = 0;
        for _ in 0..reps {
            let t = Instant::now();
            let agg = store.assessment_period(kind, month).await.expect("period");
            let ranked = rank_scopes(&agg, kind, month, &config, &grids);
            times.push(t.elapsed());
            n = ranked.len();
        }
        println!(
            "SQLite month ranking {name:>11} ({n:>5} scopes): {}",
            stats(times)
        );
    }
    if only.is_some() {
        store.close().await;
        return;
    }
    for (name, kind) in [
        ("street", ScopeKind::Area(AreaLevel::Street)),
        ("road_chief", ScopeKind::RoadChief),
    ] {
        // 30 days not aligned to a month: read from the daily rows.
        let span = Period {
            first: month.first.plus(-10),
            last: month.last.plus(-10),
        };
        let mut times = Vec::new();
        for _ in 0..10 {
            let t = Instant::now();
            let agg = store.assessment_period(kind, span).await.expect("span");
            let _ = rank_scopes(&agg, kind, span, &config, &grids);
            times.push(t.elapsed());
        }
        println!(
            "SQLite 30-day (daily rows) ranking {name:>11}: {}",
            stats(times)
        );
    }
    let week = Period::week_of(NaiveDate::from_ymd_opt(2026, 11, 23).expect("date"));
    let mut times = Vec::new();
    for _ in 0..30 {
        let t = Instant::now();
        let agg = store
            .assessment_period(ScopeKind::RoadChief, week)
            .await
            .expect("week");
        let _ = assessment::flags::weekly_review(
            &agg,
            ScopeKind::RoadChief,
            week,
            &config,
            &grids,
            3,
            3,
        );
        times.push(t.elapsed());
    }
    println!("SQLite weekly road-chief flags          : {}", stats(times));
    store.close().await;
}

/// PostgreSQL: `cases` rows (one per case, created evenly over 2026) and the street ranking's
/// counts as one `GROUP BY` over them. The throw-away schema keeps only the primary key and
/// `cases_created` (the other indexes would only slow the load; the query does not use them).
async fn bench_postgres(cases: i64) {
    use sqlx::postgres::PgPoolOptions;
    let url = std::env::var("YIWANG_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://root@127.0.0.1:5432/test".to_owned());
    let schema = format!("bench_assess_{}", std::process::id());
    let mut opts = ConnectOptions::new(url.clone());
    opts.pg_schema = Some(schema.clone());
    let store = match Store::open(&opts).await {
        Ok(s) => s,
        Err(e) => {
            println!("PostgreSQL: skipped ({e})");
            return;
        }
    };
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .after_connect({
            let schema = schema.clone();
            move |c, _| {
                let schema = schema.clone();
                Box::pin(async move {
                    sqlx::query(sqlx::AssertSqlSafe(format!("SET search_path = {schema}")))
                        .execute(c)
                        .await?;
                    Ok(())
                })
            }
        })
        .connect(&url)
        .await
        .expect("pg pool");
    let started = Instant::now();
    for stmt in [
        "ALTER TABLE cases DROP CONSTRAINT IF EXISTS cases_case_no_key",
        "DROP INDEX IF EXISTS cases_state, cases_district, cases_street, cases_community, cases_grid, cases_department, cases_class, cases_source, cases_deadline, cases_reporter, cases_assignee, cases_master, cases_created",
    ] {
        sqlx::query(stmt)
            .execute(&pool)
            .await
            .expect("drop indexes");
    }
    // 39 streets; created evenly over the year; 80 % closed 0–10 days later, half of those
    // within the deadline; the rest in handling with a deadline 2 days after creation.
    let year_start: i64 = 1_767_196_800_000; // 2026-01-01 00:00 +08:00
    let year_ms: i64 = 365 * 86_400_000;
    sqlx::query(
        "INSERT INTO cases (case_no, version, state, source, description, district_code, street_code,
                            urgency, supervision_level, rework_count, dispatch_count, self_handled,
                            node_deadline_at, created_at, updated_at, closed_at)
         SELECT i::text, 1, CASE WHEN i % 5 = 0 THEN 'handling' ELSE 'closed' END, 'inspector', '',
                '4101' || lpad((1 + i % 3)::text, 2, '0'),
                '4101' || lpad((1 + i % 3)::text, 2, '0') || lpad((1 + (i / 3) % 13)::text, 3, '0'),
                'normal', 0, 0, 1, 0,
                $1 + (i * ($2 / $3)) + 2 * 86400000,
                $1 + (i * ($2 / $3)), $1 + (i * ($2 / $3)),
                CASE WHEN i % 5 = 0 THEN NULL ELSE $1 + (i * ($2 / $3)) + (i % 11) * 86400000 / 2 END
           FROM generate_series(1, $3) AS g(i)",
    )
    .bind(year_start)
    .bind(year_ms)
    .bind(cases)
    .execute(&pool)
    .await
    .expect("fill cases");
    sqlx::query("CREATE INDEX cases_created ON cases(created_at DESC, id DESC)")
        .execute(&pool)
        .await
        .expect("index");
    sqlx::query("ANALYZE cases")
        .execute(&pool)
        .await
        .expect("analyze");
    println!(
        "PostgreSQL: {cases} case rows filled in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // November 2026 in Asia/Shanghai.
    let from: i64 = 1_793_462_400_000;
    let to: i64 = 1_796_054_400_000;
    let mut times = Vec::new();
    let mut n = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let rows: Vec<(Option<String>, i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT street_code,
                    count(*) FILTER (WHERE created_at >= $1 AND created_at < $2) AS reported,
                    count(*) FILTER (WHERE closed_at >= $1 AND closed_at < $2) AS closed,
                    count(*) FILTER (WHERE closed_at >= $1 AND closed_at < $2 AND closed_at <= node_deadline_at) AS closed_on_time,
                    count(*) FILTER (WHERE state = 'handling' AND node_deadline_at < $2) AS overdue_open
               FROM cases
              WHERE (created_at >= $1 AND created_at < $2) OR (closed_at >= $1 AND closed_at < $2) OR state = 'handling'
              GROUP BY street_code
              ORDER BY count(*) FILTER (WHERE closed_at >= $1 AND closed_at < $2)::float8
                       / greatest(1, count(*) FILTER (WHERE closed_at >= $1 AND closed_at < $2)
                                     + count(*) FILTER (WHERE state = 'handling' AND node_deadline_at < $2)) DESC",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&pool)
        .await
        .expect("group by");
        times.push(t.elapsed());
        n = rows.len();
    }
    println!(
        "PostgreSQL GROUP BY street month ranking ({n} streets over {cases} cases): {}",
        stats(times)
    );
    pool.close().await;
    store.drop_schema(&schema).await.expect("drop");
    store.close().await;
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let days: i64 = std::env::var("YIWANG_BENCH_DAYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(365);
    rt.block_on(bench_sqlite(days));
    if let Some(cases) = std::env::var("YIWANG_BENCH_PG_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        rt.block_on(bench_postgres(cases));
    }
}
