//! A member's meetings by month, and the secret, revocable iCalendar feed of each
//! professional (no participant in it).

use chrono::{Duration, NaiveDate};
use itinera_domain::access::{Actor, Capability};
use itinera_domain::Error;
use itinera_store::coordination::{self as store};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{finish, Action};
use crate::{Ctx, Services};

/// A meeting in a member's calendar: no participant in it.
/// A meeting in a calendar: with its body's name.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CalendarEntry {
    pub id: Uuid,
    pub body_id: Uuid,
    pub body_name: String,
    pub meeting_date: NaiveDate,
    pub starts: String,
    pub ends: String,
    pub mode: String,
    pub place: Option<String>,
    pub link: Option<String>,
}

impl From<itinera_store::coordination::CalendarEntry> for CalendarEntry {
    fn from(r: itinera_store::coordination::CalendarEntry) -> Self {
        CalendarEntry {
            id: r.id,
            body_id: r.body_id,
            body_name: r.body_name,
            meeting_date: r.meeting_date,
            starts: r.starts,
            ends: r.ends,
            mode: r.mode,
            place: r.place,
            link: r.link,
        }
    }
}

impl Services {
    /// The meetings of the actor's bodies between two dates.
    pub async fn calendar(
        &self,
        actor: &Actor,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<CalendarEntry>, Error> {
        actor.require(Capability::Coordinate)?;
        if to < from || (to - from).num_days() > 400 {
            return Err(Error::field("to", "validation.date.range"));
        }
        let mut tx = self.store.read().await?;
        let c = store::calendar(&mut tx, actor.user(), actor.organisation(), from, to).await?;
        tx.commit().await?;
        Ok(c.into_iter().map(Into::into).collect())
    }

    /// Whether the actor has a live calendar feed (one made with an API token ends
    /// with the token).
    pub async fn has_calendar_feed(&self, actor: &Actor, ctx: &Ctx) -> Result<bool, Error> {
        let mut tx = self.store.read().await?;
        let has = store::has_feed(&mut tx, actor.user(), actor.organisation(), ctx.now).await?;
        tx.commit().await?;
        Ok(has)
    }

    /// A new secret feed token for the actor (the previous one stops working). Shown
    /// once; only its hash is kept. Made with an API token, it ends with that token
    /// (revoked or expired).
    pub async fn create_calendar_feed(&self, actor: &Actor, ctx: &Ctx) -> Result<String, Error> {
        actor.require(Capability::Coordinate)?;
        let token = format!("cal_{}", crate::auth::random_secret(32));
        let mut tx = self.store.write().await?;
        store::replace_feed(
            &mut tx,
            actor.user(),
            actor.organisation(),
            &crate::auth::secret_hash(&token),
            actor.token.as_ref().map(|t| t.token_id),
            ctx.now,
        )
        .await?;
        finish(
            tx,
            actor,
            ctx,
            Action::CalendarFeedCreate,
            Some(actor.user_id),
            json!({}),
        )
        .await?;
        Ok(token)
    }

    pub async fn revoke_calendar_feed(&self, actor: &Actor, ctx: &Ctx) -> Result<(), Error> {
        actor.require(Capability::Coordinate)?;
        let mut tx = self.store.write().await?;
        store::revoke_feeds(&mut tx, actor.user(), actor.organisation(), ctx.now).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::CalendarFeedRevoke,
            Some(actor.user_id),
            json!({}),
        )
        .await
    }

    /// The iCalendar text of a feed: the meetings of the owner's bodies from three months
    /// back to a year ahead. It names bodies, times and places — never a participant
    /// (agenda items are not in it). An unknown or revoked token, or a deactivated user,
    /// is `NotFound`.
    pub async fn calendar_feed(
        &self,
        token: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<String, Error> {
        let mut tx = self.store.read().await?;
        let (u, o) = store::feed_owner(&mut tx, &crate::auth::secret_hash(token), now)
            .await?
            .ok_or(Error::NotFound)?;
        let actor = crate::auth::actor_for(&mut tx, u, o)
            .await
            .map_err(|_| Error::NotFound)?;
        if !actor.can(Capability::Coordinate) {
            return Err(Error::NotFound);
        }
        let zone = self.settings.zone;
        let today = zone.local(now).date();
        let entries = store::calendar(
            &mut tx,
            actor.user(),
            actor.organisation(),
            today - Duration::days(90),
            today + Duration::days(366),
        )
        .await?;
        tx.commit().await?;
        let time = |d: NaiveDate, t: &str| {
            d.and_time(chrono::NaiveTime::parse_from_str(t, "%H:%M").unwrap_or_default())
        };
        let events: Vec<itinera_domain::calendar::Event> = entries
            .iter()
            .map(|e| itinera_domain::calendar::Event {
                uid: format!("{}@itinera", e.id),
                starts: zone.utc_of(time(e.meeting_date, &e.starts)),
                ends: zone.utc_of(time(e.meeting_date, &e.ends)),
                summary: e.body_name.clone(),
                location: e.place.clone(),
                url: e.link.clone(),
                description: None,
            })
            .collect();
        Ok(itinera_domain::calendar::ics("Itinera", &events, now))
    }
}
