//! One person, one record: the lookup every new record goes through, the review queue,
//! merges and unmerges, the deployment's thresholds, and the deduplication of the whole
//! registry.
//!
//! The index looks across organisations (a person registered by the municipality and by
//! an NGO is one person), but nobody sees more because of it: a record is shown only to
//! those with a basis for it; of a record they may not see, a reviewer sees how each
//! field compares (level and weight), never the values.
//!
//!
//! Each organisation keeps the record it registered (its *source record*); records found
//! to be the same person share a `person_id`. Every new record — form, API, import — is
//! looked up first (`service::linkage::lookup`): candidates come from index ranges (the
//! same identity number, the same birth date or with day and month swapped, the same
//! given name with either surname), are scored with the model fitted on the registry by
//! `itinera link registry` (or cautious priors until then; no value frequencies, which
//! a handful of candidates cannot give), and `domain::linkage::decide` chooses:
//!
//! - the best person at or above the **auto-link** threshold: if the organisation already
//!   has a record of that person, that record is used and nothing is created
//!   (`existing`); otherwise the new record joins the person (`linked`, a merge of kind
//!   `auto`);
//! - persons between the **review** and auto-link thresholds: the pair goes to the review
//!   queue (`review`); a decided pair never comes back (`link_reviews` keeps it);
//! - below: a new person.
//!
//! An edit looks the record up again and queues any other person it now matches (source
//! `edit`); an edit never merges by itself.
//!
//! **Merges** move records between persons and are kept (`merges`, `merge_members`):
//! unmerging moves exactly the records a merge moved back, and is refused while a later
//! merge has moved them on (undo that first); the unmerged pairs are remembered as
//! different. The property test undoes random merges in every allowed order and finds
//! the registry as it was.
//!
//! **Disclosure (the master index is not an oracle).** The index looks across
//! organisations, but what a user is told about a lookup never depends on records they
//! have no basis to see. A registration, an import (dry run or real) or an edit that
//! joins a record elsewhere, or queues a pair with one, answers "new" unless the actor
//! has a basis (`access::person_basis`) for that other record; the probability is not
//! sent either. The review queue holds only pairs whose two records the actor sees; a
//! record's page lists the merges of its person only when the actor sees every record of
//! that person. The links are still made (one person, one record: deduplication,
//! indicators) and become visible — and can be undone — once consent and a case team
//! give the basis; until then a hidden link changes nothing the actor sees. Every lookup
//! is audited (`master_index.lookup` for imports, dry runs included).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use itinera_domain::access::{Actor, Capability};
use itinera_domain::ids::ParticipantId;
use itinera_domain::linkage::{decide, Candidate, Outcome, Thresholds};
use itinera_domain::participant::ParticipantData;
use itinera_domain::text::fold;
use itinera_domain::{Error, Page, PageRequest};
use itinera_linkage::{Kind, Lookup, Model, Table};
use itinera_store::linkage as store;
use itinera_store::{access, Tx};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{audit, finish, Action};
use crate::{Caller, Ctx, Services};

/// The fields the index compares, in the order of its tables.
pub const FIELDS: [(&str, Kind); 10] = [
    ("given_name", Kind::GivenName),
    ("surname", Kind::Surname),
    ("birth_date", Kind::BirthDate),
    ("sex", Kind::Sex),
    ("document", Kind::Document),
    ("postcode", Kind::Postcode),
    ("municipality", Kind::Municipality),
    ("address", Kind::Address),
    ("phone", Kind::Phone),
    ("email", Kind::Email),
];

/// When no model has been fitted on the registry, the priors assume a registry of this
/// many records.
const PRIOR_POPULATION: usize = 100_000;
/// Records fetched per kind of candidate (identity number, birth date, names).
pub(crate) const CANDIDATE_LIMIT: i64 = 200;

pub(crate) fn fields() -> Vec<(String, Kind)> {
    FIELDS.iter().map(|(n, k)| ((*n).to_string(), *k)).collect()
}

pub(crate) fn link_err(e: itinera_linkage::LinkError) -> Error {
    Error::Internal(e.to_string())
}

