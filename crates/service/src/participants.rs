//! The shared participant record: register, read, edit, search; consents.

use chrono::NaiveDate;
use itinera_domain::access::{Actor, Basis, Capability};
use itinera_domain::consent::{check_withdrawal, state_on, ConsentInput};
use itinera_domain::input::parse_date;
use itinera_domain::linkage::Outcome;
use itinera_domain::participant::ParticipantInput;
use itinera_domain::{Error, Page, PageRequest};
use itinera_store::participants::{Participant, Summary};
use itinera_store::{admin, cases, consents, participants, Tx};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::audit::{audit, finish, Action};
use crate::guard::require_basis;
use crate::{Ctx, Services};

/// A participant as their page shows them.
#[derive(Debug, Clone, Serialize)]
pub struct ParticipantView {
    pub participant: Participant,
    pub basis: Basis,
    pub cases: Vec<cases::Case>,
    pub consents: Vec<ConsentView>,
    pub viewers: Vec<consents::Viewer>,
    /// The person this record belongs to in the master index.
    pub person: crate::linkage::PersonLinks,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConsentView {
    #[serde(flatten)]
    pub consent: consents::Consent,
    pub state: &'static str,
}

/// Checks the territory exists; its name (the index compares it as the municipality).
async fn check_territory(tx: &mut Tx, id: Option<Uuid>) -> Result<Option<String>, Error> {
    match id {
        Some(t) => admin::territory(tx, t)
            .await?
            .map(|t| Some(t.name))
            .ok_or_else(|| Error::field("territory_id", "validation.choice")),
        None => Ok(None),
    }
}

/// A registration's result: the record (new, or the organisation's existing one) and
/// what the master index did.
#[derive(Debug, Clone, Serialize)]
pub struct Registered {
    pub id: Uuid,
    #[serde(flatten)]
    pub link: crate::linkage::LookupOutcome,
}

impl Services {
    /// Registers a participant for the actor's organisation, after looking the person
    /// up in the master index: the organisation's own record of a sure match is used
    /// instead (nothing is created); a sure match registered elsewhere is joined to the
    /// new record's person; doubtful ones go to the review queue.
    pub async fn register_participant(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        input: &ParticipantInput,
    ) -> Result<Registered, Error> {
        actor.require(Capability::WritePersonData)?;
        let data = input.validate(ctx.today())?;
        let mut tx = self.store.write().await?;
        let territory = check_territory(&mut tx, data.territory_id).await?;
        let outcome = crate::linkage::lookup(
            &mut tx,
            actor.organisation_id,
            &data,
            territory.as_deref(),
            None,
        )
        .await?;
        let id = match &outcome {
            Outcome::Existing(c) => c.record,
            _ => {
                let id = ctx.new_id();
                participants::insert(
                    &mut tx,
                    id,
                    actor.organisation_id,
                    &data,
                    actor.user_id,
                    ctx.now,
                )
                .await?;
                audit(
                    &mut tx,
                    actor,
                    ctx,
                    Action::ParticipantCreate,
                    Some(id),
                    json!({}),
                )
                .await?;
                id
            }
        };
        let link =
            crate::linkage::apply(&mut tx, actor.into(), ctx, id, &outcome, "register").await?;
        if let Outcome::Existing(c) = &outcome {
            audit(
                &mut tx,
                actor,
                ctx,
                Action::ParticipantMatchExisting,
                Some(id),
                json!({"probability": c.probability}),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(Registered { id, link })
    }

    /// A participant's whole page: record, cases, consents and who may see them.
    pub async fn participant(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
    ) -> Result<ParticipantView, Error> {
        let mut tx = self.store.audited_read().await?;
        let basis = require_basis(&mut tx, actor, ctx, Capability::ReadPersonData, id).await?;
        let participant = participants::get(&mut tx, id)
            .await?
            .ok_or(Error::NotFound)?;
        let cases = cases::for_participant(&mut tx, id).await?;
        let consents = consents::list(&mut tx, id)
            .await?
            .into_iter()
            .map(|c| ConsentView {
                state: state_on(c.given_on, c.expires_on, c.withdrawn_on, ctx.today()).code(),
                consent: c,
            })
            .collect();
        let viewers = consents::viewers(&mut tx, id, ctx.today()).await?;
        let person = crate::linkage::person_links(&mut tx, actor, ctx, id).await?;
        finish(tx, actor, ctx, Action::ParticipantRead, Some(id), json!({})).await?;
        Ok(ParticipantView {
            participant,
            basis,
            cases,
            consents,
            viewers,
            person,
        })
    }

    /// Edits a participant's record; `version` is the one the editor saw.
    pub async fn update_participant(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
        version: i32,
        input: &ParticipantInput,
    ) -> Result<i32, Error> {
        let data = input.validate(ctx.today());
        let mut tx = self.store.write().await?;
        require_basis(&mut tx, actor, ctx, Capability::WritePersonData, id).await?;
        let data = data?;
        let territory = check_territory(&mut tx, data.territory_id).await?;
        let current = participants::get(&mut tx, id)
            .await?
            .ok_or(Error::NotFound)?;
        let v = participants::update(
            &mut tx,
            id,
            current.home_organisation_id,
            version,
            &data,
            ctx.now,
        )
        .await?;
        let changed = changed_fields(&current.data.to_input(), input);
        crate::linkage::review_after_edit(&mut tx, actor, ctx, id, &data, territory.as_deref())
            .await?;
        finish(
            tx,
            actor,
            ctx,
            Action::ParticipantUpdate,
            Some(id),
            json!({"fields": changed}),
        )
        .await?;
        Ok(v)
    }

    /// Searches the participants the actor may see. The query itself is not logged.
    pub async fn search_participants(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        query: &str,
        page: PageRequest,
    ) -> Result<Page<Summary>, Error> {
        actor.require(Capability::ReadPersonData)?;
        let mut tx = self.store.audited_read().await?;
        let found = participants::search(
            &mut tx,
            actor.organisation_id,
            actor.organisation_kind,
            ctx.today(),
            query,
            page,
        )
        .await?;
        let ids: Vec<Uuid> = found.items.iter().map(|s| s.id).collect();
        finish(
            tx,
            actor,
            ctx,
            Action::ParticipantSearch,
            None,
            json!({"results": ids}),
        )
        .await?;
        Ok(found)
    }

    pub async fn add_consent(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        pid: Uuid,
        input: &ConsentInput,
    ) -> Result<Uuid, Error> {
        let data = input.validate(ctx.today());
        let mut tx = self.store.write().await?;
        require_basis(&mut tx, actor, ctx, Capability::WritePersonData, pid).await?;
        let data = data?;
        let p = participants::get(&mut tx, pid)
            .await?
            .ok_or(Error::NotFound)?;
        let id = ctx.new_id();
        consents::insert(
            &mut tx,
            &consents::NewConsent {
                id,
                participant_id: pid,
                home_organisation_id: p.home_organisation_id,
                data: &data,
                recorded_by: actor.user_id,
                recorded_by_organisation_id: actor.organisation_id,
                now: ctx.now,
            },
        )
        .await?;
        finish(
            tx,
            actor,
            ctx,
            Action::ConsentCreate,
            Some(pid),
            json!({"consent": id, "purpose": data.purpose.code()}),
        )
        .await?;
        Ok(id)
    }

    pub async fn withdraw_consent(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        consent_id: Uuid,
        on: &str,
        note: &str,
    ) -> Result<Uuid, Error> {
        let mut tx = self.store.write().await?;
        let (pid, given_on, withdrawn_on) = consents::get(&mut tx, consent_id)
            .await?
            .ok_or(Error::NotFound)?;
        require_basis(&mut tx, actor, ctx, Capability::WritePersonData, pid).await?;
        let on: NaiveDate = if on.trim().is_empty() {
            ctx.today()
        } else {
            parse_date(on).map_err(|code| Error::field("withdrawn_on", code))?
        };
        check_withdrawal(given_on, withdrawn_on, on, ctx.today()).map_err(|code| match code {
            "consent.already_withdrawn" => Error::Rule(code),
            _ => Error::field("withdrawn_on", code),
        })?;
        let note = itinera_domain::text::clean(note);
        consents::withdraw(&mut tx, consent_id, on, note.as_deref()).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::ConsentWithdraw,
            Some(pid),
            json!({"consent": consent_id}),
        )
        .await?;
        Ok(pid)
    }
}

fn changed_fields(before: &ParticipantInput, after: &ParticipantInput) -> Vec<&'static str> {
    let b = serde_json::to_value(before).unwrap_or_default();
    let a = serde_json::to_value(after).unwrap_or_default();
    let mut out = Vec::new();
    for key in FIELDS {
        if b.get(key) != a.get(key) {
            out.push(*key);
        }
    }
    out
}

const FIELDS: &[&str] = &[
    "given_name",
    "surname1",
    "surname2",
    "sex",
    "birth_date",
    "nationality",
    "address",
    "postcode",
    "territory_id",
    "phone",
    "email",
    "isced_level",
    "labour_status",
    "labour_status_since",
    "disability",
    "disability_degree",
    "dependants",
    "single_parent",
    "homeless",
    "migrant",
    "minority",
    "rural",
    "documents",
];
