//! Signing in and out, the start page, the language and organisation switches.

use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use itinera_domain::Error;
use itinera_i18n::Lang;
use serde::Deserialize;
use uuid::Uuid;

use crate::http::{set_cookie, ReqLang, RequestCtx, LANG_COOKIE, SESSION_COOKIE};
use crate::views::page::{render, see_other, CsrfForm, PageCtx, Session, ViewResult};
use crate::AppState;

pub fn router() -> axum::Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/language", post(language))
        .route("/organisation", post(organisation))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    page: PageCtx,
    username: String,
    error: Option<&'static str>,
}

async fn login_form(ReqLang(lang): ReqLang) -> Response {
    render(&LoginPage {
        page: PageCtx::new(lang, None, "login.title"),
        username: String::new(),
        error: None,
    })
}

#[derive(Deserialize)]
struct LoginInput {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

async fn login(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    RequestCtx(ctx): RequestCtx,
    Form(input): Form<LoginInput>,
) -> Response {
    let page = |error| LoginPage {
        page: PageCtx::new(lang, None, "login.title"),
        username: input.username.clone(),
        error: Some(error),
    };
    if let Ok(ip) = ctx.client_addr.parse::<std::net::IpAddr>() {
        if !s.limiter.allow(ip, ctx.now) {
            return (
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                render(&page(itinera_i18n::t(lang, "error.too_many_requests"))),
            )
                .into_response();
        }
    }
    match s
        .services
        .login(&ctx, &input.username, &input.password)
        .await
    {
        Ok(session) => {
            let mut r = see_other("/");
            r.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, &session.id, None, s.secure_cookies),
            );
            r
        }
        Err(e) => {
            let key = match e {
                Error::TooManyRequests => "login.locked",
                Error::Unauthenticated => "login.failed",
                _ => "error.internal",
            };
            let status = axum::http::StatusCode::from_u16(e.status())
                .unwrap_or(axum::http::StatusCode::UNAUTHORIZED);
            (status, render(&page(itinera_i18n::t(lang, key)))).into_response()
        }
    }
}

#[derive(Deserialize)]
struct Empty {}

async fn logout(
    State(s): State<AppState>,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    CsrfForm(_): CsrfForm<Empty>,
) -> ViewResult {
    s.services.logout(&ctx, &session).await?;
    let mut r = see_other("/login");
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", Some(0), s.secure_cookies),
    );
    Ok(r)
}

#[derive(Deserialize)]
struct LangInput {
    lang: String,
    #[serde(default)]
    back: String,
}

/// Switching language needs no session (the login page has the switch too), so it
/// takes a plain form; it only sets a cookie.
async fn language(
    State(s): State<AppState>,
    headers: HeaderMap,
    Form(input): Form<LangInput>,
) -> Response {
    let lang = Lang::parse(&input.lang).unwrap_or_default();
    // Back to the page the switch was on (the same-origin Referer), or where asked.
    let referer_path = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_string()));
    let wanted = if input.back.is_empty() {
        referer_path.unwrap_or_default()
    } else {
        input.back.clone()
    };
    // Only local paths: never an open redirect.
    let back = crate::http::local_path(&wanted).unwrap_or("/");
    let mut r = see_other(back);
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LANG_COOKIE, lang.code(), Some(31_536_000), s.secure_cookies),
    );
    r
}

#[derive(Deserialize)]
struct OrgInput {
    organisation_id: Uuid,
}

async fn organisation(
    State(s): State<AppState>,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    CsrfForm(input): CsrfForm<OrgInput>,
) -> ViewResult {
    s.services
        .switch_organisation(&ctx, &session, input.organisation_id)
        .await?;
    Ok(see_other("/"))
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    page: PageCtx,
    programmes: Vec<itinera_service::admin::Programme>,
    /// The professional's work list (for those who read case data).
    work: Option<itinera_service::worklist::WorkList>,
}

impl HomePage {
    fn overdue(&self, d: &Option<chrono::NaiveDate>) -> bool {
        match (&self.work, d) {
            (Some(w), Some(d)) => *d < w.today,
            _ => false,
        }
    }
}

async fn home(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
) -> ViewResult {
    let lang = crate::http::lang_of(&headers);
    let page = PageCtx::new(lang, Some(&session), "home.title");
    let work = if page.can_read() {
        Some(s.services.work_list(&session.actor, &ctx).await?)
    } else {
        None
    };
    let programmes = if page.can_aggregates() {
        s.services.programmes().await?
    } else {
        vec![]
    };
    Ok(render(&HomePage {
        page,
        programmes,
        work,
    }))
}
