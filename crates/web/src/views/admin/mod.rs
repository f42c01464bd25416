//! Administration in the browser: territories, public holidays, organisations, programmes, users and
//! tokens. Administrators configure; they never read a person's data.

mod grants;
mod holidays;
mod organisations;
mod programmes;
mod territories;
mod tokens;
mod users;

use askama::Template;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use itinera_domain::access::Capability;
use itinera_service::auth::SessionInfo;

use crate::http::lang_of;
use crate::views::page::{render, PageCtx, Session, ViewError, ViewResult};
use crate::AppState;
use grants::*;
use holidays::*;
use organisations::*;
use programmes::*;
use territories::*;
use tokens::*;
use users::*;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(index))
        .route(
            "/admin/territories",
            get(territories).post(create_territory),
        )
        .route("/admin/holidays", get(holidays).post(add_holiday))
        .route("/admin/holidays/national", post(load_national))
        .route("/admin/holidays/{id}/delete", post(delete_holiday))
        .route(
            "/admin/organisations",
            get(organisations).post(create_organisation),
        )
        .route(
            "/admin/organisations/{id}",
            get(organisation).post(update_organisation),
        )
        .route("/admin/programmes", get(programmes).post(create_programme))
        .route(
            "/admin/programmes/{id}",
            get(programme).post(update_programme),
        )
        .route("/admin/programmes/{id}/projects", post(add_project))
        .route("/admin/users", get(users).post(create_user))
        .route("/admin/users/{id}", get(user))
        .route("/admin/users/{id}/memberships", post(add_membership))
        .route(
            "/admin/users/{id}/memberships/{mid}/remove",
            post(remove_membership),
        )
        .route("/admin/users/{id}/active", post(set_active))
        .route(
            "/admin/users/{id}/second-factor/reset",
            post(request_factor_reset),
        )
        .route(
            "/admin/second-factor-resets/{id}/decision",
            post(decide_factor_reset),
        )
        .route("/admin/grants", get(grants))
        .route("/admin/grants/{id}/decision", post(decide))
        .route("/admin/tokens", get(tokens).post(create_token))
        .route("/admin/tokens/{id}/revoke", post(revoke_token))
}

pub(super) fn require_admin(session: &SessionInfo) -> Result<(), ViewError> {
    Ok(session.actor.require(Capability::Administer)?)
}

#[derive(Template)]
#[template(path = "admin/index.html")]
struct IndexPage {
    page: PageCtx,
}

async fn index(headers: HeaderMap, Session(session): Session) -> ViewResult {
    require_admin(&session)?;
    Ok(render(&IndexPage {
        page: PageCtx::new(lang_of(&headers), Some(&session), "admin.title"),
    }))
}
