//! Territories: region > province > municipality > zone.

use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use itinera_domain::org::TerritoryLevel;
use itinera_i18n::Lang;
use itinera_service::admin::Territory;
use itinera_service::admin::TerritoryInput;
use itinera_service::auth::SessionInfo;
use uuid::Uuid;

use crate::http::{lang_of, RequestCtx};
use crate::views::page::{
    form_result, render, CsrfForm, FormErrors, PageCtx, Session, ViewError, ViewResult,
};
use crate::AppState;

use super::require_admin;

#[derive(Template)]
#[template(path = "admin/territories.html")]
pub(super) struct TerritoriesPage {
    page: PageCtx,
    territories: Vec<Territory>,
    errors: FormErrors,
    input: TerritoryInput,
}

impl TerritoriesPage {
    fn levels(&self) -> Vec<(&'static str, String)> {
        TerritoryLevel::ALL
            .iter()
            .map(|l| (l.code(), self.page.code("territory_level", l.code())))
            .collect()
    }
    fn parent_name(&self, id: &Option<Uuid>) -> String {
        id.and_then(|id| self.territories.iter().find(|t| t.id == id))
            .map(|t| t.name.clone())
            .unwrap_or_default()
    }
}

pub(super) async fn territories_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    input: TerritoryInput,
    errors: FormErrors,
) -> Result<TerritoriesPage, ViewError> {
    Ok(TerritoriesPage {
        page: PageCtx::new(lang, Some(session), "admin.territories"),
        territories: s.services.territories(&session.actor).await?,
        errors,
        input,
    })
}

pub(super) async fn territories(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
) -> ViewResult {
    require_admin(&session)?;
    let lang = lang_of(&headers);
    Ok(render(
        &territories_page(
            &s,
            lang,
            &session,
            TerritoryInput::default(),
            FormErrors::none(lang),
        )
        .await?,
    ))
}

pub(super) async fn create_territory(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    CsrfForm(input): CsrfForm<TerritoryInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .create_territory(&session.actor, &ctx, &input)
        .await;
    form_result(
        lang,
        result,
        |_| "/admin/territories".into(),
        |errors| territories_page(&s, lang, &session, input, errors),
    )
    .await
}
