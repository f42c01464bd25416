//! The data-protection office's operations on one record (GDPR Art. 17 and 18) and the
//! retention rules (the rules themselves: `itinera_domain::privacy`).
//!
//! - `privacy_record`: the record's state — restrictions, legal holds, why an erasure
//!   is refused today — read by the office (audited). It does not name the person: the
//!   office comes to it from the answer to the person's request (`subject_access`),
//!   which does, under the request's reference.
//! - `restrict` / `lift_restriction`: freeze and unfreeze under a request's reference.
//!   While frozen, the access rule gives nobody a basis, so it leaves every list,
//!   search and page; the office still reads it through `subject_access`.
//! - `place_legal_hold` / `release_legal_hold`; `erase`: anonymisation, refused with
//!   the reason while a hold applies. The record, its cases and their work stay (the
//!   indicators count them); names, documents, contact details and text about the
//!   person go. The audit log keeps the fact under the record's id, never the identity.
//! - `retention_rules`, `set_retention_rule`, `run_retention` (dry or real, by hand),
//!   `scheduled_retention` (the server's daily run, once per deployment),
//!   `retention_runs`: every run keeps its report.
//!
//! The office is the auditor role (`Capability::AnswerSubjectRequests`), acting in
//! person: never through a token an administrator issued. Administrators set the
//! retention rules and may run them (they see counts, never a person).

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::access::{Actor, Capability};
use itinera_domain::itinerary::Snapshot;
use itinera_domain::privacy::{
    erasure_holds, generalise_birth_date, Hold, LegalHoldInput, PeriodUnit, PrivacyRequestInput,
    RecordKind, RetentionEffect, RetentionRuleInput,
};
use itinera_domain::Error;
use itinera_store::{privacy as store, Tx};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{audit, finish, Action};
use crate::{Caller, Ctx, Services};

// ---- What leaves the server -------------------------------------------------------

/// A record as the data-protection office manages it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PrivacyRecord {
    pub id: Uuid,
    pub home_organisation_id: Uuid,
    pub home_organisation_name: String,
    pub restricted_at: Option<DateTime<Utc>>,
    pub anonymised_at: Option<DateTime<Utc>>,
    pub restrictions: Vec<Restriction>,
    pub legal_holds: Vec<LegalHold>,
    /// Why an erasure is refused today (empty: it may be erased).
    pub holds: Vec<Hold>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Restriction {
    pub id: Uuid,
    pub reference: String,
    pub reason: String,
    pub placed_at: DateTime<Utc>,
    pub placed_by: String,
    pub lifted_at: Option<DateTime<Utc>>,
    pub lifted_by: Option<String>,
    pub lift_reference: Option<String>,
    pub lift_reason: Option<String>,
}

