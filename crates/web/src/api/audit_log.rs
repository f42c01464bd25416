//! `/audit-entries`: the audit log and the verification of its chain (auditors);
//! `/subject-access`: a person's request to see their record (the data-protection office).

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
        .routes(routes!(subject_access))
        .routes(routes!(processing_record))
}

/// The record of processing activities (GDPR Art. 30), generated from the configuration
#[utoipa::path(get, path = "/processing-record", tag = "audit",
    responses((status = 200, body = itinera_service::processing::ProcessingRecord), Unauthenticated, Forbidden))]
async fn processing_record(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
) -> ApiResult<Json<itinera_service::processing::ProcessingRecord>> {
    Ok(Json(s.services.processing_record(&a, &ctx).await?))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
struct SubjectRequest {
    /// The person's document number (DNI, NIE, passport…), exactly.
    #[serde(default)]
    document: String,
    /// The reference of the person's request (its registry entry).
    #[serde(default)]
    reference: String,
}

/// Answer a person's request to see their record (GDPR Art. 15 and 20): every record of
/// the person who holds the document, with who accessed it and when
#[utoipa::path(post, path = "/subject-access", tag = "audit",
    request_body = SubjectRequest,
    responses((status = 200, body = itinera_service::subject_rights::SubjectAccess), Unauthenticated, Forbidden, Invalid))]
async fn subject_access(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    super::ApiJson(b): super::ApiJson<SubjectRequest>,
) -> ApiResult<Json<itinera_service::subject_rights::SubjectAccess>> {
    Ok(Json(
        s.services
            .subject_access(&a, &ctx, &b.document, &b.reference)
            .await?,
    ))
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
