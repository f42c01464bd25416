//! The indicators measurement (`--indicator-repeats N`): signed in as the programme
//! manager, one objective per computed measure on CRISOL for this year; then the
//! background preparation of every programme's figures (`Services::prepare_figures`,
//! as a server does at start and every hour), then the objectives sheet, the ESF+ table,
//! the dashboard and protocol compliance as a manager opens them first and then N
//! times, through the services (audited reads, as the pages call them), and last each
//! computed on demand (`fresh`: "compute now", or filters nobody prepared). The sheet,
//! the ESF table and the dashboard are kept (`service::cache`); compliance is computed
//! each time.

use itinera_clock::Stopwatch;
use itinera_domain::objectives::{Measure, ObjectiveInput};
use itinera_seed::demo;
use itinera_service::compliance::ComplianceParams;
use itinera_service::dashboard::DashboardParams;
use itinera_service::Services;

use crate::{summary, BenchError, Result};

pub(crate) struct Figures {
    /// The preparation of every programme's figures, ms.
    pub prepare_ms: f64,
    /// (name, first view ms, repeated views ms, computed on demand ms)
    pub pages: Vec<(&'static str, f64, Vec<f64>, f64)>,
}

pub(crate) async fn run(services: &Services, repeats: usize) -> Result<Figures> {
    let ctx = services.cli_ctx();
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
    // (On a database an earlier run left, `--reuse`, the objectives are there.)
    let existing: Vec<String> = {
        let mut tx = services.store.read().await?;
        let l = itinera_store::objectives::list(&mut tx, crisol.id, None, None).await?;
        tx.rollback().await?;
        l.into_iter().map(|o| o.code).collect()
    };
    for (n, m) in Measure::ALL
        .iter()
        .filter(|m| **m != Measure::Manual)
        .enumerate()
    {
        if existing.contains(&format!("B-{n}")) {
            continue;
        }
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
    let t = Stopwatch::start();
    services.prepare_figures().await?;
    let prepare_ms = t.elapsed().as_secs_f64() * 1000.0;
    let mut pages = Vec::new();
    for name in ["objectives_sheet", "esf_table", "dashboard", "compliance"] {
        let mut times = Vec::new();
        for i in 0..=repeats + 1 {
            // The first is the manager's first view (the prepared answer); the next ones
            // are views again (the kept answer), audited all the same; the last is
            // computed on demand.
            let fresh = i == repeats + 1;
            // Each view is a request of its own, at its own time.
            let ctx = services.cli_ctx();
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
        let on_demand = times.pop().unwrap_or(0.0);
        pages.push((name, first, times.into_iter().skip(1).collect(), on_demand));
    }
    Ok(Figures { prepare_ms, pages })
}

pub(crate) fn report(f: &Figures) {
    println!(
        "indicators: every programme's figures prepared in {:.1} s",
        f.prepare_ms / 1000.0
    );
    for (name, first, rest, on_demand) in &f.pages {
        let (p50, _, p99, n) = summary(rest.clone());
        println!("indicators {name}: first view {first:.0} ms, repeated p50 {p50:.0} ms, p99 {p99:.0} ms ({n} repeats); computed on demand {on_demand:.0} ms");
    }
}
