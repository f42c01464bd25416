//! The auditor's page: the audit log, filtered, and the verification of its chain.
//! Auditors see who acted and what was done, never a participant's data.

use crate::http::Query;
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
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
    Router::new().route("/audit", get(audit))
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
