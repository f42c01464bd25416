//! What leaves the server as a file rather than a page, shared by the API and the
//! views: a body's coordination report as CSV and XLSX (its tables headed in the
//! reader's language) and a meeting's minutes as plain text.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use itinera_domain::Error;
use itinera_i18n::{t, Lang};
use itinera_service::coordination::{BodyReport, MeetingView};
use itinera_service::dashboard::{Chart, Dashboard};
use itinera_service::esf::{EsfLine, EsfTable};
use itinera_service::objectives::ObjectivesSheet;
use itinera_tabular::write::{Cell, Table};
use serde::Deserialize;

/// A report's period (`YYYY-MM-DD` or `DD/MM/YYYY`; default: the last twelve months).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct PeriodParams {
    pub from: String,
    pub to: String,
    /// Compute the figures again rather than show the ones kept (indicators).
    #[serde(deserialize_with = "itinera_domain::input::lenient_bool")]
    pub fresh: bool,
}

/// A member as a list names them: the professional and their organisation, or the
/// organisation.
pub fn member_label(m: &itinera_service::coordination::BodyMember) -> String {
    match &m.user_name {
        Some(u) => format!("{u} · {}", m.organisation_name),
        None => m.organisation_name.clone(),
    }
}

/// The report as tables, headed in the reader's language.
pub fn tables(lang: Lang, r: &BodyReport) -> Vec<Table> {
    let x = &r.report;
    let a = &x.agreements;
    let row = |k: &str, v: Cell| vec![Cell::from(t(lang, k)), v];
    // A figure about people hidden for being small: "< threshold".
    let fig = |v: Option<u32>| match v {
        Some(n) => Cell::from(n),
        None => Cell::from(format!("< {}", x.threshold)),
    };
    vec![
        Table {
            title: t(lang, "report.summary").into(),
            header: vec![
                t(lang, "report.indicator").into(),
                t(lang, "report.value").into(),
            ],
            rows: vec![
                row("report.body", Cell::from(r.body.name.clone())),
                row("report.from", Cell::from(x.period.from.to_string())),
                row("report.to", Cell::from(x.period.to.to_string())),
                row("report.planned", x.planned.into()),
                row("report.held", x.held.into()),
                row("report.not_held", x.not_held.into()),
                row("report.held_rate", x.held_rate().into()),
                row("report.agreements_made", a.made.into()),
                row("report.done_on_time", a.done_on_time.into()),
                row("report.done_late", a.done_late.into()),
                row("report.overdue", a.overdue.into()),
                row("report.open", a.open.into()),
                row("report.dropped", a.dropped.into()),
                row("report.on_time_rate", x.on_time_rate().into()),
                row("report.cases_reviewed", fig(x.cases_reviewed)),
                row("report.joint_interviews", fig(x.joint_interviews_total)),
            ],
        },
        Table {
            title: t(lang, "report.attendance").into(),
            header: vec![
                t(lang, "coordination.organisation").into(),
                t(lang, "attendance.present").into(),
                t(lang, "attendance.excused").into(),
                t(lang, "attendance.absent").into(),
                t(lang, "report.rate").into(),
            ],
            rows: x
                .attendance
                .iter()
                .map(|o| {
                    vec![
                        o.organisation.clone().into(),
                        o.present.into(),
                        o.excused.into(),
                        o.absent.into(),
                        o.rate.into(),
                    ]
                })
                .collect(),
        },
        Table {
            title: t(lang, "report.joint_interviews").into(),
            header: vec![
                t(lang, "coordination.organisation").into(),
                t(lang, "report.count").into(),
            ],
            rows: x
                .joint_interviews
                .iter()
                .map(|j| vec![j.organisation.clone().into(), fig(j.count)])
                .collect(),
        },
    ]
}

/// A download named after the body and the period.
pub fn download(r: &BodyReport, ext: &str, mime: &str, bytes: Vec<u8>) -> Response {
    let slug: String = r
        .body
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    (
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}-{}-{}.{ext}\"",
                    slug.trim_matches('-'),
                    r.report.period.from,
                    r.report.period.to
                ),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub const CSV: &str = "text/csv; charset=utf-8";

pub fn csv_bytes(lang: Lang, r: &BodyReport) -> Result<Vec<u8>, Error> {
    itinera_tabular::write::csv(&tables(lang, r)).map_err(|e| Error::Internal(e.to_string()))
}

