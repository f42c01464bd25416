//! ESF participant indicators of a programme (`domain::esf`): the table by sex for a
//! period under an indicator set (ESF+ 2021–2027 or ESF 2014–2020), with small counts
//! suppressed (`domain::disclosure`); the data-quality list of the participants whose
//! missing facts keep them out of a count (pseudonymised: it is read by programme
//! managers); and the six-month follow-up the case team records after a participant
//! leaves.

use chrono::NaiveDate;
use itinera_domain::access::{Actor, Capability};
use itinera_domain::case::CaseStatus;
use itinera_domain::disclosure;
use itinera_domain::esf::{
    self, Answer, CaseFacts, Computation, Entry, Period, Published, Records, Span, Stage,
};
use itinera_domain::input::{lenient_string, optional_date, optional_text};
use itinera_domain::{Error, Errors};
use itinera_store::esf as store;
use itinera_store::{admin, Tx};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{finish, Action};
use crate::guard::{load_case, require_team_writer};
use crate::{Ctx, Services};

// ---- What leaves the server -------------------------------------------------------

/// One line of the table: by sex at entry, and the total. An absent figure is
/// suppressed (too small to be shown, or giving a small one away).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EsfLine {
    /// The Regulation's code (`EECO01`…), or `population.entry`, `population.leaving`,
    /// `population.six_months` for the populations counted.
    pub code: String,
    /// `entry`, `leaving` or `six_months`.
    pub stage: String,
    /// The annex point that defines it.
    pub reference: Option<String>,
    pub women: Option<u64>,
    pub men: Option<u64>,
    pub non_binary: Option<u64>,
    pub total: Option<u64>,
    /// Participants left out of the count for a missing fact (see the data-quality list).
    pub missing: Option<u64>,
    /// Participants who declined to answer (special categories).
    pub declined: Option<u64>,
}

/// A programme's ESF table for a period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EsfTable {
    pub programme_id: Uuid,
    pub programme_code: String,
    pub programme_name: String,
    /// The indicator set (`esf_plus_2021_2027`, `esf_2014_2020`) and its Regulation.
    pub set: String,
    pub regulation: String,
    pub sets: Vec<&'static str>,
    pub period: Period,
    pub project_id: Option<Uuid>,
    /// Counts below this are not shown.
    pub threshold: u32,
    pub populations: Vec<EsfLine>,
    pub indicators: Vec<EsfLine>,
    /// When these figures were computed (a table is kept for a while, see `cache`).
    pub computed_at: chrono::DateTime<chrono::Utc>,
}

/// A participant some of whose facts are missing.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MissingData {
    /// The programme's pseudonym of the person.
    pub pseudonym: String,
    /// The indicators the person is left out of.
    pub indicators: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EsfDataQuality {
    pub programme_id: Uuid,
    pub programme_name: String,
    pub set: String,
    pub period: Period,
    pub participants: Vec<MissingData>,
}

/// The six-month follow-up as typed.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct FollowupInput {
    /// `yes` or `no`: whether the person's labour-market situation improved (a better
    /// job, more hours, a stable contract, or a job where there was none).
    #[serde(deserialize_with = "lenient_string")]
    pub improved: String,
    pub note: String,
}

/// The follow-up of a closed case, as recorded.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FollowupView {
    pub case_id: Uuid,
    pub left_on: Option<NaiveDate>,
    /// The day six months after leaving: when the follow-up is due.
    pub due_on: Option<NaiveDate>,
    pub improved: Option<bool>,
    pub note: Option<String>,
    pub recorded_on: Option<NaiveDate>,
}

fn line(code: String, stage: Stage, reference: Option<String>, p: &Published) -> EsfLine {
    EsfLine {
        code,
        stage: stage.code().into(),
        reference,
        women: p.by_sex[0],
        men: p.by_sex[1],
        non_binary: p.by_sex[2],
        total: p.total,
        missing: p.missing,
        declined: p.declined,
    }
}

