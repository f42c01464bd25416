//! The notification centre's page: the unread notices (agreements, incidents) with the
//! button that marks them read. Every page's header shows how many there are.

use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::get;
use axum::Router;
use itinera_service::coordination::Notification;

use crate::http::lang_of;
use crate::views::page::{render, PageCtx, Session, ViewResult};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/notifications", get(list))
}

#[derive(Template)]
#[template(path = "notifications/list.html")]
struct ListPage {
    page: PageCtx,
    notices: Vec<Notification>,
}

async fn list(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
) -> ViewResult {
    let lang = lang_of(&headers);
    let notices = s.services.notifications(&session.actor).await?;
    Ok(render(&ListPage {
        page: PageCtx::new(lang, Some(&session), "notifications.title"),
        notices,
    }))
}