pub fn xlsx_bytes(lang: Lang, r: &BodyReport) -> Result<Vec<u8>, Error> {
    itinera_tabular::write::xlsx(&tables(lang, r)).map_err(|e| Error::Internal(e.to_string()))
}

/// The minutes of a meeting as text, in the reader's language.
pub fn minutes_document(lang: Lang, v: &MeetingView) -> String {
    use itinera_i18n::t;
    let code = |prefix: &str, c: &str| itinera_i18n::code_label(lang, prefix, c);
    let m = &v.meeting;
    let mut out = String::new();
    let title = format!(
        "{} — {} {}–{}",
        v.body.name,
        m.meeting_date.format("%d/%m/%Y"),
        m.starts,
        m.ends
    );
    out.push_str(&format!(
        "{title}\n{}\n\n",
        "=".repeat(title.chars().count())
    ));
    out.push_str(&format!(
        "{}: {}",
        t(lang, "coordination.mode"),
        code("meeting_mode", &m.mode)
    ));
    if let Some(p) = &m.place {
        out.push_str(&format!(" · {p}"));
    }
    if let Some(l) = &m.link {
        out.push_str(&format!(" · {l}"));
    }
    out.push('\n');
    match (&m.minutes_approved_at, &m.minutes_approved_by_name) {
        (Some(at), by) => out.push_str(&format!(
            "{}: {}{}\n",
            t(lang, "coordination.minutes_approved"),
            crate::views::page::ZONE.local(*at).format("%d/%m/%Y %H:%M"),
            by.as_ref().map(|b| format!(" · {b}")).unwrap_or_default()
        )),
        (None, _) => out.push_str(&format!("{}\n", t(lang, "coordination.minutes_draft"))),
    }
    out.push_str(&format!("\n{}\n", t(lang, "coordination.attendance")));
    for mm in v.members.iter().filter(|m| v.invited.contains(&m.id)) {
        let who = member_label(mm);
        let att = v
            .attendance
            .iter()
            .find(|(x, _)| *x == mm.id)
            .map(|(_, a)| code("attendance", a))
            .unwrap_or_else(|| "—".into());
        out.push_str(&format!("- {who}: {att}\n"));
    }
    out.push_str(&format!("\n{}\n", t(lang, "coordination.agenda")));
    for (i, it) in v.items.iter().enumerate() {
        let what = match it.item.kind.as_str() {
            "case" => match &it.participant_name {
                Some(n) => format!("{}: {n}", t(lang, "coordination.case_item")),
                None => t(lang, "coordination.hidden_case").to_string(),
            },
            "followup" if !it.visible => format!(
                "{}: {}",
                t(lang, "coordination.followup"),
                t(lang, "coordination.hidden_case")
            ),
            "followup" => format!("{}: {}", t(lang, "coordination.followup"), it.item.title),
            _ => it.item.title.clone(),
        };
        out.push_str(&format!("{}. {what}\n", i + 1));
        if let Some(mn) = &it.item.minutes {
            for line in mn.lines() {
                out.push_str(&format!("   {line}\n"));
            }
        }
    }
    out.push_str(&format!("\n{}\n", t(lang, "coordination.agreements")));
    for a in &v.agreements {
        let owner = match &a.agreement.owner_user_name {
            Some(u) => format!("{u} · {}", a.agreement.owner_organisation_name),
            None => a.agreement.owner_organisation_name.clone(),
        };
        out.push_str(&format!(
            "- {} — {owner} · {} {} · {}\n",
            if a.hidden {
                t(lang, "coordination.hidden_case")
            } else {
                a.agreement.text.as_str()
            },
            t(lang, "coordination.due_on"),
            a.agreement.due_on.format("%d/%m/%Y"),
            code("agreement_status", &a.agreement.status)
        ));
    }
    out
}

pub fn minutes_download(lang: Lang, v: &MeetingView) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/plain; charset=utf-8".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}-{}.txt\"",
                    itinera_i18n::t(lang, "download.minutes"),
                    v.meeting.meeting_date
                ),
            ),
            (axum::http::header::CACHE_CONTROL, "no-store".to_string()),
        ],
        minutes_document(lang, v),
    )
        .into_response()
}