/// An ESF table's key among the kept answers (the follow-ups due six months after
/// leaving depend on the day too).
fn esf_key(
    programme: Uuid,
    project: Option<Uuid>,
    set: &str,
    period: Period,
    today: NaiveDate,
) -> String {
    format!(
        "{programme}|{project:?}|{set}|{}|{}|{today}",
        period.from, period.to
    )
}

/// The bounds typed for a period (`YYYY-MM-DD` or `DD/MM/YYYY`), each optional.
pub fn optional_period(
    from: &str,
    to: &str,
) -> Result<(Option<NaiveDate>, Option<NaiveDate>), Error> {
    let mut e = Errors::new();
    let f = e.take("from", optional_date(from)).flatten();
    let t = e.take("to", optional_date(to)).flatten();
    if let (Some(a), Some(b)) = (f, t) {
        if b < a {
            e.add("to", "validation.objective.period");
        }
    }
    e.finish()?;
    Ok((f, t))
}

/// The period asked for: the days typed, or the current calendar year.
pub fn period_or_year(from: &str, to: &str, today: NaiveDate) -> Result<Period, Error> {
    use chrono::Datelike;
    let (f, t) = optional_period(from, to)?;
    let year_start = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
    let year_end = NaiveDate::from_ymd_opt(today.year(), 12, 31).unwrap_or(today);
    let p = Period {
        from: f.unwrap_or(year_start),
        to: t.unwrap_or(year_end),
    };
    if p.to < p.from {
        return Err(Error::field("to", "validation.objective.period"));
    }
    Ok(p)
}

impl Services {
    async fn esf_compute(
        &self,
        tx: &mut Tx,
        programme: Uuid,
        project: Option<Uuid>,
        set: &esf::IndicatorSet,
        period: Period,
        today: NaiveDate,
    ) -> Result<Computation, Error> {
        // Only the people the period may count (and every case of theirs).
        let r = store::Reach {
            from: period.from,
            to: period.to,
            left_since: period.left_since(),
        };
        let rows = store::cases(tx, programme, project, r).await?;
        let spans = |v: Vec<store::SpanRow>| -> Vec<Span> {
            v.into_iter()
                .map(|s| Span {
                    participant: s.participant_id,
                    from: s.from_on,
                    to: s.to_on,
                })
                .collect()
        };
        let records = Records {
            contracts: spans(store::contracts(tx, programme, project, r).await?),
            courses: spans(store::courses(tx, programme, project, r, false).await?),
            certificates: spans(store::courses(tx, programme, project, r, true).await?),
        };
        let cases: Vec<CaseFacts> = rows
            .into_iter()
            .map(|r| CaseFacts {
                participant: r.participant_id,
                entry: Entry {
                    sex: r.sex,
                    entered_on: r.entered_on,
                    birth_date: r.birth_date,
                    nationality: r.nationality,
                    isced_level: r.isced_level,
                    labour_status: r.labour_status,
                    disability: Answer::parse(&r.disability).unwrap_or(Answer::No),
                    minority: Answer::parse(&r.minority).unwrap_or(Answer::No),
                    migrant: r.migrant,
                    homeless: r.homeless,
                    rural: r.rural,
                    single_parent: r.single_parent,
                    dependants: r.dependants,
                },
                exit: r
                    .left_on
                    .map(|d| (d, r.exit_reason, r.exit_labour_status.unwrap_or_default())),
                improved_six_months: r.improved,
            })
            .collect();
        let people = esf::participants(&cases, &records);
        Ok(esf::compute(set, &people, period, today))
    }

    fn esf_set(code: Option<&str>) -> Result<esf::IndicatorSet, Error> {
        let code = code
            .filter(|c| !c.trim().is_empty())
            .unwrap_or(esf::DEFAULT_SET);
        if !esf::set_codes().contains(&code) {
            return Err(Error::field("set", "validation.choice"));
        }
        esf::set(code).map_err(Error::Internal)
    }

