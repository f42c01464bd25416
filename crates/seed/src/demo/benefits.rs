//! The demo's benefits: in every city, on one case in three of the social worker's
//! open cases, what the person receives — the Ingreso Mínimo Vital, Extremadura's Renta
//! Garantizada, unemployment benefits and subsidies, emergency and rent aid, food in
//! kind — in every status, some ending within 30 days and some with their review due,
//! so that the work lists and the itinerary pages show them. Written through the
//! services, as the professionals would. Seeded once, after the referrals.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use itinera_domain::benefit::BenefitInput;
use itinera_domain::Error;
use itinera_service::{Ctx, Services};

use super::data::CITIES;
use super::placements::actor;

/// One benefit of the plan: type, granting body (`None`: the city's NGO), amount,
/// period, start and end (days from today), status, conditions, review (days from today).
struct Plan {
    kind: &'static str,
    body: Option<&'static str>,
    amount: &'static str,
    period: &'static str,
    start: i64,
    end: Option<i64>,
    status: &'static str,
    conditions: &'static str,
    review: Option<i64>,
}

const FOLLOW: &str = "Seguir el itinerario de inserción acordado y comunicar cualquier cambio en la unidad de convivencia.";

const PLANS: [&[Plan]; 5] = [
    &[
        Plan {
            kind: "es_imv",
            body: Some("Instituto Nacional de la Seguridad Social"),
            amount: "658,81",
            period: "month",
            start: -240,
            end: Some(18),
            status: "granted",
            conditions: FOLLOW,
            review: Some(90),
        },
        Plan {
            kind: "es_alimentos",
            body: None,
            amount: "",
            period: "",
            start: -60,
            end: None,
            status: "granted",
            conditions: "",
            review: None,
        },
    ],
    &[Plan {
        kind: "es_renta_garantizada_ex",
        body: Some("Junta de Extremadura"),
        amount: "536,00",
        period: "month",
        start: -150,
        end: Some(215),
        status: "granted",
        conditions: FOLLOW,
        review: Some(-4),
    }],
    &[
        Plan {
            kind: "es_prestacion_desempleo",
            body: Some("SEPE"),
            amount: "912,40",
            period: "month",
            start: -90,
            end: Some(95),
            status: "granted",
            conditions: "Compromiso de actividad: búsqueda activa de empleo.",
            review: None,
        },
        Plan {
            kind: "es_emergencia_social",
            body: None,
            amount: "300",
            period: "one_off",
            start: -45,
            end: Some(-45),
            status: "ended",
            conditions: "",
            review: None,
        },
    ],
    &[
        Plan {
            kind: "es_subsidio_desempleo",
            body: Some("SEPE"),
            amount: "480,00",
            period: "month",
            start: -6,
            end: None,
            status: "requested",
            conditions: "",
            review: None,
        },
        Plan {
            kind: "es_imv",
            body: Some("Instituto Nacional de la Seguridad Social"),
            amount: "",
            period: "",
            start: -20,
            end: None,
            status: "denied",
            conditions: "Ingresos de la unidad de convivencia por encima del umbral.",
            review: None,
        },
    ],
    &[Plan {
        kind: "es_ayuda_alquiler",
        body: None,
        amount: "200,00",
        period: "month",
        start: -120,
        end: Some(60),
        status: "suspended",
        conditions: "Justificar el pago del alquiler cada trimestre.",
        review: Some(10),
    }],
];

fn day(today: NaiveDate, d: i64) -> String {
    (today + Duration::days(d)).to_string()
}

/// Seeds the demo's benefits (nothing when there are some already).
pub async fn seed(s: &Services, now: DateTime<Utc>) -> Result<usize, Error> {
    let today = now.date_naive();
    {
        let mut tx = s.store.read().await?;
        let n = itinera_store::benefits::count(&mut tx).await?;
        tx.rollback().await?;
        if n > 0 {
            return Ok(0);
        }
    }
    let mut recorded = 0;
    for city in CITIES {
        let slug = itinera_domain::text::fold(city.name).replace(' ', "");
        let Ok(social) = actor(s, &format!("ts.{slug}")).await else {
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
                90,
            )
            .await?;
            tx.rollback().await?;
            cs
        };
        for (k, (case_id, _, opened_on)) in
            cases.into_iter().enumerate().filter(|(k, _)| k % 3 == 0)
        {
            let Some(plan) = PLANS.get((k / 3) % PLANS.len()) else {
                continue;
            };
            for p in plan.iter() {
                // Recorded when the case was open, on the benefit's start or later.
                let at = (today + Duration::days(p.start)).max(opened_on).min(today);
                let ctx = Ctx::cli(now - Duration::days((today - at).num_days()));
                let input = BenefitInput {
                    benefit_type: p.kind.into(),
                    granting_body: p.body.unwrap_or(city.ngo).into(),
                    amount: p.amount.into(),
                    period: p.period.into(),
                    start_on: day(today, p.start),
                    end_on: p.end.map(|d| day(today, d)).unwrap_or_default(),
                    status: p.status.into(),
                    conditions: p.conditions.into(),
                    review_on: p.review.map(|d| day(today, d)).unwrap_or_default(),
                    version: String::new(),
                };
                s.add_benefit(&social, &ctx, case_id, &input).await?;
                recorded += 1;
            }
        }
    }
    Ok(recorded)
}
