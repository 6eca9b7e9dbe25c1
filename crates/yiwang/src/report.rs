//! `yiwang report` — the weekly or monthly assessment report 考核周报/月报 as xlsx or CSV — and
//! `yiwang assessment recompute` — the assessment counters rebuilt from the whole audit trail.
//!
//! Both read the same store the server writes; the report is built by the same code as
//! `GET /api/assessment/report.xlsx` (`server::routes::assessment::build_report`).

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use server::clock::{Clock, SystemClock};
use server::routes::assessment::{
    ReportKind, build_report, parse_named_period, report_csv_bytes, report_xlsx_bytes,
};

use crate::DbArgs;
use crate::config::Config;

/// Weekly or monthly.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum KindArg {
    /// 周报: `--period YYYY-Www`.
    Weekly,
    /// 月报: `--period YYYY-MM`.
    Monthly,
}

/// The file format.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FormatArg {
    /// Excel workbook, one formatted sheet per table.
    Xlsx,
    /// CSV (UTF-8 with BOM), the tables one after another.
    Csv,
}

#[derive(Args)]
pub struct ReportArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Weekly or monthly.
    #[arg(long, value_enum, default_value = "weekly")]
    kind: KindArg,
    /// `YYYY-Www` (weekly) or `YYYY-MM` (monthly).
    #[arg(long)]
    period: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "xlsx")]
    format: FormatArg,
    /// Where to write the report.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Subcommand)]
pub enum AssessmentCommand {
    /// Rebuilds the assessment counters and case tracks from the whole audit trail (one
    /// transaction) and says how far the incrementally kept counters were off.
    Recompute {
        #[command(flatten)]
        db: DbArgs,
        /// Only compare; write nothing.
        #[arg(long)]
        check: bool,
    },
}

/// Runs `yiwang report`.
pub async fn run_report(cfg: &Config, args: ReportArgs) -> anyhow::Result<()> {
    let period = parse_named_period(&args.period).map_err(|e| anyhow::anyhow!("{e}"))?;
    let kind = match args.kind {
        KindArg::Weekly => ReportKind::Weekly,
        KindArg::Monthly => ReportKind::Monthly,
    };
    if args.period.contains("-W") != matches!(kind, ReportKind::Weekly) {
        bail!("a weekly report needs --period YYYY-Www, a monthly one YYYY-MM");
    }
    let store = crate::open_store(cfg, &args.db).await?;
    let today = SystemClock.now().to_shanghai().date();
    let data = build_report(&store, kind, period, today)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let bytes = match args.format {
        FormatArg::Xlsx => report_xlsx_bytes(&data)?,
        FormatArg::Csv => report_csv_bytes(&data)?,
    };
    std::fs::write(&args.out, &bytes).with_context(|| format!("writing {}", args.out.display()))?;
    println!(
        "{}: {} ({} bytes, {} tables)",
        data.title,
        args.out.display(),
        bytes.len(),
        data.tables().len()
    );
    store.close().await;
    Ok(())
}

/// Runs `yiwang assessment …`.
pub async fn run_assessment(cfg: &Config, cmd: AssessmentCommand) -> anyhow::Result<()> {
    match cmd {
        AssessmentCommand::Recompute { db, check } => {
            let store = crate::open_store(cfg, &db).await?;
            let rules = server::rules::RulesCache::new(store.clone());
            let calendar = rules.get(SystemClock.now()).await?.calendar.clone();
            let started = std::time::Instant::now();
            if check {
                let fresh = store.assessment_recompute(&calendar).await?;
                let stored = store.assessment_aggregates().await?;
                let same = fresh.buckets() == stored.buckets();
                println!(
                    "{} buckets recomputed in {:.1} s: {}",
                    fresh.bucket_count(),
                    started.elapsed().as_secs_f64(),
                    if same {
                        "the stored counters are exact"
                    } else {
                        "the stored counters differ (run without --check to rebuild)"
                    }
                );
                store.close().await;
                if !same {
                    bail!("assessment counters differ from the recomputation");
                }
            } else {
                let r = store
                    .rebuild_assessment(&calendar, SystemClock.now())
                    .await?;
                println!(
                    "rebuilt from {} events of {} cases: {} buckets, {} differed, {:.1} s",
                    r.events,
                    r.cases,
                    r.buckets,
                    r.differing_buckets,
                    started.elapsed().as_secs_f64()
                );
                store.close().await;
            }
            Ok(())
        }
    }
}
