//! The demo's households: in every city, for one case in three of the social worker's
//! open cases (those with a minimum income, as it is granted to a household), the
//! person heads a household with a partner and children who are not participants; on
//! one case in ten, two participants live together (the second added by document), and
//! on some a member has left — so the pages show members, dependants, a participant
//! member and the history. Written through the services. Seeded once, after the
//! benefits.

use chrono::{DateTime, Datelike, Duration, Utc};
use itinera_domain::household::{DepartureInput, HouseholdInput, MemberInput};
use itinera_domain::Error;
use itinera_service::{Ctx, Services};

use super::data::{CITIES, F_NAMES, M_NAMES, SURNAMES};
use super::placements::actor;

fn pick<'a>(list: &[&'a str], n: usize) -> &'a str {
    list.get(n % list.len().max(1)).copied().unwrap_or("")
}

/// Seeds the demo's households (nothing when there are some already).
pub async fn seed(s: &Services, now: DateTime<Utc>) -> Result<usize, Error> {
    let today = now.date_naive();
    {
        let mut tx = s.store.read().await?;
        let n = itinera_store::households::count(&mut tx).await?;
        tx.rollback().await?;
        if n > 0 {
            return Ok(0);
        }
    }
    let mut formed = 0;
    for (c, city) in CITIES.iter().enumerate() {
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
        let at = |days: i64| Ctx::cli(now - Duration::days(days));
        for (k, (_, pid, opened_on)) in cases.iter().enumerate() {
            if k % 3 != 0 {
                continue;
            }
            let n = c * 31 + k;
            let formed_on = (opened_on.min(&today).to_owned()
                - Duration::days(300 + (n as i64 % 900)))
            .max(today - Duration::days(3650));
            let hid = match s
                .form_household(
                    &social,
                    &at((today - *opened_on).num_days().max(0)),
                    *pid,
                    &HouseholdInput {
                        formed_on: formed_on.to_string(),
                        notes: String::new(),
                    },
                )
                .await
            {
                Ok(h) => h,
                // Already in one (a person added to another's household below).
                Err(Error::Rule(_)) => continue,
                Err(e) => return Err(e),
            };
            formed += 1;
            let ctx = at(0);
            let surname = pick(SURNAMES, n + 7);
            let mut named = vec![(
                format!("{} {} {}", pick(M_NAMES, n), surname, pick(SURNAMES, n + 3)),
                "partner",
                today.year() - 35 - (n as i32 % 15),
                false,
            )];
            for child in 0..(n % 3) {
                named.push((
                    format!(
                        "{} {} {}",
                        pick(F_NAMES, n + child),
                        surname,
                        pick(SURNAMES, n + 11)
                    ),
                    "child",
                    today.year() - 3 - ((n + 4 * child) as i32 % 14),
                    true,
                ));
            }
            let mut first_member = None;
            for (name, relationship, year, dependent) in named {
                let m = s
                    .add_household_member(
                        &social,
                        &ctx,
                        hid,
                        &MemberInput {
                            name,
                            relationship: relationship.into(),
                            birth_year: year.to_string(),
                            dependent,
                            joined_on: formed_on.to_string(),
                            ..Default::default()
                        },
                    )
                    .await?;
                first_member.get_or_insert(m);
            }
            // Two participants under one roof: the next case's person, by document.
            if k % 10 == 0 {
                if let Some((_, other, _)) = cases.get(k + 1) {
                    let doc = {
                        let mut tx = s.store.read().await?;
                        let p = itinera_store::participants::get(&mut tx, *other).await?;
                        tx.rollback().await?;
                        p.and_then(|p| p.data.documents.first().map(|d| d.number.clone()))
                    };
                    if let Some(document) = doc.filter(|_| other != pid) {
                        // A person already in a household (another case of theirs) stays.
                        let added = s
                            .add_household_member(
                                &social,
                                &ctx,
                                hid,
                                &MemberInput {
                                    document,
                                    relationship: "other_relative".into(),
                                    joined_on: today.to_string(),
                                    ..Default::default()
                                },
                            )
                            .await;
                        match added {
                            Ok(_) | Err(Error::Rule(_)) => {}
                            Err(e) => return Err(e),
                        }
                    }
                }
            }
            // Someone left: the partner, on one household in four.
            if k % 4 == 0 {
                if let Some(m) = first_member {
                    s.household_departure(
                        &social,
                        &ctx,
                        hid,
                        m,
                        &DepartureInput {
                            left_on: (today - Duration::days(40)).max(formed_on).to_string(),
                            note: "Separación".into(),
                        },
                    )
                    .await?;
                }
            }
        }
    }
    Ok(formed)
}
