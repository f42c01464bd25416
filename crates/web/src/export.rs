//! What leaves the server as a file rather than a page, shared by the API and the
//! views: a body's coordination report as CSV and XLSX (its tables headed in the
//! reader's language) and a meeting's minutes as plain text.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use itinera_domain::Error;
use itinera_i18n::{t, Lang};
use itinera_service::coordination::{BodyReport, MeetingView};
use itinera_tabular::write::{Cell, Table};
use serde::Deserialize;

/// A report's period (`YYYY-MM-DD` or `DD/MM/YYYY`; default: the last twelve months).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct PeriodParams {
    pub from: String,
    pub to: String,
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
                row("report.cases_reviewed", x.cases_reviewed.into()),
                row("report.joint_interviews", x.joint_interviews_total.into()),
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
                .map(|j| vec![j.organisation.clone().into(), j.count.into()])
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
            at.format("%d/%m/%Y %H:%M"),
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
            a.agreement.text,
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
                    "attachment; filename=\"acta-{}.txt\"",
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
