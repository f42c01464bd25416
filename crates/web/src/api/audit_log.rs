//! `/audit-entries`: the audit log and the verification of its chain (auditors).

use super::openapi::*;
use super::Query;
use super::{ApiActor, ApiResult};
use crate::http::RequestCtx;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use itinera_domain::Page;
use itinera_service::audit_log::AuditQuery;
use itinera_service::audit_log::{AuditEntry as Entry, Verification};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(audit_entries))
        .routes(routes!(verify))
}

/// The audit log, newest first (auditors)
#[utoipa::path(get, path = "/audit-entries", tag = "audit",
    params(AuditQuery),
    responses((status = 200, body = Page<Entry>), BadRequest, Unauthenticated, Forbidden, Invalid))]
async fn audit_entries(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<Page<Entry>>> {
    Ok(Json(s.services.audit_log(&a, &ctx, &q).await?))
}
/// Recompute the hash chain: intact, or where it breaks
#[utoipa::path(get, path = "/audit-entries/verification", tag = "audit",
    responses((status = 200, body = Verification), Unauthenticated, Forbidden))]
async fn verify(State(s): State<AppState>, ApiActor(a): ApiActor) -> ApiResult<Json<Verification>> {
    Ok(Json(s.services.verify_audit((&a).into()).await?))
}