fn surname(s1: &str, s2: Option<&str>) -> String {
    match s2 {
        Some(s) => format!("{s1} {s}"),
        None => s1.to_string(),
    }
}

pub(crate) fn record_values(r: &store::LinkRecord) -> Vec<String> {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    vec![
        r.given_name.clone(),
        surname(&r.surname1, r.surname2.as_deref()),
        r.birth_date.to_string(),
        r.sex.clone(),
        o(&r.document),
        o(&r.postcode),
        o(&r.territory_name),
        o(&r.address),
        o(&r.phone),
        o(&r.email),
    ]
}

pub(crate) fn data_values(d: &ParticipantData, territory: Option<&str>) -> Vec<String> {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    vec![
        d.given_name.clone(),
        surname(&d.surname1, d.surname2.as_deref()),
        d.birth_date.to_string(),
        d.sex.code().to_string(),
        d.documents
            .first()
            .map(|x| x.number.clone())
            .unwrap_or_default(),
        o(&d.postcode),
        territory.unwrap_or_default().to_string(),
        o(&d.address),
        o(&d.phone),
        o(&d.email),
    ]
}

pub(crate) fn push(table: &mut Table, id: &str, values: &[String]) -> Result<(), Error> {
    let refs: Vec<&str> = values.iter().map(String::as_str).collect();
    table.push(id, &refs).map_err(link_err)
}

/// The model lookups use: the one fitted on the registry when it fits these fields,
/// otherwise the priors.
pub(crate) fn model_of(settings: &store::Settings) -> Model {
    settings
        .model
        .as_deref()
        .and_then(|j| Model::from_json(j).ok())
        .filter(|m| {
            m.fields.len() == FIELDS.len()
                && m.fields
                    .iter()
                    .zip(FIELDS.iter())
                    .all(|(f, (n, k))| f.name == *n && f.kind == *k)
        })
        .unwrap_or_else(|| Model::from_priors(&fields(), PRIOR_POPULATION))
}

pub(crate) fn thresholds(settings: &store::Settings) -> Thresholds {
    Thresholds {
        auto_link: settings.auto_link,
        review: settings.review,
    }
}

/// After an edit, looks the record up again: any person it now matches (other than its
/// own) goes to the review queue — an edit never merges by itself. Returns the number
/// of pairs queued.
pub(crate) async fn review_after_edit(
    tx: &mut Tx,
    actor: &Actor,
    ctx: &Ctx,
    record: Uuid,
    data: &ParticipantData,
    territory: Option<&str>,
) -> Result<usize, Error> {
    let outcome = lookup(tx, actor.organisation_id, data, territory, Some(record)).await?;
    let found: Vec<Candidate> = match outcome {
        Outcome::Existing(c) => vec![c],
        Outcome::Link(top, rest) => std::iter::once(top).chain(rest).collect(),
        Outcome::New(rest) => rest,
    };
    let mut queued = 0;
    for c in found {
        if store::queue(tx, record, c.record, c.probability, "edit", ctx.now).await? {
            queued += 1;
            audit(
                tx,
                actor,
                ctx,
                Action::LinkageQueue,
                Some(record),
                json!({"with": c.record, "probability": c.probability, "source": "edit"}),
            )
            .await?;
        }
    }
    Ok(queued)
}

// ---- What leaves the server -------------------------------------------------------

/// A record of the master index, shown only to a reader with a basis for it. Its
/// person's id is not part of it: person ids are record ids, perhaps of records of
/// other organisations.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LinkRecord {
    pub id: Uuid,
    pub home_organisation_id: Uuid,
    pub home_organisation_name: String,
    pub given_name: String,
    pub surname1: String,
    pub surname2: Option<String>,
    pub sex: String,
    pub birth_date: NaiveDate,
    pub postcode: Option<String>,
    pub territory_name: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub document: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<itinera_store::linkage::LinkRecord> for LinkRecord {
    fn from(r: itinera_store::linkage::LinkRecord) -> Self {
        LinkRecord {
            id: r.id,
            home_organisation_id: r.home_organisation_id,
            home_organisation_name: r.home_organisation_name,
            given_name: r.given_name,
            surname1: r.surname1,
            surname2: r.surname2,
            sex: r.sex,
            birth_date: r.birth_date,
            postcode: r.postcode,
            territory_name: r.territory_name,
            address: r.address,
            phone: r.phone,
            email: r.email,
            document: r.document,
            created_at: r.created_at,
        }
    }
}

