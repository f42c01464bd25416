//! The participants, in batches of 10,000, each batch one transaction, with their
//! documents (valid DNI, NIE and codice fiscale numbers), consents (some withdrawn or
//! expired, so that both sides of the access rule are seen) and cases in CRISOL (and
//! CRISOL-FORMACIÓN from the training phase on). A thread generates the next batch
//! while this one is written.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use itinera_domain::case::DEFAULT_PHASES;
use itinera_domain::documents::{codice_fiscale_check, dni_letter};
use itinera_domain::text::fold;
use itinera_domain::Error;
use itinera_store::bulk::V;
use itinera_store::Store;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

use super::casework::{at, CaseFacts};
use super::data::{FOREIGN, F_NAMES, IT_F, IT_M, IT_SURNAMES, M_NAMES, SURNAMES};
use super::network::Network;
use super::programmes::Programmes;
use super::rows::{Rows, CASEWORK_TABLES, PERSON_TABLES};
use super::{nth, pick, CityOrgs, DemoOptions, Ids};

/// What the participants' phase leaves for the casework.
pub(super) struct People {
    pub(super) ids: Ids,
    pub(super) cities: Arc<Vec<CityOrgs>>,
    pub(super) facts: Vec<CaseFacts>,
    pub(super) cases: usize,
    pub(super) seconds: f64,
    /// The casework tables' indexes, suspended while they are empty.
    pub(super) casework_indexes: Vec<String>,
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn write(
    store: &Store,
    mut rng: ChaCha8Rng,
    mut ids: Ids,
    network: Network,
    programmes: &Programmes,
    opts: &DemoOptions,
    now: DateTime<Utc>,
    progress: &mut impl FnMut(usize, usize),
) -> Result<People, Error> {
    let today = now.date_naive();
    let (crisol, formacion) = (programmes.crisol, programmes.formacion);
    let crisol_projects = programmes.crisol_projects.clone();
    let formacion_projects = programmes.formacion_projects.clone();
    let cities = network.cities;
    // Participants, in batches, each batch one transaction. A thread generates the next
    // batch while this one is written. The person tables are empty: their secondary
    // indexes are built once at the end, not row by row.
    let total = opts.participants;
    let started = itinera_clock::Stopwatch::start();
    let mut tx = store.write().await?;
    let indexes = itinera_store::bulk::suspend_indexes(&mut tx, PERSON_TABLES).await?;
    let casework_indexes = itinera_store::bulk::suspend_indexes(&mut tx, CASEWORK_TABLES).await?;
    tx.commit().await?;
    let cities = std::sync::Arc::new(cities);
    let people_cities = cities.clone();
    let (sender, mut receiver) =
        tokio::sync::mpsc::channel::<(Rows, usize, usize, Vec<CaseFacts>)>(2);
    let generator = std::thread::spawn(move || {
        let cities = people_cities;
        let mut used_docs = HashSet::new();
        let mut done = 0;
        while done < total {
            let n = 10_000.min(total - done);
            let mut rows = Rows::default();
            let mut facts = Vec::new();
            let mut cases = 0;
            for _ in 0..n {
                let ci = rng.gen_range(0..cities.len());
                let Some(city) = cities.get(ci) else {
                    continue;
                };
                cases += person(
                    &mut rng,
                    &mut ids,
                    &mut used_docs,
                    &mut rows,
                    &mut facts,
                    ci,
                    city,
                    crisol,
                    formacion,
                    nth(&crisol_projects, ci),
                    nth(&formacion_projects, ci),
                    now,
                    today,
                );
            }
            done += n;
            if sender.blocking_send((rows, n, cases, facts)).is_err() {
                break;
            }
        }
        ids
    });
    let mut cases = 0usize;
    let mut done = 0;
    let mut all_facts = Vec::new();
    while let Some((rows, n, c, facts)) = receiver.recv().await {
        let mut tx = store.bulk_write().await?;
        rows.write(&mut tx).await?;
        tx.commit().await?;
        done += n;
        cases += c;
        all_facts.extend(facts);
        progress(done, total);
    }
    let ids = generator
        .join()
        .map_err(|_| Error::Internal("demo generator failed".into()))?;
    let mut tx = store.write().await?;
    itinera_store::bulk::restore_indexes(&mut tx, &indexes).await?;
    tx.commit().await?;
    let people_seconds = started.elapsed().as_secs_f64();
    Ok(People {
        ids,
        cities,
        facts: all_facts,
        cases,
        seconds: people_seconds,
        casework_indexes,
    })
}

fn fresh_dni<R: Rng>(rng: &mut R, used: &mut HashSet<String>) -> String {
    loop {
        let n: u32 = rng.gen_range(10_000_000..80_000_000);
        let s = format!("{n:08}{}", dni_letter(n));
        if used.insert(s.clone()) {
            return s;
        }
    }
}

fn fresh_nie<R: Rng>(rng: &mut R, used: &mut HashSet<String>) -> String {
    loop {
        let p: u32 = rng.gen_range(0..3);
        let n: u32 = rng.gen_range(0..10_000_000);
        let letter = dni_letter(p * 10_000_000 + n);
        let s = format!("{}{n:07}{letter}", nth(&['X', 'Y', 'Z'], p as usize));
        if used.insert(s.clone()) {
            return s;
        }
    }
}

fn fresh_cf<R: Rng>(
    rng: &mut R,
    used: &mut HashSet<String>,
    surname: &str,
    name: &str,
    birth: NaiveDate,
    female: bool,
) -> String {
    use chrono::Datelike;
    let cons = |s: &str| -> String {
        let up: String = fold(s)
            .to_uppercase()
            .chars()
            .filter(|c| c.is_ascii_alphabetic())
            .collect();
        let c: String = up.chars().filter(|c| !"AEIOU".contains(*c)).collect();
        let v: String = up.chars().filter(|c| "AEIOU".contains(*c)).collect();
        format!("{c}{v}XXX").chars().take(3).collect()
    };
    loop {
        let months = ['A', 'B', 'C', 'D', 'E', 'H', 'L', 'M', 'P', 'R', 'S', 'T'];
        let day = birth.day() + if female { 40 } else { 0 };
        let town = format!(
            "{}{:03}",
            char::from(b'A' + rng.gen_range(0..26u8)),
            rng.gen_range(1..999)
        );
        let first = format!(
            "{}{}{:02}{}{:02}{}",
            cons(surname),
            cons(name),
            birth.year() % 100,
            nth(&months, birth.month0() as usize),
            day,
            town
        );
        let Some(check) = codice_fiscale_check(first.as_bytes()) else {
            continue;
        };
        let s = format!("{first}{}", char::from(check));
        if used.insert(s.clone()) {
            return s;
        }
    }
}

/// Seeds the demo into an empty database (an already seeded one is left as it is).
/// One participant with consents and cases; returns how many cases.
#[allow(clippy::too_many_arguments)]
fn person(
    rng: &mut ChaCha8Rng,
    ids: &mut Ids,
    used: &mut HashSet<String>,
    rows: &mut Rows,
    facts: &mut Vec<CaseFacts>,
    city_index: usize,
    city: &CityOrgs,
    crisol: Uuid,
    formacion: Uuid,
    crisol_project: Uuid,
    formacion_project: Uuid,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> usize {
    let pid = ids.next();
    let (team, [sw, co, te]) = city.team(pid);
    let female = rng.gen_bool(0.56);
    let age_days = rng.gen_range(18 * 365..64 * 365);
    let birth = today - Duration::days(age_days);
    let kind = rng.gen_range(0..100);
    let (given, s1, s2, nationality, doc_kind, doc) = if kind < 78 {
        let g = pick(rng, if female { F_NAMES } else { M_NAMES });
        let s1 = pick(rng, SURNAMES);
        let s2 = pick(rng, SURNAMES);
        (
            g.to_string(),
            s1.to_string(),
            Some(s2.to_string()),
            "ES",
            "dni",
            fresh_dni(rng, used),
        )
    } else if let Some(f) = (kind < 97)
        .then(|| rng.gen_range(0..FOREIGN.len()))
        .and_then(|i| FOREIGN.get(i))
    {
        let g = pick(rng, if female { f.f } else { f.m });
        let s1 = pick(rng, f.surnames);
        let s2 = f.two_surnames.then(|| pick(rng, f.surnames).to_string());
        (
            g.to_string(),
            s1.to_string(),
            s2,
            f.nationality,
            "nie",
            fresh_nie(rng, used),
        )
    } else {
        let g = pick(rng, if female { IT_F } else { IT_M });
        let s1 = pick(rng, IT_SURNAMES);
        let cf = fresh_cf(rng, used, s1, g, birth, female);
        (
            g.to_string(),
            s1.to_string(),
            None,
            "IT",
            "codice_fiscale",
            cf,
        )
    };
    let migrant = nationality != "ES";
    let zone = nth(&city.zones, rng.gen_range(0..city.zones.len()));
    let labour = match rng.gen_range(0..100) {
        0..=54 => "long_term_unemployed",
        55..=84 => "unemployed",
        85..=95 => "inactive",
        _ => "employed",
    };
    let since = today - Duration::days(rng.gen_range(400..2500).min(age_days - 16 * 365).max(30));
    let isced: i16 = nth(&[0, 1, 1, 2, 2, 2, 3, 3, 4], rng.gen_range(0..9));
    let disability = rng.gen_bool(0.08);
    let home = city.social.id;
    rows.participants.push(vec![
        V::Uuid(pid),
        V::Uuid(pid),
        V::Uuid(home),
        V::Text(given.clone()),
        V::Text(s1.clone()),
        V::OptText(s2.clone()),
        V::Text(if female { "female" } else { "male" }.into()),
        V::Date(birth),
        V::OptText(Some(nationality.into())),
        V::OptText(Some(format!(
            "Calle {} {}",
            pick(rng, SURNAMES),
            rng.gen_range(1..80)
        ))),
        V::OptText(Some(format!("{:05}", rng.gen_range(6000..10999)))),
        V::OptUuid(Some(zone)),
        V::OptText(Some(format!(
            "+34{}",
            rng.gen_range(600_000_000u32..699_999_999)
        ))),
        V::OptText(None),
        V::OptI16(Some(isced)),
        V::Text(labour.into()),
        V::OptDate(Some(since)),
        V::Bool(disability),
        V::OptI16(disability.then(|| rng.gen_range(33..76))),
        V::I16(rng.gen_range(0..4)),
        V::Bool(rng.gen_bool(0.15)),
        V::Bool(rng.gen_bool(0.03)),
        V::Bool(migrant),
        V::Bool(rng.gen_bool(0.09)),
        V::Bool(false),
        V::Text(fold(&format!("{} {}", s1, s2.as_deref().unwrap_or("")))),
        V::Text(fold(&given)),
        V::I32(1),
        V::Ts(now),
        V::Uuid(sw),
        V::Ts(now),
        // About one in forty declines the disability question (no draw of the generator,
        // so the rest of the demo stays as it was).
        V::Bool(!disability && pid.as_u128() % 40 == 7),
        V::Bool(false),
    ]);
    rows.documents.push(vec![
        V::Uuid(ids.next()),
        V::Uuid(pid),
        V::Uuid(home),
        V::Text(doc_kind.into()),
        V::Text(doc),
        V::Ts(now),
    ]);

    // The case in CRISOL, in any phase.
    let opened = today - Duration::days(rng.gen_range(15..900));
    let phase_idx = rng.gen_range(0..DEFAULT_PHASES.len());
    let status_roll = rng.gen_range(0..100);
    let (status, exit) = if status_roll < 10 {
        ("suspended", None)
    } else if status_roll < 24 {
        let reason = if phase_idx >= 6 {
            "employed"
        } else if phase_idx == 5 {
            "in_training"
        } else {
            nth(&["dropped_out", "moved", "other"], rng.gen_range(0..3))
        };
        ("closed", Some(reason))
    } else {
        ("open", None)
    };
    // Consents: case management always; sharing with employment and third sector for
    // most; some withdrawn or expired so that both sides of the access rule are seen.
    rows.consents.push(vec![
        V::Uuid(ids.next()),
        V::Uuid(pid),
        V::Uuid(home),
        V::Text("case_management".into()),
        V::Date(opened),
        V::OptDate(None),
        V::OptDate(None),
        V::OptText(None),
        V::Text("Consentimiento firmado en la entrevista de acogida".into()),
        V::Uuid(sw),
        V::Uuid(home),
        V::Ts(now),
    ]);
    let share_roll = rng.gen_range(0..100);
    if share_roll < 92 {
        let cid = ids.next();
        let (expires, withdrawn) = match share_roll {
            0..=3 => (Some(today - Duration::days(10)), None),
            4..=6 => (
                None,
                Some((today - Duration::days(rng.gen_range(1..60))).max(opened)),
            ),
            _ => (None, None),
        };
        rows.consents.push(vec![
            V::Uuid(cid),
            V::Uuid(pid),
            V::Uuid(home),
            V::Text("sharing".into()),
            V::Date(opened),
            V::OptDate(expires),
            V::OptDate(withdrawn),
            V::OptText(withdrawn.map(|_| "Retirado a petición de la persona".to_string())),
            V::Text("Autorización de cesión de datos firmada".into()),
            V::Uuid(sw),
            V::Uuid(home),
            V::Ts(now),
        ]);
        for k in ["employment_service", "third_sector", "insertion_company"] {
            rows.scopes.push(vec![
                V::Uuid(cid),
                V::Uuid(home),
                V::OptUuid(None),
                V::OptText(Some(k.into())),
            ]);
        }
    }
    let case_id = ids.next();
    let closed_on = exit.map(|_| (opened + Duration::days(rng.gen_range(30..400))).min(today));
    rows.cases.push(vec![
        V::Uuid(case_id),
        V::Uuid(pid),
        V::Uuid(home),
        V::Uuid(crisol),
        V::OptUuid(Some(crisol_project)),
        V::Uuid(home),
        V::Uuid(sw),
        V::Text(nth(DEFAULT_PHASES, phase_idx).into()),
        V::Text(status.into()),
        V::Date(opened),
        V::OptDate(closed_on),
        V::OptText(exit.map(str::to_string)),
        V::I32(1),
        V::Ts(now),
        V::Ts(now),
    ]);
    let member = |rows: &mut Rows, ids: &mut Ids, case: Uuid, user: Uuid, org: Uuid, role: &str| {
        rows.members.push(vec![
            V::Uuid(ids.next()),
            V::Uuid(case),
            V::Uuid(home),
            V::Uuid(user),
            V::Uuid(org),
            V::Text(role.into()),
            V::Ts(at(opened, 9)),
            V::OptTs(None),
            V::Uuid(pid),
        ]);
    };
    member(rows, ids, case_id, sw, city.social.id, "case_manager");
    if phase_idx >= 2 {
        member(
            rows,
            ids,
            case_id,
            co,
            city.employment.id,
            "employment_reference",
        );
    }
    if phase_idx >= 5 {
        member(rows, ids, case_id, te, city.ngo.id, "trainer");
    }
    let event = |rows: &mut Rows,
                 ids: &mut Ids,
                 case: Uuid,
                 kind: &str,
                 from: Option<&str>,
                 to: Option<&str>,
                 fs: Option<&str>,
                 ts: Option<&str>,
                 reason: Option<&str>,
                 when: DateTime<Utc>| {
        rows.events.push(vec![
            V::Uuid(ids.next()),
            V::Uuid(case),
            V::Uuid(home),
            V::Text(kind.into()),
            V::OptText(from.map(str::to_string)),
            V::OptText(to.map(str::to_string)),
            V::OptText(fs.map(str::to_string)),
            V::OptText(ts.map(str::to_string)),
            V::OptText(reason.map(str::to_string)),
            V::Uuid(sw),
            V::Uuid(home),
            V::Ts(when),
        ]);
    };
    event(
        rows,
        ids,
        case_id,
        "opened",
        None,
        DEFAULT_PHASES.first().copied(),
        None,
        Some("open"),
        None,
        at(opened, 9),
    );
    let span = (today - opened).num_days().max(1);
    for i in 1..=phase_idx {
        let when = opened + Duration::days(span * i as i64 / (phase_idx as i64 + 2));
        event(
            rows,
            ids,
            case_id,
            "phase_changed",
            DEFAULT_PHASES.get(i - 1).copied(),
            DEFAULT_PHASES.get(i).copied(),
            None,
            None,
            Some("Acordado en la mesa técnica de casos"),
            at(when, 10),
        );
    }
    match (status, closed_on) {
        ("suspended", _) => event(
            rows,
            ids,
            case_id,
            "suspended",
            None,
            None,
            Some("open"),
            Some("suspended"),
            Some("Baja médica temporal"),
            at(today - Duration::days(3), 11),
        ),
        ("closed", Some(d)) => event(
            rows,
            ids,
            case_id,
            "closed",
            None,
            None,
            Some("open"),
            Some("closed"),
            Some("Cierre del itinerario"),
            at(d, 12),
        ),
        _ => {}
    }
    facts.push(CaseFacts {
        city: city_index,
        team,
        case_id,
        pid,
        home,
        opened,
        phase_idx,
        open: status != "closed",
    });
    let mut count = 1;
    // Participants in training or beyond were preselected for CRISOL-FORMACIÓN.
    if phase_idx >= 5 && status == "open" {
        let fid = ids.next();
        let fphase = nth(
            &["training", "employment", "follow_up"],
            (phase_idx - 5).min(2),
        );
        let fopened = opened + Duration::days(span / 2);
        rows.cases.push(vec![
            V::Uuid(fid),
            V::Uuid(pid),
            V::Uuid(home),
            V::Uuid(formacion),
            V::OptUuid(Some(formacion_project)),
            V::Uuid(home),
            V::Uuid(sw),
            V::Text(fphase.into()),
            V::Text("open".into()),
            V::Date(fopened),
            V::OptDate(None),
            V::OptText(None),
            V::I32(1),
            V::Ts(now),
            V::Ts(now),
        ]);
        member(rows, ids, fid, sw, city.social.id, "case_manager");
        member(rows, ids, fid, te, city.ngo.id, "trainer");
        member(
            rows,
            ids,
            fid,
            co,
            city.employment.id,
            "employment_reference",
        );
        event(
            rows,
            ids,
            fid,
            "opened",
            None,
            Some("preselection"),
            None,
            Some("open"),
            Some("Preseleccionada desde CRISOL"),
            at(fopened, 9),
        );
        count += 1;
    }
    count
}
