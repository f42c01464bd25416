//! Four eyes: the requests of roles that reach a person's data. Administrators decide
//! the waiting ones (never their own request, never a role for themselves); the auditor
//! sees every request with who asked and who decided.

use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use itinera_domain::access::Capability;
use itinera_service::admin::RoleGrant;
use serde::Deserialize;
use uuid::Uuid;

use crate::http::{lang_of, Path, RequestCtx};
use crate::views::page::{render, see_other, CsrfForm, PageCtx, Session, ViewError, ViewResult};
use crate::AppState;

#[derive(Template)]
#[template(path = "admin/grants.html")]
pub(super) struct GrantsPage {
    page: PageCtx,
    grants: Vec<RoleGrant>,
    /// Administrators decide; the auditor only reads.
    decides: bool,
    me: Uuid,
}

impl GrantsPage {
    /// Another administrator's request for someone else.
    fn can_decide(&self, g: &RoleGrant) -> bool {
        self.decides && g.requested_by != Some(self.me) && g.user_id != self.me
    }
}

pub(super) async fn grants(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
) -> ViewResult {
    let lang = lang_of(&headers);
    let grants = s.services.role_grants(&session.actor, false).await?;
    Ok(render(&GrantsPage {
        page: PageCtx::new(lang, Some(&session), "admin.grants"),
        grants,
        decides: session.actor.can(Capability::Administer),
        me: session.actor.user_id,
    }))
}

#[derive(Deserialize)]
pub(super) struct DecisionForm {
    approve: String,
}

pub(super) async fn decide(
    State(s): State<AppState>,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(f): CsrfForm<DecisionForm>,
) -> ViewResult {
    let approve = match f.approve.as_str() {
        "true" => true,
        "false" => false,
        _ => {
            return Err(ViewError(itinera_domain::Error::BadRequest(
                "error.bad_request",
            )))
        }
    };
    s.services
        .decide_grant(&session.actor, &ctx, id, approve)
        .await?;
    Ok(see_other("/admin/grants"))
}
