//! The demo's placements: a workplace tutor at each insertion company, contracts with
//! insertion companies on cases of every city at every retention stage (new, past 3,
//! 6 and 12 months, with their checks recorded), and a few incidents — one answered,
//! one left unanswered past its limit. Written through the services, as the
//! professionals would. Seeded once, after `demo::seed` and the coordination.

use chrono::{DateTime, Duration, Utc};
use itinera_domain::access::Actor;
use itinera_domain::incident::{IncidentInput, IncidentResponseInput};
use itinera_domain::placement::{ContractInput, RetentionInput};
use itinera_domain::Error;
use itinera_service::admin::{MembershipInput, UserInput};
use itinera_service::{Caller, Ctx, Services};

use super::data::{CITIES, INSERTION_COMPANIES};
use super::DEMO_PASSWORD;

/// Days before today each city's contracts started: one at each retention stage.
const STARTS: [i64; 4] = [400, 200, 100, 20];
const POSITIONS: [(&str, &str, &str); 4] = [
    ("9112", "Limpiador/a de oficinas", "es_indefinido"),
    (
        "9613",
        "Peón/a de clasificación de residuos",
        "es_circunstancias_produccion",
    ),
    ("6113", "Jardinero/a", "es_formativo_alternancia"),
    ("9622", "Operario/a de mantenimiento", "es_fijo_discontinuo"),
];
const OUTCOMES: [&str; 3] = ["same_employer", "other_employer", "not_employed"];

pub(crate) async fn actor(s: &Services, username: &str) -> Result<Actor, Error> {
    let mut tx = s.store.read().await?;
    let u = itinera_store::admin::user_by_username(&mut tx, username)
        .await?
        .ok_or(Error::NotFound)?;
    let ms = itinera_store::admin::memberships(&mut tx, u.id).await?;
    let org = ms
        .first()
        .map(|m| m.organisation_id)
        .ok_or(Error::NotFound)?;
    let a = itinera_service::auth::actor_for(&mut tx, u.id, org).await?;
    tx.commit().await?;
    Ok(a)
}

