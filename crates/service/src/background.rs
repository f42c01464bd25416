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
