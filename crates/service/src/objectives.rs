//! The objectives sheet of a programme (`domain::objectives`): programme managers and
//! coordinators (`ReadAggregates`) set objectives and read the sheet, with each
//! achieved value computed from the records by its measure (or entered by hand with
//! its evidence), whether it is met, and how far through its period the programme is.
//! Counts of people below the deployment's threshold are not shown (`disclosure`).

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::access::{Actor, Capability};
use itinera_domain::disclosure;
use itinera_domain::objectives::{
    elapsed_percent, met, percent_change, previous_period, progress_percent, Baseline, Comparison,
    Measure, ObjectiveData, ObjectiveInput,
};
use itinera_domain::Error;
use itinera_store::objectives::{self as store, Objective};
use itinera_store::{admin, Tx};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{finish, Action};
use crate::{Ctx, Services};

// ---- What leaves the server -------------------------------------------------------

/// One objective with its achieved value.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ObjectiveView {
    pub id: Uuid,
    pub programme_id: Uuid,
    pub project_id: Option<Uuid>,
    pub project_name: Option<String>,
    pub code: String,
    pub description: String,
    /// `output` or `result`.
    pub indicator_type: String,
    pub unit: String,
    /// `at_least`, `at_most` or `exactly`.
    pub comparison: String,
    pub target: f64,
    /// The measure that computes the achieved value, or `manual`.
    pub measure: String,
    /// `none`, or `previous_period` (the achieved value is the change in per cent).
    pub baseline: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// The value entered by hand (with `manual`) and its evidence.
    pub manual_value: Option<f64>,
    pub evidence: Option<String>,
    /// The achieved value; absent when not known yet (a manual value not entered, no
    /// previous value to compare with) or suppressed.
    pub achieved: Option<f64>,
    /// With `previous_period`: the measure in the period and in the one before.
    pub current_value: Option<f64>,
    pub previous_value: Option<f64>,
    /// A count of people too small to be shown (below the deployment's threshold).
    pub suppressed: bool,
    /// Whether the target is met (absent while the achieved value is unknown).
    pub met: Option<bool>,
    /// The achieved value as a share of an "at least" target, in per cent.
    pub progress_percent: Option<i64>,
    /// How far through its period the objective is today, in per cent.
    pub elapsed_percent: i64,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

/// The sheet of a programme.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ObjectivesSheet {
    pub programme_id: Uuid,
    pub programme_code: String,
    pub programme_name: String,
    /// Counts of people below this are not shown.
    pub threshold: u32,
    pub objectives: Vec<ObjectiveView>,
    /// When these figures were computed (a sheet is kept for a while, see `cache`).
    pub computed_at: DateTime<Utc>,
}

/// One record behind an achieved value: a case (its person named only to whom may see
/// them, otherwise by the programme's pseudonym), a meeting or an agreement.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecordLine {
    pub day: String,
    /// A course, a post, a body, an agreement's subject…
    pub label: String,
    pub case_id: Option<Uuid>,
    pub participant_name: Option<String>,
    pub pseudonym: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ObjectiveRecords {
    pub objective: ObjectiveView,
    /// False when the count is too small to show and the reader may see nobody.
    pub shown: bool,
    pub records: Vec<RecordLine>,
}

/// A sheet's key among the kept answers: the programme, the period typed, the day
/// (progress through the period and the meetings held so far depend on it) and the
/// objectives' own version.
async fn sheet_key(
    tx: &mut Tx,
    ctx: &Ctx,
    programme: Uuid,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<String, Error> {
    Ok(format!(
        "{programme}|{from:?}|{to:?}|{}|{}",
        ctx.today(),
        store::fingerprint(tx, programme).await?
    ))
}

/// The measures offered, for forms and integrators.
pub fn measures() -> Vec<&'static str> {
    Measure::ALL.iter().map(|m| m.code()).collect()
}

impl Services {
    pub async fn objectives_sheet(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        programme: Uuid,
        from: &str,
        to: &str,
        fresh: bool,
    ) -> Result<ObjectivesSheet, Error> {
        actor.require(Capability::ReadAggregates)?;
        let (from, to) = crate::esf::optional_period(from, to)?;
        let mut tx = self.store.audited_read().await?;
        let key = sheet_key(&mut tx, ctx, programme, from, to).await?;
        let (sheet, kept_at) = match (!fresh)
            .then(|| self.aggregates.sheets.get(&key, ctx.now))
            .flatten()
        {
            Some((at, sheet)) => (sheet, Some(at)),
            None => (
                self.sheet_compute(&mut tx, ctx, programme, from, to)
                    .await?,
                None,
            ),
        };
        finish(
            tx,
            actor,
            ctx,
            Action::ObjectivesRead,
            Some(programme),
            crate::cache::audit_detail(json!({"from": from, "to": to}), kept_at),
        )
        .await?;
        if kept_at.is_none() {
            self.aggregates.sheets.put(key, ctx.now, sheet.clone());
        }
        Ok(sheet)
    }

