//! The indicators measurement (`--indicator-repeats N`): signed in as the programme
//! manager, one objective per computed measure on CRISOL for this year, then the
//! objectives sheet, the ESF+ table, the dashboard and protocol compliance, each once
//! cold and then N times, through the services (audited reads, as the pages call them).
//! The sheet, the ESF table and the dashboard are kept once computed (`service::cache`):
//! their repeated figures are those of the kept answer; compliance is computed each time.

use itinera_clock::Stopwatch;
use itinera_domain::objectives::{Measure, ObjectiveInput};
use itinera_seed::demo;
use itinera_service::compliance::ComplianceParams;
use itinera_service::dashboard::DashboardParams;
use itinera_service::{Ctx, Services};

use crate::{summary, BenchError, Result};

pub(crate) struct Figures {
    /// (name, first run ms, repeated runs ms)
    pub pages: Vec<(&'static str, f64, Vec<f64>)>,
}

pub(crate) async fn run(services: &Services, repeats: usize) -> Result<Figures> {
    let ctx = Ctx::cli(services.now());
    let session = services
        .login(&ctx, "programa.junta", demo::DEMO_PASSWORD)
        .await?;
    let actor = session.actor.clone();
    let crisol = services
        .programmes()
        .await?
        .into_iter()
        .find(|p| p.code == "CRISOL")
        .ok_or(BenchError::Failed("indicators: no CRISOL programme"))?;
    let year = {
        use chrono::Datelike;
        ctx.today().year()
    };
    for (n, m) in Measure::ALL
        .iter()
        .filter(|m| **m != Measure::Manual)
        .enumerate()
    {
        services
            .create_objective(
                &actor,
                &ctx,
                crisol.id,
                &ObjectiveInput {
                    code: format!("B-{n}"),
                    description: format!("Benchmark {}", m.code()),
                    indicator_type: "output".into(),
                    unit: "n".into(),
                    comparison: "at_least".into(),
                    target: "10".into(),
                    measure: m.code().into(),
                    baseline: if n == 0 { "previous_period" } else { "none" }.into(),
                    period_start: format!("{year}-01-01"),
                    period_end: format!("{year}-12-31"),
                    ..ObjectiveInput::default()
                },
            )
            .await?;
    }
    let mut pages = Vec::new();
    for name in ["objectives_sheet", "esf_table", "dashboard", "compliance"] {
        let mut times = Vec::new();
        for i in 0..=repeats {
            // The first computes; the others are what a manager reading it again gets
            // (the kept answer, `ITINERA_AGGREGATE_CACHE_SECONDS`), audited all the same.
            let fresh = i == 0;
            let t = Stopwatch::start();
            match name {
                "objectives_sheet" => {
                    services
                        .objectives_sheet(&actor, &ctx, crisol.id, "", "", fresh)
                        .await?;
                }
                "esf_table" => {
                    services
                        .esf_table(&actor, &ctx, crisol.id, None, None, "", "", fresh)
                        .await?;
                }
                "dashboard" => {
                    services
                        .dashboard(
                            &actor,
                            &ctx,
                            itinera_i18n::Lang::Es,
                            crisol.id,
                            &DashboardParams {
                                fresh,
                                ..DashboardParams::default()
                            },
                        )
                        .await?;
                }
                _ => {
                    services
                        .compliance(&actor, &ctx, crisol.id, &ComplianceParams::default())
                        .await?;
                }
            }
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        let first = times.first().copied().unwrap_or(0.0);
        pages.push((name, first, times.into_iter().skip(1).collect()));
    }
    Ok(Figures { pages })
}

pub(crate) fn report(f: &Figures) {
    for (name, first, rest) in &f.pages {
        let (p50, _, p99, n) = summary(rest.clone());
        println!("indicators {name}: first {first:.0} ms, repeated p50 {p50:.0} ms, p99 {p99:.0} ms ({n} repeats)");
    }
}