impl From<store::Restriction> for Restriction {
    fn from(r: store::Restriction) -> Self {
        Restriction {
            id: r.id,
            reference: r.reference,
            reason: r.reason,
            placed_at: r.placed_at,
            placed_by: r.placed_by_name,
            lifted_at: r.lifted_at,
            lifted_by: r.lifted_by_name,
            lift_reference: r.lift_reference,
            lift_reason: r.lift_reason,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LegalHold {
    pub id: Uuid,
    pub participant_id: Uuid,
    pub reference: String,
    pub reason: String,
    /// The day it ends by itself (none: until released).
    pub until: Option<NaiveDate>,
    pub placed_at: DateTime<Utc>,
    pub placed_by: String,
    pub released_at: Option<DateTime<Utc>>,
    pub released_by: Option<String>,
}

impl From<store::LegalHold> for LegalHold {
    fn from(h: store::LegalHold) -> Self {
        LegalHold {
            id: h.id,
            participant_id: h.participant_id,
            reference: h.reference,
            reason: h.reason,
            until: h.until,
            placed_at: h.placed_at,
            placed_by: h.placed_by_name,
            released_at: h.released_at,
            released_by: h.released_by_name,
        }
    }
}

/// What an erasure removed, by kind of record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Erasure {
    pub participant_id: Uuid,
    pub erased_at: DateTime<Utc>,
    pub cleared: Vec<Cleared>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Cleared {
    /// `documents`, `contacts`, `assessments`… (rows whose identifying text was cleared
    /// or, for documents and source ids, deleted).
    pub kind: String,
    pub count: u64,
}

/// Whether a record may be erased today.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErasureCheck {
    pub participant_id: Uuid,
    /// No hold applies and it is not anonymised yet.
    pub erasable: bool,
    pub anonymised_at: Option<DateTime<Utc>>,
    /// Why an erasure is refused today.
    pub holds: Vec<Hold>,
}

/// A retention rule as it applies now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RetentionRule {
    pub kind: RecordKind,
    pub unit: PeriodUnit,
    pub effect: RetentionEffect,
    /// The period in force (none: kept until a rule is set).
    pub period: Option<u32>,
    pub default_period: Option<u32>,
    /// Whether someone set it (otherwise the default holds).
    pub set: bool,
    /// Whether the reader may set it: an administrator the periods of what is not a
    /// person's record; the data-protection office those of people's records.
    pub settable: bool,
}

/// One kind's line of a retention run.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RetentionLine {
    pub kind: String,
    pub period: Option<u32>,
    /// Records past their period on the run's day, held ones included.
    pub due: u64,
    /// Of those, held back (frozen, under a legal hold, a contract running).
    pub held: u64,
    /// Anonymised or deleted (0 in a dry run).
    pub done: u64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RetentionRun {
    pub id: Uuid,
    /// The day of a scheduled run (none: run by hand).
    pub scheduled_on: Option<NaiveDate>,
    pub dry_run: bool,
    pub run_by: Option<String>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Per kind (empty while it runs).
    pub lines: Vec<RetentionLine>,
}

impl From<store::Run> for RetentionRun {
    fn from(r: store::Run) -> Self {
        RetentionRun {
            id: r.id,
            scheduled_on: r.scheduled_on,
            dry_run: r.dry_run,
            run_by: r.run_by_name,
            started_at: r.started_at,
            finished_at: r.finished_at,
            lines: r
                .report
                .as_deref()
                .and_then(|s| serde_json::from_str(s).ok())
                .unwrap_or_default(),
        }
    }
}

/// How to run the rules by hand.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(default)]
pub struct RetentionRunInput {
    /// Count only, change nothing (default: true; only an explicit `false` changes data).
    #[serde(deserialize_with = "dry_unless_false")]
    pub dry_run: bool,
}

fn dry_unless_false<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(match v {
        serde_json::Value::Bool(b) => b,
        serde_json::Value::String(s) => !matches!(s.as_str(), "false" | "0" | "no" | "off"),
        _ => true,
    })
}

impl Default for RetentionRunInput {
    fn default() -> Self {
        RetentionRunInput { dry_run: true }
    }
}

// ---- Rules ---------------------------------------------------------------------

/// The office acts in person: not through a token an administrator issued.
pub fn require_office(actor: &Actor) -> Result<(), Error> {
    actor.require(Capability::AnswerSubjectRequests)?;
    if actor
        .token
        .as_ref()
        .is_some_and(|t| t.issued_by.is_some_and(|by| by != actor.user_id))
    {
        return Err(Error::Forbidden);
    }
    Ok(())
}

/// Who sets a kind's period. How long people's records are kept (after which they are
/// anonymised for good) is the data-protection office's decision, not one
/// administrator's: otherwise one administrator could shorten it and have the day's run
/// anonymise everyone past it. Administrators set the rest (import reports, mail,
/// notifications).
pub fn may_set_retention(actor: &Actor, kind: RecordKind) -> bool {
    if kind.effect() == RetentionEffect::Anonymise {
        require_office(actor).is_ok()
    } else {
        actor.can(Capability::Administer)
    }
}

fn require_office_or_admin(actor: &Actor) -> Result<(), Error> {
    if actor.can(Capability::Administer) {
        Ok(())
    } else {
        require_office(actor)
    }
}

/// The period in force of every kind.
async fn periods(tx: &mut Tx) -> Result<HashMap<RecordKind, (Option<u32>, bool)>, Error> {
    let set: HashMap<String, Option<i32>> = store::rules(tx).await?.into_iter().collect();
    Ok(RecordKind::ALL
        .iter()
        .map(|k| {
            let v = match set.get(k.code()) {
                Some(p) => (p.and_then(|p| u32::try_from(p).ok()), true),
                None => (k.default_period(), false),
            };
            (*k, v)
        })
        .collect())
}

