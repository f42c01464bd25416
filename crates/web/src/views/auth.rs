//! Signing in and out, the start page, the language and organisation switches.

use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use itinera_domain::Error;
use itinera_i18n::Lang;
use itinera_service::auth::SignIn;
use itinera_service::second_factor::ChallengeView;
use serde::Deserialize;
use uuid::Uuid;

use crate::http::{set_cookie, ReqLang, RequestCtx, LANG_COOKIE, SESSION_COOKIE};
use crate::views::page::{render, see_other, CsrfForm, PageCtx, Session, ViewResult};
use crate::AppState;

pub fn router() -> axum::Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_form).post(login))
        .route(
            "/login/second-factor",
            get(second_factor_form).post(second_factor),
        )
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
    // Attempts per client address, counted in the database (shared by every server);
    // the per-account lock-out is the first line of defence.
    if ctx.client_addr.parse::<std::net::IpAddr>().is_ok() {
        match s
            .services
            .login_attempt_allowed(&ctx.client_addr, ctx.now)
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                return (
                    axum::http::StatusCode::TOO_MANY_REQUESTS,
                    render(&page(itinera_i18n::t(lang, "error.too_many_requests"))),
                )
                    .into_response()
            }
            Err(e) => return crate::http::HttpError(e).into_response(),
        }
    }
    match s
        .services
        .sign_in(&ctx, &input.username, &input.password)
        .await
    {
        Ok(SignIn::Session(session)) => {
            let mut r = see_other("/");
            r.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, &session.id, None, s.secure_cookies),
            );
            r
        }
        Ok(SignIn::SecondFactor { challenge, .. }) => {
            let mut r = see_other("/login/second-factor");
            r.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(
                    CHALLENGE_COOKIE,
                    &challenge,
                    Some(60 * itinera_service::second_factor::CHALLENGE_MINUTES),
                    s.secure_cookies,
                ),
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

/// The cookie that names a sign-in waiting for its second step.
const CHALLENGE_COOKIE: &str = "itinera_challenge";

#[derive(Template)]
#[template(path = "second_factor.html")]
struct SecondFactorPage {
    page: PageCtx,
    v: ChallengeView,
    error: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
struct RecoveryCodesPage {
    page: PageCtx,
    codes: Vec<String>,
}

fn to_login() -> Response {
    see_other("/login")
}

async fn second_factor_form(
    State(s): State<AppState>,
    headers: HeaderMap,
    ReqLang(lang): ReqLang,
    RequestCtx(ctx): RequestCtx,
) -> Response {
    let Some(challenge) = crate::http::cookie(&headers, CHALLENGE_COOKIE) else {
        return to_login();
    };
    match s.services.second_factor_challenge(&ctx, challenge).await {
        Ok(v) => render(&SecondFactorPage {
            page: PageCtx::new(lang, None, "second_factor.title"),
            v,
            error: None,
        }),
        Err(_) => to_login(),
    }
}

#[derive(Deserialize)]
struct CodeInput {
    #[serde(default)]
    code: String,
}

async fn second_factor(
    State(s): State<AppState>,
    headers: HeaderMap,
    ReqLang(lang): ReqLang,
    RequestCtx(ctx): RequestCtx,
    Form(input): Form<CodeInput>,
) -> Response {
    let Some(challenge) = crate::http::cookie(&headers, CHALLENGE_COOKIE) else {
        return to_login();
    };
    let clear = set_cookie(CHALLENGE_COOKIE, "", Some(0), s.secure_cookies);
    match s
        .services
        .complete_second_factor(&ctx, challenge, &input.code)
        .await
    {
        Ok((session, codes)) => {
            let mut r = if codes.is_empty() {
                see_other("/")
            } else {
                render(&RecoveryCodesPage {
                    page: PageCtx::new(lang, None, "second_factor.codes_title"),
                    codes,
                })
            };
            let h = r.headers_mut();
            h.append(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, &session.id, None, s.secure_cookies),
            );
            h.append(header::SET_COOKIE, clear);
            r
        }
        Err(Error::Invalid(fields)) => {
            let key = fields
                .first()
                .map(|f| f.code)
                .unwrap_or("second_factor.wrong_code");
            match s.services.second_factor_challenge(&ctx, challenge).await {
                Ok(v) => (
                    axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                    render(&SecondFactorPage {
                        page: PageCtx::new(lang, None, "second_factor.title"),
                        v,
                        error: Some(key),
                    }),
                )
                    .into_response(),
                Err(_) => to_login(),
            }
        }
        Err(e) => {
            let key = match e {
                Error::TooManyRequests => "second_factor.too_many",
                Error::Unauthenticated => "second_factor.expired",
                _ => "error.internal",
            };
            let status = axum::http::StatusCode::from_u16(e.status())
                .unwrap_or(axum::http::StatusCode::UNAUTHORIZED);
            let mut r = (
                status,
                render(&LoginPage {
                    page: PageCtx::new(lang, None, "login.title"),
                    username: String::new(),
                    error: Some(itinera_i18n::t(lang, key)),
                }),
            )
                .into_response();
            r.headers_mut().append(header::SET_COOKIE, clear);
            r
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
