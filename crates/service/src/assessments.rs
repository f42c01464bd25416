//! The common diagnosis: instruments (publish, import, export) and assessments of a case's
//! participant, with the derived profile, and the comparison over time.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::access::{Actor, Capability};
use itinera_domain::assessment::{
    check_assessed_on, suggested_goal_domains, Derived, Instrument, Score, ScoreInput,
};
use itinera_domain::input::{lenient_string, parse_date};
use itinera_domain::{Error, Errors};
use itinera_store::assessments::{self, InstrumentRow, NewAssessment};
use itinera_store::cases;
use itinera_store::{participants, Tx};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{finish, Action};
use crate::guard::load_case;
use crate::guard::{on_team, require_team_writer};
use crate::{Ctx, Services};

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct AssessmentInput {
    pub instrument_id: String,
    #[serde(deserialize_with = "lenient_string")]
    pub assessed_on: String,
    pub note: String,
    /// Per domain code: the level (`"1"`…, `"na"`) and a note.
    pub scores: BTreeMap<String, ScoreInput>,
}

/// An instrument as published: its row and its parsed definition.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublishedInstrument {
    pub id: Uuid,
    pub published_at: chrono::DateTime<chrono::Utc>,
    pub definition: Instrument,
}

fn parse_row(r: InstrumentRow) -> Result<PublishedInstrument, Error> {
    Ok(PublishedInstrument {
        id: r.id,
        published_at: r.published_at,
        definition: serde_json::from_str(&r.definition)
            .map_err(|e| Error::Internal(format!("stored instrument {}: {e}", r.id)))?,
    })
}

