//! Itinera over HTTP. Two siblings over the same services: `api` (JSON under `/api/v1`,
//! bearer tokens, problem+json errors) and `views` (server-rendered HTML, sessions,
//! CSRF-protected forms). `http` holds what both share: the request context, the
//! language, security headers and the rendering of the one domain error.

pub mod api;
pub mod export;
pub mod http;
pub mod server;
pub mod views;

use std::net::IpAddr;
use std::sync::Arc;

use axum::Router;
use itinera_service::Services;

/// Counters for `/metrics` (Prometheus text format). Counts only: no identifiers.
#[derive(Default)]
pub struct Metrics {
    /// Responses by class: 2xx, 3xx, 4xx, 5xx.
    pub by_class: [std::sync::atomic::AtomicU64; 4],
    /// Sum of response times, in microseconds.
    pub micros: std::sync::atomic::AtomicU64,
}

#[derive(Clone)]
pub struct AppState {
    pub services: Services,
    /// Mark cookies `Secure` (behind TLS).
    pub secure_cookies: bool,
    pub metrics: Arc<Metrics>,
    /// The bearer token `/metrics` asks for; without one, `/metrics` is off (404).
    pub metrics_token: Option<Arc<str>>,
    /// Addresses of the reverse proxies whose `X-Forwarded-For` is believed; from any
    /// other peer the header is ignored (a client could write anything in it).
    pub trusted_proxies: Arc<[IpAddr]>,
}

impl AppState {
    pub fn new(services: Services, secure_cookies: bool) -> Self {
        AppState {
            services,
            secure_cookies,
            metrics: Arc::new(Metrics::default()),
            metrics_token: None,
            trusted_proxies: Arc::from(Vec::new()),
        }
    }

    /// Turns `/metrics` on, behind this bearer token.
    pub fn with_metrics_token(mut self, token: Option<String>) -> Self {
        self.metrics_token = token.filter(|t| !t.is_empty()).map(Arc::from);
        self
    }

    /// The reverse proxies in front, whose `X-Forwarded-For` names the client.
    pub fn with_trusted_proxies(mut self, proxies: Vec<IpAddr>) -> Self {
        self.trusted_proxies = Arc::from(proxies);
        self
    }
}

/// The whole application.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(views::router())
        .nest(
            "/api/v1",
            api::router().layer(axum::middleware::from_fn_with_state(
                state.clone(),
                api::idempotency::idempotency,
            )),
        )
        .route("/health", axum::routing::get(http::health))
        .route("/health/ready", axum::routing::get(http::ready))
        .route("/metrics", axum::routing::get(http::metrics))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            http::request_context,
        ))
        .with_state(state)
}