/// A pair in the review queue: never the records' ids (they travel with their sides,
/// and only when the reader may see them).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LinkReview {
    pub id: Uuid,
    pub match_probability: f64,
    pub source: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by_name: Option<String>,
}

impl From<itinera_store::linkage::Review> for LinkReview {
    fn from(r: itinera_store::linkage::Review) -> Self {
        LinkReview {
            id: r.id,
            match_probability: r.match_probability,
            source: r.source,
            status: r.status,
            created_at: r.created_at,
            decided_at: r.decided_at,
            decided_by_name: r.decided_by_name,
        }
    }
}

/// A merge: never the persons' ids (they are record ids, perhaps of records the reader
/// may not see).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Merge {
    pub id: Uuid,
    pub kind: String,
    pub match_probability: Option<f64>,
    pub review_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub created_by_name: Option<String>,
    pub undone_at: Option<DateTime<Utc>>,
    pub undone_by_name: Option<String>,
}

impl From<itinera_store::linkage::Merge> for Merge {
    fn from(r: itinera_store::linkage::Merge) -> Self {
        Merge {
            id: r.id,
            kind: r.kind,
            match_probability: r.match_probability,
            review_id: r.review_id,
            created_at: r.created_at,
            created_by_name: r.created_by_name,
            undone_at: r.undone_at,
            undone_by_name: r.undone_by_name,
        }
    }
}

/// The deployment's thresholds and when the model was fitted (never the model).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LinkageSettings {
    pub auto_link: f64,
    pub review: f64,
    pub model_fitted_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<itinera_store::linkage::Settings> for LinkageSettings {
    fn from(r: itinera_store::linkage::Settings) -> Self {
        LinkageSettings {
            auto_link: r.auto_link,
            review: r.review,
            model_fitted_at: r.model_fitted_at,
            updated_at: r.updated_at,
        }
    }
}

/// Why a pair scored what it scored: the prior, each field's level and weight, the
/// total. A side the reader may not see has its values blanked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Explanation {
    pub prior_weight: f64,
    pub fields: Vec<FieldExplanation>,
    pub total_weight: f64,
    pub match_probability: f64,
}

/// One field's part in a decision.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldExplanation {
    pub field: String,
    /// The kind of the field (given_name, surname, birth_date, document…).
    pub kind: &'static str,
    pub left: String,
    pub right: String,
    /// `None` when a side is missing: the field says nothing.
    pub level: Option<&'static str>,
    pub m: Option<f64>,
    pub u: Option<f64>,
    /// log2(m/u), including the frequency adjustment.
    pub weight: f64,
    /// The field's group (1 household, 2 area, 0 none): within a group only the
    /// strongest agreement counts.
    pub group: u8,
    /// The part of the weight due to how rare the shared value is.
    pub frequency_adjustment: f64,
}

impl From<itinera_linkage::Explanation> for Explanation {
    fn from(e: itinera_linkage::Explanation) -> Self {
        Explanation {
            prior_weight: e.prior_weight,
            total_weight: e.total_weight,
            match_probability: e.match_probability,
            fields: e
                .fields
                .into_iter()
                .map(|f| FieldExplanation {
                    field: f.field,
                    kind: f.kind.as_str(),
                    left: f.left,
                    right: f.right,
                    level: f.level,
                    m: f.m,
                    u: f.u,
                    weight: f.weight,
                    group: f.group,
                    frequency_adjustment: f.frequency_adjustment,
                })
                .collect(),
        }
    }
}

/// What a lookup found, for the response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LookupOutcome {
    /// `new`, `linked`, `review` or `existing`.
    pub outcome: &'static str,
    pub probability: Option<f64>,
    /// Pairs put in the review queue.
    pub queued: usize,
}

