//! The demo data set: the CRISOL story in Extremadura's seven cities, with their
//! disadvantaged zones, social services, employment offices, third-sector entities and
//! insertion companies; the CRISOL and CRISOL-FORMACIÓN programmes; participants with
//! plausible Spanish and foreign names and valid documents; cases in every phase, with
//! their assessments, itineraries and contacts. Deterministic for a given seed and time.
//! Rows go in with multi-row inserts, in batches, so that the benchmark's million
//! participants seed quickly.
//!
//! The phases, each in a module of its own: `network` (territories, organisations,
//! users), `programmes` (programmes, phases, funding, projects), `people` (participants
//! with documents, consents and cases), `casework` (the work inside the cases); `rows`
//! holds a batch's rows, `data` the names and places. `coordination` (the coordination
//! bodies, boards and protocols), `placements` (contracts, incidents, courses),
//! `resources` (the catalogue of the seven cities), `referrals` (referrals in every state), `benefits` (on one case in three) and
//! `households` are written afterwards through the services.

pub mod benefits;
mod casework;
pub mod coordination;
mod data;
pub mod households;
mod network;
mod people;
pub mod placements;
mod programmes;
pub mod referrals;
pub mod resources;
mod rows;

use chrono::{DateTime, Utc};
use itinera_domain::Error;
use itinera_service::audit::{finish, Action};
use itinera_service::{Caller, Ctx};
use itinera_store::Store;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use uuid::Uuid;

pub const DEMO_PASSWORD: &str = "itinera-demo";

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub seed: u64,
    pub participants: usize,
    /// Contacts to generate in all, when more than the few each case gets anyway
    /// (the benchmark asks for millions).
    pub contacts: Option<usize>,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            seed: 2017,
            participants: 1200,
            contacts: None,
        }
    }
}

/// Cases per professional: a large demo gets as many social workers, counsellors and
/// technicians per city as such caseloads need (the demo logins are the first team).
pub const CASELOAD: usize = 150;

#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub username: String,
    pub role: &'static str,
    pub organisation: String,
}

#[derive(Debug, Clone)]
pub struct DemoReport {
    /// False when the database already held the demo (nothing was written).
    pub seeded: bool,
    pub participants: usize,
    pub cases: usize,
    pub contacts: usize,
    /// Seconds spent on the participants with their consents and cases…
    pub people_seconds: f64,
    /// …and on the work inside the cases (assessments, itineraries, contacts).
    pub casework_seconds: f64,
    pub logins: Vec<DemoLogin>,
}

/// Deterministic v7 identifiers: the demo's time and the seeded generator.
pub(super) struct Ids {
    pub(super) rng: ChaCha8Rng,
    pub(super) ms: u64,
}

impl Ids {
    pub(super) fn next(&mut self) -> Uuid {
        self.ms += 1;
        let bytes: [u8; 10] = self.rng.gen();
        uuid::Builder::from_unix_timestamp_millis(self.ms, &bytes).into_uuid()
    }
}

pub(super) struct Org {
    pub(super) id: Uuid,
}

pub(super) struct CityOrgs {
    /// The city's name, for the names the demo's snapshots carry.
    pub(super) name: &'static str,
    pub(super) social: Org,
    pub(super) employment: Org,
    pub(super) ngo: Org,
    pub(super) territory: Uuid,
    pub(super) zones: Vec<Uuid>,
    pub(super) social_worker: Uuid,
    pub(super) counsellor: Uuid,
    pub(super) technician: Uuid,
    /// Teams of (social worker, counsellor, technician); the first is the demo logins'.
    pub(super) staff: Vec<[Uuid; 3]>,
}

impl CityOrgs {
    /// The team that follows a person (by their id, so no random draw is spent on it).
    pub(super) fn team(&self, pid: Uuid) -> (usize, [Uuid; 3]) {
        let k = (pid.as_u128() % self.staff.len().max(1) as u128) as usize;
        (
            k,
            self.staff.get(k).copied().unwrap_or([
                self.social_worker,
                self.counsellor,
                self.technician,
            ]),
        )
    }

    /// The names of team `k`'s social worker and counsellor, as the users were created.
    pub(super) fn names(&self, k: usize) -> (String, String) {
        if k == 0 {
            (
                format!("Trabajadora social · {}", self.name),
                format!("Orientador laboral · {}", self.name),
            )
        } else {
            (
                format!("Trabajadora social {} · {}", k + 1, self.name),
                format!("Orientador laboral {} · {}", k + 1, self.name),
            )
        }
    }
}

