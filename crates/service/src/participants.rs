//! The shared participant record: register, read, edit, search; consents.

use chrono::NaiveDate;
use chrono::{DateTime, Utc};
use itinera_domain::access::{Actor, Basis, Capability};
use itinera_domain::consent::{check_withdrawal, state_on, ConsentInput};
use itinera_domain::input::parse_date;
use itinera_domain::linkage::Outcome;
use itinera_domain::participant::{ParticipantData, ParticipantInput};
use itinera_domain::{Error, Page, PageRequest};
use itinera_store::{admin, cases, consents, participants, Tx};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{audit, finish, Action};
use crate::guard::require_basis;
use crate::{Ctx, Services};

// ---- What leaves the server -------------------------------------------------------

/// A participant as their page shows them, to a reader with a basis for them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ParticipantView {
    pub participant: Participant,
    pub basis: Basis,
    pub cases: Vec<crate::cases::Case>,
    pub consents: Vec<ConsentView>,
    pub viewers: Vec<Viewer>,
    /// The person this record belongs to in the master index.
    pub person: crate::linkage::PersonLinks,
}

/// A consent and how it stands today.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConsentView {
    #[serde(flatten)]
    pub consent: Consent,
    /// given, expired, withdrawn or not yet in force.
    pub state: &'static str,
}

/// A participant's record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Participant {
    pub id: Uuid,
    pub home_organisation_id: Uuid,
    pub home_organisation_name: String,
    pub territory_name: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the record was anonymised (erasure or retention): its identifying data are
    /// gone, what the indicators count stays.
    pub anonymised_at: Option<DateTime<Utc>>,
    #[serde(flatten)]
    pub data: ParticipantData,
}

impl From<itinera_store::participants::Participant> for Participant {
    fn from(r: itinera_store::participants::Participant) -> Self {
        Participant {
            id: r.id,
            home_organisation_id: r.home_organisation_id,
            home_organisation_name: r.home_organisation_name,
            territory_name: r.territory_name,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
            anonymised_at: r.anonymised_at,
            data: r.data,
        }
    }
}

/// One line of a result list (search, lists): identity numbers are masked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ParticipantSummary {
    pub id: Uuid,
    pub given_name: String,
    pub surname1: String,
    pub surname2: Option<String>,
    pub birth_date: NaiveDate,
    pub home_organisation_name: String,
    pub territory_name: Option<String>,
    pub document: Option<String>,
}

impl From<itinera_store::participants::Summary> for ParticipantSummary {
    fn from(r: itinera_store::participants::Summary) -> Self {
        ParticipantSummary {
            id: r.id,
            given_name: r.given_name,
            surname1: r.surname1,
            surname2: r.surname2,
            birth_date: r.birth_date,
            home_organisation_name: r.home_organisation_name,
            territory_name: r.territory_name,
            document: r.document,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Consent {
    pub id: Uuid,
    pub participant_id: Uuid,
    pub purpose: String,
    pub given_on: NaiveDate,
    pub expires_on: Option<NaiveDate>,
    pub withdrawn_on: Option<NaiveDate>,
    pub withdrawal_note: Option<String>,
    pub evidence: String,
    pub recorded_by_name: String,
    pub recorded_by_organisation_name: String,
    pub created_at: DateTime<Utc>,
    pub organisations: Vec<ScopeOrganisation>,
    pub organisation_kinds: Vec<String>,
}

impl From<itinera_store::consents::Consent> for Consent {
    fn from(r: itinera_store::consents::Consent) -> Self {
        Consent {
            id: r.id,
            participant_id: r.participant_id,
            purpose: r.purpose,
            given_on: r.given_on,
            expires_on: r.expires_on,
            withdrawn_on: r.withdrawn_on,
            withdrawal_note: r.withdrawal_note,
            evidence: r.evidence,
            recorded_by_name: r.recorded_by_name,
            recorded_by_organisation_name: r.recorded_by_organisation_name,
            created_at: r.created_at,
            organisations: r.organisations.into_iter().map(Into::into).collect(),
            organisation_kinds: r.organisation_kinds,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScopeOrganisation {
    pub id: Uuid,
    pub name: String,
}

impl From<itinera_store::consents::ScopeOrganisation> for ScopeOrganisation {
    fn from(r: itinera_store::consents::ScopeOrganisation) -> Self {
        ScopeOrganisation {
            id: r.id,
            name: r.name,
        }
    }
}

/// The organisations that may see a participant today and why: the registering one, and
/// each team organisation covered by an active sharing consent.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Viewer {
    pub organisation_id: Uuid,
    pub organisation_name: String,
    pub organisation_kind: String,
}

impl From<itinera_store::consents::Viewer> for Viewer {
    fn from(r: itinera_store::consents::Viewer) -> Self {
        Viewer {
            organisation_id: r.organisation_id,
            organisation_name: r.organisation_name,
            organisation_kind: r.organisation_kind,
        }
    }
}

impl ParticipantSummary {
    pub fn full_name(&self) -> String {
        match &self.surname2 {
            Some(s) => format!("{} {} {}", self.given_name, self.surname1, s),
            None => format!("{} {}", self.given_name, self.surname1),
        }
    }
}

// ---- Services -----------------------------------------------------------------------

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
#[derive(Debug, Clone, Serialize, ToSchema)]
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
        let cases = cases::for_participant(&mut tx, id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect();
        let consents = consents::list(&mut tx, id)
            .await?
            .into_iter()
            .map(|c| ConsentView {
                state: state_on(c.given_on, c.expires_on, c.withdrawn_on, ctx.today()).code(),
                consent: c.into(),
            })
            .collect();
        let viewers = consents::viewers(&mut tx, id, ctx.today())
            .await?
            .into_iter()
            .map(Into::into)
            .collect();
        let person = crate::linkage::person_links(&mut tx, actor, ctx, id).await?;
        finish(tx, actor, ctx, Action::ParticipantRead, Some(id), json!({})).await?;
        Ok(ParticipantView {
            participant: participant.into(),
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
        // Identity documents are kept by the organisation whose registry holds the
        // record: it alone changes them (a number taken in its registry is refused,
        // which would tell another service who is registered there).
        let numbers = |d: &[itinera_domain::participant::Document]| {
            let mut v: Vec<(String, String)> = d
                .iter()
                .map(|x| (x.kind.code().to_string(), x.number.clone()))
                .collect();
            v.sort();
            v
        };
        if current.home_organisation_id != actor.organisation_id
            && numbers(&current.data.documents) != numbers(&data.documents)
        {
            return Err(Error::field(
                "documents.0.number",
                "participant.document.home_only",
            ));
        }
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
    ) -> Result<Page<ParticipantSummary>, Error> {
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
        Ok(found.map(Into::into))
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
        let note = itinera_domain::input::optional_text(note, 2000)
            .map_err(|c| Error::field("note", c))?;
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
    "disability_declined",
    "disability_degree",
    "dependants",
    "single_parent",
    "homeless",
    "migrant",
    "minority",
    "minority_declined",
    "rural",
    "documents",
];