/// What the index looks for, for `data`: its identity numbers, its birth date (and the
/// same with day and month swapped when that is a date), its given name and surnames.
pub(crate) fn probe(data: &ParticipantData, exclude: Option<Uuid>) -> store::Probe {
    let b = data.birth_date;
    let mut birth_dates = vec![b];
    if b.day() <= 12 && b.day() != b.month() {
        if let Some(swapped) = chrono::NaiveDate::from_ymd_opt(b.year(), b.day(), b.month()) {
            birth_dates.push(swapped);
        }
    }
    store::Probe {
        documents: data
            .documents
            .iter()
            .map(|d| itinera_domain::documents::normalise(&d.number))
            .collect(),
        birth_dates,
        given_key: fold(&data.given_name),
        surnames: std::iter::once(fold(&data.surname1))
            .chain(data.surname2.as_deref().map(fold))
            .collect(),
        exclude,
    }
}

/// Looks for the person of `data` among the registry's records (every organisation's):
/// what to do with it. `exclude` is the record itself when it exists already.
pub(crate) async fn lookup(
    tx: &mut Tx,
    org: Uuid,
    data: &ParticipantData,
    territory: Option<&str>,
    exclude: Option<Uuid>,
) -> Result<Outcome, Error> {
    let settings = store::settings(tx).await?;
    let probe = probe(data, exclude);
    let cands = store::candidates(tx, &probe, CANDIDATE_LIMIT).await?;
    if cands.is_empty() {
        return Ok(Outcome::New(Vec::new()));
    }
    let mut table = Table::new(fields()).map_err(link_err)?;
    push(&mut table, "new", &data_values(data, territory))?;
    for c in &cands {
        push(&mut table, &c.id.to_string(), &record_values(c))?;
    }
    let found = Lookup::new(model_of(&settings))
        .score(table)
        .map_err(link_err)?;
    let scored: Vec<Candidate> = found
        .scores
        .iter()
        .filter_map(|s| cands.get(s.right as usize - 1).map(|c| (c, s)))
        .map(|(c, s)| Candidate {
            record: c.id,
            person: c.person_id,
            home_organisation: c.home_organisation_id,
            probability: s.match_probability,
        })
        .collect();
    let mut excluded = Vec::new();
    if let Some(x) = exclude {
        // A record is never a duplicate of its own person.
        if let Some(p) = store::person_of(tx, x).await? {
            excluded.push(p);
        }
        for other in store::different_from(tx, x).await? {
            if let Some(p) = store::person_of(tx, other).await? {
                excluded.push(p);
            }
        }
    }
    Ok(decide(&scored, thresholds(&settings), org, &excluded))
}

/// Applies a lookup's outcome to `record`, just created: joins it to the person found,
/// queues the doubtful pairs; each step audited.
pub(crate) async fn apply(
    tx: &mut Tx,
    actor: Caller<'_>,
    ctx: &Ctx,
    record: Uuid,
    outcome: &Outcome,
    source: &str,
) -> Result<LookupOutcome, Error> {
    let (link, reviews) = match outcome {
        Outcome::Existing(c) => {
            return Ok(LookupOutcome {
                outcome: outcome.code(),
                probability: Some(c.probability),
                queued: 0,
            })
        }
        Outcome::Link(top, r) => (Some(top), r.as_slice()),
        Outcome::New(r) => (None, r.as_slice()),
    };
    if let Some(top) = link {
        let merge = store::merge(
            tx,
            top.person,
            record,
            "auto",
            Some(top.probability),
            None,
            actor.actor().map(|a| a.user_id),
            ctx.now,
        )
        .await?;
        audit(tx, actor, ctx, Action::ParticipantLink, Some(record),
            json!({"merge": merge, "person": top.person, "with": top.record, "probability": top.probability, "source": source})).await?;
    }
    let mut queued_visible = 0;
    for c in reviews {
        if store::queue(tx, record, c.record, c.probability, source, ctx.now).await? {
            if sees(tx, actor, ctx, c.record).await? {
                queued_visible += 1;
            }
            audit(
                tx,
                actor,
                ctx,
                Action::LinkageQueue,
                Some(record),
                json!({"with": c.record, "probability": c.probability, "source": source}),
            )
            .await?;
        }
    }
    // What the actor is told: only what involves records it has a basis for.
    let link_seen = match link {
        Some(top) => sees(tx, actor, ctx, top.record).await?,
        None => false,
    };
    Ok(LookupOutcome {
        outcome: if link_seen {
            "linked"
        } else if queued_visible > 0 {
            "review"
        } else {
            "new"
        },
        probability: link.filter(|_| link_seen).map(|t| t.probability),
        queued: queued_visible,
    })
}

