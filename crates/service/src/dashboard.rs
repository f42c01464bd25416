//! A programme's dashboard, read at a glance by programme managers and coordinators
//! (`ReadAggregates`): participants by phase (the funnel), entries and exits by month,
//! entrants by sex and age band, by territory and by disadvantage group, referral flows
//! between kinds of organisation, training (people by status, certificates,
//! attendance), placements by contract type, incidents by kind and severity. Filtered
//! by project, territory (with the territories below it), an organisation on the
//! case's team, and period. Every count of people passes through `disclosure` before it
//! leaves: a chart's rows are published lines, each within what it is a part of.

use chrono::{Datelike, NaiveDate};
use itinera_domain::access::{Actor, Capability};
use itinera_domain::assessment::{text_in, Instrument, Score};
use itinera_domain::disclosure::{self, Line, Relations};
use itinera_domain::input::optional_id;
use itinera_domain::participant::age_on;
use itinera_domain::{Error, Errors};
use itinera_i18n::Lang;
use itinera_store::assessments;
use itinera_store::dashboard::{self as store, Assessed, Cell, Filter};
use itinera_store::{admin, Tx};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::aggregates::age_band;
use crate::audit::{finish, Action};
use crate::esf::period_or_year;
use crate::{Ctx, Services};

/// The filters as typed (query parameters).
#[derive(Debug, Clone, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct DashboardParams {
    /// First day (default: 1 January of this year).
    pub from: String,
    /// Last day (default: 31 December of this year).
    pub to: String,
    pub project_id: String,
    /// A territory: its cases and those of the territories below it.
    pub territory_id: String,
    /// An organisation on the case's team.
    pub organisation_id: String,
    /// Compute the figures again rather than show the ones kept (see `cache`).
    #[serde(deserialize_with = "itinera_domain::input::lenient_bool")]
    pub fresh: bool,
}

// ---- What leaves the server -------------------------------------------------------

/// One row of a chart: its label (a code, translated by the chart's `row_prefix`, or
/// a name) and its values by column; an absent figure is suppressed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChartRow {
    pub label: String,
    pub values: Vec<Option<u64>>,
    /// For `progress`: the mean change of level from the first to the latest
    /// assessment (positive: better), over the row's cases; absent when they are fewer
    /// than the threshold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub average: Option<f64>,
}

/// A chart and the table it is drawn from.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Chart {
    /// `funnel`, `flow`, `sex_age`, `territory`, `groups`, `profiles`, `progress`,
    /// `referrals`, `training`, `attendance`, `placements`, `incidents`.
    pub id: String,
    /// The translation prefixes of the rows' and the columns' codes (empty: names).
    pub row_prefix: String,
    pub column_prefix: String,
    pub columns: Vec<String>,
    pub rows: Vec<ChartRow>,
    /// The sum of all its cells (absent when suppressed; for `groups`, the rows
    /// overlap and this is the first row, every entrant; absent for `training`, whose
    /// rows overlap: one person may be a candidate on one course and a trainee on
    /// another). A cell of events (referrals, marks, incidents) of fewer people than
    /// the threshold is suppressed like a small count.
    pub total: Option<u64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Dashboard {
    pub programme_id: Uuid,
    pub programme_code: String,
    pub programme_name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub project_id: Option<Uuid>,
    pub territory_id: Option<Uuid>,
    pub organisation_id: Option<Uuid>,
    /// Counts below this are not shown.
    pub threshold: u32,
    pub charts: Vec<Chart>,
    /// What the filters offer.
    pub projects: Vec<Choice>,
    pub territories: Vec<Choice>,
    pub organisations: Vec<Choice>,
    /// When these figures were computed (a dashboard is kept for a while, see `cache`).
    pub computed_at: chrono::DateTime<chrono::Utc>,
}

/// An option of a filter.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Choice {
    pub id: Uuid,
    pub name: String,
}

fn choices(v: Vec<(Uuid, String)>) -> Vec<Choice> {
    v.into_iter()
        .map(|(id, name)| Choice { id, name })
        .collect()
}

/// How a chart's cells are published (see `disclosure`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Every cell is a part of one whole (categories: phases, territories, a grid of
    /// sex by age band): one line over all the cells.
    OneLine,
    /// Each column is a line over the rows (entries by month, exits by month).
    ByColumn,
    /// Each row is a line over the columns (cases improved, the same or worse in one
    /// domain).
    ByRow,
    /// One column; the first row is the whole and every other row is within it
    /// (overlapping groups of the entrants).
    Within,
    /// A table of two variables (sex by age band) whose margins are published too,
    /// here or elsewhere (the ESF+ table's entrants by sex, its age groups): each row
    /// and each column is a line, and the cell they share is one figure.
    Grid,
    /// One column; each row is a figure of its own (one person may be in several:
    /// candidate on one course, trainee on another), no total; a row named first in
    /// `nested` is within the row named second (certificates within completions).
    Apart {
        nested: &'static [(&'static str, &'static str)],
    },
}

/// What a chart is: rows in `order` (then any other, sorted), columns in `columns`.
struct Spec<'a> {
    id: &'a str,
    row_prefix: &'a str,
    column_prefix: &'a str,
    columns: Vec<String>,
    order: Vec<String>,
    mode: Mode,
}

