//! The JSON API under `/api/v1`: bearer-token authentication, RFC 9457 problem+json
//! errors (422 with one entry per bad field), page/per_page pagination. It calls the
//! same services as the HTML views, and sends their view types. One module per
//! resource, named after the service module it calls; the OpenAPI document is
//! generated from the handlers' annotations (`openapi`), served at
//! `/api/v1/openapi.json`.

mod admin;
mod aggregates;
mod assessments;
mod audit_log;
mod benefits;
mod boards;
mod cases;
mod contacts;
mod coordination;
mod households;
pub(crate) mod idempotency;
mod imports;
mod incidents;
pub(crate) mod indicators;
mod itineraries;
mod linkage;
pub mod openapi;
mod participants;
mod placements;
mod privacy;
mod protocols;
mod referrals;
mod resources;
mod training;
mod worklist;

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use itinera_domain::access::Actor;
use itinera_domain::Error;
use itinera_i18n::{t, Lang};
use serde::de::DeserializeOwned;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::{lang_of, PendingError, RequestCtx};
use crate::AppState;
use openapi::{ApiDoc, Problem, ProblemField, Unauthenticated};

pub use crate::http::{HttpError as ApiError, Path, Query};
pub use resources::MAX_HSDS;

pub type ApiResult<T> = Result<T, ApiError>;

/// The API's routes with the OpenAPI document they were documented with.
fn documented() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let router_and_doc = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(me))
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
        .merge(training::router())
        .merge(worklist::router())
        .merge(linkage::router())
        .merge(imports::router())
        .merge(coordination::router())
        .merge(boards::router())
        .merge(protocols::router())
        .merge(aggregates::router())
        .merge(indicators::router())
        .merge(admin::router())
        .merge(audit_log::router())
        .merge(privacy::router())
        .split_for_parts();
    let (router, mut doc) = (router_and_doc.0, router_and_doc.1);
    conventions(&mut doc);
    (router, doc)
}

/// What every operation shares, written into the document once: a body too large is
/// 413; a write takes an `Idempotency-Key` (a bad key is 400, a key reused for another
/// request 422, one whose first request is still running 409); the database out of
/// reach is 503 on any operation.
fn conventions(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, Required, ResponseBuilder};
    let problem = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build(),
        )
    };
    let key = ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Sent again with the same request, gets the first answer instead of a second write (kept a day per credential).",
        ))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(255)),
        ))
        .build();
    for item in doc.paths.paths.values_mut() {
        for op in [&mut item.post, &mut item.put, &mut item.patch]
            .into_iter()
            .flatten()
        {
            if op.request_body.is_some() {
                op.responses.responses.insert(
                    "413".into(),
                    problem("The body is larger than this operation accepts"),
                );
            }
        }
        for op in [
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            op.parameters.get_or_insert_with(Vec::new).push(key.clone());
            let r = &mut op.responses.responses;
            for (status, description) in [
                ("400", "The Idempotency-Key is not 1 to 255 visible ASCII characters"),
                ("409", "The first request with this Idempotency-Key is still running, or its answer was not kept"),
                ("422", "The Idempotency-Key was used for another request"),
            ] {
                match r.get_mut(status) {
                    None => {
                        r.insert(status.into(), problem(description));
                    }
                    // An operation whose own answer of that status is another document
                    // (an import's report) answers a key's refusal as a problem too.
                    Some(RefOr::T(existing)) => {
                        existing
                            .content
                            .entry("application/problem+json".into())
                            .or_insert_with(|| {
                                ContentBuilder::new()
                                    .schema(Some(Ref::from_schema_name("Problem")))
                                    .build()
                            });
                    }
                    Some(RefOr::Ref(_)) => {}
                }
            }
        }
        for op in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            op.responses
                .responses
                .entry("503".into())
                .or_insert_with(|| {
                    problem("The database is out of reach or changing over: send the request again")
                });
        }
    }
}

/// The OpenAPI document, as served at `/api/v1/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    documented().1
}

pub fn router() -> Router<AppState> {
    let (routes, doc) = documented();
    let json: Arc<str> = Arc::from(doc.to_json().unwrap_or_default());
    routes
        .route(
            "/openapi.json",
            axum::routing::get(move || {
                let json = json.clone();
                async move {
                    (
                        [
                            (header::CONTENT_TYPE, "application/json"),
                            (header::CACHE_CONTROL, "public, max-age=300"),
                        ],
                        json.to_string(),
                    )
                }
            }),
        )
        .fallback(crate::http::no_such_address)
        .method_not_allowed_fallback(no_such_method)
        .layer(axum::middleware::from_fn(render_problems))
}

/// A method the address does not answer: 405, as a problem document like every error.
async fn no_such_method() -> Response {
    let mut r =
        crate::http::HttpError(Error::BadRequest("error.method_not_allowed")).into_response();
    *r.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    r
}