    /// The ESF table of a programme (or one of its projects) for a period.
    #[allow(clippy::too_many_arguments)]
    pub async fn esf_table(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        programme: Uuid,
        project: Option<Uuid>,
        set: Option<&str>,
        from: &str,
        to: &str,
        fresh: bool,
    ) -> Result<EsfTable, Error> {
        actor.require(Capability::ReadAggregates)?;
        let s = Self::esf_set(set)?;
        let period = period_or_year(from, to, ctx.today())?;
        let mut tx = self.store.audited_read().await?;
        let key = esf_key(programme, project, &s.code, period, ctx.today());
        let (table, kept_at) = match (!fresh)
            .then(|| self.aggregates.esf.get(&key, ctx.now))
            .flatten()
        {
            Some((at, table)) => (table, Some(at)),
            None => (
                self.esf_table_compute(&mut tx, ctx, programme, project, &s, period)
                    .await?,
                None,
            ),
        };
        let detail =
            json!({"set": s.code, "from": period.from, "to": period.to, "project": project});
        finish(
            tx,
            actor,
            ctx,
            Action::EsfRead,
            Some(programme),
            crate::cache::audit_detail(detail, kept_at),
        )
        .await?;
        if kept_at.is_none() {
            self.aggregates.esf.put(key, ctx.now, table.clone());
        }
        Ok(table)
    }

    /// A programme's ESF table computed now (the callers audit their reads).
    async fn esf_table_compute(
        &self,
        tx: &mut Tx,
        ctx: &Ctx,
        programme: Uuid,
        project: Option<Uuid>,
        s: &esf::IndicatorSet,
        period: Period,
    ) -> Result<EsfTable, Error> {
        let p = admin::programme(tx, programme)
            .await?
            .ok_or(Error::NotFound)?;
        if let Some(pj) = project {
            if !admin::projects(tx, programme)
                .await?
                .iter()
                .any(|x| x.id == pj)
            {
                return Err(Error::field("project_id", "validation.choice"));
            }
        }
        let c = self
            .esf_compute(tx, programme, project, s, period, ctx.today())
            .await?;
        let k = self.settings.small_counts;
        let (pops, inds) = esf::publish(&c, k);
        Ok(EsfTable {
            programme_id: p.id,
            programme_code: p.code,
            programme_name: p.name,
            set: s.code.clone(),
            regulation: s.regulation.clone(),
            sets: esf::set_codes(),
            period,
            project_id: project,
            threshold: k,
            populations: c
                .populations
                .iter()
                .zip(&pops)
                .map(|((st, _), p)| line(format!("population.{}", st.code()), *st, None, p))
                .collect(),
            indicators: c
                .indicators
                .iter()
                .zip(&inds)
                .map(|(i, p)| line(i.code.clone(), i.stage, Some(i.reference.clone()), p))
                .collect(),
            computed_at: ctx.now,
        })
    }

    /// Prepares a programme's ESF table as its readers open it first (the default set,
    /// this year, the whole programme), see `cache`.
    pub(crate) async fn prepare_esf(
        &self,
        tx: &mut Tx,
        ctx: &Ctx,
        programme: Uuid,
    ) -> Result<(), Error> {
        let s = Self::esf_set(None)?;
        let period = period_or_year("", "", ctx.today())?;
        let key = esf_key(programme, None, &s.code, period, ctx.today());
        let table = self
            .esf_table_compute(tx, ctx, programme, None, &s, period)
            .await?;
        self.aggregates
            .esf
            .prepare(key, ctx.now, table, self.prepared_lasting());
        Ok(())
    }