/// Whether the caller has a basis for `record` (the command line sees everything).
pub(crate) async fn sees(
    tx: &mut Tx,
    actor: Caller<'_>,
    ctx: &Ctx,
    record: Uuid,
) -> Result<bool, Error> {
    match actor.actor() {
        Some(a) => Ok(access::basis(
            tx,
            ParticipantId(record),
            a.organisation(),
            a.organisation_kind,
            ctx.today(),
        )
        .await?
        .is_some()),
        None => Ok(true),
    }
}

/// One side of a pair as the actor may see it: the record, or only that there is one.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Side {
    pub visible: bool,
    pub record: Option<LinkRecord>,
}

async fn side(tx: &mut Tx, actor: &Actor, ctx: &Ctx, id: Uuid) -> Result<Side, Error> {
    let visible = access::basis(
        tx,
        ParticipantId(id),
        actor.organisation(),
        actor.organisation_kind,
        ctx.today(),
    )
    .await?
    .is_some();
    Ok(Side {
        visible,
        record: if visible {
            store::record(tx, id).await?.map(Into::into)
        } else {
            None
        },
    })
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewItem {
    #[serde(flatten)]
    pub review: LinkReview,
    pub left: Side,
    pub right: Side,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewView {
    #[serde(flatten)]
    pub item: ReviewItem,
    /// Scored now, with the current model, on the records as they are now.
    pub explanation: Explanation,
    pub thresholds: Thresholds,
    /// Whether the two records are the same person now (a merge since).
    pub same_person: bool,
}

/// A merge as a record's page shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MergeView {
    #[serde(flatten)]
    pub merge: Merge,
    /// The records the merge moved, as the actor may see them.
    pub moved: Vec<Side>,
    pub can_undo: bool,
}

/// The person a record belongs to: the records of the person the actor may see, and
/// the merges that made it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonLinks {
    pub records: Vec<LinkRecord>,
    pub merges: Vec<MergeView>,
}

/// Inside a read of `record`'s page (already audited by it).
pub(crate) async fn person_links(
    tx: &mut Tx,
    actor: &Actor,
    ctx: &Ctx,
    record: Uuid,
) -> Result<PersonLinks, Error> {
    let person_id = store::person_of(tx, record).await?.ok_or(Error::NotFound)?;
    let records = store::person_records(
        tx,
        person_id,
        actor.organisation_id,
        actor.organisation_kind,
        ctx.today(),
    )
    .await?;
    let mut merges = Vec::new();
    // A merge shows a link; shown only when every record of the person is the actor's
    // to see (otherwise it would tell that a record exists elsewhere).
    // (Most people have no merge: the person's records are counted only when there are.)
    let found = store::merges_of(tx, person_id, record).await?;
    let sees_all =
        found.is_empty() || store::person_records_all(tx, person_id).await?.len() == records.len();
    'merges: for m in found.into_iter().filter(|_| sees_all) {
        // An undone merge moved records that are no longer the person's: it is shown
        // only when the actor may see each of them too.
        let mut moved = Vec::new();
        for id in store::merge_members(tx, m.id).await? {
            let s = side(tx, actor, ctx, id).await?;
            if !s.visible {
                continue 'merges;
            }
            moved.push(s);
        }
        let can_undo = m.undone_at.is_none() && actor.can(Capability::WritePersonData);
        merges.push(MergeView {
            merge: m.into(),
            moved,
            can_undo,
        });
    }
    Ok(PersonLinks {
        records: records.into_iter().map(Into::into).collect(),
        merges,
    })
}

/// Blanks the values of the sides the actor may not see.
fn mask(mut e: Explanation, left: bool, right: bool) -> Explanation {
    for f in &mut e.fields {
        if !left {
            f.left.clear();
        }
        if !right {
            f.right.clear();
        }
    }
    e
}

