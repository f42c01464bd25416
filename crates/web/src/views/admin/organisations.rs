//! Organisations of the network: list, create, edit.

use crate::http::Path;
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use itinera_domain::org::OrganisationKind;
use itinera_i18n::Lang;
use itinera_service::admin::OrganisationInput;
use itinera_service::admin::{Organisation, Territory};
use itinera_service::auth::SessionInfo;
use uuid::Uuid;

use crate::http::{lang_of, RequestCtx};
use crate::views::page::{
    form_result, render, CsrfForm, FormErrors, PageCtx, Session, ViewError, ViewResult,
};
use crate::AppState;

use super::require_admin;

#[derive(Template)]
#[template(path = "admin/organisations.html")]
pub(super) struct OrganisationsPage {
    page: PageCtx,
    organisations: Vec<Organisation>,
    territories: Vec<Territory>,
    errors: FormErrors,
    input: OrganisationInput,
    /// Set when editing one organisation.
    editing: Option<Uuid>,
}

impl OrganisationsPage {
    fn kinds(&self) -> Vec<(&'static str, String)> {
        OrganisationKind::ALL
            .iter()
            .map(|k| (k.code(), self.page.code("org_kind", k.code())))
            .collect()
    }
    fn territory_selected(&self, id: &Uuid) -> bool {
        self.input.territory_id == id.to_string()
    }
}

pub(super) async fn organisations_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    input: OrganisationInput,
    errors: FormErrors,
    editing: Option<Uuid>,
) -> Result<OrganisationsPage, ViewError> {
    Ok(OrganisationsPage {
        page: PageCtx::new(lang, Some(session), "admin.organisations"),
        organisations: s.services.organisations().await?,
        territories: s.services.territories(&session.actor).await?,
        errors,
        input,
        editing,
    })
}

pub(super) async fn organisations(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
) -> ViewResult {
    require_admin(&session)?;
    let lang = lang_of(&headers);
    let input = OrganisationInput {
        active: true,
        ..Default::default()
    };
    Ok(render(
        &organisations_page(&s, lang, &session, input, FormErrors::none(lang), None).await?,
    ))
}

pub(super) async fn organisation(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    Path(id): Path<Uuid>,
) -> ViewResult {
    require_admin(&session)?;
    let lang = lang_of(&headers);
    let o = s
        .services
        .organisations()
        .await?
        .into_iter()
        .find(|o| o.id == id)
        .ok_or(ViewError(itinera_domain::Error::NotFound))?;
    let input = OrganisationInput {
        name: o.name,
        kind: o.kind,
        territory_id: o.territory_id.map(|t| t.to_string()).unwrap_or_default(),
        active: o.active,
    };
    Ok(render(
        &organisations_page(&s, lang, &session, input, FormErrors::none(lang), Some(id)).await?,
    ))
}

pub(super) async fn save_org(
    s: AppState,
    headers: HeaderMap,
    session: SessionInfo,
    ctx: itinera_service::Ctx,
    id: Option<Uuid>,
    input: OrganisationInput,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .save_organisation(&session.actor, &ctx, id, &input)
        .await;
    form_result(
        lang,
        result,
        |_| "/admin/organisations".into(),
        |errors| organisations_page(&s, lang, &session, input, errors, id),
    )
    .await
}

pub(super) async fn create_organisation(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    CsrfForm(input): CsrfForm<OrganisationInput>,
) -> ViewResult {
    save_org(s, headers, session, ctx, None, input).await
}

pub(super) async fn update_organisation(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<OrganisationInput>,
) -> ViewResult {
    save_org(s, headers, session, ctx, Some(id), input).await
}
