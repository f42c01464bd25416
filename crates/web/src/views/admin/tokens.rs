//! API tokens: list, create (shown once), revoke.

use crate::http::Path;
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use itinera_i18n::Lang;
use itinera_service::admin::TokenInput;
use itinera_service::admin::{Token, UserView};
use itinera_service::auth::SessionInfo;
use serde::Deserialize;
use uuid::Uuid;

use crate::http::{lang_of, RequestCtx};
use crate::views::page::{
    render, render_invalid, see_other, CsrfForm, FormErrors, PageCtx, Session, ViewError,
    ViewResult,
};
use crate::AppState;

use super::require_admin;

#[derive(Template)]
#[template(path = "admin/tokens.html")]
pub(super) struct TokensPage {
    page: PageCtx,
    tokens: Vec<Token>,
    /// The service accounts (tokens are issued to these only).
    users: Vec<UserView>,
    errors: FormErrors,
    input: TokenInput,
    /// A token just created: shown once.
    created: Option<String>,
}

impl TokensPage {
    /// Every role, to scope a token (with whether it was ticked).
    fn role_choices(&self) -> Vec<(&'static str, String, bool)> {
        itinera_domain::access::Role::ALL
            .iter()
            .filter(|r| **r != itinera_domain::access::Role::Admin)
            .map(|r| {
                (
                    r.code(),
                    self.page.code("role", r.code()),
                    self.input.roles.iter().any(|x| x == r.code()),
                )
            })
            .collect()
    }

    /// The owner chosen in a refused form (`user@organisation`).
    fn chosen(&self) -> String {
        format!("{}@{}", self.input.user_id, self.input.organisation_id)
    }

    fn choices(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for UserView {
            user: u,
            memberships: ms,
        } in self.users.iter().filter(|v| v.user.service_account)
        {
            let mut seen = Vec::new();
            for m in ms {
                if !seen.contains(&m.organisation_id) {
                    seen.push(m.organisation_id);
                    out.push((
                        format!("{}@{}", u.id, m.organisation_id),
                        format!("{} — {}", u.username, m.organisation_name),
                    ));
                }
            }
        }
        out
    }
}

pub(super) async fn tokens_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    input: TokenInput,
    errors: FormErrors,
    created: Option<String>,
) -> Result<TokensPage, ViewError> {
    Ok(TokensPage {
        page: PageCtx::new(lang, Some(session), "admin.tokens"),
        tokens: s.services.tokens(&session.actor).await?,
        users: s.services.service_accounts(&session.actor).await?,
        errors,
        input,
        created,
    })
}

pub(super) async fn tokens(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
) -> ViewResult {
    require_admin(&session)?;
    let lang = lang_of(&headers);
    Ok(render(
        &tokens_page(
            &s,
            lang,
            &session,
            TokenInput::default(),
            FormErrors::none(lang),
            None,
        )
        .await?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct TokenForm {
    owner: String,
    name: String,
    expires_in_days: String,
    /// The roles ticked (none: every role the account holds there).
    #[serde(deserialize_with = "itinera_domain::input::lenient_list")]
    roles: Vec<String>,
}

pub(super) async fn create_token(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    CsrfForm(f): CsrfForm<TokenForm>,
) -> ViewResult {
    require_admin(&session)?;
    let lang = lang_of(&headers);
    let (user_id, organisation_id) = f
        .owner
        .split_once('@')
        .map(|(u, o)| (u.to_string(), o.to_string()))
        .unwrap_or_default();
    let input = TokenInput {
        user_id,
        organisation_id,
        name: f.name,
        expires_in_days: f.expires_in_days,
        roles: f.roles,
    };
    match s
        .services
        .create_token((&session.actor).into(), &ctx, &input)
        .await
    {
        Ok(token) => Ok(render(
            &tokens_page(
                &s,
                lang,
                &session,
                TokenInput::default(),
                FormErrors::none(lang),
                Some(token),
            )
            .await?,
        )),
        Err(e) => {
            let errors = FormErrors::from_error(lang, e)?;
            Ok(render_invalid(
                &tokens_page(&s, lang, &session, input, errors, None).await?,
            ))
        }
    }
}

pub(super) async fn revoke_token(
    State(s): State<AppState>,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(_): CsrfForm<serde_json::Value>,
) -> ViewResult {
    s.services.revoke_token(&session.actor, &ctx, id).await?;
    Ok(see_other("/admin/tokens"))
}
