//! E-mail of notices against a real SMTP conversation: a small sink that speaks SMTP on
//! loopback (greeting, EHLO, MAIL, RCPT, DATA, QUIT) and keeps what it receives. A new
//! incident e-mails the case manager — in their language, with a link, naming no
//! person — after the incident is committed; a mail server that is down loses nothing
//! and blocks nothing; two servers sending at once send each e-mail once.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::casework::shared_case;
use crate::helpers::*;

#[derive(Debug, Clone, Default)]
struct Received {
    from: String,
    to: Vec<String>,
    data: String,
}

type Inbox = Arc<Mutex<Vec<Received>>>;

/// An SMTP sink on loopback; returns its address and what it received.
async fn smtp_sink() -> (String, Inbox) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let inbox: Inbox = Arc::default();
    let kept = inbox.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let kept = kept.clone();
            tokio::spawn(async move {
                let _ = converse(stream, kept).await;
            });
        }
    });
    (format!("smtp://{addr}"), inbox)
}

async fn converse(stream: tokio::net::TcpStream, inbox: Inbox) -> std::io::Result<()> {
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    w.write_all(b"220 sink.test ESMTP\r\n").await?;
    let mut cur = Received::default();
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let up = line.to_ascii_uppercase();
        let reply: &[u8] = if up.starts_with("EHLO") {
            b"250-sink.test\r\n250-8BITMIME\r\n250 SIZE 1000000\r\n"
        } else if up.starts_with("HELO") || up.starts_with("RSET") || up.starts_with("NOOP") {
            b"250 OK\r\n"
        } else if up.starts_with("MAIL FROM:") {
            cur = Received {
                from: line[10..].trim().to_string(),
                ..Default::default()
            };
            b"250 OK\r\n"
        } else if up.starts_with("RCPT TO:") {
            cur.to.push(line[8..].trim().to_string());
            b"250 OK\r\n"
        } else if up.starts_with("DATA") {
            w.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await?;
            let mut data = String::new();
            loop {
                line.clear();
                if r.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" {
                    break;
                }
                data.push_str(&line);
            }
            cur.data = data;
            inbox.lock().expect("inbox").push(cur.clone());
            b"250 OK queued\r\n"
        } else if up.starts_with("QUIT") {
            w.write_all(b"221 Bye\r\n").await?;
            return Ok(());
        } else {
            b"502 Command not implemented\r\n"
        };
        w.write_all(reply).await?;
    }
}

/// The message's text: headers as sent, the body decoded (quoted-printable or base64).
fn text_of(data: &str) -> (String, String) {
    let (head, body) = data.split_once("\r\n\r\n").unwrap_or((data, ""));
    let lower = head.to_ascii_lowercase();
    let body = if lower.contains("content-transfer-encoding: base64") {
        let raw: String = body.split_whitespace().collect();
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(raw)
                .expect("base64"),
        )
        .expect("utf-8")
    } else if lower.contains("content-transfer-encoding: quoted-printable") {
        let joined = body.replace("=\r\n", "");
        let mut out = Vec::new();
        let b = joined.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'=' && i + 2 < b.len() {
                if let Ok(v) = u8::from_str_radix(&joined[i + 1..i + 3], 16) {
                    out.push(v);
                    i += 3;
                    continue;
                }
            }
            out.push(b[i]);
            i += 1;
        }
        String::from_utf8(out).expect("utf-8")
    } else {
        body.to_string()
    };
    (head.to_string(), body)
}