fn chart(spec: Spec<'_>, cells: &[Cell], k: u32) -> Chart {
    // A grid of events says how many people they are of: all of them in its cell `*`.
    let all = |c: &&Cell| c.a == "*" && c.b == "*";
    let everyone = cells.iter().find(all).and_then(|c| c.people);
    let cells: Vec<Cell> = cells.iter().filter(|c| !all(c)).cloned().collect();
    let cells = cells.as_slice();
    let mut labels: Vec<String> = spec.order.clone();
    let mut extra: Vec<String> = cells
        .iter()
        .map(|c| c.a.clone())
        .filter(|a| !labels.contains(a))
        .collect();
    extra.sort();
    extra.dedup();
    labels.extend(extra);
    let value = |row: &str, col: &str| -> u64 {
        cells
            .iter()
            .filter(|c| c.a == row && c.b == col)
            .map(|c| c.n.max(0) as u64)
            .sum()
    };
    let grid: Vec<Vec<u64>> = labels
        .iter()
        .map(|r| spec.columns.iter().map(|c| value(r, c)).collect())
        .collect();
    // A grid of events: the people of each cell's events (row by row).
    let events = cells.iter().any(|x| x.people.is_some());
    let people: Vec<Vec<u64>> = labels
        .iter()
        .map(|row| {
            spec.columns
                .iter()
                .map(|col| {
                    cells
                        .iter()
                        .filter(|x| x.a == *row && x.b == *col)
                        .filter_map(|x| x.people)
                        .map(|p| p.max(0) as u64)
                        .sum()
                })
                .collect()
        })
        .collect();
    // The cells whose events are fewer people's than the threshold: (row, column).
    let few: Vec<(usize, usize)> = people
        .iter()
        .enumerate()
        .flat_map(|(r, row)| {
            row.iter()
                .enumerate()
                .filter(|(_, &p)| disclosure::is_small(p, k))
                .map(move |(c, _)| (r, c))
        })
        .collect();
    let few_in_all = everyone.is_some_and(|p| disclosure::is_small(p.max(0) as u64, k));
    let width = spec.columns.len();
    let related = |map: &dyn Fn(usize, usize) -> (usize, usize)| Relations {
        few_people: few.iter().map(|&(r, c)| map(r, c)).collect(),
        ..Relations::default()
    };
    let (values, total): (Vec<Vec<Option<u64>>>, Option<u64>) = match spec.mode {
        Mode::OneLine => {
            let line = Line {
                parts: grid.iter().flatten().copied().collect(),
                total: grid.iter().flatten().sum(),
                within: None,
            };
            let mut rel = related(&|r, c| (0, r * width + c));
            if few_in_all {
                rel.few_people.push((0, line.parts.len()));
            }
            if events {
                rel.people = vec![(0, people.iter().flatten().copied().collect())];
            }
            let shown = disclosure::suppress_related(std::slice::from_ref(&line), &rel, k);
            let s = shown.into_iter().next();
            let parts = s.as_ref().map(|s| s.parts.clone()).unwrap_or_default();
            (
                parts
                    .chunks(width.max(1))
                    .map(<[Option<u64>]>::to_vec)
                    .collect(),
                s.and_then(|s| s.total),
            )
        }
        Mode::Grid => {
            let height = grid.len();
            let with_total = |parts: Vec<u64>| Line {
                total: parts.iter().sum(),
                parts,
                within: None,
            };
            // Rows 0..height, columns height..height + width, then the row totals and
            // the column totals as two lines of the whole.
            let mut lines: Vec<Line> = grid.iter().map(|g| with_total(g.clone())).collect();
            for c in 0..width {
                lines.push(with_total(
                    grid.iter()
                        .map(|g| g.get(c).copied().unwrap_or(0))
                        .collect(),
                ));
            }
            let (by_row, by_column) = (height + width, height + width + 1);
            lines.push(with_total(grid.iter().map(|g| g.iter().sum()).collect()));
            lines.push(with_total(
                (0..width)
                    .map(|c| grid.iter().map(|g| g.get(c).copied().unwrap_or(0)).sum())
                    .collect(),
            ));
            let mut rel = related(&|r, c| (r, c));
            for r in 0..height {
                for c in 0..width {
                    rel.same.push(((r, c), (height + c, r)));
                }
                rel.same.push(((r, width), (by_row, r)));
            }
            for c in 0..width {
                rel.same.push(((height + c, height), (by_column, c)));
            }
            rel.same.push(((by_row, height), (by_column, width)));
            let shown = disclosure::suppress_related(&lines, &rel, k);
            let total = shown.get(by_row).and_then(|s| s.total);
            (
                shown.into_iter().take(height).map(|s| s.parts).collect(),
                total,
            )
        }
        Mode::ByColumn => {
            let lines: Vec<Line> = (0..width)
                .map(|c| {
                    let parts: Vec<u64> = grid
                        .iter()
                        .map(|g| g.get(c).copied().unwrap_or(0))
                        .collect();
                    Line {
                        total: parts.iter().sum(),
                        parts,
                        within: None,
                    }
                })
                .collect();
            let shown = disclosure::suppress_related(&lines, &related(&|r, c| (c, r)), k);
            let values = (0..labels.len())
                .map(|r| {
                    shown
                        .iter()
                        .map(|s| s.parts.get(r).copied().flatten())
                        .collect()
                })
                .collect();
            (values, None)
        }
        Mode::ByRow => {
            let lines: Vec<Line> = grid
                .iter()
                .map(|g| Line {
                    parts: g.clone(),
                    total: g.iter().sum(),
                    within: None,
                })
                .collect();
            let shown = disclosure::suppress_related(&lines, &related(&|r, c| (r, c)), k);
            (shown.into_iter().map(|s| s.parts).collect(), None)
        }
        Mode::Within => {
            let lines: Vec<Line> = grid
                .iter()
                .enumerate()
                .map(|(i, g)| Line {
                    parts: Vec::new(),
                    total: g.iter().sum(),
                    within: (i > 0).then_some(0),
                })
                .collect();
            let shown = disclosure::suppress_related(&lines, &related(&|r, _| (r, 0)), k);
            let total = shown.first().and_then(|s| s.total);
            (shown.into_iter().map(|s| vec![s.total]).collect(), total)
        }
        Mode::Apart { nested } => {
            let row = |name: &str| labels.iter().position(|l| l == name);
            let lines: Vec<Line> = grid
                .iter()
                .enumerate()
                .map(|(i, g)| Line {
                    parts: Vec::new(),
                    total: g.iter().sum(),
                    within: labels.get(i).and_then(|l| {
                        nested
                            .iter()
                            .find(|(inner, _)| inner == l)
                            .and_then(|(_, outer)| row(outer))
                    }),
                })
                .collect();
            let shown = disclosure::suppress_related(&lines, &related(&|r, _| (r, 0)), k);
            (shown.into_iter().map(|s| vec![s.total]).collect(), None)
        }
    };
    Chart {
        id: spec.id.into(),
        row_prefix: spec.row_prefix.into(),
        column_prefix: spec.column_prefix.into(),
        columns: spec.columns,
        rows: labels
            .into_iter()
            .zip(values)
            .map(|(label, values)| ChartRow {
                label,
                values,
                average: None,
            })
            .collect(),
        total,
    }
}

