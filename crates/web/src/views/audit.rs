//! The auditor's page: the audit log, filtered, and the verification of its chain.
//! Auditors see who acted and what was done, never a participant's data.

use crate::http::Query;
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use itinera_domain::access::Capability;
use itinera_service::audit_log::AuditQuery;
use itinera_service::audit_log::{AuditEntry as Entry, Verification};
use serde::Deserialize;
use uuid::Uuid;

use crate::http::{lang_of, RequestCtx};
use crate::views::page::{render, FormErrors, PageCtx, Session, ViewResult};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/audit", get(audit))
        .route("/privacy/access", get(access_form).post(access))
        .route("/privacy/processing", get(processing))
}

#[derive(Template)]
#[template(path = "privacy/processing.html")]
struct ProcessingPage {
    page: PageCtx,
    r: itinera_service::processing::ProcessingRecord,
}

impl ProcessingPage {
    fn setting(&self, m: &itinera_service::processing::Measure) -> String {
        match (m.code.as_str(), &m.setting) {
            ("second_factor", Some(v)) => self.page.code("processing.second_factor", v),
            (_, Some(v)) => v.clone(),
            (_, None) => String::new(),
        }
    }
}

async fn processing(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
) -> ViewResult {
    let r = s.services.processing_record(&session.actor, &ctx).await?;
    Ok(render(&ProcessingPage {
        page: PageCtx::new(lang_of(&headers), Some(&session), "processing.title"),
        r,
    }))
}

#[derive(Template)]
#[template(path = "privacy/access.html")]
struct AccessPage {
    page: PageCtx,
    input: AccessInput,
    errors: FormErrors,
    report: Option<itinera_service::subject_rights::SubjectAccess>,
}

impl AccessPage {
    fn name(&self, p: &itinera_service::participants::Participant) -> String {
        let d = &p.data;
        match &d.surname2 {
            Some(s2) => format!("{} {} {}", d.given_name, d.surname1, s2),
            None => format!("{} {}", d.given_name, d.surname1),
        }
    }
    fn yes_no(&self, b: &bool) -> &'static str {
        self.page.t(if *b { "form.yes" } else { "form.no" })
    }
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
struct AccessInput {
    document: String,
    reference: String,
    /// `json`: the answer as a file to hand over (portability).
    format: String,
}

async fn access_form(headers: HeaderMap, Session(session): Session) -> ViewResult {
    session.actor.require(Capability::AnswerSubjectRequests)?;
    let lang = lang_of(&headers);
    Ok(render(&AccessPage {
        page: PageCtx::new(lang, Some(&session), "subject.title"),
        input: AccessInput::default(),
        errors: FormErrors::none(lang),
        report: None,
    }))
}

async fn access(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    crate::views::page::CsrfForm(input): crate::views::page::CsrfForm<AccessInput>,
) -> ViewResult {
    session.actor.require(Capability::AnswerSubjectRequests)?;
    let lang = lang_of(&headers);
    let page = PageCtx::new(lang, Some(&session), "subject.title");
    match s
        .services
        .subject_access(&session.actor, &ctx, &input.document, &input.reference)
        .await
    {
        Ok(report) if input.format == "json" => {
            let body = serde_json::to_vec_pretty(&report)
                .map_err(|e| itinera_domain::Error::Internal(e.to_string()))?;
            Ok((
                [
                    (
                        axum::http::header::CONTENT_TYPE,
                        "application/json; charset=utf-8".to_string(),
                    ),
                    (
                        axum::http::header::CONTENT_DISPOSITION,
                        format!(
                            "attachment; filename=\"{}.json\"",
                            itinera_i18n::t(lang, "download.data_access")
                        ),
                    ),
                ],
                body,
            )
                .into_response())
        }
        Ok(report) => Ok(render(&AccessPage {
            page,
            input,
            errors: FormErrors::none(lang),
            report: Some(report),
        })),
        Err(e) => {
            let errors = FormErrors::from_error(lang, e)?;
            Ok((
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                render(&AccessPage {
                    page,
                    input,
                    errors,
                    report: None,
                }),
            )
                .into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    page: PageCtx,
    q: AuditQuery,
    entries: Option<itinera_domain::Page<Entry>>,
    errors: FormErrors,
    verification: Option<Verification>,
    usernames: Vec<(Uuid, String)>,
}

impl AuditPage {
    /// The actions and entity kinds the filters offer: (code, label), by label.
    fn actions(&self) -> Vec<(&'static str, String)> {
        let mut v: Vec<(&'static str, String)> = itinera_service::audit::Action::ALL
            .iter()
            .map(|a| (a.code(), self.page.code("audit_action", a.code())))
            .collect();
        v.sort_by(|a, b| a.1.cmp(&b.1));
        v.dedup_by(|a, b| a.0 == b.0);
        v
    }
    fn entities(&self) -> Vec<(&'static str, String)> {
        let mut v: Vec<(&'static str, String)> = itinera_service::audit::Action::ALL
            .iter()
            .map(|a| (a.entity(), self.page.code("audit_entity", a.entity())))
            .collect();
        v.sort_by(|a, b| a.1.cmp(&b.1));
        v.dedup_by(|a, b| a.0 == b.0);
        v
    }
    fn who(&self, id: &Option<Uuid>) -> String {
        id.and_then(|id| self.usernames.iter().find(|(u, _)| *u == id))
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| "—".into())
    }
    fn next_page(&self) -> String {
        let mut q = self.q.clone();
        q.page = (self.q.page.trim().parse::<u32>().unwrap_or(1) + 1).to_string();
        serde_urlencoded::to_string(&q).unwrap_or_default()
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AuditParams {
    #[serde(flatten)]
    q: AuditQuery,
    verify: Option<String>,
}

async fn audit(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Query(params): Query<AuditParams>,
) -> ViewResult {
    session.actor.require(Capability::ReadAudit)?;
    let lang = lang_of(&headers);
    let verification = if params.verify.is_some() {
        Some(s.services.verify_audit((&session.actor).into()).await?)
    } else {
        None
    };
    let (entries, errors) = match s.services.audit_log(&session.actor, &ctx, &params.q).await {
        Ok(p) => (Some(p), FormErrors::none(lang)),
        Err(e) => (None, FormErrors::from_error(lang, e)?),
    };
    // Auditors see who acted (professionals' usernames), never participants' data.
    let usernames = s.services.usernames().await?;
    Ok(render(&AuditPage {
        page: PageCtx::new(lang, Some(&session), "audit.title"),
        q: params.q,
        entries,
        errors,
        verification,
        usernames,
    }))
}