/// The catalogue's HSDS export: the JSON form, or the tabular form (a ZIP of CSV files).
pub fn hsds(c: &itinera_hsds::Catalogue, tabular: bool) -> Result<Response, Error> {
    let (mime, name, bytes) = if tabular {
        (
            "application/zip",
            "itinera-catalogue-hsds.zip",
            itinera_hsds::write_tabular(c).map_err(|e| Error::Internal(e.to_string()))?,
        )
    } else {
        (
            "application/json",
            "itinera-catalogue-hsds.json",
            serde_json::to_vec_pretty(&itinera_hsds::write_json(c))
                .map_err(|e| Error::Internal(e.to_string()))?,
        )
    };
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

/// Puts an import report's messages in the reader's language.
pub fn translate_report(
    lang: Lang,
    mut r: itinera_service::resources::HsdsImportReport,
) -> itinera_service::resources::HsdsImportReport {
    for p in &mut r.problems {
        p.message = itinera_i18n::t(lang, &p.code).to_string();
    }
    r
}

/// The two file formats of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

/// Tables as a download named `name-from-to.ext`.
fn file_of(
    tables: &[Table],
    name: &str,
    from: &str,
    to: &str,
    f: Format,
) -> Result<Response, Error> {
    let (bytes, ext, mime) = match f {
        Format::Csv => (itinera_tabular::write::csv(tables), "csv", CSV),
        Format::Xlsx => (itinera_tabular::write::xlsx(tables), "xlsx", XLSX),
    };
    let bytes = bytes.map_err(|e| Error::Internal(e.to_string()))?;
    let slug: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}-{from}-{to}.{ext}\"",
                    slug.trim_matches('-')
                ),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

/// A figure as a cell: suppressed figures read "<threshold".
fn figure(v: Option<u64>, threshold: u32) -> Cell {
    match v {
        Some(n) => Cell::Number(n as f64),
        None => Cell::Text(format!("<{threshold}")),
    }
}

/// The ESF table: the operation, the set, the period, then one row per indicator with
/// its code, name, values by sex, total, missing and declined.
pub fn esf_tables(lang: Lang, x: &EsfTable) -> Vec<Table> {
    let k = x.threshold;
    let row = |l: &EsfLine| {
        vec![
            Cell::from(l.code.as_str()),
            Cell::from(t(lang, &format!("esf.{}", l.code))),
            Cell::from(itinera_i18n::code_label(lang, "esf.stage", &l.stage)),
            figure(l.women, k),
            figure(l.men, k),
            figure(l.non_binary, k),
            figure(l.total, k),
            l.missing
                .map_or(Cell::Text(format!("<{k}")), |v| Cell::Number(v as f64)),
            l.declined
                .map_or(Cell::Text(format!("<{k}")), |v| Cell::Number(v as f64)),
        ]
    };
    vec![
        Table {
            title: t(lang, "esf.title").into(),
            header: vec![
                t(lang, "report.indicator").into(),
                t(lang, "report.value").into(),
            ],
            rows: vec![
                vec![
                    t(lang, "esf.operation").into(),
                    format!("{} · {}", x.programme_code, x.programme_name).into(),
                ],
                vec![
                    t(lang, "esf.set").into(),
                    t(lang, &format!("esf.set.{}", x.set)).into(),
                ],
                vec![
                    t(lang, "esf.regulation").into(),
                    x.regulation.clone().into(),
                ],
                vec![
                    t(lang, "report.from").into(),
                    x.period.from.to_string().into(),
                ],
                vec![t(lang, "report.to").into(), x.period.to.to_string().into()],
                vec![t(lang, "esf.threshold").into(), Cell::Number(f64::from(k))],
            ],
        },
        Table {
            title: t(lang, "esf.indicators").into(),
            header: vec![
                t(lang, "esf.code").into(),
                t(lang, "esf.name").into(),
                t(lang, "esf.stage").into(),
                t(lang, "esf.women").into(),
                t(lang, "esf.men").into(),
                t(lang, "esf.non_binary").into(),
                t(lang, "esf.total").into(),
                t(lang, "esf.missing").into(),
                t(lang, "esf.declined").into(),
            ],
            rows: x.populations.iter().chain(&x.indicators).map(row).collect(),
        },
    ]
}

pub fn esf_file(lang: Lang, x: &EsfTable, f: Format) -> Result<Response, Error> {
    let name = format!("esf-{}", x.programme_code);
    file_of(
        &esf_tables(lang, x),
        &name,
        &x.period.from.to_string(),
        &x.period.to.to_string(),
        f,
    )
}