/// Seeds the demo's placements (nothing when a tutor exists already).
pub async fn seed(s: &Services, now: DateTime<Utc>) -> Result<bool, Error> {
    let today = now.date_naive();
    let at = |n: i64| Ctx::cli(now - Duration::days(n));
    {
        let mut tx = s.store.read().await?;
        let done = itinera_store::admin::user_by_username(&mut tx, "tutor.1")
            .await?
            .is_some();
        tx.rollback().await?;
        if done {
            return Ok(false);
        }
    }
    // A workplace tutor at each insertion company.
    let employers = {
        let mut tx = s.store.read().await?;
        let e = itinera_store::placements::employers(&mut tx).await?;
        tx.rollback().await?;
        e
    };
    let ctx = at(420);
    let mut tutors = Vec::new();
    for (n, company) in INSERTION_COMPANIES.iter().enumerate() {
        let Some(org) = employers.iter().find(|e| e.name == *company) else {
            continue;
        };
        let user = s
            .create_user(
                Caller::CommandLine,
                &ctx,
                &UserInput {
                    username: format!("tutor.{}", n + 1),
                    display_name: format!("Tutora de empresa · {company}"),
                    password: DEMO_PASSWORD.into(),
                    locale: "es".into(),
                    active: true,
                    ..Default::default()
                },
            )
            .await?;
        s.add_membership(
            Caller::CommandLine,
            &ctx,
            user,
            &MembershipInput {
                organisation_id: org.id.to_string(),
                role: "workplace_tutor".into(),
            },
        )
        .await?;
        tutors.push((org.id, user));
    }
    if tutors.is_empty() {
        return Ok(false);
    }
    for (c, city) in CITIES.iter().enumerate() {
        let slug = itinera_domain::text::fold(city.name).replace(' ', "");
        let counsellor = actor(s, &format!("orienta.{slug}")).await?;
        let cases = {
            let mut tx = s.store.read().await?;
            let cs = itinera_store::cases::open_team_cases(
                &mut tx,
                counsellor.user_id,
                counsellor.organisation_id,
                counsellor.organisation_kind.code(),
                today,
                10,
            )
            .await?;
            tx.rollback().await?;
            cs
        };
        for (k, ((case_id, _, opened_on), ago)) in cases.iter().zip(STARTS).enumerate() {
            {
                let start = (today - Duration::days(ago)).max(*opened_on);
                let Some(&(employer, tutor)) = tutors.get((c + k) % tutors.len()) else {
                    continue;
                };
                let Some(&(isco, title, kind)) = POSITIONS.get(k % POSITIONS.len()) else {
                    continue;
                };
                let days_ago = (today - start).num_days();
                let contract = s
                    .record_contract(
                        &counsellor,
                        &at(days_ago),
                        *case_id,
                        &ContractInput {
                            employer_id: employer.to_string(),
                            workplace: String::new(),
                            isco_code: isco.into(),
                            position_title: title.into(),
                            contract_type: kind.into(),
                            insertion: true,
                            hours_per_week: if k % 2 == 0 { "40" } else { "30" }.into(),
                            start_on: start.to_string(),
                            planned_end_on: String::new(),
                            tutor_id: tutor.to_string(),
                        },
                    )
                    .await?;
                // The checks already due are recorded, a few days after their date.
                let view = s.contracts(&counsellor, &at(0), *case_id).await?;
                let checks = view
                    .contracts
                    .iter()
                    .find(|x| x.id == contract)
                    .map(|x| x.retention.clone())
                    .unwrap_or_default();
                for (j, r) in checks.iter().enumerate() {
                    let when = r.due_on + Duration::days(3);
                    if when > today {
                        continue;
                    }
                    let back = (today - when).num_days();
                    s.record_retention(
                        &counsellor,
                        &at(back),
                        r.id,
                        &RetentionInput {
                            checked_on: when.to_string(),
                            outcome: OUTCOMES
                                .get((c + j + k) % OUTCOMES.len())
                                .copied()
                                .unwrap_or("same_employer")
                                .into(),
                            note: String::new(),
                        },
                    )
                    .await?;
                }
                // An incident on the newest placement of some cities.
                if k == STARTS.len() - 1 && c % 2 == 0 {
                    let answered = c % 4 == 0;
                    let reported = if answered { 10 } else { 5 };
                    let i = s
                        .report_incident(
                            &counsellor,
                            &at(reported),
                            *case_id,
                            &IncidentInput {
                                occurred_on: (today - Duration::days(reported)).to_string(),
                                kind: if answered { "conciliation" } else { "absenteeism" }.into(),
                                severity: "medium".into(),
                                reporter: "workplace_tutor".into(),
                                description: if answered {
                                    "No puede cubrir el turno de tarde por el horario del colegio de su hija."
                                } else {
                                    "Tres ausencias sin justificar esta semana; la empresa pide una entrevista."
                                }
                                .into(),
                                contract_id: contract.to_string(),
                            },
                        )
                        .await?;
                    if answered {
                        s.respond_incident(
                            &counsellor,
                            &at(reported - 1),
                            i,
                            &IncidentResponseInput {
                                actions_agreed: "Se acuerda con la empresa el turno de mañana y se tramita plaza en el comedor escolar.".into(),
                                ..Default::default()
                            },
                        )
                        .await?;
                    }
                }
            }
        }
    }
    training(s, now).await?;
    Ok(true)
}

