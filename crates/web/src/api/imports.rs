//! `/imports` (preview, dry run, run, batches) and `/import-mappings`.

use super::{ApiActor, ApiJson, ApiResult, PageParams};
use crate::http::RequestCtx;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use base64::Engine;
use itinera_domain::import::Mapping;
use itinera_domain::{Error, Page};
use itinera_service::imports::Batch;
use itinera_service::imports::{ImportReport, ImportRequest, Preview};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::router::UtoipaMethodRouterExt;
use utoipa_axum::routes;
use uuid::Uuid;

/// A source's saved mapping, one per source.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct Mappings {
    items: Vec<itinera_service::imports::SavedMappingView>,
}
use super::openapi::*;
use super::{Path, Query};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        // A file as large as the import page takes, in base64, with its mapping.
        .routes(
            routes!(list, run).layer(axum::extract::DefaultBodyLimit::max(
                itinera_service::import_jobs::MAX_FILE / 3 * 4 + 256 * 1024,
            )),
        )
        .routes(routes!(preview))
        .routes(routes!(show))
        .routes(routes!(mappings))
        .routes(routes!(save_mapping))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
struct ImportBody {
    file_name: String,
    /// The file's bytes, base64.
    content_base64: String,
    source: String,
    mapping: Option<Mapping>,
    save_mapping: bool,
    dry_run: bool,
    skip_invalid: bool,
}

/// The organisation's import batches, latest first
#[utoipa::path(get, path = "/imports", tag = "imports",
    params(PageParams),
    responses((status = 200, body = Page<Batch>), BadRequest, Unauthenticated, Forbidden))]
async fn list(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<PageParams>,
) -> ApiResult<Json<Page<Batch>>> {
    Ok(Json(s.services.import_batches(&a, p.request()).await?))
}
/// Import participants from a file: dry run or real run (one transaction; a file
/// imported before changes nothing); every row looked up in the master index
#[utoipa::path(post, path = "/imports", tag = "imports",
    request_body = ImportBody,
    responses((status = 200, body = ImportReport), Unauthenticated, Forbidden, Invalid))]
async fn run(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    ApiJson(b): ApiJson<ImportBody>,
) -> ApiResult<Json<ImportReport>> {
    let bytes = content(&b.content_base64)?;
    let req = ImportRequest {
        file_name: &b.file_name,
        bytes: &bytes,
        source: &b.source,
        mapping: b.mapping.clone(),
        save_mapping: b.save_mapping,
        dry_run: b.dry_run,
        skip_invalid: b.skip_invalid,
    };
    let report = s
        .services
        .import_participants(&a, &ctx, &req, &|_, _| {})
        .await?;
    Ok(Json(report))
}
/// A file's columns, first rows and the mapping to start from (saved for the source, or
/// guessed from the headers)
#[utoipa::path(post, path = "/imports/preview", tag = "imports",
    request_body = ImportBody,
    responses((status = 200, body = Preview), Unauthenticated, Forbidden, Invalid))]
async fn preview(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<ImportBody>,
) -> ApiResult<Json<Preview>> {
    let bytes = content(&b.content_base64)?;
    Ok(Json(
        s.services.preview_import(&a, &bytes, &b.source).await?,
    ))
}
/// One batch and its row-by-row report
#[utoipa::path(get, path = "/imports/{id}", tag = "imports",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = itinera_service::imports::BatchReport), BadRequest, Unauthenticated, Forbidden, NotFound))]
async fn show(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<itinera_service::imports::BatchReport>> {
    Ok(Json(s.services.import_batch(&a, &ctx, id).await?))
}
/// The organisation's saved mappings, one per source
#[utoipa::path(get, path = "/import-mappings", tag = "imports",
    responses((status = 200, body = Mappings), Unauthenticated, Forbidden))]
async fn mappings(State(s): State<AppState>, ApiActor(a): ApiActor) -> ApiResult<Json<Mappings>> {
    let items = s.services.import_mappings(&a).await?;
    Ok(Json(Mappings { items }))
}
/// Save a source's mapping
#[utoipa::path(put, path = "/import-mappings/{source}", tag = "imports",
    params(("source" = String, Path)),
    request_body = Mapping,
    responses((status = 200, body = MappingSaved), BadRequest, Unauthenticated, Forbidden, Invalid))]
async fn save_mapping(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(source): Path<String>,
    ApiJson(m): ApiJson<Mapping>,
) -> ApiResult<Json<MappingSaved>> {
    s.services
        .save_import_mapping(&a, &ctx, &source, &m)
        .await?;
    Ok(Json(MappingSaved {
        source: source.trim().to_string(),
    }))
}

fn content(b64: &str) -> Result<Vec<u8>, Error> {
    if b64.trim().is_empty() {
        return Err(Error::field("content_base64", "import.file.required"));
    }
    base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|_| Error::field("content_base64", "import.file.base64"))
}