/// One domain compared between the first and the latest assessment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DomainChange {
    pub domain: String,
    pub first: Option<i16>,
    pub latest: Option<i16>,
    /// The level at each assessment, oldest first.
    pub history: Vec<Option<i16>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssessmentRecord {
    pub id: Uuid,
    pub case_id: Uuid,
    pub instrument_id: Uuid,
    pub instrument_code: String,
    pub instrument_version: i32,
    pub assessed_on: NaiveDate,
    pub assessor_id: Uuid,
    pub assessor_name: String,
    pub assessor_organisation_name: String,
    pub profile: String,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<itinera_store::assessments::AssessmentRow> for AssessmentRecord {
    fn from(r: itinera_store::assessments::AssessmentRow) -> Self {
        AssessmentRecord {
            id: r.id,
            case_id: r.case_id,
            instrument_id: r.instrument_id,
            instrument_code: r.instrument_code,
            instrument_version: r.instrument_version,
            assessed_on: r.assessed_on,
            assessor_id: r.assessor_id,
            assessor_name: r.assessor_name,
            assessor_organisation_name: r.assessor_organisation_name,
            profile: r.profile,
            note: r.note,
            created_at: r.created_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Assessment {
    #[serde(flatten)]
    pub row: AssessmentRecord,
    pub scores: Vec<Score>,
}

impl From<itinera_store::assessments::Assessment> for Assessment {
    fn from(r: itinera_store::assessments::Assessment) -> Self {
        Assessment {
            row: r.row.into(),
            scores: r.scores,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssessmentsView {
    pub case: crate::cases::Case,
    pub participant_name: String,
    pub assessments: Vec<Assessment>,
    /// The instruments of the assessments and the current ones, by id.
    pub instruments: Vec<PublishedInstrument>,
    /// The current instruments, offered for a new assessment.
    pub current: Vec<Uuid>,
    /// The latest assessment's profile with the domains that led to it.
    pub profile: Option<Derived>,
    pub changes: Vec<DomainChange>,
    pub suggested_goal_domains: Vec<String>,
    /// Whether the actor may assess (a writer on the case team).
    pub can_assess: bool,
}

impl AssessmentsView {
    pub fn instrument(&self, id: Uuid) -> Option<&Instrument> {
        self.instruments
            .iter()
            .find(|i| i.id == id)
            .map(|i| &i.definition)
    }
    pub fn latest(&self) -> Option<&Assessment> {
        self.assessments.last()
    }
    pub fn first(&self) -> Option<&Assessment> {
        self.assessments.first()
    }
}

/// The instrument a case's goals are set in (its latest assessment's, else the first
/// current one) and the domains suggested for goals (the latest assessment's lowest).
pub(crate) async fn goal_frame(
    tx: &mut Tx,
    case_id: Uuid,
) -> Result<(Option<Instrument>, Vec<String>), Error> {
    let list = assessments::for_case(tx, case_id).await?;
    let row = match list.last() {
        Some(a) => assessments::instrument(tx, a.row.instrument_id).await?,
        None => assessments::current_instruments(tx)
            .await?
            .into_iter()
            .next(),
    };
    let Some(row) = row else {
        return Ok((None, Vec::new()));
    };
    let instrument = parse_row(row)?.definition;
    let suggested = list
        .last()
        .map(|a| suggested_goal_domains(&instrument, &a.scores))
        .unwrap_or_default();
    Ok((Some(instrument), suggested))
}

fn changes(instrument: &Instrument, list: &[Assessment]) -> Vec<DomainChange> {
    let level = |a: &Assessment, d: &str| {
        a.scores
            .iter()
            .find(|s| s.domain == d)
            .and_then(|s| s.level)
    };
    instrument
        .domains
        .iter()
        .map(|d| DomainChange {
            domain: d.code.clone(),
            first: list.first().and_then(|a| level(a, &d.code)),
            latest: list.last().and_then(|a| level(a, &d.code)),
            history: list.iter().map(|a| level(a, &d.code)).collect(),
        })
        .collect()
}

impl Services {
    /// Every published instrument version, newest first per code.
    pub async fn instruments(&self) -> Result<Vec<PublishedInstrument>, Error> {
        let mut tx = self.store.read().await?;
        let rows = assessments::instruments(&mut tx).await?;
        tx.rollback().await?;
        rows.into_iter().map(parse_row).collect()
    }

    pub async fn instrument(&self, id: Uuid) -> Result<PublishedInstrument, Error> {
        let mut tx = self.store.read().await?;
        let row = assessments::instrument(&mut tx, id)
            .await?
            .ok_or(Error::NotFound)?;
        tx.rollback().await?;
        parse_row(row)
    }

    /// Publishes an instrument from its JSON: a new code, or the next version of an
    /// existing one. Published versions are never changed, so older assessments keep
    /// the instrument they were made with.
    pub async fn publish_instrument(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        json: &str,
    ) -> Result<Uuid, Error> {
        actor.require(Capability::Administer)?;
        let i = Instrument::from_json(json)?;
        let mut tx = self.store.write().await?;
        let latest = assessments::instruments(&mut tx)
            .await?
            .into_iter()
            .filter(|r| r.code == i.code)
            .map(|r| r.version)
            .max();
        if let Some(v) = latest {
            if i.version <= v {
                return Err(Error::field(
                    "version",
                    "validation.instrument.version_not_newer",
                ));
            }
        }
        let id = ctx.new_id();
        let canonical =
            serde_json::to_string_pretty(&i).map_err(|e| Error::Internal(e.to_string()))?;
        assessments::insert_instrument(
            &mut tx,
            id,
            &i.code,
            i.version,
            &canonical,
            Some(actor.user_id),
            ctx.now,
        )
        .await?;
        finish(
            tx,
            actor,
            ctx,
            Action::InstrumentPublish,
            Some(id),
            json!({"code": i.code, "version": i.version}),
        )
        .await?;
        Ok(id)
    }

    pub async fn assessments(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        case_id: Uuid,
    ) -> Result<AssessmentsView, Error> {
        let mut tx = self.store.audited_read().await?;
        let case = load_case(&mut tx, actor, ctx, Capability::ReadPersonData, case_id).await?;
        let v = self.assessments_in(&mut tx, actor, case).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::AssessmentRead,
            Some(case_id),
            json!({}),
        )
        .await?;
        Ok(v)
    }

    pub(crate) async fn assessments_in(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        case: cases::Case,
    ) -> Result<AssessmentsView, Error> {
        let p = participants::get(tx, case.participant_id)
            .await?
            .ok_or(Error::NotFound)?;
        let list: Vec<Assessment> = assessments::for_case(tx, case.id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect();
        let current_rows = assessments::current_instruments(tx).await?;
        let current: Vec<Uuid> = current_rows.iter().map(|r| r.id).collect();
        let mut instruments: Vec<PublishedInstrument> = Vec::new();
        for r in current_rows {
            instruments.push(parse_row(r)?);
        }
        for a in &list {
            if !instruments.iter().any(|i| i.id == a.row.instrument_id) {
                if let Some(r) = assessments::instrument(tx, a.row.instrument_id).await? {
                    instruments.push(parse_row(r)?);
                }
            }
        }
        let can_assess =
            actor.can(Capability::WritePersonData) && on_team(tx, actor, &case).await?;
        let (profile, changes, suggested) = match list.last() {
            Some(latest) => {
                let inst = instruments
                    .iter()
                    .find(|i| i.id == latest.row.instrument_id)
                    .map(|i| &i.definition)
                    .ok_or_else(|| Error::Internal("instrument missing".into()))?;
                // The comparison uses assessments made with the same instrument code.
                let same: Vec<Assessment> = list
                    .iter()
                    .filter(|a| a.row.instrument_code == latest.row.instrument_code)
                    .cloned()
                    .collect();
                (
                    Some(inst.derive(&latest.scores)),
                    changes(inst, &same),
                    suggested_goal_domains(inst, &latest.scores),
                )
            }
            None => (None, Vec::new(), Vec::new()),
        };
        Ok(AssessmentsView {
            participant_name: p.data.full_name(),
            case: case.into(),
            assessments: list,
            instruments,
            current,
            profile,
            changes,
            suggested_goal_domains: suggested,
            can_assess,
        })
    }

    pub async fn assess(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        case_id: Uuid,
        input: &AssessmentInput,
    ) -> Result<Uuid, Error> {
        let mut tx = self.store.write().await?;
        let case = load_case(&mut tx, actor, ctx, Capability::ReadPersonData, case_id).await?;
        require_team_writer(&mut tx, actor, &case).await?;
        if case.status == "closed" {
            return Err(Error::Rule("case.closed"));
        }
        let row = match Uuid::parse_str(input.instrument_id.trim()) {
            Ok(id) => assessments::instrument(&mut tx, id).await?,
            Err(_) => None,
        };
        let current = assessments::current_instruments(&mut tx).await?;
        let Some(row) = row.filter(|r| current.iter().any(|c| c.id == r.id)) else {
            return Err(Error::field("instrument_id", "validation.choice"));
        };
        let inst = parse_row(row)?;
        let mut e = Errors::new();
        let on = e.take(
            "assessed_on",
            if input.assessed_on.trim().is_empty() {
                Ok(ctx.today())
            } else {
                parse_date(&input.assessed_on)
                    .and_then(|d| check_assessed_on(d, case.opened_on, ctx.today()))
            },
        );
        let note = itinera_domain::text::clean(&input.note);
        if note.as_ref().is_some_and(|n| n.chars().count() > 4000) {
            e.add("note", "validation.too_long");
        }
        let scores: Option<Vec<Score>> = match inst.definition.check_scores(&input.scores) {
            Ok(s) => Some(s),
            Err(Error::Invalid(f)) => {
                f.into_iter().for_each(|f| e.add(f.field, f.code));
                None
            }
            Err(o) => return Err(o),
        };
        e.finish()?;
        let (Some(on), Some(scores)) = (on, scores) else {
            return Err(Error::Internal("validation state".into()));
        };
        let derived = inst.definition.derive(&scores);
        let id = ctx.new_id();
        assessments::insert(
            &mut tx,
            &NewAssessment {
                id,
                case_id,
                participant_id: case.participant_id,
                home_organisation_id: case.home_organisation_id,
                instrument_id: inst.id,
                assessed_on: on,
                assessor_id: actor.user_id,
                assessor_organisation_id: actor.organisation_id,
                profile: &derived.profile,
                note: note.as_deref(),
                scores: &scores,
                now: ctx.now,
            },
        )
        .await?;
        finish(
            tx,
            actor,
            ctx,
            Action::AssessmentCreate,
            Some(id),
            json!({"case": case_id, "profile": derived.profile}),
        )
        .await?;
        Ok(id)
    }
}