async fn holds_of(tx: &mut Tx, pid: Uuid, today: NaiveDate) -> Result<Vec<Hold>, Error> {
    let facts = store::erasure_facts(tx, pid).await?;
    let closed_years = periods(tx)
        .await?
        .get(&RecordKind::ClosedCases)
        .and_then(|p| p.0);
    Ok(erasure_holds(&facts, closed_years, today))
}

/// Anonymises one record inside `tx` (see the module's doc).
async fn anonymise(tx: &mut Tx, pid: Uuid, now: DateTime<Utc>) -> Result<Vec<Cleared>, Error> {
    let birth = store::birth_date(tx, pid).await?.ok_or(Error::NotFound)?;
    let counted = store::counted_days(tx, pid).await?;
    let birth = generalise_birth_date(birth, &counted);
    let mut versions = 0;
    for (id, snapshot) in store::version_snapshots(tx, pid).await? {
        let s: Snapshot =
            serde_json::from_str(&snapshot).map_err(|e| Error::Internal(e.to_string()))?;
        let s =
            serde_json::to_string(&s.anonymised()).map_err(|e| Error::Internal(e.to_string()))?;
        store::set_snapshot(tx, id, &s).await?;
        versions += 1;
    }
    // The notes of each domain's score (the levels are what the figures count).
    let mut notes = 0;
    for (id, scores) in store::assessment_scores(tx, pid).await? {
        let mut v: Vec<itinera_domain::assessment::Score> =
            serde_json::from_str(&scores).map_err(|e| Error::Internal(e.to_string()))?;
        if v.iter().all(|s| s.note.is_none()) {
            continue;
        }
        v.iter_mut().for_each(|s| s.note = None);
        let v = serde_json::to_string(&v).map_err(|e| Error::Internal(e.to_string()))?;
        store::set_scores(tx, id, &v).await?;
        notes += 1;
    }
    let cleared = store::anonymise(tx, pid, birth, itinera_clock::new_id(now), now).await?;
    let imports = crate::imports::forget_record_in_imports(tx, pid).await?;
    let mut out: Vec<Cleared> = cleared
        .counts
        .into_iter()
        .map(|(kind, count)| Cleared {
            kind: kind.to_string(),
            count,
        })
        .collect();
    if imports > 0 {
        out.push(Cleared {
            kind: "import_reports".into(),
            count: imports,
        });
    }
    if versions > 0 {
        out.push(Cleared {
            kind: "itinerary_snapshots".into(),
            count: versions,
        });
    }
    if notes > 0 {
        out.push(Cleared {
            kind: "assessment_scores".into(),
            count: notes,
        });
    }
    Ok(out)
}

/// Persons anonymised per transaction by a retention run.
const BATCH: i64 = 100;
/// A scheduled retention run left unfinished this long (it failed, or its server
/// stopped) is taken up again by the next sweep.
const RUN_TAKEN_UP_AFTER_MINUTES: i64 = 30;

impl Services {
    /// The record's privacy state, for the data-protection office.
    pub async fn privacy_record(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
    ) -> Result<PrivacyRecord, Error> {
        require_office(actor)?;
        let mut tx = self.store.audited_read().await?;
        let r = store::record(&mut tx, id).await?.ok_or(Error::NotFound)?;
        let restrictions = store::restrictions(&mut tx, id).await?;
        let legal_holds = store::legal_holds(&mut tx, id).await?;
        let holds = holds_of(&mut tx, id, ctx.today()).await?;
        finish(tx, actor, ctx, Action::PrivacyRead, Some(id), json!({})).await?;
        Ok(PrivacyRecord {
            id: r.id,
            home_organisation_id: r.home_organisation_id,
            home_organisation_name: r.home_organisation_name,
            restricted_at: r.restricted_at,
            anonymised_at: r.anonymised_at,
            restrictions: restrictions.into_iter().map(Into::into).collect(),
            legal_holds: legal_holds.into_iter().map(Into::into).collect(),
            holds,
        })
    }

