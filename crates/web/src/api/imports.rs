//! Imports for integrators: the same service as the browser's, synchronous. The file
//! travels base64-encoded in the JSON body.

use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use base64::Engine;
use itinera_domain::import::Mapping;
use itinera_domain::{Error, Page};
use itinera_service::imports::Batch;
use itinera_service::imports::{ImportReport, ImportRequest, Preview};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use super::{ApiActor, ApiJson, ApiResult, PageParams};
use crate::http::RequestCtx;
use crate::AppState;

pub fn router() -> Router<AppState> {
    let limit = DefaultBodyLimit::max(crate::views::imports::MAX_FILE * 4 / 3 + 64 * 1024);
    Router::new()
        .route("/imports", get(list).post(run).layer(limit))
        .route("/imports/preview", post(preview).layer(limit))
        .route("/imports/{id}", get(show))
        .route("/import-mappings", get(mappings))
        .route("/import-mappings/{source}", put(save_mapping))
}

#[derive(Deserialize, Default)]
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

fn content(b64: &str) -> Result<Vec<u8>, Error> {
    if b64.trim().is_empty() {
        return Err(Error::field("content_base64", "import.file.required"));
    }
    base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|_| Error::field("content_base64", "import.file.base64"))
}

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

async fn list(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Query(p): Query<PageParams>,
) -> ApiResult<Json<Page<Batch>>> {
    Ok(Json(s.services.import_batches(&a, p.request()).await?))
}

async fn show(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<itinera_service::imports::BatchReport>> {
    Ok(Json(s.services.import_batch(&a, id).await?))
}

async fn mappings(State(s): State<AppState>, ApiActor(a): ApiActor) -> ApiResult<Json<Value>> {
    let items = s.services.import_mappings(&a).await?;
    Ok(Json(json!({ "items": items })))
}

async fn save_mapping(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    RequestCtx(ctx): RequestCtx,
    Path(source): Path<String>,
    ApiJson(m): ApiJson<Mapping>,
) -> ApiResult<Json<Value>> {
    s.services
        .save_import_mapping(&a, &ctx, &source, &m)
        .await?;
    Ok(Json(json!({"source": source.trim()})))
}