impl Services {
    /// The deployment's thresholds (administrators).
    pub async fn linkage_settings(&self, actor: &Actor) -> Result<LinkageSettings, Error> {
        actor.require(Capability::Administer)?;
        let mut tx = self.store.read().await?;
        let s = store::settings(&mut tx).await?;
        tx.commit().await?;
        Ok(s.into())
    }

    pub async fn set_linkage_thresholds(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        auto_link: &str,
        review: &str,
    ) -> Result<Thresholds, Error> {
        actor.require(Capability::Administer)?;
        let t = Thresholds::parse(auto_link, review)?;
        let mut tx = self.store.write().await?;
        store::set_thresholds(&mut tx, t.auto_link, t.review, actor.user_id, ctx.now).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::LinkageSettingsUpdate,
            None,
            json!({"auto_link": t.auto_link, "review": t.review}),
        )
        .await?;
        Ok(t)
    }

    /// The review queue: pairs with a record the actor may see on at least one side.
    pub async fn link_reviews(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        open_only: bool,
        page: PageRequest,
    ) -> Result<Page<ReviewItem>, Error> {
        actor.require(Capability::WritePersonData)?;
        let mut tx = self.store.audited_read().await?;
        let found = store::reviews_for(
            &mut tx,
            actor.organisation_id,
            actor.organisation_kind,
            ctx.today(),
            open_only,
            page,
        )
        .await?;
        let mut items = Vec::with_capacity(found.items.len());
        let mut shown = Vec::new();
        for r in &found.items {
            let left = side(&mut tx, actor, ctx, r.left_id).await?;
            let right = side(&mut tx, actor, ctx, r.right_id).await?;
            shown.extend(left.record.as_ref().map(|x| x.id));
            shown.extend(right.record.as_ref().map(|x| x.id));
            items.push(ReviewItem {
                review: r.clone().into(),
                left,
                right,
            });
        }
        finish(
            tx,
            actor,
            ctx,
            Action::LinkageReviewList,
            None,
            json!({"results": shown}),
        )
        .await?;
        Ok(Page {
            items,
            page: found.page,
            per_page: found.per_page,
            has_more: found.has_more,
        })
    }

    async fn review_item(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
    ) -> Result<(store::Review, ReviewItem), Error> {
        actor.require_person(Capability::WritePersonData)?;
        let review = store::review(tx, id).await?.ok_or(Error::NotFound)?;
        let left = side(tx, actor, ctx, review.left_id).await?;
        let right = side(tx, actor, ctx, review.right_id).await?;
        // Both records or nothing: a pair with a hidden record would disclose it.
        if !left.visible || !right.visible {
            return Err(Error::NotFound);
        }
        let item = ReviewItem {
            review: review.clone().into(),
            left,
            right,
        };
        Ok((review, item))
    }

    /// One pair side by side, with the field-by-field explanation.
    pub async fn link_review(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
    ) -> Result<ReviewView, Error> {
        let mut tx = self.store.audited_read().await?;
        let (review, item) = self.review_item(&mut tx, actor, ctx, id).await?;
        let settings = store::settings(&mut tx).await?;
        let l = store::record(&mut tx, review.left_id)
            .await?
            .ok_or(Error::NotFound)?;
        let r = store::record(&mut tx, review.right_id)
            .await?
            .ok_or(Error::NotFound)?;
        let mut table = Table::new(fields()).map_err(link_err)?;
        push(&mut table, "left", &record_values(&l))?;
        push(&mut table, "right", &record_values(&r))?;
        let lookup = Lookup::new(model_of(&settings));
        let found = lookup.score(table).map_err(link_err)?;
        let explanation = mask(
            lookup.explain(&found, 1).into(),
            item.left.visible,
            item.right.visible,
        );
        finish(tx, actor, ctx, Action::LinkageReviewRead, Some(id),
            json!({"left": item.left.record.as_ref().map(|x| x.id), "right": item.right.record.as_ref().map(|x| x.id)})).await?;
        Ok(ReviewView {
            item,
            explanation,
            thresholds: thresholds(&settings),
            same_person: l.person_id == r.person_id,
        })
    }

    /// Decides a pair: the same person (their persons are merged) or different (the
    /// pair never comes back). Returns the merge, if one was made.
    pub async fn decide_link_review(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
        same: bool,
    ) -> Result<Option<Uuid>, Error> {
        let mut tx = self.store.write().await?;
        let (review, _) = self.review_item(&mut tx, actor, ctx, id).await?;
        let r = &review;
        store::decide(
            &mut tx,
            id,
            if same { "same" } else { "different" },
            actor.user_id,
            actor.organisation_id,
            ctx.now,
        )
        .await?;
        let merge = if same {
            store::merge_records(
                &mut tx,
                r.left_id,
                r.right_id,
                "review",
                Some(r.match_probability),
                Some(id),
                Some(actor.user_id),
                ctx.now,
            )
            .await?
            .map(|(m, _)| m)
        } else {
            None
        };
        finish(
            tx,
            actor,
            ctx,
            Action::LinkageDecide,
            Some(id),
            json!({"same": same, "left": r.left_id, "right": r.right_id, "merge": merge}),
        )
        .await?;
        Ok(merge)
    }

    /// Undoes a merge: the records it moved go back to the person they came from, and
    /// each of their pairs with the records left behind is remembered as "different", so
    /// neither a lookup nor the batch joins them again. Returns a record the actor may
    /// see, to go back to.
    pub async fn unmerge(&self, actor: &Actor, ctx: &Ctx, merge_id: Uuid) -> Result<Uuid, Error> {
        actor.require_person(Capability::WritePersonData)?;
        let mut tx = self.store.write().await?;
        let m = store::merge_by_id(&mut tx, merge_id)
            .await?
            .ok_or(Error::NotFound)?;
        let moved = store::merge_members(&mut tx, merge_id).await?;
        let stayed: Vec<Uuid> = store::person_records_all(&mut tx, m.person_id)
            .await?
            .into_iter()
            .filter(|id| !moved.contains(id))
            .collect();
        // Undone only by whom sees every record it concerns (else the merge is hidden).
        for id in moved.iter().chain(&stayed) {
            if !side(&mut tx, actor, ctx, *id).await?.visible {
                return Err(Error::NotFound);
            }
        }
        let back_to = *moved.first().or(stayed.first()).ok_or(Error::NotFound)?;
        store::unmerge(&mut tx, merge_id, actor.user_id, ctx.now).await?;
        for a in &moved {
            for b in &stayed {
                store::mark_different(
                    &mut tx,
                    *a,
                    *b,
                    actor.user_id,
                    actor.organisation_id,
                    ctx.now,
                )
                .await?;
            }
        }
        finish(
            tx,
            actor,
            ctx,
            Action::LinkageUnmerge,
            Some(merge_id),
            json!({"moved": moved, "person": m.person_id, "back_to": m.absorbed_person_id}),
        )
        .await?;
        Ok(back_to)
    }
}