    /// A programme's sheet computed now (the callers audit their reads).
    async fn sheet_compute(
        &self,
        tx: &mut Tx,
        ctx: &Ctx,
        programme: Uuid,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<ObjectivesSheet, Error> {
        let p = admin::programme(tx, programme)
            .await?
            .ok_or(Error::NotFound)?;
        let rows = store::list(tx, programme, from, to).await?;
        let mut objectives = Vec::with_capacity(rows.len());
        for o in rows {
            objectives.push(self.objective_achieved(tx, ctx, o).await?);
        }
        Ok(ObjectivesSheet {
            programme_id: p.id,
            programme_code: p.code,
            programme_name: p.name,
            threshold: self.settings.small_counts,
            objectives,
            computed_at: ctx.now,
        })
    }

    /// Prepares a programme's sheet as its readers open it first (no period typed), see
    /// `cache`.
    pub(crate) async fn prepare_sheet(
        &self,
        tx: &mut Tx,
        ctx: &Ctx,
        programme: Uuid,
    ) -> Result<(), Error> {
        let key = sheet_key(tx, ctx, programme, None, None).await?;
        let sheet = self.sheet_compute(tx, ctx, programme, None, None).await?;
        self.aggregates
            .sheets
            .prepare(key, ctx.now, sheet, self.prepared_lasting());
        Ok(())
    }

    pub async fn objective(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
    ) -> Result<ObjectiveView, Error> {
        actor.require(Capability::ReadAggregates)?;
        let mut tx = self.store.audited_read().await?;
        let o = store::get(&mut tx, id).await?.ok_or(Error::NotFound)?;
        let v = self.objective_achieved(&mut tx, ctx, o).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::ObjectivesRead,
            Some(v.programme_id),
            json!({"objective": id}),
        )
        .await?;
        Ok(v)
    }

    /// The records behind an objective's achieved value (those the reader may see).
    pub async fn objective_records(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
    ) -> Result<ObjectiveRecords, Error> {
        actor.require(Capability::ReadAggregates)?;
        let mut tx = self.store.audited_read().await?;
        let o = store::get(&mut tx, id).await?.ok_or(Error::NotFound)?;
        let measure = Measure::parse(&o.measure).unwrap_or(Measure::Manual);
        let rows = store::records(
            &mut tx,
            measure,
            o.programme_id,
            o.project_id,
            o.period_start,
            o.period_end,
            ctx.today(),
        )
        .await?;
        let view = self.objective_achieved(&mut tx, ctx, o).await?;
        let reads = actor.can(Capability::ReadPersonData);
        let names = if reads {
            let mut ids: Vec<Uuid> = rows.iter().filter_map(|r| r.case_id).collect();
            ids.sort_unstable();
            ids.dedup();
            itinera_store::compliance::visible_names(
                &mut tx,
                &ids,
                actor.organisation(),
                actor.organisation_kind.code(),
                ctx.today(),
            )
            .await?
        } else {
            Vec::new()
        };
        // A count too small to show is not listed either (its pseudonyms would count
        // it), except the cases the reader may see anyway.
        let shown = !view.suppressed;
        let records: Vec<RecordLine> = rows
            .into_iter()
            .filter_map(|r| {
                let name = r.case_id.and_then(|c| {
                    names
                        .iter()
                        .find(|(id, _)| *id == c)
                        .map(|(_, n)| n.clone())
                });
                match (r.participant_id, name) {
                    (None, _) => Some(RecordLine {
                        day: r.day,
                        label: r.label,
                        case_id: None,
                        participant_name: None,
                        pseudonym: None,
                    }),
                    (Some(_), Some(n)) => Some(RecordLine {
                        day: r.day,
                        label: r.label,
                        case_id: r.case_id,
                        participant_name: Some(n),
                        pseudonym: None,
                    }),
                    // A person the reader may not see: a pseudonym of this list only
                    // (not joined with the overview's or the data-quality page's),
                    // the month and no label (a post, a course: with a day, they
                    // would say who it is in a small programme).
                    (Some(p), None) if shown => Some(RecordLine {
                        day: r.day.get(..7).unwrap_or(&r.day).to_string(),
                        label: String::new(),
                        case_id: None,
                        participant_name: None,
                        pseudonym: Some(self.pseudonym_in(id, p)),
                    }),
                    (Some(_), None) => None,
                }
            })
            .collect();
        finish(
            tx,
            actor,
            ctx,
            Action::ObjectivesRead,
            Some(view.programme_id),
            json!({"objective": id, "records": records.len()}),
        )
        .await?;
        Ok(ObjectiveRecords {
            objective: view,
            shown,
            records,
        })
    }

