//! The server's background work, started by `itinera serve`. The sweep runs once per
//! deployment: the server that holds the database lease `sweep` does it (the lease
//! lasts two sweeps and is renewed at each, so another server takes over when the
//! holder stops). Every ten minutes the
//! notices of what falls due (retention checks, follow-up contacts: `notify_due`) and,
//! once a day, the retention rules (`privacy::scheduled_retention`: the first server to
//! claim the day runs them, the others find the day taken), and
//! the e-mail outbox whenever a notice queued mail or half a minute passed
//! (`mail::Services::send_mail`). Both are safe to run in several servers of one
//! deployment at once: a notice is inserted once (unique keys), an e-mail is claimed
//! before it is sent.
//!
//! Apart from these, each server prepares its own kept answers (`cache`: every active
//! programme's objectives sheet, ESF table and dashboard for this year, so that a
//! manager's first view does not wait minutes at a national programme's size): at
//! start and every `Settings::aggregate_prepare`, in a task of its own, so that a long
//! preparation holds back neither the sweep nor the outbox.

use std::time::Duration;

use tokio::time::MissedTickBehavior;

use crate::Services;

/// How often the due notices are looked for.
pub const SWEEP_EVERY: Duration = Duration::from_secs(600);
/// How often the outbox is looked at without being woken (retries).
pub const MAIL_EVERY: Duration = Duration::from_secs(30);

/// How long the sweep's lease lasts (two sweeps).
const LEASE_SECS: i64 = 2 * SWEEP_EVERY.as_secs() as i64;

pub async fn run(services: Services, stop: impl std::future::Future<Output = ()>) {
    tokio::pin!(stop);
    // This process, as a lease holder.
    let holder = crate::clock::new_id(services.now()).to_string();
    let mut sweep = tokio::time::interval(SWEEP_EVERY);
    sweep.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut mail = tokio::time::interval(MAIL_EVERY);
    mail.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let preparer = tokio::spawn(prepare_figures(services.clone()));
    loop {
        tokio::select! {
            _ = &mut stop => break,
            _ = sweep.tick() => {
                match services.take_lease("sweep", &holder, LEASE_SECS).await {
                    Ok(true) => sweep_once(&services).await,
                    // Another server holds the lease: it sweeps.
                    Ok(false) => {}
                    Err(e) => tracing::warn!(error = %e, "background lease"),
                }
            }
            _ = services.mail_woken() => {}
            _ = mail.tick() => {}
        }
        if let Err(e) = services.send_mail().await {
            tracing::warn!(error = %e, "mail outbox");
        }
    }
    preparer.abort();
}

/// Prepares the programmes' figures at start and then every `aggregate_prepare` (never
/// two at once: a preparation longer than the interval skips the ticks it overran).
async fn prepare_figures(services: Services) {
    let Ok(every) = services.settings.aggregate_prepare.to_std() else {
        return;
    };
    if every.is_zero() {
        return;
    }
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        let started = crate::clock::Stopwatch::start();
        match services.prepare_figures().await {
            Ok(n) => tracing::info!(
                programmes = n,
                seconds = started.elapsed().as_secs_f64(),
                "programmes' figures prepared"
            ),
            Err(e) => tracing::warn!(error = %e, "preparing the programmes' figures"),
        }
    }
}

/// One sweep: forget expired keys and sign-in windows, tell what falls due, apply the
/// day's retention rules.
async fn sweep_once(services: &Services) {
    if let Err(e) = services.forget_expired_requests().await {
        tracing::warn!(error = %e, "expired idempotency keys and sign-in windows");
    }
    if let Err(e) = services.sweep_uploads().await {
        tracing::warn!(error = %e, "expired uploads and import jobs");
    }
    match services.notify_due(&services.cli_ctx()).await {
        Ok(n) if n > 0 => tracing::info!(told = n, "notices of what falls due"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "notices of what falls due"),
    }
    match services.scheduled_retention(&services.cli_ctx()).await {
        Ok(Some(run)) => tracing::info!(
            done = run.lines.iter().map(|l| l.done).sum::<u64>(),
            "retention rules applied"
        ),
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "retention rules"),
    }
}
