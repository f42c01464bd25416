//! Itinera's services: each user-facing operation, once. The JSON API and the HTML views
//! call these and nothing below them. A service checks the actor's role, opens one
//! transaction, checks the access basis for person data, does the work, appends the
//! audit entries and commits — so the write and its audit row stand or fall together.

pub mod admin;
pub mod aggregates;
pub mod assessments;
pub mod audit;
pub mod audit_log;
pub mod auth;
pub mod background;
pub mod benefits;
pub mod boards;
pub mod cache;
pub mod caseload;
pub mod cases;
pub mod clock;
pub mod compliance;
pub mod contacts;
pub mod coordination;
pub mod dashboard;
pub mod deployment;
pub mod esf;
mod guard;
pub mod households;
pub mod import_jobs;
pub mod imports;
pub mod incidents;
pub mod itineraries;
pub mod linkage;
pub mod mail;
pub mod objectives;
pub mod participants;
pub mod placements;
pub mod privacy;
pub mod processing;
pub mod protocols;
pub mod referrals;
pub mod resources;
pub mod second_factor;
pub mod settings;
pub mod subject_rights;
pub mod training;
pub mod worklist;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::access::Actor;
use itinera_domain::Error;
use itinera_store::Store;
use uuid::Uuid;

pub use clock::{Clock, FixedClock, ShiftedClock, SystemClock};

/// Where a request comes from: its id, the client's address, and the time it is handled.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub now: DateTime<Utc>,
    /// The deployment's time zone: what day it is (`today`) is its day, not UTC's.
    pub zone: itinera_domain::time::Zone,
    pub request_id: String,
    pub client_addr: String,
    /// Reads of a person refused in this request (the 404 that hides existence): the
    /// guard notes them, and `Services::record_refusals` audits them before the answer
    /// leaves.
    pub refusals: Refusals,
    /// The request's idempotency key (API writes that carry one): claimed in the
    /// transaction of its first write (see `deployment`).
    pub idempotency: Option<std::sync::Arc<deployment::IdempotencyKey>>,
}

/// The refusals of one request: (user, organisation, person).
#[derive(Debug, Clone, Default)]
pub struct Refusals(std::sync::Arc<std::sync::Mutex<Vec<(Uuid, Uuid, Uuid)>>>);

impl Refusals {
    pub fn note(&self, user: Uuid, org: Uuid, person: Uuid) {
        if let Ok(mut v) = self.0.lock() {
            if v.len() < 1_000 {
                v.push((user, org, person));
            }
        }
    }

    pub fn take(&self) -> Vec<(Uuid, Uuid, Uuid)> {
        self.0
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    }
}

impl Ctx {
    /// The day it is where the deployment works (in Spain, from midnight to 1 or 2 am
    /// the UTC date is still the day before).
    pub fn today(&self) -> NaiveDate {
        self.zone.local(self.now).date()
    }

    /// The same context in the deployment's zone.
    pub fn in_zone(self, zone: itinera_domain::time::Zone) -> Ctx {
        Ctx { zone, ..self }
    }

    /// A new id for something made in this request (UUID v7 of the request's time).
    pub fn new_id(&self) -> Uuid {
        clock::new_id(self.now)
    }

    /// A context for work started from the command line.
    pub fn cli(now: DateTime<Utc>) -> Ctx {
        Ctx {
            now,
            zone: itinera_domain::time::Zone::default(),
            request_id: format!("cli-{}", clock::new_id(now)),
            client_addr: "local".into(),
            refusals: Refusals::default(),
            idempotency: None,
        }
    }
}

pub use settings::{Secret, Settings};

/// Everything the services need, shared by the API, the views and the CLI.
#[derive(Clone)]
pub struct Services {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
    /// The import jobs this process runs (their live progress).
    live_jobs: Arc<import_jobs::LiveJobs>,
    /// The e-mail sender, when the deployment sends e-mail (`with_mail`).
    mail: Option<Arc<mail::Mailer>>,
    /// Computed aggregates kept for a while (`cache`).
    aggregates: Arc<Aggregates>,
}

