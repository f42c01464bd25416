//! The work inside the cases, from the facts of each CRISOL case, with a random stream
//! and identifiers of its own so that the people of a seed stay the same whatever
//! casework is asked for: assessments, itineraries with goals, actions and a signed
//! agreement, and contacts (an intake interview, a joint interview, a note only the
//! social service reads, and follow-ups when many are asked for).

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use itinera_domain::assessment::{suggested_goal_domains, text_in, Instrument, Score};
use itinera_domain::itinerary::{SnapAction, SnapGoal, Snapshot};
use itinera_domain::Error;
use itinera_store::bulk::V;
use itinera_store::Store;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

use super::rows::Rows;
use super::{nth, CityOrgs, DemoOptions, Ids};

/// What the casework phase made.
pub(super) struct Made {
    pub(super) contacts: usize,
    pub(super) seconds: f64,
}

pub(super) async fn write(
    store: &Store,
    ids: Ids,
    cities: Arc<Vec<CityOrgs>>,
    all_facts: Vec<CaseFacts>,
    casework_indexes: Vec<String>,
    opts: &DemoOptions,
    now: DateTime<Utc>,
) -> Result<Made, Error> {
    let today = now.date_naive();
    // The work inside the cases, from the facts of each CRISOL case, with a random
    // stream and identifiers of its own so the people of a seed stay the same.
    let started = itinera_clock::Stopwatch::start();
    let instrument = casework_instrument(store).await?;
    let natural = all_facts.len() * 2;
    let extra_per_case = opts
        .contacts
        .map(|c| c.saturating_sub(natural) as f64 / all_facts.len().max(1) as f64)
        .unwrap_or(0.0);
    let mut work = Casework {
        rng: ChaCha8Rng::seed_from_u64(opts.seed ^ 0xca5e_3041),
        ids,
        instrument_id: instrument.0,
        instrument: instrument.1,
        extra_per_case,
    };
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<(Rows, usize)>(2);
    let generator = std::thread::spawn(move || {
        for chunk in all_facts.chunks(10_000) {
            let mut rows = Rows::default();
            for f in chunk {
                if let Some(city) = cities.get(f.city) {
                    casework(&mut work, &mut rows, city, f, today, now);
                }
            }
            let contacts = rows.contacts.len();
            if sender.blocking_send((rows, contacts)).is_err() {
                break;
            }
        }
    });
    let mut contacts = 0usize;
    while let Some((rows, n)) = receiver.recv().await {
        let mut tx = store.bulk_write().await?;
        rows.write(&mut tx).await?;
        tx.commit().await?;
        contacts += n;
    }
    generator
        .join()
        .map_err(|_| Error::Internal("demo casework generator failed".into()))?;
    let mut tx = store.write().await?;
    itinera_store::bulk::restore_indexes(&mut tx, &casework_indexes).await?;
    // The ESF snapshots of the cases written in bulk.
    itinera_store::esf::snapshot_missing(&mut tx).await?;
    tx.commit().await?;
    Ok(Made {
        contacts,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// What the casework generator needs: its own random stream (so the people of a seed
/// stay the same whatever casework is added) and the default instrument.
pub(super) struct Casework {
    pub(super) rng: ChaCha8Rng,
    pub(super) ids: Ids,
    pub(super) instrument_id: Uuid,
    pub(super) instrument: Instrument,
    /// Follow-up contacts to add per case, on average, beyond the natural ones.
    pub(super) extra_per_case: f64,
}

async fn casework_instrument(store: &Store) -> Result<(Uuid, Instrument), Error> {
    let mut tx = store.read().await?;
    let rows = itinera_store::assessments::current_instruments(&mut tx).await?;
    tx.rollback().await?;
    let row = rows
        .into_iter()
        .find(|r| r.code == "itinera-default")
        .ok_or_else(|| Error::Internal("the default instrument is missing".into()))?;
    let i = serde_json::from_str(&row.definition).map_err(|e| Error::Internal(e.to_string()))?;
    Ok((row.id, i))
}

const FOLLOW_UPS: &[(&str, &str)] = &[
    (
        "phone",
        "Llamada de seguimiento: acude a las acciones previstas",
    ),
    (
        "individual_interview",
        "Entrevista de seguimiento del itinerario",
    ),
    (
        "phone",
        "Recordatorio de cita y revisión de la documentación",
    ),
    (
        "group_session",
        "Sesión grupal de habilidades para el empleo",
    ),
    (
        "individual_interview",
        "Revisión de la búsqueda de empleo y de ofertas",
    ),
];

/// What the casework of one CRISOL case follows from.
pub(super) struct CaseFacts {
    pub(super) city: usize,
    pub(super) team: usize,
    pub(super) case_id: Uuid,
    pub(super) pid: Uuid,
    pub(super) home: Uuid,
    pub(super) opened: NaiveDate,
    pub(super) phase_idx: usize,
    pub(super) open: bool,
}

/// The work inside a CRISOL case, as far as its phase has gone: an assessment from the
/// diagnosis phase on (a second one, better, from training on), an itinerary with goals
/// and actions of the social and employment services and a signed agreement from the
/// plan phase on, and a few contacts.
#[allow(clippy::too_many_arguments)]
fn casework(
    w: &mut Casework,
    rows: &mut Rows,
    city: &CityOrgs,
    f: &CaseFacts,
    today: NaiveDate,
    now: DateTime<Utc>,
) {
    let span = (today - f.opened).num_days().max(1);
    let day = |k: i64| (f.opened + Duration::days(span * k / 10)).min(today);
    let [sw, co, _] = city.staff.get(f.team).copied().unwrap_or([
        city.social_worker,
        city.counsellor,
        city.technician,
    ]);
    let so = city.social.id;
    let eo = city.employment.id;
    let ids = &mut w.ids;
    let mut last_scores: Vec<Score> = Vec::new();
    if f.phase_idx >= 3 {
        let n = if f.phase_idx >= 5 { 2 } else { 1 };
        let base: Vec<i16> = w
            .instrument
            .domains
            .iter()
            .map(|_| w.rng.gen_range(1..=4))
            .collect();
        for k in 0..n {
            let aid = ids.next();
            let scores: Vec<Score> = w
                .instrument
                .domains
                .iter()
                .zip(&base)
                .map(|(d, b)| {
                    let na = d.allow_na && w.rng.gen_range(0..10) == 0;
                    Score {
                        domain: d.code.clone(),
                        level: (!na).then(|| (b + k as i16 + w.rng.gen_range(0..2)).min(5)),
                        note: None,
                    }
                })
                .collect();
            let derived = w.instrument.derive(&scores);
            let (assessor, org) = if k == 0 { (sw, so) } else { (co, eo) };
            rows.assessments.push(vec![
                V::Uuid(aid),
                V::Uuid(f.case_id),
                V::Uuid(f.pid),
                V::Uuid(f.home),
                V::Uuid(w.instrument_id),
                V::Date(day(3 + 4 * k as i64)),
                V::Uuid(assessor),
                V::Uuid(org),
                V::Text(derived.profile),
                V::Text(serde_json::to_string(&scores).unwrap_or_default()),
                V::OptText(None),
                V::Ts(now),
            ]);
            last_scores = scores;
        }
    }
    if f.phase_idx >= 4 {
        let iid = ids.next();
        let signed_on = day(5);
        let review_on = if f.open {
            Some(today + Duration::days(w.rng.gen_range(-10..80)))
        } else {
            None
        };
        let commitments = "Acudir a las citas acordadas\nAvisar con antelación si no puedo asistir\nParticipar en las acciones de formación";
        rows.itineraries.push(vec![
            V::Uuid(iid),
            V::Uuid(f.case_id),
            V::Uuid(f.home),
            V::Text(commitments.into()),
            V::Text("es".into()),
            V::OptDate(review_on),
            V::I32(1),
            V::I32(2),
            V::Ts(now),
            V::Ts(now),
        ]);
        let low = suggested_goal_domains(&w.instrument, &last_scores);
        let goal_domains: Vec<String> = if low.is_empty() {
            vec!["employment".into()]
        } else {
            low.into_iter().take(2).collect()
        };
        let mut snap_goals = Vec::new();
        let mut goal_ids = Vec::new();
        for (i, d) in goal_domains.iter().enumerate() {
            let gid = ids.next();
            let label = w
                .instrument
                .domain(d)
                .map(|x| text_in(&x.label, "es").to_lowercase())
                .unwrap_or_default();
            let description = format!("Mejorar la situación en {label}");
            let target = Some(day(9) + Duration::days(120));
            rows.goals.push(vec![
                V::Uuid(gid),
                V::Uuid(iid),
                V::Uuid(f.home),
                V::Text(d.clone()),
                V::Text(description.clone()),
                V::OptDate(target),
                V::Text("open".into()),
                V::I32(i as i32 + 1),
                V::Ts(now),
                V::Ts(now),
            ]);
            snap_goals.push(SnapGoal {
                id: gid,
                domain: d.clone(),
                description,
                target_on: target,
                status: "open".into(),
            });
            goal_ids.push(gid);
        }
        let (social_name, emp_name) = city.names(f.team);
        let social_org = format!(
            "Servicios Sociales de Atención Social Básica de {}",
            city.name
        );
        let emp_org = format!("Centro de Empleo SEXPE {}", city.name);
        let plan = [
            (
                "social_support",
                "social",
                "Acompañamiento social y gestión de prestaciones",
                sw,
                so,
                &social_name,
                &social_org,
            ),
            (
                "orientation",
                "employment",
                "Orientación laboral y búsqueda activa de empleo",
                co,
                eo,
                &emp_name,
                &emp_org,
            ),
        ];
        let mut snap_actions = Vec::new();
        for (i, (kind, service, text, user, org, uname, oname)) in plan.into_iter().enumerate() {
            let aid = ids.next();
            let starts = signed_on;
            let due = today + Duration::days(w.rng.gen_range(-5..60));
            let due = due.max(starts);
            let status = if !f.open {
                "done"
            } else if due < today {
                "in_progress"
            } else {
                "planned"
            };
            rows.actions.push(vec![
                V::Uuid(aid),
                V::Uuid(iid),
                V::Uuid(f.home),
                V::OptUuid(goal_ids.get(i).copied()),
                V::Text(kind.into()),
                V::Text(service.into()),
                V::Text(text.into()),
                V::Uuid(org),
                V::Uuid(user),
                V::Date(starts),
                V::Date(due),
                V::Text(status.into()),
                V::OptText(None),
                V::Ts(now),
                V::Ts(now),
            ]);
            snap_actions.push(SnapAction {
                id: aid,
                kind: kind.into(),
                service: service.into(),
                description: text.into(),
                organisation_name: oname.clone(),
                responsible_name: uname.clone(),
                starts_on: starts,
                due_on: due,
                status: status.into(),
            });
        }
        let snapshot = Snapshot {
            commitments: commitments.into(),
            language: "es".into(),
            goals: snap_goals,
            actions: snap_actions,
        };
        let signatories = vec!["La persona participante".to_string(), social_name, emp_name];
        rows.versions.push(vec![
            V::Uuid(ids.next()),
            V::Uuid(iid),
            V::Uuid(f.home),
            V::I32(1),
            V::Text(serde_json::to_string(&snapshot).unwrap_or_default()),
            V::Date(signed_on),
            V::Text(serde_json::to_string(&signatories).unwrap_or_default()),
            V::Uuid(sw),
            V::Ts(now),
        ]);
    }
    // Contacts: an intake interview; a joint interview once the counsellor is on the
    // team; a note only the social service reads.
    let contact = |rows: &mut Rows,
                   ids: &mut Ids,
                   on: NaiveDate,
                   kind: &str,
                   summary: &str,
                   visibility: &str,
                   people: &[(Uuid, Uuid)]| {
        let cid = ids.next();
        rows.contacts.push(vec![
            V::Uuid(cid),
            V::Uuid(f.case_id),
            V::Uuid(f.home),
            V::Date(on),
            V::Text(kind.into()),
            V::Text(summary.into()),
            V::OptText(None),
            V::Text(visibility.into()),
            V::Uuid(sw),
            V::Uuid(so),
            V::Ts(now),
        ]);
        for (u, o) in people {
            rows.contact_people.push(vec![
                V::Uuid(cid),
                V::Uuid(f.home),
                V::Uuid(*u),
                V::Uuid(*o),
            ]);
        }
    };
    contact(
        rows,
        ids,
        f.opened,
        "individual_interview",
        "Entrevista de acogida: situación y expectativas de la persona",
        "team",
        &[(sw, so)],
    );
    if f.phase_idx >= 2 {
        contact(
            rows,
            ids,
            day(2),
            "joint_interview",
            "Entrevista conjunta de servicios sociales y empleo para acordar el itinerario",
            "team",
            &[(sw, so), (co, eo)],
        );
    }
    if f.phase_idx >= 3 && w.rng.gen_bool(0.5) {
        contact(
            rows,
            ids,
            day(4),
            "home_visit",
            "Visita a domicilio: situación familiar y de vivienda",
            "service",
            &[(sw, so)],
        );
    }
    // Follow-up contacts, spread over the case's life, when many are asked for.
    let whole = w.extra_per_case.floor();
    let extra =
        whole as usize + usize::from(w.rng.gen_bool((w.extra_per_case - whole).clamp(0.0, 1.0)));
    for _ in 0..extra {
        let on = f.opened + Duration::days(w.rng.gen_range(0..=span));
        let (kind, summary) = nth(FOLLOW_UPS, w.rng.gen_range(0..FOLLOW_UPS.len()));
        let vis = match w.rng.gen_range(0..20) {
            0 => "author",
            1..=3 => "service",
            _ => "team",
        };
        let by = if f.phase_idx >= 2 && w.rng.gen_bool(0.4) {
            (co, eo)
        } else {
            (sw, so)
        };
        let cid = ids.next();
        rows.contacts.push(vec![
            V::Uuid(cid),
            V::Uuid(f.case_id),
            V::Uuid(f.home),
            V::Date(on.min(today)),
            V::Text(kind.into()),
            V::Text(summary.into()),
            V::OptText(None),
            V::Text(vis.into()),
            V::Uuid(by.0),
            V::Uuid(by.1),
            V::Ts(now),
        ]);
        rows.contact_people.push(vec![
            V::Uuid(cid),
            V::Uuid(f.home),
            V::Uuid(by.0),
            V::Uuid(by.1),
        ]);
    }
}

pub(super) fn at(d: NaiveDate, hour: u32) -> DateTime<Utc> {
    d.and_hms_opt(hour, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or_default()
}
