//! What the API and the views share: request context (id, client address, time),
//! language choice, security headers, cookies; the one error on its way out
//! (`HttpError`, rendered as problem+json by `api` and as a page by `views`); the path
//! and query extractors whose rejections are that error too.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use itinera_domain::{Error, FieldError};
use itinera_i18n::Lang;
use itinera_service::Ctx;
use serde::de::DeserializeOwned;

use crate::AppState;

pub const SESSION_COOKIE: &str = "itinera_session";
pub const LANG_COOKIE: &str = "itinera_lang";

/// The context of one request, made by `request_context` and read by handlers.
#[derive(Clone, Debug)]
pub struct RequestCtx(pub Ctx);

impl RequestCtx {
    /// The id of the request (empty before `request_context` has run).
    pub fn id_of(req: &axum::extract::Request) -> String {
        req.extensions()
            .get::<RequestCtx>()
            .map(|c| c.0.request_id.clone())
            .unwrap_or_default()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestCtx {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<RequestCtx>()
            .cloned()
            .ok_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// A domain error on its way out of a handler. It becomes a bare status with the error
/// attached; the layer of the router it came through renders it in the request's
/// language: problem+json for the API (`api::render_problems`), a page or the login
/// redirect for the views (`views::render_errors`).
#[derive(Debug)]
pub struct HttpError(pub Error);

impl From<Error> for HttpError {
    fn from(e: Error) -> Self {
        HttpError(e)
    }
}

/// The error a response carries to the renderers.
#[derive(Clone)]
pub struct PendingError(pub std::sync::Arc<Error>);

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut r = status.into_response();
        r.extensions_mut()
            .insert(PendingError(std::sync::Arc::new(self.0)));
        r
    }
}

/// An address nothing answers: the error page in the reader's language (problem+json
/// under `/api/v1`), with its way back — never an empty body.
pub async fn no_such_address() -> HttpError {
    HttpError(Error::NotFound)
}

/// Path parameters; a malformed one (an id that is not a UUID) is a 400 in the user's
/// language, not axum's plain-text rejection.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::path::ErrorKind;
        use axum::extract::rejection::PathRejection;
        let rejection = match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => return Ok(Path(v)),
            Err(r) => r,
        };
        // The segment's name, from the error or from the route (one parameter).
        let names: Vec<String> = axum::extract::RawPathParams::from_request_parts(parts, state)
            .await
            .map(|p| p.iter().map(|(k, _)| k.to_string()).collect())
            .unwrap_or_default();
        let name = match &rejection {
            PathRejection::FailedToDeserializePathParams(e) => match e.kind() {
                ErrorKind::ParseErrorAtKey { key, .. }
                | ErrorKind::InvalidUtf8InPathParam { key }
                | ErrorKind::DeserializeError { key, .. } => Some(key.clone()),
                ErrorKind::ParseErrorAtIndex { index, .. } => names.get(*index).cloned(),
                _ if names.len() == 1 => names.first().cloned(),
                _ => None,
            },
            _ => None,
        };
        Err(HttpError(match name {
            Some(n) => Error::BadParameter(FieldError::new(n, "error.bad_path")),
            None => Error::BadRequest("error.bad_path"),
        }))
    }
}

/// A query string; one that does not parse is a 400 in the user's language.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        decode_query(parts.uri.query().unwrap_or_default())
            .map(Query)
            .map_err(HttpError)
    }
}

/// A query string decoded as `T`; one that does not parse is `error.bad_query` (400).
/// Fuzzed by `tests/fuzz.rs`.
pub fn decode_query<T: DeserializeOwned>(query: &str) -> Result<T, Error> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        // The parameter's name: where the error is, or the one said missing.
        let path = e.path().to_string();
        let text = e.inner().to_string();
        let name = if path.is_empty() || path == "." {
            text.strip_prefix("missing field `")
                .and_then(|m| m.split_once('`'))
                .map(|(n, _)| n.to_string())
        } else {
            Some(path)
        };
        match name.filter(|n| {
            n.len() <= 100
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._[]-".contains(c))
        }) {
            Some(n) => Error::BadParameter(FieldError::new(n, "error.bad_query")),
            None => Error::BadRequest("error.bad_query"),
        }
    })
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name).then_some(v)
        })
}

/// The language: the `itinera_lang` cookie, then `Accept-Language`, then Spanish.
pub fn lang_of(headers: &HeaderMap) -> Lang {
    cookie(headers, LANG_COOKIE)
        .and_then(Lang::parse)
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or_default()
}

/// Extracts the request's language.
pub struct ReqLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for ReqLang {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ReqLang(lang_of(&parts.headers)))
    }
}