/// The kept aggregates, one cache per kind of answer.
struct Aggregates {
    sheets: cache::AggregateCache<objectives::ObjectivesSheet>,
    esf: cache::AggregateCache<esf::EsfTable>,
    dashboards: cache::AggregateCache<dashboard::DashboardFigures>,
}

impl Services {
    pub fn new(store: Store, clock: Arc<dyn Clock>, settings: Settings) -> Self {
        Services {
            store,
            clock,
            aggregates: Arc::new(Aggregates {
                sheets: cache::AggregateCache::new(settings.aggregate_cache),
                esf: cache::AggregateCache::new(settings.aggregate_cache),
                dashboards: cache::AggregateCache::new(settings.aggregate_cache),
            }),
            settings: Arc::new(settings),
            live_jobs: Arc::new(import_jobs::LiveJobs::default()),
            mail: None,
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// A context for work started here (the command line, background passes): now, in
    /// the deployment's zone.
    pub fn cli_ctx(&self) -> Ctx {
        Ctx::cli(self.now()).in_zone(self.settings.zone)
    }
}

/// Who a service acts for. Most services take an `&Actor`: a professional signed in, or
/// an integration's token, whose capabilities the service checks. A few administrative
/// services also run from the command line on the server (`itinera user add`, `token
/// create`, `audit verify`, `link registry`, the demo): whoever runs it there already
/// holds the database's credentials, so `CommandLine` passes every capability check,
/// and its audit entries name no user. A sign-in attempt acts for nobody yet.
#[derive(Debug, Clone, Copy)]
pub enum Caller<'a> {
    Actor(&'a Actor),
    CommandLine,
    SigningIn,
}

impl<'a> From<&'a Actor> for Caller<'a> {
    fn from(a: &'a Actor) -> Self {
        Caller::Actor(a)
    }
}

impl<'a> Caller<'a> {
    /// The actor, when a person or an integration acts.
    pub fn actor(self) -> Option<&'a Actor> {
        match self {
            Caller::Actor(a) => Some(a),
            Caller::CommandLine | Caller::SigningIn => None,
        }
    }

    /// The capability check: the actor's roles, or the command line, which may do
    /// anything.
    pub fn require(self, c: itinera_domain::access::Capability) -> Result<(), Error> {
        match self {
            Caller::Actor(a) => a.require(c),
            Caller::CommandLine => Ok(()),
            Caller::SigningIn => Err(Error::Unauthenticated),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Ctx;
    use itinera_domain::time::Zone;

    #[test]
    fn today_is_the_deployments_day_not_utcs() {
        // 23:30 UTC on 5 December is 00:30 on 6 December in Madrid (winter, UTC+1), and
        // 23:30 UTC on 30 June is 01:30 on 1 July (summer, UTC+2).
        let at = |s: &str| {
            chrono::DateTime::parse_from_rfc3339(s)
                .unwrap()
                .with_timezone(&chrono::Utc)
        };
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let madrid = |s: &str| Ctx::cli(at(s)).in_zone(Zone::CentralEuropean).today();
        assert_eq!(madrid("2026-12-05T23:30:00Z"), d("2026-12-06"));
        assert_eq!(madrid("2026-12-05T22:59:00Z"), d("2026-12-05"));
        assert_eq!(madrid("2026-06-30T22:30:00Z"), d("2026-07-01"));
        assert_eq!(
            Ctx::cli(at("2026-12-05T23:30:00Z"))
                .in_zone(Zone::Utc)
                .today(),
            d("2026-12-05")
        );
        assert_eq!(
            Ctx::cli(at("2026-12-05T23:30:00Z"))
                .in_zone(Zone::WesternEuropean)
                .today(),
            d("2026-12-05")
        );
    }
}
