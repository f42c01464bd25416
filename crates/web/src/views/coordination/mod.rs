//! Coordination bodies in the browser: the list and a new body, a body's page (members,
//! the coming meetings, meetings held, open agreements), and a meeting's page (agenda
//! with minutes, attendance, agreements, approval), printable.

mod bodies;
mod calendar;
mod meetings;
mod network;

use axum::extract::State;
use axum::routing::{get, post};
use axum::Router;

use crate::http::RequestCtx;
use crate::views::page::{see_other, CsrfForm, Session, ViewResult};
use crate::AppState;
pub(crate) use bodies::owner_value;
use bodies::*;
use calendar::*;
use meetings::*;
use network::*;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/bodies", get(list).post(create))
        .route("/bodies/{id}", get(show))
        .route("/bodies/{id}/members", post(add_member))
        .route("/bodies/{id}/overview", get(overview))
        .route("/bodies/{id}/edit", get(edit_body).post(update_body))
        .route("/bodies/{id}/members/{member}", post(member_role))
        .route("/bodies/{id}/members/{member}/remove", post(remove_member))
        .route("/meetings/{id}/minutes.txt", get(minutes_text))
        .route("/bodies/{id}/meetings", post(create_meeting))
        .route("/meetings/{id}", get(meeting))
        .route("/meetings/{id}/attendance", post(attendance))
        .route("/meetings/{id}/items/{item}/minutes", post(minutes))
        .route("/meetings/{id}/record", post(record))
        .route(
            "/meetings/{id}/approval",
            get(confirm_approve).post(approve),
        )
        .route("/meetings/{id}/agreements", post(add_agreement))
        .route("/agreements/{id}/status", post(agreement_status))
        .route("/calendar", get(calendar))
        .route("/calendar/feed", post(create_feed))
        .route("/calendar/feed/revoke", post(revoke_feed))
        .route("/calendar/feed/{file}", get(feed))
        .route("/network-agreements", get(network).post(create_network))
        .route("/notifications/read", post(read_notifications))
}

async fn read_notifications(
    State(s): State<AppState>,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    CsrfForm(f): CsrfForm<ShownNotices>,
) -> ViewResult {
    // The notices the page showed (a notice that came after it stays unread); a form
    // without the list marks them all.
    let shown: Option<Vec<Uuid>> = f.shown.map(|list| {
        list.split(',')
            .filter_map(|id| Uuid::parse_str(id.trim()).ok())
            .collect()
    });
    s.services
        .read_notifications(&session.actor, &ctx, shown.as_deref())
        .await?;
    Ok(see_other("/"))
}

/// The "mark read" form: the ids of the notices shown, separated by commas.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ShownNotices {
    shown: Option<String>,
}
