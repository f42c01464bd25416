//! Public holidays per territory, kept by administrators; meetings planned from a
//! frequency skip them (`holiday_days`). An administrator loads a year's national
//! holidays at once (`load_national_holidays`) and adds the regional and local ones.

use std::collections::HashSet;

use chrono::{Datelike, NaiveDate};
use itinera_domain::access::{Actor, Capability};
use itinera_domain::holidays::{national, Country, HolidayData, HolidayInput};
use itinera_domain::Error;
use itinera_i18n::Lang;
use itinera_store::{admin, holidays as store, Tx};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{finish, Action};
use crate::{Ctx, Services};

/// A public holiday.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Holiday {
    pub id: Uuid,
    pub day: NaiveDate,
    pub name: String,
    /// None: national (the whole deployment).
    pub territory_id: Option<Uuid>,
    pub territory_name: Option<String>,
}

impl From<store::Holiday> for Holiday {
    fn from(r: store::Holiday) -> Self {
        Holiday {
            id: r.id,
            day: r.day,
            name: r.name,
            territory_id: r.territory_id,
            territory_name: r.territory_name,
        }
    }
}

/// The holidays that hold in a territory between two days: the national ones and those
/// of the territory and every territory above it.
pub(crate) async fn holiday_days(
    tx: &mut Tx,
    territory: Option<Uuid>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<HashSet<NaiveDate>, Error> {
    let mut chain: HashSet<Uuid> = HashSet::new();
    let mut next = territory;
    while let Some(t) = next {
        if !chain.insert(t) {
            break;
        }
        next = admin::territory(tx, t).await?.and_then(|t| t.parent_id);
    }
    Ok(store::between(tx, from, to)
        .await?
        .into_iter()
        .filter(|h| h.territory_id.is_none_or(|t| chain.contains(&t)))
        .map(|h| h.day)
        .collect())
}

impl Services {
    /// The public holidays of a year, every territory's (reference data, like the
    /// territories themselves).
    pub async fn holidays(&self, actor: &Actor, year: i32) -> Result<Vec<Holiday>, Error> {
        let _ = actor;
        if !(itinera_domain::input::FIRST_YEAR..=itinera_domain::input::LAST_YEAR).contains(&year) {
            return Err(Error::field("year", "holiday.year_invalid"));
        }
        let (Some(from), Some(to)) = (
            NaiveDate::from_ymd_opt(year, 1, 1),
            NaiveDate::from_ymd_opt(year, 12, 31),
        ) else {
            return Err(Error::field("year", "holiday.year_invalid"));
        };
        let mut tx = self.store.read().await?;
        let h = store::between(&mut tx, from, to).await?;
        tx.rollback().await?;
        Ok(h.into_iter().map(Into::into).collect())
    }

    pub async fn add_holiday(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        input: &HolidayInput,
    ) -> Result<Uuid, Error> {
        actor.require(Capability::Administer)?;
        let data = input.validate()?;
        let mut tx = self.store.write().await?;
        if let Some(t) = data.territory_id {
            admin::territory(&mut tx, t)
                .await?
                .ok_or(Error::field("territory_id", "validation.choice"))?;
        }
        if store::exists(&mut tx, data.day, data.territory_id).await? {
            return Err(Error::field("day", "holiday.duplicate"));
        }
        let id = ctx.new_id();
        store::insert(&mut tx, id, &data, Some(actor.user().0), ctx.now).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::HolidayAdd,
            Some(id),
            json!({"day": data.day, "territory": data.territory_id, "name": data.name}),
        )
        .await?;
        Ok(id)
    }

    pub async fn delete_holiday(&self, actor: &Actor, ctx: &Ctx, id: Uuid) -> Result<(), Error> {
        actor.require(Capability::Administer)?;
        let mut tx = self.store.write().await?;
        let h = store::get(&mut tx, id).await?.ok_or(Error::NotFound)?;
        store::delete(&mut tx, id).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::HolidayDelete,
            Some(id),
            json!({"day": h.day, "territory": h.territory_id, "name": h.name}),
        )
        .await?;
        Ok(())
    }

    /// Adds a country's national holidays of a year (named in `lang`), those not there
    /// yet; returns how many were added.
    pub async fn load_national_holidays(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        lang: Lang,
        country: &str,
        year: i32,
    ) -> Result<usize, Error> {
        actor.require(Capability::Administer)?;
        let mut e = itinera_domain::Errors::new();
        let country = e.take(
            "country",
            Country::parse(country.trim()).ok_or("validation.choice"),
        );
        let this_year = ctx.today().year();
        let year = e.take(
            "year",
            if (this_year - 5..=this_year + 10).contains(&year) {
                Ok(year)
            } else {
                Err("holiday.year_range")
            },
        );
        e.finish()?;
        let (Some(country), Some(year)) = (country, year) else {
            return Err(Error::Internal("holiday load input".into()));
        };
        let mut tx = self.store.write().await?;
        let added = add_national(&mut tx, ctx, Some(actor.user().0), lang, country, year).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::HolidayLoadNational,
            None,
            json!({"country": country.code(), "year": year, "added": added}),
        )
        .await?;
        Ok(added)
    }
}

/// Adds a country's national holidays of a year that are not there yet.
pub async fn add_national(
    tx: &mut Tx,
    ctx: &Ctx,
    by: Option<Uuid>,
    lang: Lang,
    country: Country,
    year: i32,
) -> Result<usize, Error> {
    let mut added = 0;
    for (day, key) in national(country, year) {
        if store::exists(tx, day, None).await? {
            continue;
        }
        let data = HolidayData {
            day,
            name: itinera_i18n::t(lang, key).to_string(),
            territory_id: None,
        };
        store::insert(tx, ctx.new_id(), &data, by, ctx.now).await?;
        added += 1;
    }
    Ok(added)
}