/// The funnel: the cases not closed by phase. Its cells are counted by phase and
/// status and suppressed as the programme overview's are, in one suppression with the
/// closed (`disclosure::suppress_phases`): the overview and the funnel read together
/// give back nothing either hides.
fn funnel_chart(order: &[String], cells: &[Cell], k: u32) -> Chart {
    let table: Vec<(String, String, u64)> = cells
        .iter()
        .map(|c| (c.a.clone(), c.b.clone(), c.n.max(0) as u64))
        .collect();
    let shown = disclosure::suppress_phases(&table, k);
    let mut labels: Vec<String> = order.to_vec();
    labels.extend(
        shown
            .not_closed
            .iter()
            .filter(|(phase, v)| !order.contains(phase) && *v != Some(0))
            .map(|(phase, _)| phase.clone()),
    );
    let rows = labels
        .into_iter()
        .map(|label| {
            let v = shown
                .not_closed
                .iter()
                .find(|(phase, _)| *phase == label)
                .map_or(Some(0), |(_, v)| *v);
            ChartRow {
                label,
                values: vec![v],
                average: None,
            }
        })
        .collect();
    Chart {
        id: "funnel".into(),
        row_prefix: "phase".into(),
        column_prefix: "dashboard.column".into(),
        columns: strings(&["cases"]),
        rows,
        total: shown.not_closed_total,
    }
}

