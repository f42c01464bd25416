//! The HTML views: server-rendered pages that work without JavaScript. Each handler
//! calls a service and renders a template; a rejected form is rendered again with what
//! was typed and a message next to each bad field.

mod account;
mod admin;
mod assessments;
mod audit;
mod auth;
mod benefits;
mod boards;
mod cases;
mod contacts;
pub(crate) mod coordination;
pub(crate) mod coordination_report;
mod households;
pub(crate) mod imports;
mod incidents;
mod indicators;
mod instruments;
mod itineraries;
mod linkage;
mod notifications;
mod overview;
pub(crate) mod page;
/// The form decoder every page uses (public for the fuzz tests).
pub use page::decode_form;
mod participants;
mod placements;
mod privacy;
mod protocols;
mod referrals;
mod resources;
mod training;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::AppState;
pub use page::code_label;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/static/style.css", get(style))
        .route("/static/forms.js", get(forms_script))
        .merge(auth::router())
        .merge(account::router())
        .merge(participants::router())
        .merge(cases::router())
        .merge(assessments::router())
        .merge(itineraries::router())
        .merge(benefits::router())
        .merge(households::router())
        .merge(resources::router())
        .merge(contacts::router())
        .merge(placements::router())
        .merge(incidents::router())
        .merge(referrals::router())
        .merge(notifications::router())
        .merge(training::router())
        .merge(instruments::router())
        .merge(admin::router())
        .merge(audit::router())
        .merge(privacy::router())
        .merge(overview::router())
        .merge(indicators::router())
        .merge(linkage::router())
        .merge(imports::router())
        .merge(coordination::router())
        .merge(boards::router())
        .merge(coordination_report::router())
        .merge(protocols::router())
        .fallback(crate::http::no_such_address)
        .layer(axum::middleware::from_fn(page::render_errors))
}

/// The script that keeps unsent input of a page's other forms (`static/forms.js`).
async fn forms_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/forms.js"),
    )
        .into_response()
}

async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/style.css"),
    )
        .into_response()
}