/// The Subject header, RFC 2047 encoded words (base64 or Q) decoded.
fn subject_of(head: &str) -> String {
    let mut raw = String::new();
    let mut on = false;
    for line in head.split("\r\n") {
        if let Some(v) = line.strip_prefix("Subject:") {
            raw.push_str(v.trim());
            on = true;
        } else if on && line.starts_with([' ', '\t']) {
            raw.push(' ');
            raw.push_str(line.trim());
        } else {
            on = false;
        }
    }
    let mut out = String::new();
    let mut last_encoded = false;
    for word in raw.split_whitespace() {
        let lower = word.to_ascii_lowercase();
        let decoded = if lower.starts_with("=?utf-8?b?") && word.ends_with("?=") {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(&word[10..word.len() - 2])
                .expect("base64 word");
            Some(String::from_utf8(bytes).expect("utf-8"))
        } else if lower.starts_with("=?utf-8?q?") && word.ends_with("?=") {
            let (_, text) = text_of(&format!(
                "Content-Transfer-Encoding: quoted-printable\r\n\r\n{}",
                word[10..word.len() - 2].replace('_', " ")
            ));
            Some(text)
        } else {
            None
        };
        match decoded {
            // Adjacent encoded words join without the space between them.
            Some(t) => {
                if !last_encoded && !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(&t);
                last_encoded = true;
            }
            None => {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(word);
                last_encoded = false;
            }
        }
    }
    out
}

async fn set_email(app: &TestApp, username: &str, email: &str, locale: &str) {
    let mut tx = app.store.write().await.expect("tx");
    itinera_store::on_tx!(&mut tx, c => sqlx::query("UPDATE users SET email = $1, locale = $2 WHERE username = $3")
        .bind(email).bind(locale).bind(username).execute(c).await.map(|_| ()).map_err(itinera_store::db_err))
        .expect("update");
    tx.commit().await.expect("commit");
}

