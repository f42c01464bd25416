//! Network agreements: the list, the search and a new one.

use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use itinera_domain::access::Capability;
use itinera_i18n::Lang;
use itinera_service::auth::SessionInfo;
use serde::Deserialize;
use uuid::Uuid;

use crate::http::{lang_of, RequestCtx};
use crate::views::page::{
    form_result, render, CsrfForm, FormErrors, PageCtx, Session, ViewError, ViewResult,
};
use crate::AppState;

#[derive(Template)]
#[template(path = "coordination/network.html")]
pub(super) struct NetworkPage {
    page: PageCtx,
    list: itinera_service::coordination::NetworkAgreements,
    q: String,
    organisations: Vec<(Uuid, String)>,
    programmes: Vec<(Uuid, String)>,
    bodies: Vec<(Uuid, String)>,
    input: itinera_domain::network::NetworkAgreementInput,
    errors: FormErrors,
}

impl NetworkPage {
    fn chosen(&self, list: &[String], id: &Uuid) -> bool {
        list.iter().any(|x| *x == id.to_string())
    }
    fn summary(&self) -> String {
        itinera_i18n::tf(
            self.page.lang,
            "network.counts",
            &[
                ("total", &self.list.total.to_string()),
                ("in_force", &self.list.in_force.to_string()),
            ],
        )
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct NetworkParams {
    q: String,
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn network_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &itinera_service::Ctx,
    q: String,
    input: itinera_domain::network::NetworkAgreementInput,
    errors: FormErrors,
) -> Result<NetworkPage, ViewError> {
    let list = s
        .services
        .network_agreements(&session.actor, ctx, &q, None)
        .await?;
    let (organisations, programmes, bodies) = if session.actor.can(Capability::ConveneBodies) {
        (
            s.services.member_choices(&session.actor).await?,
            s.services
                .programmes()
                .await?
                .into_iter()
                .map(|p| (p.id, format!("{} — {}", p.code, p.name)))
                .collect(),
            s.services
                .bodies(&session.actor)
                .await?
                .into_iter()
                .map(|b| (b.id, b.name))
                .collect(),
        )
    } else {
        (Vec::new(), Vec::new(), Vec::new())
    };
    Ok(NetworkPage {
        page: PageCtx::new(lang, Some(session), "network.title"),
        list,
        q,
        organisations,
        programmes,
        bodies,
        input,
        errors,
    })
}

pub(super) async fn network(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    crate::http::Query(p): crate::http::Query<NetworkParams>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let input = itinera_domain::network::NetworkAgreementInput {
        kind: "collaboration".into(),
        ..Default::default()
    };
    Ok(render(
        &network_page(&s, lang, &session, &ctx, p.q, input, FormErrors::none(lang)).await?,
    ))
}

pub(super) async fn create_network(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    CsrfForm(input): CsrfForm<itinera_domain::network::NetworkAgreementInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .create_network_agreement(&session.actor, &ctx, &input)
        .await;
    form_result(
        lang,
        result,
        |_| "/network-agreements".into(),
        |errors| network_page(&s, lang, &session, &ctx, String::new(), input, errors),
    )
    .await
}