/// The objectives sheet: one row per objective.
pub fn objectives_tables(lang: Lang, x: &ObjectivesSheet) -> Vec<Table> {
    let code = |prefix: &str, c: &str| itinera_i18n::code_label(lang, prefix, c);
    vec![Table {
        title: t(lang, "objectives.title").into(),
        header: [
            "objectives.code",
            "objectives.description",
            "objectives.project",
            "objectives.indicator_type",
            "objectives.unit",
            "objectives.period_start",
            "objectives.period_end",
            "objectives.comparison",
            "objectives.target",
            "objectives.achieved",
            "objectives.met",
            "objectives.measure",
            "objectives.evidence",
        ]
        .iter()
        .map(|k| t(lang, k).to_string())
        .collect(),
        rows: x
            .objectives
            .iter()
            .map(|o| {
                vec![
                    o.code.clone().into(),
                    o.description.clone().into(),
                    o.project_name.clone().unwrap_or_default().into(),
                    code("objectives.type", &o.indicator_type).into(),
                    o.unit.clone().into(),
                    o.period_start.to_string().into(),
                    o.period_end.to_string().into(),
                    code("objectives.comparison", &o.comparison).into(),
                    Cell::Number(o.target),
                    match (o.achieved, o.suppressed) {
                        (Some(a), _) => Cell::Number((a * 100.0).round() / 100.0),
                        (None, true) => Cell::Text(format!("<{}", x.threshold)),
                        (None, false) => Cell::Empty,
                    },
                    match o.met {
                        Some(true) => t(lang, "objectives.met_yes").into(),
                        Some(false) => t(lang, "objectives.met_no").into(),
                        None => Cell::Empty,
                    },
                    code("objectives.measure", &o.measure).into(),
                    o.evidence.clone().unwrap_or_default().into(),
                ]
            })
            .collect(),
    }]
}

pub fn objectives_file(lang: Lang, x: &ObjectivesSheet, f: Format) -> Result<Response, Error> {
    let (from, to) = match (
        x.objectives.iter().map(|o| o.period_start).min(),
        x.objectives.iter().map(|o| o.period_end).max(),
    ) {
        (Some(a), Some(b)) => (a.to_string(), b.to_string()),
        _ => ("all".to_string(), "all".to_string()),
    };
    let name = format!("objectives-{}", x.programme_code);
    file_of(&objectives_tables(lang, x), &name, &from, &to, f)
}

/// A label of a chart's row or column: its code translated, or the name as it is.
pub fn chart_label(lang: Lang, prefix: &str, code: &str) -> String {
    if prefix.is_empty() {
        code.to_string()
    } else {
        itinera_i18n::code_label(lang, prefix, code)
    }
}

/// One chart of a dashboard as a table: its rows, its columns, "<threshold" where a
/// figure is suppressed.
pub fn chart_table(lang: Lang, d: &Dashboard, c: &Chart) -> Table {
    let k = d.threshold;
    let mut header = vec![t(lang, &format!("dashboard.row.{}", c.id)).to_string()];
    header.extend(
        c.columns
            .iter()
            .map(|col| chart_label(lang, &c.column_prefix, col)),
    );
    let averages = c.id == "progress";
    if averages {
        header.push(t(lang, "dashboard.column.average").to_string());
    }
    Table {
        title: t(lang, &format!("dashboard.chart.{}", c.id)).into(),
        header,
        rows: c
            .rows
            .iter()
            .map(|r| {
                let mut row = vec![Cell::from(chart_label(lang, &c.row_prefix, &r.label))];
                row.extend(r.values.iter().map(|v| figure(*v, k)));
                if averages {
                    row.push(match r.average {
                        Some(a) => Cell::Number(a),
                        None => Cell::Text(format!("<{k}")),
                    });
                }
                row
            })
            .collect(),
    }
}

pub fn chart_file(lang: Lang, d: &Dashboard, c: &Chart) -> Result<Response, Error> {
    let name = format!("{}-{}", d.programme_code, c.id);
    file_of(
        &[chart_table(lang, d, c)],
        &name,
        &d.from.to_string(),
        &d.to.to_string(),
        Format::Csv,
    )
}

/// The named chart of a dashboard as CSV; an unknown name is the `chart` field's error.
pub fn dashboard_chart(lang: Lang, d: &Dashboard, chart: &str) -> Result<Response, Error> {
    let c = d
        .charts
        .iter()
        .find(|c| c.id == chart)
        .ok_or_else(|| Error::field("chart", "validation.choice"))?;
    chart_file(lang, d, c)
}