    /// Freezes the record (GDPR Art. 18) under the request's reference.
    pub async fn restrict(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
        input: &PrivacyRequestInput,
    ) -> Result<(), Error> {
        require_office(actor)?;
        let req = input.validate()?;
        let mut tx = self.store.write().await?;
        let r = store::record(&mut tx, id).await?.ok_or(Error::NotFound)?;
        if r.anonymised_at.is_some() {
            return Err(Error::Rule("privacy.anonymised"));
        }
        if !store::restrict(&mut tx, ctx.new_id(), id, &req, actor.user_id, ctx.now).await? {
            return Err(Error::Rule("restriction.already"));
        }
        finish(
            tx,
            actor,
            ctx,
            Action::ParticipantRestrict,
            Some(id),
            json!({"reference": req.reference}),
        )
        .await
    }

    /// Lifts the record's restriction under the request's reference.
    pub async fn lift_restriction(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
        input: &PrivacyRequestInput,
    ) -> Result<(), Error> {
        require_office(actor)?;
        let req = input.validate()?;
        let mut tx = self.store.write().await?;
        store::record(&mut tx, id).await?.ok_or(Error::NotFound)?;
        if !store::lift(&mut tx, id, &req, actor.user_id, ctx.now).await? {
            return Err(Error::Rule("restriction.none"));
        }
        finish(
            tx,
            actor,
            ctx,
            Action::ParticipantRestrictionLift,
            Some(id),
            json!({"reference": req.reference}),
        )
        .await
    }