async fn wait_for(inbox: &Inbox, n: usize) -> Vec<Received> {
    for _ in 0..200 {
        {
            let got = inbox.lock().expect("inbox");
            if got.len() >= n {
                return got.clone();
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no e-mail within 10 s: {:?}", inbox.lock().expect("inbox"));
}

#[tokio::test]
async fn a_new_incident_e_mails_the_case_manager_with_a_link_and_no_person() {
    let (url, inbox) = smtp_sink().await;
    let app = spawn_app_with_mail(&url).await;
    set_email(&app, SOCIAL_BADAJOZ, "ts.badajoz@itinera.test", "ca").await;
    let (_, case) = shared_case(&app, 45_000_001).await;
    let r = app
        .post(
            SEXPE_BADAJOZ,
            &format!("/cases/{case}/incidents"),
            &json!({
            "kind": "disciplinary", "severity": "high", "reporter": "counsellor",
            "description": "Discusión grave con el encargado de Rocío en el almacén."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let incident = r.body["id"].as_str().unwrap().to_string();
    let got = wait_for(&inbox, 1).await;
    assert_eq!(got.len(), 1, "one e-mail, to the case manager: {got:?}");
    let m = &got[0];
    assert_eq!(m.to, ["<ts.badajoz@itinera.test>"]);
    assert!(m.from.contains("no-reply@itinera.test"), "{}", m.from);
    let (head, body) = text_of(&m.data);
    // In the reader's language (Catalan here), with the link to the case's incidents…
    let subject = itinera_i18n::t(itinera_i18n::Lang::Ca, "mail.incident_new.subject");
    assert_eq!(subject_of(&head), subject, "{head}");
    assert!(
        body.contains(&format!(
            "https://itinera.test/cases/{case}/incidents#incident-{incident}"
        )),
        "{body}"
    );
    assert!(body.contains(itinera_i18n::t(itinera_i18n::Lang::Ca, "mail.no_person")));
    // …and nothing of the person or of what happened.
    for secret in [
        "Rocío",
        "Roc",
        "Campos",
        "Durán",
        "Discusión",
        "almacén",
        "disciplinary",
    ] {
        assert!(
            !m.data.contains(secret) && !body.contains(secret),
            "{secret} in {body}"
        );
    }
    // Sent once: the outbox row is marked, and the sender does not send it again.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.services.send_mail().await.expect("send"), 0);
    assert_eq!(inbox.lock().expect("inbox").len(), 1);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NOT NULL"
        )
        .await,
        1
    );
    // Someone without an address gets the notice in Itinera only.
    assert_eq!(count(&app, "SELECT COUNT(*) FROM mail_outbox").await, 1);
}

#[tokio::test]
async fn a_mail_server_that_is_down_loses_nothing_and_blocks_nothing() {
    // A port with nobody listening.
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        l.local_addr().expect("addr")
    };
    let app = spawn_app_with_mail(&format!("smtp://{closed}")).await;
    set_email(&app, SOCIAL_BADAJOZ, "ts.badajoz@itinera.test", "es").await;
    let (_, case) = shared_case(&app, 45_000_002).await;
    let r = app
        .post(SEXPE_BADAJOZ, &format!("/cases/{case}/incidents"), &json!({
            "kind": "conciliation", "severity": "low", "reporter": "counsellor", "description": "x"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    // The notice is there at once, whatever the mail server does.
    let notices = app
        .get(SOCIAL_BADAJOZ, "/notifications")
        .await
        .body
        .to_string();
    assert!(notices.contains(r.body["id"].as_str().unwrap()));
    let mut failed = 0;
    for _ in 0..200 {
        failed = count(
            &app,
            "SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NULL AND attempts >= 1 AND last_error IS NOT NULL",
        )
        .await;
        if failed == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(failed, 1, "kept for a later attempt, with its error");
    // Not due again before its wait: nothing is sent twice in a row.
    assert_eq!(app.services.send_mail().await.expect("send"), 0);
}

#[tokio::test]
async fn two_servers_sending_mail_send_each_e_mail_once() {
    let (url, inbox) = smtp_sink().await;
    // The first server's sender runs in the background; a second server over the same
    // database sends too, as fast as it can, while the incidents come in.
    let app = spawn_app_with_mail(&url).await;
    set_email(&app, SOCIAL_BADAJOZ, "ts.badajoz@itinera.test", "es").await;
    let (_, case) = shared_case(&app, 45_000_003).await;
    let store = itinera_store::Store::connect(&app.db_url)
        .await
        .expect("connect");
    let settings = itinera_service::Settings::of_deployment(&store, start_time())
        .await
        .expect("settings");
    let other = itinera_service::Services::new(store, app.clock.clone(), settings)
        .with_mail(&itinera_service::mail::MailSettings {
            smtp_url: url.clone(),
            from: "Itinera <no-reply@itinera.test>".into(),
            public_url: "https://itinera.test".into(),
        })
        .expect("mail settings");
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let racing = {
        let (other, done) = (other.clone(), done.clone());
        tokio::spawn(async move {
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                other.send_mail().await.expect("second server sends");
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        })
    };
    const INCIDENTS: usize = 12;
    let mut ids = Vec::new();
    for i in 0..INCIDENTS {
        let r = app
            .post(
                SEXPE_BADAJOZ,
                &format!("/cases/{case}/incidents"),
                &json!({"kind": "absenteeism", "severity": "low", "reporter": "counsellor",
                        "description": format!("Ausencia número {i}")}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        ids.push(r.body["id"].as_str().unwrap().to_string());
    }
    let got = wait_for(&inbox, INCIDENTS).await;
    // Both senders have run dry: nothing more arrives.
    tokio::time::sleep(Duration::from_millis(300)).await;
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    // (In runs here the second server sent between 1 and 11 of the 12.)
    racing.await.expect("racing sender");
    assert_eq!(other.send_mail().await.expect("send"), 0);
    assert_eq!(app.services.send_mail().await.expect("send"), 0);
    let got_now = inbox.lock().expect("inbox").clone();
    assert_eq!(got_now.len(), INCIDENTS, "each e-mail once: {got:?}");
    for id in &ids {
        let with_link = got_now
            .iter()
            .filter(|m| text_of(&m.data).1.contains(&format!("#incident-{id}")))
            .count();
        assert_eq!(with_link, 1, "incident {id}");
    }
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM mail_outbox WHERE sent_at IS NOT NULL AND attempts = 1"
        )
        .await,
        INCIDENTS as i64
    );
}