/// The actor behind the token: user, organisation, roles and capabilities.
#[utoipa::path(get, path = "/me", tag = "auth",
    responses((status = 200, body = Actor), Unauthenticated))]
async fn me(ApiActor(actor): ApiActor) -> Json<Actor> {
    Json(actor)
}

/// The problem document for an error, in `lang`.
pub fn problem(e: &Error, lang: Lang, request_id: &str) -> Problem {
    let key = e.message_key();
    if let Error::Internal(detail) = e {
        tracing::error!(request_id, detail, "internal error");
    }
    if let Error::Unavailable(detail) = e {
        tracing::warn!(request_id, detail, "database unavailable");
    }
    Problem {
        kind: format!("urn:itinera:problem:{key}"),
        title: t(lang, key).to_string(),
        status: e.status(),
        instance: format!("urn:itinera:request:{request_id}"),
        errors: match e {
            Error::Invalid(fields) => Some(fields.iter().map(|f| problem_field(f, lang)).collect()),
            Error::BadParameter(f) => Some(vec![problem_field(f, lang)]),
            _ => None,
        },
    }
}

fn problem_field(f: &itinera_domain::FieldError, lang: Lang) -> ProblemField {
    ProblemField {
        field: f.field.clone(),
        code: f.code.to_string(),
        message: crate::http::field_message(lang, f).into_owned(),
        line: f.line,
    }
}

async fn render_problems(req: Request, next: Next) -> Response {
    let lang = lang_of(req.headers());
    let request_id = RequestCtx::id_of(&req);
    let res = next.run(req).await;
    let Some(PendingError(e)) = res.extensions().get::<PendingError>().cloned() else {
        return res;
    };
    let status = res.status();
    problem_with_status(&e, status, lang, &request_id)
}

/// The problem+json answer for an error, with the error's own status.
pub(crate) fn problem_response(e: &Error, lang: Lang, request_id: &str) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    problem_with_status(e, status, lang, request_id)
}

fn problem_with_status(e: &Error, status: StatusCode, lang: Lang, request_id: &str) -> Response {
    let mut out = (status, Json(problem(e, lang, request_id))).into_response();
    out.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    if matches!(e, Error::Unauthenticated) {
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
            Err(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError(Error::TooLarge)),
            // Valid JSON with a value of the wrong type: said on its field.
            Err(JsonRejection::JsonDataError(e)) => {
                let text = e.body_text();
                let (field, key) = json_error_field(&text);
                Err(ApiError(Error::field(field, key)))
            }
            Err(_) => Err(ApiError(Error::field("body", "error.bad_json"))),
        }
    }
}

/// The field a JSON body's data error is about, from serde's message (`target type:
/// documents[0]: invalid type…`, `target type: missing field `surname1` at…`), and
/// the message: a field left out is said so, a value of the wrong type too; the whole
/// body when the message names nothing usable.
fn json_error_field(text: &str) -> (String, &'static str) {
    let usable = |p: &str| {
        !p.is_empty()
            && p.len() <= 100
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._[]".contains(c))
    };
    let Some((_, rest)) = text.split_once("target type: ") else {
        return ("body".into(), "error.json_type");
    };
    let (path, message) = match rest.split_once(": ") {
        Some((p, m)) if usable(p.trim()) => (Some(p.trim()), m),
        _ => (None, rest),
    };
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|m| m.split_once('`'))
        .map(|(name, _)| name)
        .filter(|n| usable(n));
    match (path, missing) {
        (Some(p), Some(m)) => (format!("{p}.{m}"), "error.json_missing"),
        (None, Some(m)) => (m.to_string(), "error.json_missing"),
        (Some(p), None) => (p.to_string(), "error.json_type"),
        (None, None) => ("body".into(), "error.json_type"),
    }
}

/// `page` (from 1) and `per_page` (at most 100, 20 by default).
#[derive(Debug, serde::Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
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
    let mut r = (StatusCode::CREATED, Json(openapi::Created { id })).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::json_error_field;

    #[test]
    fn a_data_error_names_its_field() {
        let cases = [
            ("Failed to deserialize the JSON body into the target type: year: invalid type: string \"x\", expected i32 at line 1 column 10", ("year", "error.json_type")),
            ("Failed to deserialize the JSON body into the target type: missing field `country` at line 1 column 13", ("country", "error.json_missing")),
            ("Failed to deserialize the JSON body into the target type: documents[0]: missing field `kind` at line 1 column 40", ("documents[0].kind", "error.json_missing")),
            ("Failed to deserialize the JSON body into the target type: invalid type: integer `1`, expected a map at line 1 column 1", ("body", "error.json_type")),
            ("something else", ("body", "error.json_type")),
            ("Failed to deserialize the JSON body into the target type: a b: missing field `x y` at line 1", ("body", "error.json_type")),
        ];
        for (text, (field, key)) in cases {
            assert_eq!(json_error_field(text), (field.to_string(), key), "{text}");
        }
    }
}
