//! `Idempotency-Key` on the API's writes (POST, PUT, PATCH, DELETE): a client that lost
//! an answer (a failover, a server gone) sends the same request with the same key again
//! and gets the first answer, never a second write. The key is claimed in the
//! transaction of the request's first write (`itinera_service::deployment`); here the
//! request is fingerprinted before it runs and its answer kept after.
//!
//! - A key is 1–255 visible ASCII characters (`idempotency.bad_key`, 400).
//! - The same key with another request (method, address or body) is refused
//!   (`idempotency.key_reused`, 422).
//! - While the first request runs, or if its server stopped between its write and
//!   keeping its answer, a retry gets `idempotency.in_progress` (409): the write is
//!   there, and it is not made twice.
//! - A replayed answer carries `Idempotent-Replayed: true`; it is sent only to a
//!   credential still good, and audited (`request.replay`, against the entity the write
//!   was about) before it leaves. Keys are scoped by the
//!   credential (the SHA-256 of the `Authorization` header) and kept a day.
//! - Keys apply to bodies up to `MAX_BODY` (every JSON body of the API); a file upload
//!   larger than that goes through without its key.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use itinera_domain::Error;
use itinera_service::deployment::{IdempotencyKey, Replay};
use sha2::{Digest, Sha256};

use crate::http::{lang_of, RequestCtx};
use crate::AppState;

/// The largest request body fingerprinted: the API's bodies (axum's default limit of
/// 2 MB, and a margin). A larger body that says its length goes through without the key
/// (file uploads, whose content an import recognises by itself); one that does not say
/// it and runs past this is refused (413). Nothing is buffered beyond it, so a key
/// cannot make the server hold more of a body than its route would.
const MAX_BODY: usize = 2 * 1024 * 1024 + 64 * 1024;
/// The largest answer kept for a replay.
const MAX_ANSWER: usize = 1024 * 1024;

pub const HEADER: &str = "idempotency-key";

fn refuse(e: Error, req_lang: itinera_i18n::Lang, request_id: &str) -> Response {
    super::problem_response(&e, req_lang, request_id)
}

fn valid_key(k: &str) -> bool {
    !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic())
}

pub async fn idempotency(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let Some(key) = req.headers().get(HEADER) else {
        return next.run(req).await;
    };
    let lang = lang_of(req.headers());
    let request_id = RequestCtx::id_of(&req);
    let key = match key.to_str() {
        Ok(k) if valid_key(k) => k.to_string(),
        _ => return refuse(Error::BadRequest("idempotency.bad_key"), lang, &request_id),
    };
    // Without a credential the request is refused anyway (401): nothing to key.
    let Some(credential) = req.headers().get(header::AUTHORIZATION).cloned() else {
        return next.run(req).await;
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY) {
        return next.run(req).await;
    }
    let scope = hex::encode(Sha256::digest(credential.as_bytes()));
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return refuse(Error::TooLarge, lang, &request_id);
    };
    let mut h = Sha256::new();
    h.update(parts.method.as_str().as_bytes());
    h.update([0]);
    h.update(
        parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or_default()
            .as_bytes(),
    );
    h.update([0]);
    h.update(&bytes);
    let keeps_answer = answer_kept(parts.uri.path());
    let k = Arc::new(IdempotencyKey::new(scope, key, hex::encode(h.finalize())));
    match state.services.idempotency_replay(&k).await {
        Err(e) => return refuse(e, lang, &request_id),
        Ok(Replay::Reused) => {
            return refuse(Error::Rule("idempotency.key_reused"), lang, &request_id)
        }
        Ok(Replay::InProgress) => {
            return refuse(
                Error::Conflict("idempotency.in_progress"),
                lang,
                &request_id,
            )
        }
        Ok(Replay::Answer(answer)) => {
            // The credential must still be good, and the replay is audited before the
            // answer leaves (it may show a person's data, as the first answer did).
            let token = credential
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or_default()
                .trim()
                .to_string();
            let ctx = parts.extensions.get::<RequestCtx>().map(|c| c.0.clone());
            let checked = match ctx {
                Some(ctx) => match state.services.token_actor(&token, ctx.now).await {
                    Ok(actor) => state.services.audit_replay(&actor, &ctx, &answer).await,
                    Err(e) => Err(e),
                },
                None => Err(Error::Internal("no request context".into())),
            };
            if let Err(e) = checked {
                return refuse(e, lang, &request_id);
            }
            // Done before, its answer not kept (a secret shown once, people's names,
            // or too large): said so, not answered empty.
            if answer.content_type.is_empty() {
                return refuse(Error::Conflict("idempotency.not_kept"), lang, &request_id);
            }
            let mut r = Response::new(Body::from(answer.body));
            *r.status_mut() = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
            if let Ok(v) = HeaderValue::from_str(&answer.content_type) {
                r.headers_mut().insert(header::CONTENT_TYPE, v);
            }
            if let Some(v) = answer
                .location
                .as_deref()
                .and_then(|l| HeaderValue::from_str(l).ok())
            {
                r.headers_mut().insert(header::LOCATION, v);
            }
            r.headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            return r;
        }
        Ok(Replay::Run) => {}
    }
    let mut req = Request::from_parts(parts, Body::from(bytes));
    if let Some(ctx) = req.extensions_mut().get_mut::<RequestCtx>() {
        ctx.0.idempotency = Some(k.clone());
    }
    let res = next.run(req).await;
    let (parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .to_string();
    // What is not kept is recorded with no body and no type (see the replay).
    let (content_type, kept): (String, &[u8]) = if keeps_answer && bytes.len() <= MAX_ANSWER {
        (content_type, &bytes)
    } else {
        (String::new(), &[])
    };
    let location = parts
        .headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .filter(|_| !content_type.is_empty());
    if let Err(e) = state
        .services
        .keep_idempotent_answer(&k, parts.status.as_u16(), &content_type, kept, location)
        .await
    {
        // The write stands; a retry is told it is in progress rather than redone.
        tracing::warn!(request_id, error = %e, "idempotent answer not kept");
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Whether an answer may be kept for replays: not one that carries a secret shown once
/// (a new token, a calendar feed's address) or the names of an import's lines — kept a
/// day in a table no erasure reaches.
fn answer_kept(path: &str) -> bool {
    let path = path.trim_end_matches('/');
    !(path.ends_with("/tokens")
        || path.ends_with("/calendar/feed")
        || path.ends_with("/imports")
        || path.contains("/imports/"))
}

#[cfg(test)]
mod tests {
    use super::{answer_kept, valid_key};

    #[test]
    fn answers_with_secrets_or_names_are_not_kept() {
        assert!(!answer_kept("/api/v1/tokens"));
        assert!(!answer_kept("/api/v1/account/tokens"));
        assert!(!answer_kept("/api/v1/calendar/feed"));
        assert!(!answer_kept("/api/v1/imports"));
        assert!(answer_kept("/api/v1/participants"));
    }

    #[test]
    fn keys_are_visible_ascii_up_to_255() {
        assert!(valid_key("a1b2-c3d4"));
        assert!(valid_key(&"k".repeat(255)));
        assert!(!valid_key(""));
        assert!(!valid_key(&"k".repeat(256)));
        assert!(!valid_key("with space"));
        assert!(!valid_key("ñ"));
    }
}
