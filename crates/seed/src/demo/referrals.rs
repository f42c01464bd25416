//! The demo's referrals: in every city the social worker refers cases to the city's
//! employment office, and they are in every state — waiting, waiting past the seven
//! days (overdue), accepted, in progress, completed with each outcome, rejected with a
//! reason, cancelled. Only cases whose sharing consent covers the employment office are
//! referred (as the form requires). Written through the services, as the professionals
//! would. Seeded once, after the placements.

use chrono::{DateTime, Duration, Utc};
use itinera_domain::referral::{AnswerInput, CloseInput, ReferralInput};
use itinera_domain::Error;
use itinera_service::{Ctx, Services};

use super::data::CITIES;
use super::placements::actor;

/// What becomes of each city's referrals, in order: days since sent, and the fate.
const PLAN: [(i64, Fate); 8] = [
    (2, Fate::Waiting),
    (10, Fate::Waiting),
    (20, Fate::Accepted),
    (30, Fate::InProgress),
    (45, Fate::Completed("service_given")),
    (60, Fate::Completed("attended")),
    (25, Fate::Rejected),
    (15, Fate::Cancelled),
];

#[derive(Clone, Copy)]
enum Fate {
    Waiting,
    Accepted,
    InProgress,
    Completed(&'static str),
    Rejected,
    Cancelled,
}

const REASONS: [&str; 4] = [
    "Inscripción como demandante de empleo y orientación laboral.",
    "Búsqueda activa de empleo tras finalizar el curso; interesada en hostelería.",
    "Valorar su incorporación a un itinerario de formación con prácticas.",
    "Necesita acompañamiento para preparar entrevistas de trabajo.",
];

/// Seeds the demo's referrals (nothing when there are some already).
pub async fn seed(s: &Services, now: DateTime<Utc>) -> Result<usize, Error> {
    let today = now.date_naive();
    let at = |n: i64, h: i64| Ctx::cli(now - Duration::days(n) + Duration::hours(h));
    {
        let mut tx = s.store.read().await?;
        let any = itinera_store::referrals::flow(
            &mut tx,
            now - Duration::days(3650),
            now + Duration::days(1),
        )
        .await?;
        tx.rollback().await?;
        if !any.is_empty() {
            return Ok(0);
        }
    }
    let mut sent = 0;
    for (c, city) in CITIES.iter().enumerate() {
        let slug = itinera_domain::text::fold(city.name).replace(' ', "");
        let (Ok(social), Ok(counsellor)) = (
            actor(s, &format!("ts.{slug}")).await,
            actor(s, &format!("orienta.{slug}")).await,
        ) else {
            continue;
        };
        let cases = {
            let mut tx = s.store.read().await?;
            let cs = itinera_store::cases::open_team_cases(
                &mut tx,
                social.user_id,
                social.organisation_id,
                social.organisation_kind.code(),
                today,
                60,
            )
            .await?;
            tx.rollback().await?;
            cs
        };
        // The employment office's guidance service in the catalogue, when it is there.
        let resource = {
            let page = s
                .resources(
                    &counsellor,
                    &itinera_service::resources::ResourceQuery {
                        category: "employment_guidance".into(),
                        referable: "true".into(),
                        ..Default::default()
                    },
                )
                .await?;
            page.items
                .into_iter()
                .find(|r| r.provider_organisation_id == Some(counsellor.organisation_id))
                .map(|r| r.id)
        };
        let mut plan = PLAN.iter().enumerate();
        for (case_id, _, opened_on) in cases {
            let Some((k, &(ago, fate))) = plan.clone().next() else {
                break;
            };
            // Sent after the case opened, and only where the consent covers the office.
            if today - Duration::days(ago) <= opened_on {
                continue;
            }
            let form = s
                .case_referrals(
                    &social,
                    &at(ago, 0),
                    case_id,
                    Some(counsellor.organisation_id),
                )
                .await?;
            if !form.check.is_some_and(|k| k.covered) || !form.referrals.is_empty() {
                continue;
            }
            plan.next();
            let id = s
                .refer(
                    &social,
                    &at(ago, 0),
                    case_id,
                    &ReferralInput {
                        to_organisation_id: counsellor.organisation_id.to_string(),
                        reason: REASONS
                            .get((c + k) % REASONS.len())
                            .copied()
                            .unwrap_or_default()
                            .into(),
                        urgency: ["ordinary", "preferent", "urgent"]
                            .get((c + k) % 3)
                            .copied()
                            .unwrap_or("ordinary")
                            .into(),
                        shared: vec!["contact_details".into(), "diagnosis".into()],
                        resource_id: resource.map(|r| r.to_string()).unwrap_or_default(),
                    },
                )
                .await?;
            sent += 1;
            let answer = |decision: &str, reason: &str| AnswerInput {
                decision: decision.into(),
                reason: reason.into(),
                ..Default::default()
            };
            match fate {
                Fate::Waiting => {}
                Fate::Cancelled => {
                    s.cancel_referral(
                        &social,
                        &at(ago - 3, 0),
                        id,
                        &CloseInput {
                            outcome: String::new(),
                            note: "La persona ha encontrado empleo por su cuenta.".into(),
                        },
                    )
                    .await?;
                }
                Fate::Rejected => {
                    s.answer_referral(
                        &counsellor,
                        &at(ago - 2, 0),
                        id,
                        &answer(
                            "reject",
                            "Ya está inscrita y con orientadora asignada en otro centro de empleo.",
                        ),
                    )
                    .await?;
                }
                Fate::Accepted | Fate::InProgress | Fate::Completed(_) => {
                    s.answer_referral(&counsellor, &at(ago - 1, 2), id, &answer("accept", ""))
                        .await?;
                    if !matches!(fate, Fate::Accepted) {
                        s.start_referral(&counsellor, &at(ago - 3, 0), id).await?;
                    }
                    if let Fate::Completed(outcome) = fate {
                        s.close_referral(
                            &counsellor,
                            &at(ago - 20, 0),
                            id,
                            &CloseInput {
                                outcome: outcome.into(),
                                note: "Inscrita como demandante; sigue en orientación.".into(),
                            },
                        )
                        .await?;
                    }
                }
            }
        }
    }
    Ok(sent)
}
