//! The server's background work, started by `itinera serve`: every ten minutes the
//! notices of what falls due (retention checks, follow-up contacts: `notify_due`), and
//! the e-mail outbox whenever a notice queued mail or half a minute passed
//! (`mail::Services::send_mail`). Both are safe to run in several servers of one
//! deployment at once: a notice is inserted once (unique keys), an e-mail is claimed
//! before it is sent.

use std::time::{Duration, Instant};

use crate::{Ctx, Services};

/// How often the due notices are looked for.
pub const SWEEP_EVERY: Duration = Duration::from_secs(600);

pub async fn run(services: Services, stop: impl std::future::Future<Output = ()>) {
    tokio::pin!(stop);
    let mut last_sweep: Option<Instant> = None;
    loop {
        if last_sweep.is_none_or(|t| t.elapsed() >= SWEEP_EVERY) {
            last_sweep = Some(Instant::now());
            match services.notify_due(&Ctx::cli(services.now())).await {
                Ok(n) if n > 0 => tracing::info!(told = n, "notices of what falls due"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "notices of what falls due"),
            }
        }
        if let Err(e) = services.send_mail().await {
            tracing::warn!(error = %e, "mail outbox");
        }
        tokio::select! {
            _ = &mut stop => break,
            _ = services.mail_woken() => {}
            _ = tokio::time::sleep(Duration::from_secs(30)) => {}
        }
    }
}
