//! E-mail of notices — optional, off by default (`itinera serve --smtp-url …`). When it
//! is on, a notice that needs someone at once (a new incident) also queues an e-mail in
//! the notice's own transaction (`itinera_store::mail`, the outbox); the sender
//! (`run`, started by `serve`) delivers it after commit over SMTP, retrying with a
//! growing wait. The message **names no person**: the kind of notice and a link to
//! Itinera, where the reader signs in and the access rule applies as always. A failing
//! mail server never blocks or undoes the notice: the work list and the notification
//! centre have it already.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::Duration;
use itinera_domain::Error;
use itinera_i18n::{has, t, tf, Lang};
use itinera_store::mail as store;
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use uuid::Uuid;

use crate::{Ctx, Services};

/// After this many failed attempts an e-mail is given up (kept, with its last error).
pub const MAX_ATTEMPTS: i32 = 8;

/// The e-mails claimed at a time (see `send_mail`).
const BATCH: i64 = 10;

/// How a deployment sends e-mail.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// `smtp://host:25` (plain, for a relay on the machine or its network),
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS), `smtps://…:465` (TLS).
    pub smtp_url: String,
    /// The sender, e.g. `Itinera <no-reply@example.org>`.
    pub from: String,
    /// The address people reach Itinera at, for the links (e.g. `https://itinera.example.org`).
    pub public_url: String,
}

/// The SMTP sender of a deployment.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    public_url: String,
    wake: tokio::sync::Notify,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

impl Mailer {
    pub fn new(s: &MailSettings) -> Result<Mailer, Error> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&s.smtp_url)
            .map_err(|e| {
                tracing::warn!(error = %e, "SMTP address");
                Error::field("smtp_url", "validation.mail.smtp_url")
            })?
            .timeout(Some(StdDuration::from_secs(20)))
            .build();
        let from = s
            .from
            .parse::<Mailbox>()
            .map_err(|_| Error::field("mail_from", "validation.mail.from"))?;
        Ok(Mailer {
            transport,
            from,
            public_url: s.public_url.trim_end_matches('/').to_string(),
            wake: tokio::sync::Notify::new(),
        })
    }

    async fn send(&self, m: &store::Outgoing) -> Result<(), String> {
        let (subject, body) = compose(
            &m.kind,
            &m.locale,
            &format!("{}{}", self.public_url, m.link),
        );
        let to = m.address.parse::<Mailbox>().map_err(|e| e.to_string())?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| e.to_string())?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// The subject and body of a notice's e-mail in the recipient's language: what kind of
/// notice and the link — never who it is about.
pub fn compose(kind: &str, locale: &str, link: &str) -> (String, String) {
    let lang = Lang::parse(locale).unwrap_or(Lang::Es);
    let key = |part: &str| {
        let k = format!("mail.{kind}.{part}");
        if has(&k) {
            k
        } else {
            format!("mail.notice.{part}")
        }
    };
    let subject = t(lang, &key("subject")).to_string();
    let body = format!(
        "{}\n\n{}\n\n{}\n",
        t(lang, &key("body")),
        tf(lang, "mail.open", &[("link", link)]),
        t(lang, "mail.no_person")
    );
    (subject, body)
}

/// Queues the e-mail of a notice to `user`, inside the notice's transaction, when the
/// deployment sends e-mail and the user has an address.
pub(crate) async fn enqueue(
    tx: &mut itinera_store::Tx,
    on: bool,
    user: Uuid,
    kind: &str,
    link: &str,
    ctx: &Ctx,
) -> Result<bool, Error> {
    if !on {
        return Ok(false);
    }
    store::enqueue(tx, ctx.new_id(), user, kind, link, ctx.now).await
}

impl Services {
    /// Sends e-mail through `settings` from now on (see `run`).
    pub fn with_mail(mut self, settings: &MailSettings) -> Result<Self, Error> {
        self.mail = Some(Arc::new(Mailer::new(settings)?));
        Ok(self)
    }

    /// Whether this deployment sends e-mail.
    pub fn mail_on(&self) -> bool {
        self.mail.is_some()
    }

    /// Tells the sender there is mail to send (after a commit that queued some).
    pub(crate) fn wake_mail(&self) {
        if let Some(m) = &self.mail {
            m.wake.notify_one();
        }
    }

    /// Resolves when a notice queued mail (never, without mail).
    pub async fn mail_woken(&self) {
        match &self.mail {
            Some(m) => m.wake.notified().await,
            None => std::future::pending().await,
        }
    }

    /// Sends the e-mails due; returns how many left. Each is claimed first (its next
    /// attempt moved forward), so that two servers never send the same one.
    pub async fn send_mail(&self) -> Result<usize, Error> {
        let Some(m) = self.mail.clone() else {
            return Ok(0);
        };
        let mut sent = 0;
        loop {
            let now = self.now();
            let mut tx = self.store.write().await?;
            // As many as can be tried, each within its 20-second timeout, well inside
            // the claim's ten minutes: no claim runs out while its e-mail is still being
            // sent (another server would send it again). Then the next ones.
            let due = store::due(&mut tx, now, MAX_ATTEMPTS, BATCH).await?;
            let full = due.len() as i64 == BATCH;
            let mut mine = Vec::with_capacity(due.len());
            for d in due {
                if store::claim(
                    &mut tx,
                    d.id,
                    d.next_attempt_at,
                    now + Duration::minutes(10),
                )
                .await?
                {
                    mine.push(d);
                }
            }
            tx.commit().await?;
            if mine.is_empty() {
                break;
            }
            for d in mine {
                let result = m.send(&d).await;
                let mut tx = self.store.write().await?;
                match result {
                    Ok(()) => {
                        store::sent(&mut tx, d.id, self.now()).await?;
                        sent += 1;
                    }
                    Err(e) => {
                        let wait = Duration::minutes(1i64 << d.attempts.clamp(0, 9));
                        tracing::warn!(mail = %d.id, attempt = d.attempts + 1, error = %e, "e-mail not sent");
                        store::failed(&mut tx, d.id, self.now() + wait, &e).await?;
                    }
                }
                tx.commit().await?;
            }
            if !full {
                break;
            }
        }
        Ok(sent)
    }
}

/// The sender: sends what is due, then waits to be woken (a notice queued mail) or for
/// half a minute (retries), until `stop`.
pub async fn run(services: Services, stop: impl std::future::Future<Output = ()>) {
    let Some(m) = services.mail.clone() else {
        return;
    };
    tokio::pin!(stop);
    loop {
        if let Err(e) = services.send_mail().await {
            tracing::warn!(error = %e, "mail outbox");
        }
        tokio::select! {
            _ = &mut stop => break,
            _ = m.wake.notified() => {}
            _ = tokio::time::sleep(StdDuration::from_secs(30)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_e_mail_says_what_and_where_in_the_readers_language() {
        let (s, b) = compose(
            "incident_new",
            "it",
            "https://itinera.example/cases/1/incidents",
        );
        assert_eq!(s, t(Lang::It, "mail.incident_new.subject"));
        assert!(
            b.contains("https://itinera.example/cases/1/incidents"),
            "{b}"
        );
        assert!(b.contains(t(Lang::It, "mail.incident_new.body")), "{b}");
        // An unknown kind still says "a notice", in Spanish when the locale is unknown.
        let (s, _) = compose("something_else", "xx", "/");
        assert_eq!(s, t(Lang::Es, "mail.notice.subject"));
    }
}
