//! The signed-in user's own API tokens: a person's token is created only by that
//! person, here, signed in; it acts for the organisation they are working for.

use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use itinera_i18n::Lang;
use itinera_service::admin::{OwnTokenInput, Token};
use itinera_service::auth::SessionInfo;
use uuid::Uuid;

use crate::http::{lang_of, Path, RequestCtx};
use crate::views::page::{
    render, render_invalid, see_other, CsrfForm, FormErrors, PageCtx, Session, ViewError,
    ViewResult,
};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account/tokens", get(tokens).post(create))
        .route("/account/tokens/{id}/revoke", post(revoke))
}

#[derive(Template)]
#[template(path = "account/tokens.html")]
struct TokensPage {
    page: PageCtx,
    tokens: Vec<Token>,
    errors: FormErrors,
    input: OwnTokenInput,
    /// A token just created: shown once.
    created: Option<String>,
}

async fn page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    input: OwnTokenInput,
    errors: FormErrors,
    created: Option<String>,
) -> Result<TokensPage, ViewError> {
    Ok(TokensPage {
        page: PageCtx::new(lang, Some(session), "account.tokens"),
        tokens: s.services.own_tokens(&session.actor).await?,
        errors,
        input,
        created,
    })
}

async fn tokens(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
) -> ViewResult {
    let lang = lang_of(&headers);
    let p = page(
        &s,
        lang,
        &session,
        OwnTokenInput::default(),
        FormErrors::none(lang),
        None,
    )
    .await?;
    Ok(render(&p))
}

async fn create(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    CsrfForm(input): CsrfForm<OwnTokenInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    match s
        .services
        .create_own_token(&session.actor, &ctx, &input)
        .await
    {
        Ok(token) => {
            let p = page(
                &s,
                lang,
                &session,
                OwnTokenInput::default(),
                FormErrors::none(lang),
                Some(token),
            )
            .await?;
            Ok(render(&p))
        }
        Err(e) => {
            let errors = FormErrors::from_error(lang, e)?;
            Ok(render_invalid(
                &page(&s, lang, &session, input, errors, None).await?,
            ))
        }
    }
}

async fn revoke(
    State(s): State<AppState>,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(_): CsrfForm<serde_json::Value>,
) -> ViewResult {
    s.services.revoke_token(&session.actor, &ctx, id).await?;
    Ok(see_other("/account/tokens"))
}