/// `s` if it is a path of this site, to redirect to: `/` and then anything but a second
/// slash or a backslash (browsers read `/\\host` as `//host`, another site), and no
/// control characters or spaces (header splitting, confusion).
pub fn local_path(s: &str) -> Option<&str> {
    let rest = s.strip_prefix('/')?;
    let ok = !rest.starts_with('/')
        && !s.contains('\\')
        && !s.chars().any(|c| c.is_control() || c.is_whitespace());
    ok.then_some(s)
}

pub fn set_cookie(name: &str, value: &str, max_age: Option<i64>, secure: bool) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or(HeaderValue::from_static(""))
}

/// Gives every request an id, its client address and the time (from the injected
/// clock); checks the origin of state-changing browser requests; adds security headers.
pub async fn request_context(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let now = state.services.now();
    let request_id = itinera_clock::new_id(now).to_string();
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let client_addr = match peer {
        Some(p) => client_ip(p, req.headers(), &state.trusted_proxies).to_string(),
        None => "unknown".into(),
    };
    let ctx = Ctx {
        now,
        zone: state.services.settings.zone,
        request_id: request_id.clone(),
        client_addr,
        refusals: Default::default(),
        idempotency: None,
    };
    let refusals = ctx.clone();
    req.extensions_mut().insert(RequestCtx(ctx));
    let is_api = req.uri().path().starts_with("/api/");
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method && !is_api && !same_origin(req.headers()) {
        let lang = lang_of(req.headers());
        return (
            StatusCode::FORBIDDEN,
            itinera_i18n::t(lang, "error.cross_site"),
        )
            .into_response();
    }
    let started = itinera_clock::Stopwatch::start();
    let method = req.method().clone();
    let mut res = next.run(req).await;
    // Refused reads of a person are in the audit log before the answer leaves.
    if let Err(e) = state.services.record_refusals(&refusals).await {
        tracing::error!(request_id, error = %e, "refusals not audited");
        res = StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let h = res.headers_mut();
    h.insert(
        "x-request-id",
        HeaderValue::from_str(&request_id).unwrap_or(HeaderValue::from_static("")),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if state.secure_cookies {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    let m = &state.metrics;
    let class = (res.status().as_u16() / 100).clamp(2, 5) as usize - 2;
    if let Some(c) = m.by_class.get(class) {
        c.fetch_add(1, Ordering::Relaxed);
    }
    m.micros
        .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
    tracing::info!(
        request_id,
        %method,
        status = res.status().as_u16(),
        ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    res
}

/// The client's address: the peer's, unless the peer is a trusted reverse proxy; then
/// the right-most address of `X-Forwarded-For` that is not itself a trusted proxy (the
/// left part of the header is whatever the client wrote).
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let mut found = peer;
    for v in headers.get_all("x-forwarded-for") {
        let Ok(v) = v.to_str() else { continue };
        for a in v.split(',').rev() {
            match a.trim().parse::<IpAddr>() {
                Ok(ip) if trusted.contains(&ip) => found = ip,
                Ok(ip) => return ip,
                Err(_) => return found,
            }
        }
    }
    found
}

/// A state-changing browser request must come from our own pages: Fetch Metadata when
/// the browser sends it, otherwise the Origin header against the Host.
fn same_origin(h: &HeaderMap) -> bool {
    if let Some(site) = h.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    match (
        h.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        h.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) {
        (Some("null"), _) => false,
        (Some(origin), Some(host)) => origin.split("://").nth(1) == Some(host),
        // No Origin: not a browser form post from another site (browsers send Origin on
        // cross-site POSTs); the session-bound CSRF token still has to match.
        (None, _) => true,
        (Some(_), None) => false,
    }
}

/// Request counters in the Prometheus text format, for the scraper holding the
/// deployment's metrics token (`--metrics-token`); off without one.
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(expected) = &state.metrics_token else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !itinera_service::auth::same_secret(given.trim(), expected) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
        )
            .into_response();
    }
    let m = &state.metrics;
    let mut out = String::from("# HELP itinera_http_requests_total Requests served.\n# TYPE itinera_http_requests_total counter\n");
    for (class, n) in ["2xx", "3xx", "4xx", "5xx"].iter().zip(&m.by_class) {
        out.push_str(&format!(
            "itinera_http_requests_total{{class=\"{class}\"}} {}\n",
            n.load(Ordering::Relaxed)
        ));
    }
    out.push_str(&format!(
        "# HELP itinera_http_request_seconds_sum Time spent answering.\n# TYPE itinera_http_request_seconds_sum counter\nitinera_http_request_seconds_sum {:.6}\n",
        m.micros.load(Ordering::Relaxed) as f64 / 1e6
    ));
    let g = state.services.store.group_stats();
    out.push_str(&format!(
        "# HELP itinera_audited_reads_total Audited reads of person data (snapshot reads whose audit entries were appended).\n# TYPE itinera_audited_reads_total counter\nitinera_audited_reads_total {}\n\
         # HELP itinera_group_commits_total Group commits that appended their audit entries.\n# TYPE itinera_group_commits_total counter\nitinera_group_commits_total {}\n\
         # HELP itinera_group_commits_one_statement_total Of the group commits, those made in one statement (PostgreSQL, while the chain ends at the server's own last entry).\n# TYPE itinera_group_commits_one_statement_total counter\nitinera_group_commits_one_statement_total {}\n",
        g.members.load(Ordering::Relaxed),
        g.commits.load(Ordering::Relaxed),
        g.one_statement.load(Ordering::Relaxed)
    ));
    if let Some(turn) = state.services.store.longest_writer_turn() {
        out.push_str(&format!(
            "# HELP itinera_sqlite_writer_longest_turn_seconds The longest time one transaction held SQLite's writer since the start, its commit included.\n# TYPE itinera_sqlite_writer_longest_turn_seconds gauge\nitinera_sqlite_writer_longest_turn_seconds {:.6}\n",
            turn.as_secs_f64()
        ));
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}

/// The process is up (it answers); says nothing of the database. For a liveness probe.
pub async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let _ = &state;
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"status":"ok"}"#,
    )
}