    /// The participants whose missing facts keep them out of a count, pseudonymised.
    pub async fn esf_data_quality(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        programme: Uuid,
        set: Option<&str>,
        from: &str,
        to: &str,
    ) -> Result<EsfDataQuality, Error> {
        actor.require(Capability::ReadAggregates)?;
        let s = Self::esf_set(set)?;
        let period = period_or_year(from, to, ctx.today())?;
        let mut tx = self.store.audited_read().await?;
        let p = admin::programme(&mut tx, programme)
            .await?
            .ok_or(Error::NotFound)?;
        let c = self
            .esf_compute(&mut tx, programme, None, &s, period, ctx.today())
            .await?;
        let mut by: BTreeMap<String, Vec<String>> = BTreeMap::new();
        // An indicator's missing count is published only when not small (see
        // `esf::publish`); its list, which counts it too, likewise.
        let k = self.settings.small_counts;
        for i in &c.indicators {
            if disclosure::is_small(i.missing.len() as u64, k) {
                continue;
            }
            for who in &i.missing {
                by.entry(self.pseudonym(*who))
                    .or_default()
                    .push(i.code.clone());
            }
        }
        finish(
            tx,
            actor,
            ctx,
            Action::EsfDataQuality,
            Some(programme),
            json!({"set": s.code, "from": period.from, "to": period.to}),
        )
        .await?;
        Ok(EsfDataQuality {
            programme_id: p.id,
            programme_name: p.name,
            set: s.code,
            period,
            participants: by
                .into_iter()
                .map(|(pseudonym, indicators)| MissingData {
                    pseudonym,
                    indicators,
                })
                .collect(),
        })
    }

    /// The six-month follow-up of a case (readers of the case).
    pub async fn esf_followup(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        case_id: Uuid,
    ) -> Result<FollowupView, Error> {
        let mut tx = self.store.audited_read().await?;
        let case = load_case(&mut tx, actor, ctx, Capability::ReadPersonData, case_id).await?;
        let f = store::followup(&mut tx, case_id).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::EsfFollowupRead,
            Some(case_id),
            json!({}),
        )
        .await?;
        Ok(followup_view(case_id, case.closed_on, f))
    }

    /// Records the six-month follow-up of a closed case (writers on its team).
    pub async fn record_esf_followup(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        case_id: Uuid,
        input: &FollowupInput,
    ) -> Result<(), Error> {
        let mut tx = self.store.write().await?;
        let case = load_case(&mut tx, actor, ctx, Capability::ReadPersonData, case_id).await?;
        require_team_writer(&mut tx, actor, &case).await?;
        if CaseStatus::parse(&case.status) != Some(CaseStatus::Closed) {
            return Err(Error::Rule("esf.followup.not_left"));
        }
        let mut e = Errors::new();
        let improved = match input.improved.trim() {
            "yes" | "true" => Some(true),
            "no" | "false" => Some(false),
            "" => {
                e.add("improved", "validation.required");
                None
            }
            _ => {
                e.add("improved", "validation.choice");
                None
            }
        };
        let note = e.take("note", optional_text(&input.note, 2000)).flatten();
        e.finish()?;
        let improved = improved.ok_or_else(|| Error::Internal("validation state".into()))?;
        store::record_followup(
            &mut tx,
            case_id,
            case.home_organisation_id,
            improved,
            note.as_deref(),
            ctx.today(),
            actor.user_id,
            ctx.now,
        )
        .await?;
        finish(
            tx,
            actor,
            ctx,
            Action::EsfFollowupRecord,
            Some(case_id),
            json!({"improved": improved}),
        )
        .await
    }
}

fn followup_view(
    case_id: Uuid,
    left_on: Option<NaiveDate>,
    f: Option<(bool, Option<String>, NaiveDate)>,
) -> FollowupView {
    let due_on = left_on.map(esf::six_months_after);
    let (improved, note, recorded_on) = match f {
        Some((i, n, d)) => (Some(i), n, Some(d)),
        None => (None, None, None),
    };
    FollowupView {
        case_id,
        left_on,
        due_on,
        improved,
        note,
        recorded_on,
    }
}
