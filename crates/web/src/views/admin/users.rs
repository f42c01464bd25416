//! Users and their memberships (organisation and role); activation.

use crate::http::Path;
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use itinera_domain::access::Role;
use itinera_i18n::Lang;
use itinera_service::admin::{Membership, Organisation, User, UserView};
use itinera_service::admin::{MembershipInput, MembershipOutcome, UserInput};
use itinera_service::auth::SessionInfo;
use serde::Deserialize;
use uuid::Uuid;

use crate::http::{lang_of, RequestCtx};
use crate::views::page::{
    form_result, render, render_invalid, see_other, CsrfForm, FormErrors, PageCtx, Session,
    ViewError, ViewResult,
};
use crate::AppState;

use super::require_admin;

#[derive(Template)]
#[template(path = "admin/users.html")]
pub(super) struct UsersPage {
    page: PageCtx,
    users: Vec<UserView>,
    /// The search typed, and the address of the next page when there is one.
    q: String,
    next: Option<String>,
    errors: FormErrors,
    input: UserInput,
}

/// The list's search and where its page starts (after a username).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct UsersQuery {
    q: String,
    after: String,
}

impl UsersPage {
    fn locales(&self) -> Vec<(&'static str, &'static str)> {
        Lang::ALL
            .iter()
            .map(|l| (l.code(), l.native_name()))
            .collect()
    }
    fn roles_of(&self, ms: &[Membership]) -> String {
        ms.iter()
            .map(|m| {
                format!(
                    "{} · {}",
                    m.organisation_name,
                    self.page.code("role", &m.role)
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

pub(super) async fn users_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    query: UsersQuery,
    input: UserInput,
    errors: FormErrors,
) -> Result<UsersPage, ViewError> {
    let (users, next) = s
        .services
        .users_page(&session.actor, &query.q, &query.after)
        .await?;
    let next = next.map(|after| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        if !query.q.trim().is_empty() {
            q.append_pair("q", query.q.trim());
        }
        q.append_pair("after", &after);
        format!("/admin/users?{}", q.finish())
    });
    Ok(UsersPage {
        page: PageCtx::new(lang, Some(session), "admin.users"),
        users,
        q: query.q,
        next,
        errors,
        input,
    })
}

pub(super) async fn users(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    axum::extract::Query(query): axum::extract::Query<UsersQuery>,
) -> ViewResult {
    require_admin(&session)?;
    let lang = lang_of(&headers);
    Ok(render(
        &users_page(
            &s,
            lang,
            &session,
            query,
            UserInput {
                locale: "es".into(),
                ..Default::default()
            },
            FormErrors::none(lang),
        )
        .await?,
    ))
}

pub(super) async fn create_user(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    CsrfForm(mut input): CsrfForm<UserInput>,
) -> ViewResult {
    require_admin(&session)?;
    let lang = lang_of(&headers);
    match s
        .services
        .create_user((&session.actor).into(), &ctx, &input)
        .await
    {
        Ok(id) => Ok(see_other(&format!("/admin/users/{id}"))),
        Err(e) => {
            let errors = FormErrors::from_error(lang, e)?;
            // A password is never sent back to the browser.
            input.password.clear();
            Ok(render_invalid(
                &users_page(&s, lang, &session, UsersQuery::default(), input, errors).await?,
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "admin/user.html")]
pub(super) struct UserPage {
    page: PageCtx,
    user: User,
    memberships: Vec<Membership>,
    organisations: Vec<Organisation>,
    errors: FormErrors,
    input: MembershipInput,
    factor: itinera_service::second_factor::FactorState,
}

impl UserPage {
    /// Whether the reader asked for the pending reset (then another must decide).
    fn asked_by_me(&self) -> bool {
        self.factor.pending_reset.as_ref().is_some_and(|r| {
            self.page
                .actor
                .as_ref()
                .is_some_and(|a| a.user_id == r.requested_by)
        })
    }
    fn roles(&self) -> Vec<(&'static str, String)> {
        Role::ALL
            .iter()
            .map(|r| (r.code(), self.page.code("role", r.code())))
            .collect()
    }
}

pub(super) async fn user_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    id: Uuid,
    input: MembershipInput,
    errors: FormErrors,
) -> Result<UserPage, ViewError> {
    let UserView {
        user, memberships, ..
    } = s.services.user_view(&session.actor, id).await?;
    Ok(UserPage {
        page: PageCtx::new(lang, Some(session), "admin.user"),
        user,
        memberships,
        organisations: s.services.organisations().await?,
        errors,
        input,
        factor: s.services.second_factor_state(&session.actor, id).await?,
    })
}

pub(super) async fn request_factor_reset(
    State(s): State<AppState>,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(_): CsrfForm<serde_json::Value>,
) -> ViewResult {
    s.services
        .request_second_factor_reset(&session.actor, &ctx, id)
        .await?;
    Ok(see_other(&format!("/admin/users/{id}")))
}

#[derive(serde::Deserialize)]
pub(super) struct DecideInput {
    #[serde(default)]
    approve: String,
    #[serde(default)]
    user: String,
}

pub(super) async fn decide_factor_reset(
    State(s): State<AppState>,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<DecideInput>,
) -> ViewResult {
    s.services
        .decide_second_factor_reset(&session.actor, &ctx, id, input.approve == "true")
        .await?;
    let back = input
        .user
        .parse::<Uuid>()
        .map(|u| format!("/admin/users/{u}"))
        .unwrap_or_else(|_| "/admin/users".into());
    Ok(see_other(&back))
}

pub(super) async fn user(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    Path(id): Path<Uuid>,
) -> ViewResult {
    require_admin(&session)?;
    let lang = lang_of(&headers);
    Ok(render(
        &user_page(
            &s,
            lang,
            &session,
            id,
            MembershipInput::default(),
            FormErrors::none(lang),
        )
        .await?,
    ))
}

pub(super) async fn add_membership(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<MembershipInput>,
) -> ViewResult {
    require_admin(&session)?;
    let lang = lang_of(&headers);
    let result = s
        .services
        .add_membership((&session.actor).into(), &ctx, id, &input)
        .await;
    form_result(
        lang,
        result,
        |o| match o {
            MembershipOutcome::Granted => format!("/admin/users/{id}"),
            MembershipOutcome::Requested { .. } => "/admin/grants".to_string(),
        },
        |errors| user_page(&s, lang, &session, id, input, errors),
    )
    .await
}

pub(super) async fn remove_membership(
    State(s): State<AppState>,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path((id, mid)): Path<(Uuid, Uuid)>,
    CsrfForm(_): CsrfForm<serde_json::Value>,
) -> ViewResult {
    s.services
        .remove_membership(&session.actor, &ctx, id, mid)
        .await?;
    Ok(see_other(&format!("/admin/users/{id}")))
}

#[derive(Deserialize)]
pub(super) struct ActiveInput {
    active: String,
}

pub(super) async fn set_active(
    State(s): State<AppState>,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<ActiveInput>,
) -> ViewResult {
    s.services
        .set_user_active(&session.actor, &ctx, id, input.active == "true")
        .await?;
    Ok(see_other(&format!("/admin/users/{id}")))
}