/// What the batch deduplication found (and, with `apply`, did).
#[derive(Debug, Clone, Serialize)]
pub struct RegistryReport {
    pub records: usize,
    pub persons_before: usize,
    pub thresholds: Thresholds,
    /// Clusters of more than one record at the auto-link threshold.
    pub clusters: Vec<Vec<Uuid>>,
    /// How many clusters of each size (size → count), single records included.
    pub sizes: Vec<(usize, usize)>,
    /// Pairs at or above the auto-link threshold whose records are different persons now.
    pub to_link: Vec<ReportPair>,
    /// Pairs between the thresholds, not yet queued or decided.
    pub uncertain: Vec<ReportPair>,
    pub model: Model,
    pub applied: bool,
    pub merges: usize,
    pub queued: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReportPair {
    pub left: Uuid,
    pub right: Uuid,
    pub match_probability: f64,
}

impl Services {
    /// Deduplicates the whole registry (the command line, before go-live or
    /// periodically): scores every candidate pair with a model fitted on the registry,
    /// stores that model for lookups, and reports the clusters and the uncertain pairs.
    /// With `apply`, in one transaction, links the sure pairs (merges of kind
    /// `registry`) and queues the uncertain ones; pairs decided before are left alone.
    pub async fn dedupe_registry(&self, ctx: &Ctx, apply: bool) -> Result<RegistryReport, Error> {
        let mut tx = self.store.read().await?;
        let records = store::all_records(&mut tx).await?;
        let settings = store::settings(&mut tx).await?;
        let decided: HashSet<(Uuid, Uuid)> = store::all_pairs(&mut tx).await?.into_iter().collect();
        tx.commit().await?;
        let t = thresholds(&settings);
        let mut table = Table::new(fields()).map_err(link_err)?;
        for r in &records {
            push(&mut table, &r.id.to_string(), &record_values(r))?;
        }
        let ds = itinera_linkage::Dataset::dedupe(table);
        let opts = itinera_linkage::Options {
            threshold: t.auto_link,
            keep_above: t.review,
            ..Default::default()
        };
        let run = if records.len() < 2 {
            None
        } else {
            Some(itinera_linkage::run(&ds, &opts).map_err(link_err)?)
        };
        let model = run
            .as_ref()
            .map(|l| l.model.clone())
            .unwrap_or_else(|| Model::from_priors(&fields(), PRIOR_POPULATION));
        let mut members: HashMap<u32, Vec<Uuid>> = HashMap::new();
        if let Some(l) = &run {
            for (record, c) in records.iter().zip(&l.clusters) {
                members.entry(*c).or_default().push(record.id);
            }
        }
        let mut sizes: HashMap<usize, usize> = HashMap::new();
        for m in members.values() {
            *sizes.entry(m.len()).or_insert(0) += 1;
        }
        let mut sizes: Vec<(usize, usize)> = sizes.into_iter().collect();
        sizes.sort_unstable();
        let mut clusters: Vec<Vec<Uuid>> = members.into_values().filter(|m| m.len() > 1).collect();
        clusters.iter_mut().for_each(|c| c.sort_unstable());
        clusters.sort_unstable();
        let persons_before = records
            .iter()
            .map(|r| r.person_id)
            .collect::<HashSet<_>>()
            .len();
        let (mut to_link, mut uncertain) = (Vec::new(), Vec::new());
        for p in run.iter().flat_map(|l| l.pairs.iter()) {
            let (Some(a), Some(b)) = (records.get(p.left as usize), records.get(p.right as usize))
            else {
                continue;
            };
            if a.person_id == b.person_id || decided.contains(&(a.id.min(b.id), a.id.max(b.id))) {
                continue;
            }
            let pair = ReportPair {
                left: a.id.min(b.id),
                right: a.id.max(b.id),
                match_probability: p.match_probability,
            };
            if p.match_probability >= t.auto_link {
                to_link.push(pair);
            } else {
                uncertain.push(pair);
            }
        }
        let (mut merges, mut queued) = (0, 0);
        let mut tx = self.store.write().await?;
        store::set_model(
            &mut tx,
            &serde_json::to_string(&model).map_err(|e| Error::Internal(e.to_string()))?,
            ctx.now,
        )
        .await?;
        if apply {
            for p in &to_link {
                let Some((m, keep)) = store::merge_records(
                    &mut tx,
                    p.left,
                    p.right,
                    "registry",
                    Some(p.match_probability),
                    None,
                    None,
                    ctx.now,
                )
                .await?
                else {
                    continue;
                };
                merges += 1;
                audit(&mut tx, Caller::CommandLine, ctx, Action::ParticipantLink, Some(p.right),
                    json!({"merge": m, "person": keep, "with": p.left, "probability": p.match_probability, "source": "registry"})).await?;
            }
            for p in &uncertain {
                if store::queue(
                    &mut tx,
                    p.left,
                    p.right,
                    p.match_probability,
                    "registry",
                    ctx.now,
                )
                .await?
                {
                    queued += 1;
                }
            }
        }
        finish(tx, Caller::CommandLine, ctx, Action::LinkageRegistry, None,
            json!({"records": records.len(), "to_link": to_link.len(), "uncertain": uncertain.len(), "applied": apply, "merges": merges, "queued": queued})).await?;
        Ok(RegistryReport {
            records: records.len(),
            persons_before,
            thresholds: t,
            clusters,
            sizes,
            to_link,
            uncertain,
            model,
            applied: apply,
            merges,
            queued,
        })
    }
}