    pub async fn place_legal_hold(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
        input: &LegalHoldInput,
    ) -> Result<Uuid, Error> {
        require_office(actor)?;
        let data = input.validate(ctx.today())?;
        let mut tx = self.store.write().await?;
        let r = store::record(&mut tx, id).await?.ok_or(Error::NotFound)?;
        if r.anonymised_at.is_some() {
            return Err(Error::Rule("privacy.anonymised"));
        }
        let hold = ctx.new_id();
        store::place_hold(&mut tx, hold, id, &data, actor.user_id, ctx.now).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::LegalHoldPlace,
            Some(id),
            json!({"hold": hold, "reference": data.reference, "until": data.until}),
        )
        .await?;
        Ok(hold)
    }

    pub async fn release_legal_hold(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        hold: Uuid,
    ) -> Result<LegalHold, Error> {
        require_office(actor)?;
        let mut tx = self.store.write().await?;
        let h = store::legal_hold(&mut tx, hold)
            .await?
            .ok_or(Error::NotFound)?;
        if !store::release_hold(&mut tx, hold, actor.user_id, ctx.now).await? {
            return Err(Error::Rule("legal_hold.released"));
        }
        let h2 = store::legal_hold(&mut tx, hold)
            .await?
            .ok_or(Error::NotFound)?;
        finish(
            tx,
            actor,
            ctx,
            Action::LegalHoldRelease,
            Some(h.participant_id),
            json!({"hold": hold}),
        )
        .await?;
        Ok(h2.into())
    }

    /// Erases (anonymises) the record under the request's reference; refused with the
    /// first reason while a hold applies (`privacy_record` lists them all).
    pub async fn erase(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
        input: &PrivacyRequestInput,
    ) -> Result<Erasure, Error> {
        require_office(actor)?;
        let req = input.validate()?;
        let mut tx = self.store.write().await?;
        let r = store::record(&mut tx, id).await?.ok_or(Error::NotFound)?;
        if r.anonymised_at.is_some() {
            return Err(Error::Rule("privacy.anonymised"));
        }
        if let Some(h) = holds_of(&mut tx, id, ctx.today()).await?.first() {
            return Err(Error::Rule(match h.kind {
                itinera_domain::privacy::HoldKind::OpenCase => "erasure.held.open_case",
                itinera_domain::privacy::HoldKind::RunningContract => {
                    "erasure.held.running_contract"
                }
                itinera_domain::privacy::HoldKind::RetentionPeriod => {
                    "erasure.held.retention_period"
                }
                itinera_domain::privacy::HoldKind::LegalHold => "erasure.held.legal_hold",
            }));
        }
        let cleared = anonymise(&mut tx, id, ctx.now).await?;
        store::record_erasure(
            &mut tx,
            ctx.new_id(),
            id,
            Some(&req.reference),
            None,
            Some(actor.user_id),
            ctx.now,
        )
        .await?;
        finish(
            tx,
            actor,
            ctx,
            Action::ParticipantErase,
            Some(id),
            json!({"reference": req.reference}),
        )
        .await?;
        Ok(Erasure {
            participant_id: id,
            erased_at: ctx.now,
            cleared,
        })
    }

    /// Whether the record may be erased today, and if not, why.
    pub async fn erasure_check(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
    ) -> Result<ErasureCheck, Error> {
        let r = self.privacy_record(actor, ctx, id).await?;
        Ok(ErasureCheck {
            participant_id: r.id,
            erasable: r.anonymised_at.is_none() && r.holds.is_empty(),
            anonymised_at: r.anonymised_at,
            holds: r.holds,
        })
    }

    pub async fn retention_rules(&self, actor: &Actor) -> Result<Vec<RetentionRule>, Error> {
        require_office_or_admin(actor)?;
        let mut tx = self.store.read().await?;
        let p = periods(&mut tx).await?;
        tx.rollback().await?;
        Ok(RecordKind::ALL
            .iter()
            .map(|k| {
                let (period, set) = p.get(k).copied().unwrap_or((None, false));
                RetentionRule {
                    kind: *k,
                    unit: k.unit(),
                    effect: k.effect(),
                    period,
                    default_period: k.default_period(),
                    set,
                    settable: may_set_retention(actor, *k),
                }
            })
            .collect())
    }

    /// Sets a kind's period (administrators; empty keeps the records until a rule is set).
    pub async fn set_retention_rule(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        kind: &str,
        input: &RetentionRuleInput,
    ) -> Result<(), Error> {
        require_office_or_admin(actor)?;
        let kind = RecordKind::parse(kind).ok_or(Error::NotFound)?;
        if !may_set_retention(actor, kind) {
            return Err(Error::Forbidden);
        }
        let period = input.validate(kind)?;
        self.save_retention_rules(actor, ctx, &[(kind, period)])
            .await
    }

    /// Sets every kind's period at once (the rules page): each is checked first (a bad
    /// one is reported as `period_<kind>`), then all are saved in one transaction.
    pub async fn set_retention_rules(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        inputs: &[(RecordKind, RetentionRuleInput)],
    ) -> Result<(), Error> {
        require_office_or_admin(actor)?;
        if inputs.iter().any(|(k, _)| !may_set_retention(actor, *k)) {
            return Err(Error::Forbidden);
        }
        let mut errors = itinera_domain::Errors::new();
        let mut rules = Vec::new();
        for (kind, input) in inputs {
            match input.validate(*kind) {
                Ok(p) => rules.push((*kind, p)),
                Err(Error::Invalid(fields)) => {
                    for f in fields {
                        errors.add(format!("period_{}", kind.code()), f.code);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        errors.finish()?;
        self.save_retention_rules(actor, ctx, &rules).await
    }

    async fn save_retention_rules(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        rules: &[(RecordKind, Option<u32>)],
    ) -> Result<(), Error> {
        let mut tx = self.store.write().await?;
        for (kind, period) in rules {
            store::set_rule(
                &mut tx,
                kind.code(),
                period.and_then(|p| i32::try_from(p).ok()),
                actor.user_id,
                ctx.now,
            )
            .await?;
            audit(
                &mut tx,
                actor,
                ctx,
                Action::RetentionRuleSet,
                None,
                json!({"kind": kind.code(), "period": period}),
            )
            .await?;
        }
        tx.commit().await
    }

    /// Applies the rules by hand (a dry run counts only).
    pub async fn run_retention(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        input: &RetentionRunInput,
    ) -> Result<RetentionRun, Error> {
        // A dry run counts; a real one anonymises people: the office's act.
        if input.dry_run {
            require_office_or_admin(actor)?;
        } else {
            require_office(actor)?;
        }
        let id = ctx.new_id();
        let mut tx = self.store.write().await?;
        store::start_run(
            &mut tx,
            id,
            None,
            input.dry_run,
            Some(actor.user_id),
            ctx.now,
        )
        .await?;
        tx.commit().await?;
        self.apply_retention(Caller::Actor(actor), ctx, id, input.dry_run)
            .await
    }

    /// The server's daily run: once per deployment and day (`None`: it ran already).
    pub async fn scheduled_retention(&self, ctx: &Ctx) -> Result<Option<RetentionRun>, Error> {
        let mut tx = self.store.write().await?;
        let claimed = store::claim_scheduled_run(
            &mut tx,
            ctx.new_id(),
            ctx.today(),
            ctx.now,
            ctx.now - chrono::Duration::minutes(RUN_TAKEN_UP_AFTER_MINUTES),
        )
        .await?;
        let Some(id) = claimed else {
            tx.rollback().await?;
            return Ok(None);
        };
        tx.commit().await?;
        // A run that fails keeps its row unfinished: a later sweep takes it up again
        // (each batch it completed stays done; what is due is looked for afresh).
        self.apply_retention(Caller::CommandLine, ctx, id, false)
            .await
            .map(Some)
    }

    async fn apply_retention(
        &self,
        by: Caller<'_>,
        ctx: &Ctx,
        run: Uuid,
        dry_run: bool,
    ) -> Result<RetentionRun, Error> {
        let today = ctx.today();
        let mut tx = self.store.read().await?;
        let periods = periods(&mut tx).await?;
        tx.rollback().await?;
        let mut lines = Vec::new();
        for kind in RecordKind::ALL {
            let period = periods.get(kind).and_then(|p| p.0);
            let mut line = RetentionLine {
                kind: kind.code().to_string(),
                period,
                due: 0,
                held: 0,
                done: 0,
            };
            if let Some(period) = period {
                let cutoff = kind.cutoff(period, today);
                match kind.effect() {
                    RetentionEffect::Anonymise => {
                        let mut tx = self.store.read().await?;
                        let (due, held) = store::count_due(&mut tx, *kind, cutoff, today).await?;
                        tx.rollback().await?;
                        line.due = due;
                        line.held = held;
                        if !dry_run {
                            loop {
                                let mut tx = self.store.write().await?;
                                let ids = store::due(&mut tx, *kind, cutoff, today, BATCH).await?;
                                if ids.is_empty() {
                                    tx.rollback().await?;
                                    break;
                                }
                                for pid in &ids {
                                    anonymise(&mut tx, *pid, ctx.now).await?;
                                    store::record_erasure(
                                        &mut tx,
                                        ctx.new_id(),
                                        *pid,
                                        None,
                                        Some(run),
                                        by.actor().map(|a| a.user_id),
                                        ctx.now,
                                    )
                                    .await?;
                                    audit(
                                        &mut tx,
                                        by,
                                        ctx,
                                        Action::ParticipantErase,
                                        Some(*pid),
                                        json!({"retention_run": run, "kind": kind.code()}),
                                    )
                                    .await?;
                                }
                                tx.commit().await?;
                                line.done += ids.len() as u64;
                            }
                        }
                    }
                    RetentionEffect::Delete => {
                        let mut tx = self.store.write().await?;
                        let n = store::technical(&mut tx, *kind, cutoff, !dry_run).await?;
                        line.due = n;
                        if dry_run {
                            tx.rollback().await?;
                        } else {
                            line.done = n;
                            tx.commit().await?;
                        }
                    }
                }
            }
            lines.push(line);
        }
        let report = serde_json::to_string(&lines).map_err(|e| Error::Internal(e.to_string()))?;
        let mut tx = self.store.write().await?;
        store::finish_run(&mut tx, run, &report, ctx.now).await?;
        let done: u64 = lines.iter().map(|l| l.done).sum();
        finish(
            tx,
            by,
            ctx,
            Action::RetentionRun,
            Some(run),
            json!({"dry_run": dry_run, "done": done}),
        )
        .await?;
        let mut tx = self.store.read().await?;
        let r = store::run(&mut tx, run).await?.ok_or(Error::NotFound)?;
        tx.rollback().await?;
        Ok(r.into())
    }

    pub async fn retention_runs(&self, actor: &Actor) -> Result<Vec<RetentionRun>, Error> {
        require_office_or_admin(actor)?;
        let mut tx = self.store.read().await?;
        let r = store::runs(&mut tx, 100).await?;
        tx.rollback().await?;
        Ok(r.into_iter().map(Into::into).collect())
    }

    pub async fn retention_run(&self, actor: &Actor, id: Uuid) -> Result<RetentionRun, Error> {
        require_office_or_admin(actor)?;
        let mut tx = self.store.read().await?;
        let r = store::run(&mut tx, id).await?.ok_or(Error::NotFound)?;
        tx.rollback().await?;
        Ok(r.into())
    }
}
