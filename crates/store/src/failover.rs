//! PostgreSQL with several hosts (a pg_auto_failover formation): the pool follows the
//! primary.
//!
//! sqlx 0.8 accepts one host per URL and ignores `target_session_attrs`, so it would
//! connect to whichever node it was given — a standby too, where every write fails.
//! Itinera finds the primary itself: `--db` may name several hosts in the libpq form
//! (`postgres://user@h1:p1,h2:p2/db?target_session_attrs=read-write&connect_timeout=2`);
//! each is asked `pg_is_in_recovery()` and the pool is pointed at the one that answers
//! false. Every new connection checks it again (a connection to a standby is refused),
//! and a watcher asks the current primary every half second: when it stops answering or
//! has become a standby, the hosts are asked again and the pool is re-pointed at the new
//! primary (`Pool::set_connect_options`). Requests in flight meanwhile fail with
//! `Unavailable` (503), never half-applied: their transaction was never committed, or
//! was committed on the primary and its synchronous standby (pg_auto_failover keeps
//! replication synchronous with two data nodes), which becomes the new primary.

use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use itinera_domain::Error;
use sqlx::postgres::{PgConnectOptions, PgPool};
use sqlx::{Connection, PgConnection};

/// The hosts of a multi-host URL and the single-host URL of each (the query's libpq-only
/// parameters dropped), with the connect timeout it asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hosts {
    /// One URL per host, in the order given.
    pub urls: Vec<String>,
    /// `connect_timeout` (seconds), default 2.
    pub connect_timeout: Duration,
}

/// Splits `url` when its host part names several hosts; `None` for a one-host URL.
pub fn parse(url: &str) -> Option<Hosts> {
    let (scheme, rest) = url.split_once("://")?;
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let (userinfo, hostlist) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    if !hostlist.contains(',') {
        return None;
    }
    let (path, query) = match tail.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (tail, None),
    };
    let mut connect_timeout = Duration::from_secs(2);
    let kept: Vec<&str> = query
        .unwrap_or_default()
        .split('&')
        .filter(|kv| !kv.is_empty())
        .filter(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            match k {
                "target_session_attrs" => false,
                "connect_timeout" => {
                    if let Ok(s) = v.parse::<u64>() {
                        connect_timeout = Duration::from_secs(s.max(1));
                    }
                    false
                }
                _ => true,
            }
        })
        .collect();
    let query = if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    };
    let urls = hostlist
        .split(',')
        .filter(|h| !h.is_empty())
        .map(|h| match userinfo {
            Some(u) => format!("{scheme}://{u}@{h}{path}{query}"),
            None => format!("{scheme}://{h}{path}{query}"),
        })
        .collect();
    Some(Hosts {
        urls,
        connect_timeout,
    })
}

/// The connect options of each host (statement logging off, as for one host).
pub(crate) fn options(hosts: &Hosts) -> Result<Vec<PgConnectOptions>, Error> {
    hosts
        .urls
        .iter()
        .map(|u| {
            PgConnectOptions::from_str(u)
                .map(crate::slow_statement_log)
                .map_err(crate::db_err)
        })
        .collect()
}

/// Whether the host answers as a primary (`Some(true)`), as a standby (`Some(false)`),
/// or not at all within the timeout (`None`).
async fn ask(opts: &PgConnectOptions, timeout: Duration) -> Option<(bool, PgConnection)> {
    let attempt = async {
        let mut c = PgConnection::connect_with(opts).await.ok()?;
        let standby: bool = sqlx::query_scalar("SELECT pg_is_in_recovery()")
            .fetch_one(&mut c)
            .await
            .ok()?;
        Some((!standby, c))
    };
    tokio::time::timeout(timeout, attempt).await.ok().flatten()
}

/// The first host that answers as a primary, with an open connection to it.
pub(crate) async fn find_primary(
    opts: &[PgConnectOptions],
    timeout: Duration,
) -> Option<(usize, PgConnectOptions, PgConnection)> {
    for (i, o) in opts.iter().enumerate() {
        if let Some((true, c)) = ask(o, timeout).await {
            return Some((i, o.clone(), c));
        }
    }
    None
}

/// Refuses a new connection to a standby (after a failover the pool may still reach the
/// old primary, come back as a standby, before the watcher re-points it).
pub(crate) async fn refuse_standby(c: &mut PgConnection) -> Result<(), sqlx::Error> {
    let standby: bool = sqlx::query_scalar("SELECT pg_is_in_recovery()")
        .fetch_one(&mut *c)
        .await?;
    if standby {
        return Err(sqlx::Error::Protocol(
            "connected to a standby, not the primary".into(),
        ));
    }
    Ok(())
}

/// How often the watcher asks the current primary.
const WATCH_EVERY: Duration = Duration::from_millis(500);

/// Follows the primary for as long as the pool is open (see the module's documentation).
/// `current` is the index of the host the pool points at; every change is logged.
pub(crate) fn watch(
    pool: PgPool,
    opts: Vec<PgConnectOptions>,
    timeout: Duration,
    current: Arc<AtomicUsize>,
    mut probe: Option<PgConnection>,
) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(WATCH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if pool.is_closed() {
                break;
            }
            let healthy = match probe.as_mut() {
                Some(c) => {
                    let q = sqlx::query_scalar::<_, bool>("SELECT pg_is_in_recovery()")
                        .fetch_one(&mut *c);
                    matches!(tokio::time::timeout(timeout, q).await, Ok(Ok(false)))
                }
                None => false,
            };
            if healthy {
                continue;
            }
            probe = None;
            if let Some((i, o, c)) = find_primary(&opts, timeout).await {
                let was = current.swap(i, Ordering::SeqCst);
                if was != i {
                    tracing::warn!(from = was, to = i, "the primary moved; the pool follows");
                    pool.set_connect_options(o);
                }
                probe = Some(c);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_host_is_not_split() {
        assert_eq!(parse("postgres://u@127.0.0.1:5432/db"), None);
        assert_eq!(parse("sqlite://x.db"), None);
    }

    #[test]
    fn several_hosts_give_one_url_each_without_libpq_only_parameters() {
        let h = parse(
            "postgres://pgaf:pw@127.0.0.1:56001,127.0.0.1:56002/appdb?target_session_attrs=read-write&connect_timeout=3&sslmode=disable",
        );
        assert_eq!(
            h,
            Some(Hosts {
                urls: vec![
                    "postgres://pgaf:pw@127.0.0.1:56001/appdb?sslmode=disable".into(),
                    "postgres://pgaf:pw@127.0.0.1:56002/appdb?sslmode=disable".into(),
                ],
                connect_timeout: Duration::from_secs(3),
            })
        );
        let h = parse("postgresql://a:1,b:2/db");
        assert_eq!(
            h.map(|h| h.urls),
            Some(vec![
                "postgresql://a:1/db".into(),
                "postgresql://b:2/db".into()
            ])
        );
        // Every URL parses as sqlx's one-host form.
        let h = parse("postgres://u@h1:1,h2:2/db?target_session_attrs=read-write");
        assert!(h.is_some_and(|h| options(&h).is_ok_and(|o| o.len() == 2)));
    }
}
