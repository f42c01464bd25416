//! The JSON API under `/api/v1`: bearer-token authentication, RFC 9457 problem+json
//! errors (422 with one entry per bad field), page/per_page pagination. It calls the
//! same services as the HTML views. The OpenAPI document is `openapi.json` beside this
//! file, served at `/api/v1/openapi.json`; a test checks every documented route exists.

mod admin;
mod boards;
mod casework;
mod coordination;
mod imports;
mod linkage;
mod participants;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use itinera_domain::access::Actor;
use itinera_domain::Error;
use itinera_i18n::{t, Lang};
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::http::{lang_of, RequestCtx};
use crate::AppState;

pub const OPENAPI: &str = include_str!("openapi.json");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/me", get(me))
        .merge(participants::router())
        .merge(admin::router())
        .merge(casework::router())
        .merge(linkage::router())
        .merge(imports::router())
        .merge(coordination::router())
        .merge(boards::router())
        .layer(axum::middleware::from_fn(render_problems))
}

async fn openapi() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        OPENAPI,
    )
}

async fn me(ApiActor(actor): ApiActor) -> Json<Actor> {
    Json(actor)
}

/// A domain error on its way out of the API; `render_problems` turns it into
/// problem+json in the request's language.
#[derive(Debug)]
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

#[derive(Clone)]
struct PendingProblem(std::sync::Arc<Error>);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut r = status.into_response();
        r.extensions_mut()
            .insert(PendingProblem(std::sync::Arc::new(self.0)));
        r
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The problem document for an error, in `lang`.
pub fn problem(e: &Error, lang: Lang, request_id: &str) -> serde_json::Value {
    let key = e.message_key();
    let mut body = json!({
        "type": format!("urn:itinera:problem:{key}"),
        "title": t(lang, key),
        "status": e.status(),
        "instance": format!("urn:itinera:request:{request_id}"),
    });
    if let Error::Invalid(fields) = e {
        if let Some(o) = body.as_object_mut() {
            o.insert(
                "errors".into(),
                fields
                    .iter()
                    .map(|f| json!({"field": f.field, "code": f.code, "message": t(lang, f.code)}))
                    .collect(),
            );
        }
    }
    if let Error::Internal(detail) = e {
        tracing::error!(request_id, detail, "internal error");
    }
    body
}

async fn render_problems(req: Request, next: Next) -> Response {
    let lang = lang_of(req.headers());
    let request_id = req
        .extensions()
        .get::<RequestCtx>()
        .map(|c| c.0.request_id.clone())
        .unwrap_or_default();
    let res = next.run(req).await;
    let Some(PendingProblem(e)) = res.extensions().get::<PendingProblem>().cloned() else {
        return res;
    };
    let status = res.status();
    let mut out = (status, Json(problem(&e, lang, &request_id))).into_response();
    out.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    if matches!(*e, Error::Unauthenticated) {
        out.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    out
}

/// The actor behind the request's bearer token.
pub struct ApiActor(pub Actor);

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(ApiError(Error::Unauthenticated))?;
        let now = state.services.now();
        Ok(ApiActor(
            state.services.token_actor(token.trim(), now).await?,
        ))
    }
}

/// A JSON body whose syntax errors are problems too.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::MissingJsonContentType(_)) => {
                Err(ApiError(Error::field("body", "error.json_content_type")))
            }
            Err(_) => Err(ApiError(Error::field("body", "error.bad_json"))),
        }
    }
}

#[derive(Debug, serde::Deserialize, Default)]
pub struct PageParams {
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

impl PageParams {
    pub fn request(&self) -> itinera_domain::PageRequest {
        itinera_domain::PageRequest::new(self.page, self.per_page)
    }
}

/// `201 Created` with the new resource's id and location.
pub fn created(location: String, id: uuid::Uuid) -> Response {
    let mut r = (StatusCode::CREATED, Json(json!({"id": id}))).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}