/// `xs[i]`; the generator's lists are never empty, so the default is never used.
fn nth<T: Copy + Default>(xs: &[T], i: usize) -> T {
    xs.get(i).copied().unwrap_or_default()
}

fn pick<'a, R: Rng>(rng: &mut R, xs: &'a [&'a str]) -> &'a str {
    xs.choose(rng).copied().unwrap_or("")
}

pub async fn seed(
    store: &Store,
    now: DateTime<Utc>,
    opts: &DemoOptions,
    mut progress: impl FnMut(usize, usize),
) -> Result<DemoReport, Error> {
    let rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let mut ids = Ids {
        rng: ChaCha8Rng::seed_from_u64(opts.seed ^ 0x5eed),
        ms: (now.timestamp_millis() as u64).saturating_sub(10_000_000),
    };
    let logins_template = demo_logins();

    let mut tx = store.write().await?;
    if itinera_store::admin::user_by_username(&mut tx, "admin")
        .await?
        .is_some()
    {
        tx.rollback().await?;
        return Ok(DemoReport {
            seeded: false,
            participants: 0,
            cases: 0,
            contacts: 0,
            people_seconds: 0.0,
            casework_seconds: 0.0,
            logins: logins_template,
        });
    }
    // Never mix the demo into a real database.
    if !itinera_store::admin::organisations(&mut tx)
        .await?
        .is_empty()
    {
        tx.rollback().await?;
        return Err(Error::Rule("demo.database_not_empty"));
    }

    let network = network::write(&mut tx, &mut ids, now, opts).await?;
    // The demo's accounts share a published password: a second factor would protect
    // nothing, so the demo deployment makes it optional (a real one requires it).
    itinera_store::secrets::set(&mut tx, "second_factor_policy", "optional", now).await?;
    let programmes = programmes::write(&mut tx, &mut ids, &network, now).await?;
    finish(
        tx,
        Caller::CommandLine,
        &Ctx::cli(now),
        Action::DemoSeed,
        None,
        json!({"participants": opts.participants, "seed": opts.seed}),
    )
    .await?;

    let people = people::write(
        store,
        rng,
        ids,
        network,
        &programmes,
        opts,
        now,
        &mut progress,
    )
    .await?;
    let casework = casework::write(
        store,
        people.ids,
        people.cities,
        people.facts,
        people.casework_indexes,
        opts,
        now,
    )
    .await?;

    Ok(DemoReport {
        seeded: true,
        participants: opts.participants,
        cases: people.cases,
        contacts: casework.contacts,
        people_seconds: people.seconds,
        casework_seconds: casework.seconds,
        logins: logins_template,
    })
}

/// The demo's logins, for printing at start-up.
pub fn demo_logins() -> Vec<DemoLogin> {
    let l = |u: &str, role: &'static str, org: &str| DemoLogin {
        username: u.into(),
        role,
        organisation: org.into(),
    };
    vec![
        l(
            "ts.badajoz",
            "social_worker",
            "Servicios Sociales de Atención Social Básica de Badajoz",
        ),
        l(
            "orienta.badajoz",
            "employment_counsellor",
            "Centro de Empleo SEXPE Badajoz",
        ),
        l(
            "tecnico.badajoz",
            "technician",
            "Asociación Puentes de Inclusión",
        ),
        l(
            "gestora.badajoz",
            "case_manager",
            "Servicios Sociales de Atención Social Básica de Badajoz",
        ),
        l(
            "coordina.crisol",
            "coordinator",
            "Servicios Sociales de Atención Social Básica de Badajoz",
        ),
        l(
            "programa.junta",
            "programme_manager",
            "Consejería de Sanidad y Servicios Sociales",
        ),
        l("auditoria", "auditor", "Delegación de Protección de Datos"),
        l(
            "formador.badajoz",
            "trainer",
            "Asociación Puentes de Inclusión",
        ),
        l(
            "tutor.1",
            "workplace_tutor",
            "Reciclajes Guadiana, Empresa de Inserción",
        ),
        l(
            "admin",
            "admin",
            "Junta de Extremadura — Servicio de Informática",
        ),
        l(
            "admin.segunda",
            "admin",
            "Junta de Extremadura — Servicio de Informática",
        ),
    ]
}