/// The assessments' figures before they are named in a language: cases by (instrument,
/// profile) at the first and at the latest assessment, and by (instrument, domain) that
/// improved, stayed or worsened, with the sums of the changes. Kept with a dashboard, so
/// that one computation serves its readers in every language.
#[derive(Debug, Clone, Default)]
pub(crate) struct AssessmentTally {
    /// (instrument, profile code, column, cases), in the order first met.
    profiles: Vec<(Uuid, String, &'static str, u64)>,
    /// (instrument, domain code, column, cases), in the order first met.
    domains: Vec<(Uuid, String, &'static str, u64)>,
    /// The domains compared, in the order first met (with or without a change counted).
    domain_order: Vec<(Uuid, String)>,
    /// (instrument, domain) → (sum of the changes, cases).
    sums: BTreeMap<(Uuid, String), (i64, u64)>,
    instruments: BTreeMap<Uuid, Instrument>,
}

fn tally_bump(
    cells: &mut Vec<(Uuid, String, &'static str, u64)>,
    instrument: Uuid,
    code: &str,
    column: &'static str,
) {
    match cells
        .iter_mut()
        .find(|c| c.0 == instrument && c.1 == code && c.2 == column)
    {
        Some(c) => c.3 += 1,
        None => cells.push((instrument, code.to_string(), column, 1)),
    }
}

/// Tallies the first and the latest assessment of each case (see `AssessmentTally`).
fn assessment_tally(
    assessed: &[Assessed],
    instruments: BTreeMap<Uuid, Instrument>,
) -> AssessmentTally {
    let mut t = AssessmentTally::default();
    let mut by_case: BTreeMap<Uuid, (Option<&Assessed>, Option<&Assessed>)> = BTreeMap::new();
    for a in assessed {
        let e = by_case.entry(a.case_id).or_default();
        if a.first {
            e.0 = Some(a);
            tally_bump(&mut t.profiles, a.instrument_id, &a.profile, "first");
        }
        if a.latest {
            e.1 = Some(a);
            tally_bump(&mut t.profiles, a.instrument_id, &a.profile, "latest");
        }
    }
    let scores = |a: &Assessed| -> BTreeMap<String, i16> {
        serde_json::from_str::<Vec<Score>>(&a.scores)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|s| s.level.map(|l| (s.domain, l)))
            .collect()
    };
    for (first, latest) in by_case.values() {
        let (Some(first), Some(latest)) = (first, latest) else {
            continue;
        };
        if first.first && first.latest || first.instrument_id != latest.instrument_id {
            continue;
        }
        let Some(instrument) = instruments.get(&first.instrument_id) else {
            continue;
        };
        let (before, after) = (scores(first), scores(latest));
        for d in &instrument.domains {
            let key = (first.instrument_id, d.code.clone());
            if !t.domain_order.contains(&key) {
                t.domain_order.push(key.clone());
            }
            let (Some(b), Some(a)) = (before.get(&d.code), after.get(&d.code)) else {
                continue;
            };
            let change = i64::from(*a) - i64::from(*b);
            let column = match change.cmp(&0) {
                std::cmp::Ordering::Greater => "improved",
                std::cmp::Ordering::Equal => "same",
                std::cmp::Ordering::Less => "worse",
            };
            tally_bump(&mut t.domains, first.instrument_id, &d.code, column);
            let s = t.sums.entry(key).or_default();
            s.0 += change;
            s.1 += 1;
        }
    }
    t.instruments = instruments;
    t
}

/// The profile distribution at the first and at the latest assessment of each case, and
/// per domain how many cases improved, stayed or worsened between the two (same
/// instrument, two different assessments) with the mean change of level. Rows are
/// named in `lang` from the instruments' own texts (two instruments' profiles or
/// domains of the same name are one row).
fn assessment_charts(t: &AssessmentTally, lang: Lang, k: u32) -> (Chart, Chart) {
    let profile_name = |instrument: &Uuid, code: &str| -> String {
        t.instruments
            .get(instrument)
            .and_then(|i| i.profile(code))
            .map(|p| text_in(&p.label, lang.code()).to_string())
            .unwrap_or_else(|| code.to_string())
    };
    let domain_name = |instrument: &Uuid, code: &str| -> String {
        t.instruments
            .get(instrument)
            .and_then(|i| i.domains.iter().find(|d| d.code == code))
            .map(|d| text_in(&d.label, lang.code()).to_string())
            .unwrap_or_else(|| code.to_string())
    };
    let named = |cells: &[(Uuid, String, &'static str, u64)],
                 name: &dyn Fn(&Uuid, &str) -> String|
     -> Vec<Cell> {
        let mut out: Vec<Cell> = Vec::new();
        for (i, code, column, n) in cells {
            let a = name(i, code);
            let n = i64::try_from(*n).unwrap_or(i64::MAX);
            match out.iter_mut().find(|c| c.a == a && c.b == *column) {
                Some(c) => c.n += n,
                None => out.push(Cell {
                    a,
                    b: (*column).into(),
                    n,
                    people: None,
                }),
            }
        }
        out
    };
    // Profiles in the instruments' order, then any other.
    let mut order: Vec<String> = Vec::new();
    for i in t.instruments.values() {
        for p in &i.profiles {
            let name = text_in(&p.label, lang.code()).to_string();
            if !order.contains(&name) {
                order.push(name);
            }
        }
    }
    let profiles = chart(
        Spec {
            id: "profiles",
            row_prefix: "",
            column_prefix: "dashboard.column",
            columns: strings(&["first", "latest"]),
            order,
            mode: Mode::ByColumn,
        },
        &named(&t.profiles, &profile_name),
        k,
    );
    let mut order: Vec<String> = Vec::new();
    for (i, code) in &t.domain_order {
        let name = domain_name(i, code);
        if !order.contains(&name) {
            order.push(name);
        }
    }
    let mut sums: BTreeMap<String, (i64, u64)> = BTreeMap::new();
    for ((i, code), (sum, n)) in &t.sums {
        let s = sums.entry(domain_name(i, code)).or_default();
        s.0 += sum;
        s.1 += n;
    }
    let mut progress = chart(
        Spec {
            id: "progress",
            row_prefix: "",
            column_prefix: "dashboard.column",
            columns: strings(&["improved", "same", "worse"]),
            order,
            mode: Mode::ByRow,
        },
        &named(&t.domains, &domain_name),
        k,
    );
    // A mean over at least the threshold's number of cases singles nobody out.
    for r in &mut progress.rows {
        r.average = match sums.get(&r.label) {
            Some((sum, n)) if *n >= u64::from(k.max(1)) => {
                Some((*sum as f64 / *n as f64 * 100.0).round() / 100.0)
            }
            _ => None,
        };
    }
    (profiles, progress)
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The months from `from` to `to`, as `YYYY-MM`.
fn months(from: NaiveDate, to: NaiveDate) -> Vec<String> {
    let mut out = Vec::new();
    let (mut y, mut m) = (from.year(), from.month());
    while (y, m) <= (to.year(), to.month()) && out.len() < 240 {
        out.push(format!("{y:04}-{m:02}"));
        if m == 12 {
            y += 1;
            m = 1;
        } else {
            m += 1;
        }
    }
    out
}

impl Services {
    pub async fn dashboard(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        lang: Lang,
        programme: Uuid,
        p: &DashboardParams,
    ) -> Result<Dashboard, Error> {
        actor.require(Capability::ReadAggregates)?;
        let period = period_or_year(&p.from, &p.to, ctx.today())?;
        let mut e = Errors::new();
        let project = e.take("project_id", optional_id(&p.project_id)).flatten();
        let territory = e
            .take("territory_id", optional_id(&p.territory_id))
            .flatten();
        let organisation = e
            .take("organisation_id", optional_id(&p.organisation_id))
            .flatten();
        e.finish()?;
        let f = Filter {
            programme,
            project,
            territory,
            organisation,
            from: period.from,
            to: period.to,
        };
        let mut tx = self.store.audited_read().await?;
        let audit_detail = json!({"from": period.from, "to": period.to, "project": project, "territory": territory, "organisation": organisation});
        let key = dashboard_key(&f);
        let (figures, kept_at) = match (!p.fresh)
            .then(|| self.aggregates.dashboards.get(&key, ctx.now))
            .flatten()
        {
            Some((at, figures)) => (figures, Some(at)),
            None => (self.dashboard_compute(&mut tx, ctx, &f).await?, None),
        };
        finish(
            tx,
            actor,
            ctx,
            Action::DashboardRead,
            Some(programme),
            crate::cache::audit_detail(audit_detail, kept_at),
        )
        .await?;
        let d = figures.in_lang(lang);
        if kept_at.is_none() {
            self.aggregates.dashboards.put(key, ctx.now, figures);
        }
        Ok(d)
    }

    /// A dashboard's figures computed now, in no language yet (the callers audit their
    /// reads).
    async fn dashboard_compute(
        &self,
        tx: &mut Tx,
        ctx: &Ctx,
        f: &Filter,
    ) -> Result<DashboardFigures, Error> {
        let prog = admin::programme(tx, f.programme)
            .await?
            .ok_or(Error::NotFound)?;
        let projects = admin::projects(tx, f.programme).await?;
        if f.project
            .is_some_and(|pj| !projects.iter().any(|x| x.id == pj))
        {
            return Err(Error::field("project_id", "validation.choice"));
        }
        let territories = store::territories(tx).await?;
        if f.territory
            .is_some_and(|t| !territories.iter().any(|x| x.0 == t))
        {
            return Err(Error::field("territory_id", "validation.choice"));
        }
        let organisations = store::organisations(tx).await?;
        if f.organisation
            .is_some_and(|o| !organisations.iter().any(|x| x.0 == o))
        {
            return Err(Error::field("organisation_id", "validation.choice"));
        }
        let phases: Vec<String> = admin::phases(tx, f.programme)
            .await?
            .into_iter()
            .map(|p| p.code)
            .collect();
        let k = self.settings.small_counts;
        let mut charts = Vec::new();
        let mut tally = AssessmentTally::default();
        let mut assessment_at = 0;
        let kinds = strings(
            &itinera_domain::org::OrganisationKind::ALL
                .iter()
                .map(|x| x.code())
                .collect::<Vec<_>>(),
        );
        for name in store::grid_names() {
            let cells = store::grid(tx, name, f).await?;
            if name == "funnel" {
                charts.push(funnel_chart(&phases, &cells, k));
                continue;
            }
            let spec = match name {
                "flow" => Spec {
                    id: "flow",
                    row_prefix: "",
                    column_prefix: "dashboard.column",
                    columns: strings(&["entries", "exits"]),
                    order: months(f.from, f.to),
                    mode: Mode::ByColumn,
                },
                "territory" => Spec {
                    id: "territory",
                    row_prefix: "",
                    column_prefix: "dashboard.column",
                    columns: strings(&["entries"]),
                    order: Vec::new(),
                    mode: Mode::OneLine,
                },
                "groups" => Spec {
                    id: "groups",
                    row_prefix: "dashboard.group",
                    column_prefix: "dashboard.column",
                    columns: strings(&["entries"]),
                    order: strings(&[
                        "all",
                        "long_term_unemployed",
                        "disability",
                        "foreign_background",
                        "minority",
                        "homeless",
                        "rural",
                        "single_parent",
                    ]),
                    mode: Mode::Within,
                },
                "referrals" => Spec {
                    id: "referrals",
                    row_prefix: "org_kind",
                    column_prefix: "org_kind",
                    columns: kinds.clone(),
                    order: kinds.clone(),
                    mode: Mode::OneLine,
                },
                "training" => Spec {
                    id: "training",
                    row_prefix: "dashboard.training",
                    column_prefix: "dashboard.column",
                    columns: strings(&["people"]),
                    order: strings(&[
                        "candidate",
                        "selected",
                        "waiting",
                        "enrolled",
                        "completed",
                        "certificate",
                        "dropped",
                        "rejected",
                    ]),
                    mode: Mode::Apart {
                        nested: &[("certificate", "completed")],
                    },
                },
                "attendance" => Spec {
                    id: "attendance",
                    row_prefix: "presence",
                    column_prefix: "dashboard.column",
                    columns: strings(&["marks"]),
                    order: strings(&["present", "late", "justified", "absent"]),
                    mode: Mode::OneLine,
                },
                "placements" => Spec {
                    id: "placements",
                    row_prefix: "contract_type",
                    column_prefix: "dashboard.column",
                    columns: strings(&["ordinary", "insertion"]),
                    order: Vec::new(),
                    mode: Mode::OneLine,
                },
                _ => Spec {
                    id: "incidents",
                    row_prefix: "incident_kind",
                    column_prefix: "severity",
                    columns: strings(&["low", "medium", "high"]),
                    order: Vec::new(),
                    mode: Mode::OneLine,
                },
            };
            let c = chart(spec, &cells, k);
            charts.push(c);
            if name == "groups" {
                let assessed = store::first_and_latest_assessments(tx, f).await?;
                let ids: std::collections::BTreeSet<Uuid> =
                    assessed.iter().map(|a| a.instrument_id).collect();
                let mut instruments = BTreeMap::new();
                for id in ids {
                    if let Some(row) = assessments::instrument(tx, id).await? {
                        instruments.insert(id, Instrument::from_json(&row.definition)?);
                    }
                }
                tally = assessment_tally(&assessed, instruments);
                assessment_at = charts.len();
            }
            if name == "flow" {
                // Entrants by sex and age band at entry, after the flow.
                let entrants = store::entrants(tx, f).await?;
                let mut cells: Vec<Cell> = Vec::new();
                for (sex, birth, on) in entrants {
                    let band = age_band(age_on(birth, on));
                    match cells.iter_mut().find(|c| c.a == sex && c.b == band) {
                        Some(c) => c.n += 1,
                        None => cells.push(Cell {
                            a: sex,
                            b: band.into(),
                            n: 1,
                            people: None,
                        }),
                    }
                }
                charts.push(chart(
                    Spec {
                        id: "sex_age",
                        row_prefix: "sex",
                        column_prefix: "age_band",
                        columns: strings(&["under_18", "18_29", "30_54", "55_plus"]),
                        order: strings(&["female", "male", "non_binary"]),
                        mode: Mode::Grid,
                    },
                    &cells,
                    k,
                ));
            }
        }
        let dashboard = Dashboard {
            programme_id: prog.id,
            programme_code: prog.code,
            programme_name: prog.name,
            from: f.from,
            to: f.to,
            project_id: f.project,
            territory_id: f.territory,
            organisation_id: f.organisation,
            threshold: k,
            charts,
            projects: choices(
                projects
                    .into_iter()
                    .map(|p| (p.id, format!("{} — {}", p.code, p.name)))
                    .collect(),
            ),
            territories: choices(territories),
            organisations: choices(organisations),
            computed_at: ctx.now,
        };
        Ok(DashboardFigures {
            dashboard,
            tally,
            assessment_at,
        })
    }

    /// Prepares a programme's dashboard as its readers open it first (this year, no
    /// filter), see `cache`.
    pub(crate) async fn prepare_dashboard(
        &self,
        tx: &mut Tx,
        ctx: &Ctx,
        programme: Uuid,
    ) -> Result<(), Error> {
        let period = period_or_year("", "", ctx.today())?;
        let f = Filter {
            programme,
            project: None,
            territory: None,
            organisation: None,
            from: period.from,
            to: period.to,
        };
        let figures = self.dashboard_compute(tx, ctx, &f).await?;
        self.aggregates.dashboards.prepare(
            dashboard_key(&f),
            ctx.now,
            figures,
            self.prepared_lasting(),
        );
        Ok(())
    }
}

/// A dashboard's key among the kept answers: its filters and period (the same figures
/// serve every language).
fn dashboard_key(f: &Filter) -> String {
    format!(
        "{}|{:?}|{:?}|{:?}|{}|{}",
        f.programme, f.project, f.territory, f.organisation, f.from, f.to
    )
}

/// A dashboard as kept: every chart but the assessments' two, whose rows are named in
/// the reader's language from the tally.
#[derive(Debug, Clone)]
pub(crate) struct DashboardFigures {
    dashboard: Dashboard,
    tally: AssessmentTally,
    /// Where the assessments' charts go among the others.
    assessment_at: usize,
}

impl DashboardFigures {
    fn in_lang(&self, lang: Lang) -> Dashboard {
        let mut d = self.dashboard.clone();
        let (profiles, progress) = assessment_charts(&self.tally, lang, d.threshold);
        let at = self.assessment_at.min(d.charts.len());
        d.charts.splice(at..at, [profiles, progress]);
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assessed(
        case: u128,
        instrument: Uuid,
        profile: &str,
        housing: Option<i16>,
        first: bool,
        latest: bool,
    ) -> Assessed {
        let scores = match housing {
            Some(l) => {
                json!([{"domain": "housing", "level": l, "note": null}, {"domain": "income", "level": null, "note": null}])
            }
            None => json!([]),
        };
        Assessed {
            case_id: Uuid::from_u128(case),
            instrument_id: instrument,
            profile: profile.into(),
            scores: scores.to_string(),
            first,
            latest,
        }
    }

    #[test]
    fn profiles_and_progress_between_the_first_and_the_latest_assessment() {
        let i = Instrument::from_json(itinera_domain::assessment::DEFAULT_INSTRUMENT_JSON).unwrap();
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let instruments = BTreeMap::from([(a, i.clone()), (b, i)]);
        let mut rows = Vec::new();
        // Ten cases assessed twice with instrument a: five improve in housing (by 1, 2,
        // 1, 1, 1), five stay.
        for (case, (before, after)) in [
            (1, 2),
            (1, 3),
            (2, 3),
            (3, 4),
            (2, 3),
            (3, 3),
            (2, 2),
            (1, 1),
            (4, 4),
            (5, 5),
        ]
        .into_iter()
        .enumerate()
        {
            let case = case as u128 + 10;
            rows.push(assessed(
                case,
                a,
                "intensive_social_support",
                Some(before),
                true,
                false,
            ));
            rows.push(assessed(case, a, "pre_labour", Some(after), false, true));
        }
        // Assessed once: in both columns of the profiles, not in the progress.
        rows.push(assessed(30, a, "pre_labour", Some(1), true, true));
        // Two instruments: not compared.
        rows.push(assessed(31, a, "pre_labour", Some(1), true, false));
        rows.push(assessed(31, b, "pre_labour", Some(5), false, true));
        let (profiles, progress) =
            assessment_charts(&assessment_tally(&rows, instruments), Lang::Es, 5);

        let row = |c: &Chart, l: &str| c.rows.iter().find(|r| r.label == l).cloned().unwrap();
        // First: 10 intensive, 2 pre-labour; latest: 12 pre-labour. Column "first" as a
        // line: the 2 goes, and with it the 10 (or 12 − 10 gives it back).
        let pre = row(&profiles, "Necesita trabajo prelaboral");
        assert_eq!(pre.values, vec![None, Some(12)]);
        let intensive = row(&profiles, "Necesita apoyo social intensivo");
        assert_eq!(intensive.values, vec![None, Some(0)]);
        let housing = row(&progress, "Vivienda");
        assert_eq!(housing.values, vec![Some(5), Some(5), Some(0)]);
        assert_eq!(housing.average, Some(0.6), "6 levels over 10 cases");
        // Not applicable both times: nothing counted, no mean.
        let income = row(&progress, "Ingresos");
        assert_eq!(income.values, vec![Some(0), Some(0), Some(0)]);
        assert_eq!(income.average, None);
    }

    #[test]
    fn months_of_a_period() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(
            months(d("2025-11-15"), d("2026-02-01")),
            ["2025-11", "2025-12", "2026-01", "2026-02"]
        );
    }

    #[test]
    fn a_chart_of_categories_hides_small_ones_and_enough_more() {
        let cells = vec![
            Cell {
                a: "Badajoz".into(),
                b: "entries".into(),
                n: 40,
                people: None,
            },
            Cell {
                a: "Mérida".into(),
                b: "entries".into(),
                n: 2,
                people: None,
            },
            Cell {
                a: "Cáceres".into(),
                b: "entries".into(),
                n: 9,
                people: None,
            },
        ];
        let c = chart(
            Spec {
                id: "territory",
                row_prefix: "",
                column_prefix: "",
                columns: strings(&["entries"]),
                order: Vec::new(),
                mode: Mode::OneLine,
            },
            &cells,
            5,
        );
        let get = |l: &str| c.rows.iter().find(|r| r.label == l).unwrap().values[0];
        assert_eq!(get("Badajoz"), Some(40));
        assert_eq!(get("Mérida"), None);
        assert_eq!(get("Cáceres"), None, "the next smallest goes too");
    }

    fn cell(a: &str, b: &str, n: i64, people: Option<i64>) -> Cell {
        Cell {
            a: a.into(),
            b: b.into(),
            n,
            people,
        }
    }

    #[test]
    fn events_of_few_people_are_hidden_like_small_counts() {
        // Twelve absences, all one person's; 40 marks of present of 20 people.
        let spec = || Spec {
            id: "attendance",
            row_prefix: "presence",
            column_prefix: "dashboard.column",
            columns: strings(&["marks"]),
            order: strings(&["present", "late", "justified", "absent"]),
            mode: Mode::OneLine,
        };
        let cells = vec![
            cell("present", "marks", 40, Some(20)),
            cell("absent", "marks", 12, Some(1)),
            cell("late", "marks", 9, Some(6)),
            cell("*", "*", 61, Some(20)),
        ];
        let c = chart(spec(), &cells, 5);
        let get = |c: &Chart, l: &str| c.rows.iter().find(|r| r.label == l).unwrap().values[0];
        assert_eq!(get(&c, "absent"), None, "one person's absences");
        assert_eq!(get(&c, "late"), None, "else 61 − 40 − 0 would give 12 back");
        assert_eq!(get(&c, "present"), Some(40));
        assert_eq!(c.total, Some(61));
        assert!(c.rows.iter().all(|r| r.label != "*"), "{:?}", c.rows);
        // All the marks are three people's: nothing but zeros is published.
        let cells = vec![
            cell("present", "marks", 40, Some(3)),
            cell("absent", "marks", 12, Some(2)),
            cell("*", "*", 52, Some(3)),
        ];
        let c = chart(spec(), &cells, 5);
        assert_eq!(get(&c, "present"), None);
        assert_eq!(get(&c, "absent"), None);
        assert_eq!(get(&c, "late"), Some(0));
        assert_eq!(c.total, None);
    }

    #[test]
    fn training_rows_overlap_and_certificates_are_within_completions() {
        let spec = Spec {
            id: "training",
            row_prefix: "dashboard.training",
            column_prefix: "dashboard.column",
            columns: strings(&["people"]),
            order: strings(&["enrolled", "completed", "certificate"]),
            mode: Mode::Apart {
                nested: &[("certificate", "completed")],
            },
        };
        let cells = vec![
            cell("enrolled", "people", 30, None),
            cell("completed", "people", 12, None),
            cell("certificate", "people", 10, None),
        ];
        let c = chart(spec, &cells, 5);
        let get = |l: &str| c.rows.iter().find(|r| r.label == l).unwrap().values[0];
        assert_eq!(get("enrolled"), Some(30));
        assert_eq!(get("completed"), Some(12));
        assert_eq!(
            get("certificate"),
            None,
            "12 − 10: two completed without one"
        );
        assert_eq!(c.total, None, "the rows overlap: their sum counts no one");
    }

    #[test]
    fn the_funnel_is_the_overview_suppressed_once() {
        let cells = vec![
            cell("intake", "open", 6, None),
            cell("intake", "suspended", 2, None),
            cell("plan", "open", 5, None),
            cell("plan", "closed", 7, None),
            cell("old", "closed", 9, None),
        ];
        let c = funnel_chart(&strings(&["intake", "plan", "job"]), &cells, 5);
        let labels: Vec<&str> = c.rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(
            labels,
            ["intake", "plan", "job"],
            "a phase with closed cases only is not a row"
        );
        assert_eq!(c.rows[0].values, vec![Some(8)]);
        assert_eq!(c.rows[1].values, vec![Some(5)]);
        assert_eq!(c.rows[2].values, vec![Some(0)]);
        assert_eq!(c.total, Some(13));
    }

    #[test]
    fn a_grid_keeps_its_margins_from_giving_a_cell_back() {
        // 3 women under 18, 17 women 18–29, 10 men under 18. The ESF+ table publishes
        // 20 women and 10 men: a grid suppressed as one line (3 and 10 hidden, 17
        // shown) would give the 3 back as 20 − 17.
        let cells = vec![
            cell("female", "under_18", 3, None),
            cell("female", "18_29", 17, None),
            cell("male", "under_18", 10, None),
        ];
        let c = chart(
            Spec {
                id: "sex_age",
                row_prefix: "sex",
                column_prefix: "age_band",
                columns: strings(&["under_18", "18_29", "30_54", "55_plus"]),
                order: strings(&["female", "male", "non_binary"]),
                mode: Mode::Grid,
            },
            &cells,
            5,
        );
        let row = |l: &str| c.rows.iter().find(|r| r.label == l).unwrap().values.clone();
        assert_eq!(row("female"), vec![None, None, Some(0), Some(0)]);
        assert_eq!(row("male")[0], None);
        assert_eq!(row("non_binary"), vec![Some(0); 4]);
        assert_eq!(c.total, Some(30));
    }

    #[test]
    fn the_events_hidden_under_a_total_are_of_enough_people() {
        // 40 marks of present of 20 people; 12 absences and 8 justified ones, all one
        // person's. Hidden alone, the two would come back as 60 − 40: one person's.
        let cells = vec![
            cell("present", "marks", 40, Some(20)),
            cell("absent", "marks", 12, Some(1)),
            cell("justified", "marks", 8, Some(1)),
            cell("*", "*", 60, Some(20)),
        ];
        let c = chart(
            Spec {
                id: "attendance",
                row_prefix: "presence",
                column_prefix: "dashboard.column",
                columns: strings(&["marks"]),
                order: strings(&["present", "late", "justified", "absent"]),
                mode: Mode::OneLine,
            },
            &cells,
            5,
        );
        let get = |l: &str| c.rows.iter().find(|r| r.label == l).unwrap().values[0];
        assert_eq!((get("absent"), get("justified")), (None, None));
        assert!(
            get("present").is_none() || c.total.is_none(),
            "{:?} of {:?}",
            get("present"),
            c.total
        );
    }
}