/// A CRISOL-FORMACIÓN course in each city, given by the city's NGO: candidates
/// preselected from cases the social worker and the counsellor share, selected by
/// both, three enrolled and one waiting, and the attendance of the sessions held so
/// far — in every other city one person misses three sessions in a month, which
/// raises an absenteeism incident by itself.
async fn training(s: &Services, now: DateTime<Utc>) -> Result<(), Error> {
    use itinera_domain::training::{
        AttendanceInput, AttendanceLine, CandidateStatusInput, CourseInput, DecisionInput,
    };
    let today = now.date_naive();
    let at = |n: i64| Ctx::cli(now - Duration::days(n));
    let programme = s
        .programmes()
        .await?
        .into_iter()
        .find(|p| p.code == "CRISOL")
        .map(|p| p.id)
        .ok_or(Error::NotFound)?;
    let providers = s.courses(&actor(s, "ts.badajoz").await?).await?.providers;
    for (c, city) in CITIES.iter().enumerate() {
        let slug = itinera_domain::text::fold(city.name).replace(' ', "");
        let social = actor(s, &format!("ts.{slug}")).await?;
        let counsellor = actor(s, &format!("orienta.{slug}")).await?;
        let Some(provider) = providers.iter().find(|p| p.name == city.ngo) else {
            continue;
        };
        let start = today - Duration::days(30);
        // The course's trainer, a user of the NGO who takes the attendance.
        let trainer = s
            .create_user(
                Caller::CommandLine,
                &at(41),
                &UserInput {
                    username: format!("formador.{slug}"),
                    display_name: format!("Formador/a · {}", city.ngo),
                    password: DEMO_PASSWORD.into(),
                    locale: "es".into(),
                    active: true,
                    ..Default::default()
                },
            )
            .await?;
        s.add_membership(
            Caller::CommandLine,
            &at(41),
            trainer,
            &MembershipInput {
                organisation_id: provider.id.to_string(),
                role: "trainer".into(),
            },
        )
        .await?;
        let course = s
            .create_course(
                &social,
                &at(40),
                &CourseInput {
                    programme_id: programme.to_string(),
                    provider_id: provider.id.to_string(),
                    title: "Operaciones auxiliares de limpieza en alojamientos y oficinas".into(),
                    specialty: "SSCM0108".into(),
                    theory_hours: "90".into(),
                    practice_hours: "80".into(),
                    start_on: start.to_string(),
                    end_on: (start + Duration::days(60)).to_string(),
                    place: format!("Aula de formación · {}", city.name),
                    places: "3".into(),
                    weekdays: vec!["mon".into(), "wed".into(), "fri".into()],
                    starts_at: "09:00".into(),
                    ends_at: "13:00".into(),
                    trainers: format!("Equipo de formación · {}", city.ngo),
                    alternance_from: (start + Duration::days(45)).to_string(),
                    alternance_to: (start + Duration::days(60)).to_string(),
                    trainer_ids: vec![trainer.to_string()],
                    ..Default::default()
                },
            )
            .await?;
        let cases = {
            let mut tx = s.store.read().await?;
            let cs = itinera_store::cases::open_team_cases(
                &mut tx,
                counsellor.user_id,
                counsellor.organisation_id,
                counsellor.organisation_kind.code(),
                today,
                40,
            )
            .await?;
            tx.rollback().await?;
            cs
        };
        let mut enrolled = Vec::new();
        // The selection is dated 35 days ago: only cases open (and their sharing consent
        // given, on the day the case opened) by then, or the counsellor could not see
        // the person on that day and the decision would be refused.
        let selectable = cases
            .iter()
            .filter(|(_, _, opened_on)| *opened_on <= today - Duration::days(35));
        for (k, (case_id, _, _)) in selectable.skip(4).take(4).enumerate() {
            let ctx = at(35);
            let Ok(cand) = s.preselect(&social, &ctx, course, *case_id).await else {
                continue;
            };
            let why = |r: &str| DecisionInput {
                decision: "approve".into(),
                reason: r.into(),
            };
            s.decide_candidate(
                &social,
                &ctx,
                cand,
                &why("Red de apoyo para la conciliación"),
            )
            .await?;
            s.decide_candidate(
                &counsellor,
                &ctx,
                cand,
                &why("Perfil adecuado a la especialidad"),
            )
            .await?;
            let to = if k < 3 { "enrolled" } else { "waiting" };
            s.candidate_status(
                &social,
                &at(32),
                cand,
                &CandidateStatusInput {
                    status: to.into(),
                    ..Default::default()
                },
            )
            .await?;
            if k < 3 {
                enrolled.push(cand);
            }
        }
        if enrolled.is_empty() {
            continue;
        }
        let sessions = s
            .course(&social, &at(0), course, &Default::default())
            .await?
            .sessions;
        for (n, session) in sessions.iter().filter(|x| x.held_on < today).enumerate() {
            let lines = enrolled
                .iter()
                .enumerate()
                .map(|(k, cand)| {
                    let absent = c % 2 == 0 && k == 0 && n % 3 == 1;
                    AttendanceLine {
                        candidate_id: cand.to_string(),
                        status: if absent {
                            "absent"
                        } else if n % 7 == 3 && k == 1 {
                            "late"
                        } else {
                            "present"
                        }
                        .into(),
                        reason: String::new(),
                    }
                })
                .collect();
            let back = (today - session.held_on).num_days();
            s.save_attendance(&social, &at(back), session.id, &AttendanceInput { lines })
                .await?;
        }
    }
    Ok(())
}