/// The server can take requests: its database answers and accepts writes (on
/// PostgreSQL, a primary). 503 otherwise — during a failover, until the pool follows the
/// new primary. For a load balancer's readiness probe.
pub async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    let check = tokio::time::timeout(std::time::Duration::from_secs(5), state.services.ready());
    let ok = matches!(check.await, Ok(Ok(())));
    (
        if ok {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        if ok {
            r#"{"status":"ready"}"#
        } else {
            r#"{"status":"unavailable"}"#
        },
    )
}

#[cfg(test)]
mod client_ip_tests {
    use super::*;

    #[test]
    fn forwarded_addresses_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let client: IpAddr = "203.0.113.7".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("1.2.3.4, 203.0.113.7"),
        );
        // From an untrusted peer the header is ignored.
        assert_eq!(client_ip(client, &h, &[proxy]), client);
        // From the proxy: the right-most address not a proxy; the spoofed left part is not.
        assert_eq!(client_ip(proxy, &h, &[proxy]), client);
        let mut h2 = HeaderMap::new();
        h2.insert("x-forwarded-for", HeaderValue::from_static("garbage"));
        assert_eq!(client_ip(proxy, &h2, &[proxy]), proxy);
        assert_eq!(client_ip(proxy, &HeaderMap::new(), &[proxy]), proxy);
    }
}

#[cfg(test)]
mod local_path_tests {
    use super::local_path;

    #[test]
    fn only_paths_of_this_site() {
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "/\\/evil",
            "https://evil.example",
            "evil",
            "",
            "/a b",
            "/x\r\nSet-Cookie: a=b",
        ] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
        assert_eq!(
            local_path("/participants?q=ana"),
            Some("/participants?q=ana")
        );
        assert_eq!(local_path("/"), Some("/"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cookies() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; itinera_lang=ca; b=2"),
        );
        assert_eq!(cookie(&h, LANG_COOKIE), Some("ca"));
        assert_eq!(lang_of(&h), Lang::Ca);
    }

    #[test]
    fn only_local_paths_are_gone_back_to() {
        assert_eq!(local_path("/cases/1?x=2"), Some("/cases/1?x=2"));
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/ /evil.example",
            "https://evil.example",
            "evil",
            "",
        ] {
            assert_eq!(local_path(bad), None, "{bad:?}");
            assert_eq!(crate::views::page::local_back(bad, "/"), "/", "{bad:?}");
        }
    }

    #[test]
    fn origin_checks() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("localhost:8080"));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://localhost:8080"),
        );
        assert!(same_origin(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://evil.example"),
        );
        assert!(!same_origin(&h));
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!same_origin(&h));
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(same_origin(&h));
    }
}

/// A field's message in `lang`, with the line of the file it is on when it is on one
/// (the API's problem and the pages' messages say the same).
pub fn field_message(
    lang: itinera_i18n::Lang,
    f: &itinera_domain::FieldError,
) -> std::borrow::Cow<'static, str> {
    let text = itinera_i18n::t(lang, f.code);
    match f.line {
        None => std::borrow::Cow::Borrowed(text),
        Some(line) => std::borrow::Cow::Owned(format!(
            "{text} {}",
            itinera_i18n::tf(lang, "error.on_line", &[("line", &line.to_string())])
        )),
    }
}