    pub async fn create_objective(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        programme: Uuid,
        input: &ObjectiveInput,
    ) -> Result<Uuid, Error> {
        actor.require(Capability::ReadAggregates)?;
        let mut tx = self.store.write().await?;
        admin::programme(&mut tx, programme)
            .await?
            .ok_or(Error::NotFound)?;
        let data = input.validate()?;
        check_project(&mut tx, programme, &data).await?;
        let id = ctx.new_id();
        store::insert(&mut tx, id, programme, &data, actor.user_id, ctx.now).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::ObjectiveSave,
            Some(id),
            json!({"programme": programme, "code": data.code, "target": data.target, "measure": data.measure.code(), "manual_value": data.manual_value}),
        )
        .await?;
        Ok(id)
    }

    /// Changes an objective (`input.version`: the version edited).
    pub async fn update_objective(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
        input: &ObjectiveInput,
    ) -> Result<(), Error> {
        actor.require(Capability::ReadAggregates)?;
        let mut tx = self.store.write().await?;
        let o = store::get(&mut tx, id).await?.ok_or(Error::NotFound)?;
        let data = input.validate()?;
        check_project(&mut tx, o.programme_id, &data).await?;
        let version = itinera_domain::input::version_or(&input.version, o.version)
            .map_err(|c| Error::field("version", c))?;
        if !store::update(&mut tx, id, version, &data, actor.user_id, ctx.now).await? {
            return Err(Error::Conflict("error.stale_version"));
        }
        finish(
            tx,
            actor,
            ctx,
            Action::ObjectiveSave,
            Some(id),
            json!({"programme": o.programme_id, "code": data.code, "target": data.target, "measure": data.measure.code(), "manual_value": data.manual_value, "from_target": o.target, "from_manual_value": o.manual_value}),
        )
        .await
    }

    pub async fn delete_objective(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        id: Uuid,
    ) -> Result<Uuid, Error> {
        actor.require(Capability::ReadAggregates)?;
        let mut tx = self.store.write().await?;
        let o = store::get(&mut tx, id).await?.ok_or(Error::NotFound)?;
        store::delete(&mut tx, id).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::ObjectiveDelete,
            Some(id),
            json!({"programme": o.programme_id, "code": o.code}),
        )
        .await?;
        Ok(o.programme_id)
    }

    /// The achieved value of one objective, today.
    async fn objective_achieved(
        &self,
        tx: &mut Tx,
        ctx: &Ctx,
        o: Objective,
    ) -> Result<ObjectiveView, Error> {
        let today = ctx.today();
        let measure = Measure::parse(&o.measure).unwrap_or(Measure::Manual);
        let comparison = Comparison::parse(&o.comparison).unwrap_or(Comparison::AtLeast);
        let baseline = Baseline::parse(&o.baseline).unwrap_or(Baseline::None);
        let k = self.settings.small_counts;
        let (programme, project) = (o.programme_id, o.project_id);
        let current = match measure {
            Measure::Manual => o.manual_value.map(|v| store::Measured {
                value: v,
                smallest: i64::MAX,
            }),
            _ => {
                store::measure(
                    tx,
                    measure,
                    programme,
                    project,
                    o.period_start,
                    o.period_end,
                    today,
                )
                .await?
            }
        };
        let prev = match baseline {
            Baseline::PreviousPeriod if measure != Measure::Manual => {
                let (a, b) = previous_period(o.period_start, o.period_end);
                store::measure(tx, measure, programme, project, a, b, today).await?
            }
            _ => None,
        };
        // A figure about people, or a change computed from one, is hidden when a count
        // behind it is small (for a share: its part or its whole).
        let small = |v: Option<store::Measured>| {
            measure.counts_people()
                && v.is_some_and(|v| disclosure::is_small(v.smallest.max(0) as u64, k))
        };
        let suppressed = small(current) || small(prev);
        let (current, previous) = (current.map(|m| m.value), prev.map(|m| m.value));
        let achieved_raw = match baseline {
            Baseline::PreviousPeriod if measure != Measure::Manual => match (previous, current) {
                (Some(p), Some(c)) => percent_change(p, c),
                _ => None,
            },
            _ => current,
        };
        let achieved = if suppressed { None } else { achieved_raw };
        // Whether a hidden figure meets a target the reader chose would give it away.
        let is_met = if suppressed {
            None
        } else {
            achieved_raw.map(|a| met(comparison, o.target, a))
        };
        Ok(ObjectiveView {
            id: o.id,
            programme_id: o.programme_id,
            project_id: o.project_id,
            project_name: o.project_name,
            code: o.code,
            description: o.description,
            indicator_type: o.indicator_type,
            unit: o.unit,
            comparison: o.comparison,
            target: o.target,
            measure: o.measure,
            baseline: o.baseline,
            period_start: o.period_start,
            period_end: o.period_end,
            manual_value: o.manual_value,
            evidence: o.evidence,
            achieved,
            current_value: if baseline == Baseline::PreviousPeriod && !suppressed {
                current
            } else {
                None
            },
            previous_value: if suppressed { None } else { previous },
            suppressed,
            met: is_met,
            progress_percent: achieved.and_then(|a| progress_percent(comparison, o.target, a)),
            elapsed_percent: elapsed_percent(o.period_start, o.period_end, today),
            version: o.version,
            updated_at: o.updated_at,
        })
    }
}

async fn check_project(tx: &mut Tx, programme: Uuid, d: &ObjectiveData) -> Result<(), Error> {
    if let Some(pj) = d.project_id {
        if !admin::projects(tx, programme)
            .await?
            .iter()
            .any(|p| p.id == pj)
        {
            return Err(Error::field("project_id", "validation.choice"));
        }
    }
    Ok(())
}
