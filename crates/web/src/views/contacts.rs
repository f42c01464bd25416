//! The contact log page of a case: the contacts the reader may read, and the form to
//! record one (with the professionals who took part and who may read it).

use crate::http::Path;
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::get;
use axum::Router;
use itinera_domain::contact::{ContactInput, ContactKind, Visibility};
use itinera_i18n::Lang;
use itinera_service::auth::SessionInfo;
use itinera_service::contacts::ContactsView;
use itinera_service::Ctx;
use uuid::Uuid;

use crate::http::{lang_of, RequestCtx};
use crate::views::page::{
    form_result, render, CsrfForm, FormErrors, PageCtx, Session, ViewError, ViewResult,
};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/cases/{id}/contacts", get(show).post(create))
}

#[derive(Template)]
#[template(path = "contacts/show.html")]
struct ShowPage {
    page: PageCtx,
    v: ContactsView,
    input: ContactInput,
    errors: FormErrors,
}

impl ShowPage {
    fn kinds(&self) -> Vec<(&'static str, String)> {
        ContactKind::ALL
            .iter()
            .map(|k| (k.code(), self.page.code("contact_kind", k.code())))
            .collect()
    }
    fn visibilities(&self) -> Vec<(&'static str, String)> {
        Visibility::ALL
            .iter()
            .map(|k| (k.code(), self.page.code("visibility", k.code())))
            .collect()
    }
    /// The team but the author: who else may have taken part.
    fn others(&self) -> Vec<(String, String, bool)> {
        let me = self
            .page
            .actor
            .as_ref()
            .map(|a| (a.user_id, a.organisation_id));
        self.v
            .team
            .iter()
            .filter(|m| Some((m.user_id, m.organisation_id)) != me)
            .map(|m| {
                let value = format!("{}@{}", m.user_id, m.organisation_id);
                let checked = self.input.professionals.contains(&value);
                (
                    value,
                    format!("{} · {}", m.user_name, m.organisation_name),
                    checked,
                )
            })
            .collect()
    }
}

async fn page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &Ctx,
    id: Uuid,
    input: ContactInput,
    errors: FormErrors,
) -> Result<ShowPage, ViewError> {
    Ok(ShowPage {
        page: PageCtx::new(lang, Some(session), "contact.title"),
        v: s.services.contacts(&session.actor, ctx, id).await?,
        input,
        errors,
    })
}

async fn show(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let input = ContactInput {
        happened_on: ctx.today().to_string(),
        visibility: "team".into(),
        ..Default::default()
    };
    Ok(render(
        &page(&s, lang, &session, &ctx, id, input, FormErrors::none(lang)).await?,
    ))
}

async fn create(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<ContactInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .record_contact(&session.actor, &ctx, id, &input)
        .await;
    form_result(
        lang,
        result,
        |_| format!("/cases/{id}/contacts"),
        |errors| page(&s, lang, &session, &ctx, id, input, errors),
    )
    .await
}
