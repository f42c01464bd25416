//! The server's background work, started by `itinera serve`. The sweep runs once per
//! deployment: the server that holds the database lease `sweep` does it (the lease
//! lasts two sweeps and is renewed at each, so another server takes over when the
//! holder stops). Every ten minutes the persons of team memberships that a server
//! older than migration 45 wrote without one (`cases::fill_team_persons`), the
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
//! start, every `Settings::aggregate_prepare` and after midnight, in a task of its own, so that a long
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

/// Prepares the programmes' figures at start, then every `aggregate_prepare` and just
/// after the deployment's midnight (the sheet and the ESF table of a new day are new
/// answers); never two at once.
async fn prepare_figures(services: Services) {
    let Ok(every) = services.settings.aggregate_prepare.to_std() else {
        return;
    };
    if every.is_zero() {
        return;
    }
    loop {
        let started = crate::clock::Stopwatch::start();
        match services.prepare_figures().await {
            Ok(n) => tracing::info!(
                programmes = n,
                seconds = started.elapsed().as_secs_f64(),
                "programmes' figures prepared"
            ),
            Err(e) => tracing::warn!(error = %e, "preparing the programmes' figures"),
        }
        let wait = until_next_preparation(services.now(), services.settings.zone, every);
        tokio::time::sleep(wait).await;
    }
}

/// The interval, or less when the deployment's day ends sooner (a minute past its
/// midnight).
fn until_next_preparation(
    now: chrono::DateTime<chrono::Utc>,
    zone: itinera_domain::time::Zone,
    every: Duration,
) -> Duration {
    zone.local(now)
        .date()
        .succ_opt()
        .and_then(|d| d.and_hms_opt(0, 1, 0))
        .and_then(|t| (zone.utc_of(t) - now).to_std().ok())
        .map_or(every, |d| d.min(every))
}

/// One sweep: forget expired keys and sign-in windows, name the person on team
/// memberships an older server wrote, tell what falls due, apply the day's retention
/// rules.
async fn sweep_once(services: &Services) {
    if let Err(e) = services.forget_expired_requests().await {
        tracing::warn!(error = %e, "expired idempotency keys and sign-in windows");
    }
    if let Err(e) = services.sweep_uploads().await {
        tracing::warn!(error = %e, "expired uploads and import jobs");
    }
    if let Err(e) = services.fill_team_persons().await {
        tracing::warn!(error = %e, "persons of team memberships");
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

#[cfg(test)]
mod tests {
    use super::*;
    use itinera_domain::time::Zone;

    fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_next_preparation_is_within_the_interval_or_just_after_the_local_midnight() {
        let hour = Duration::from_secs(3600);
        let madrid = Zone::parse("Europe/Madrid").unwrap();
        // 22:30 UTC is 23:30 in Madrid in winter: its midnight is 31 minutes away.
        assert_eq!(
            until_next_preparation(at("2026-12-05T22:30:00Z"), madrid, hour),
            Duration::from_secs(31 * 60)
        );
        // In summer (UTC+2) 21:30 UTC is 23:30 too.
        assert_eq!(
            until_next_preparation(at("2026-07-05T21:30:00Z"), madrid, hour),
            Duration::from_secs(31 * 60)
        );
        // Midday: the interval.
        assert_eq!(
            until_next_preparation(at("2026-12-05T11:00:00Z"), madrid, hour),
            hour
        );
    }
}
