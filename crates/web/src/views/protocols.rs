//! Protocols and guides in the browser: the list (with the version in force and what
//! the professional still has to read), a new protocol, a protocol's page (versions,
//! read confirmation, who has not read, proposed changes, a new version).

use crate::http::Path;
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use itinera_domain::access::{Capability, Role};
use itinera_domain::protocols::{concernable, ProtocolInput, ProtocolKind, VersionInput};
use itinera_i18n::Lang;
use itinera_service::auth::SessionInfo;
use itinera_service::protocols::{NewProtocol, ProtocolLine, ProtocolView};
use itinera_service::Ctx;
use serde::Deserialize;
use uuid::Uuid;

use crate::http::{lang_of, RequestCtx};
use crate::views::page::{
    form_result, render, render_invalid, see_other, CsrfForm, FormErrors, PageCtx, Session,
    ViewError, ViewResult,
};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/protocols", get(list).post(create))
        .route("/protocols/{id}", get(show))
        .route("/protocols/{id}/versions", post(publish))
        .route("/protocols/{id}/read", post(confirm_read))
        .route("/protocols/{id}/changes", post(propose_change))
}

fn kinds(page: &PageCtx) -> Vec<(&'static str, String)> {
    ProtocolKind::ALL
        .iter()
        .map(|k| (k.code(), page.code("protocol_kind", k.code())))
        .collect()
}

fn roles(page: &PageCtx) -> Vec<(&'static str, String)> {
    Role::ALL
        .iter()
        .filter(|r| concernable(**r))
        .map(|r| (r.code(), page.code("role", r.code())))
        .collect()
}

/// The new-protocol form: one scope choice (`programme:ID` or `body:ID`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct ProtocolForm {
    scope: String,
    title: String,
    kind: String,
    owner_organisation_id: String,
    #[serde(flatten)]
    version: VersionInput,
}

impl ProtocolForm {
    fn to_input(&self) -> NewProtocol {
        let (programme_id, body_id) = match self.scope.split_once(':') {
            Some(("programme", id)) => (id.to_string(), String::new()),
            Some(("body", id)) => (String::new(), id.to_string()),
            _ => (String::new(), String::new()),
        };
        NewProtocol {
            protocol: ProtocolInput {
                title: self.title.clone(),
                kind: self.kind.clone(),
                programme_id,
                body_id,
                owner_organisation_id: self.owner_organisation_id.clone(),
            },
            version: self.version.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "protocols/list.html")]
struct ListPage {
    page: PageCtx,
    list: Vec<ProtocolLine>,
    /// For conveners: where a protocol may belong, and who may own it.
    scopes: Vec<(String, String)>,
    organisations: Vec<(Uuid, String)>,
    input: ProtocolForm,
    errors: FormErrors,
}

impl ListPage {
    fn kinds(&self) -> Vec<(&'static str, String)> {
        kinds(&self.page)
    }
    fn roles(&self) -> Vec<(&'static str, String)> {
        roles(&self.page)
    }
    fn role_checked(&self, code: &str) -> bool {
        self.input.version.roles.iter().any(|r| r == code)
    }
}

async fn list_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &Ctx,
    input: ProtocolForm,
    errors: FormErrors,
) -> Result<ListPage, ViewError> {
    let list = s.services.protocols(&session.actor, ctx, None).await?;
    let (mut scopes, mut organisations) = (Vec::new(), Vec::new());
    if session.actor.can(Capability::ConveneBodies) {
        for p in s.services.programmes().await? {
            scopes.push((
                format!("programme:{}", p.id),
                format!("{} — {}", p.code, p.name),
            ));
        }
        for b in s.services.bodies(&session.actor).await? {
            scopes.push((format!("body:{}", b.id), b.name));
        }
        organisations = s.services.member_choices(&session.actor).await?;
    }
    Ok(ListPage {
        page: PageCtx::new(lang, Some(session), "protocols.title"),
        list,
        scopes,
        organisations,
        input,
        errors,
    })
}

async fn list(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
) -> ViewResult {
    let lang = lang_of(&headers);
    let input = ProtocolForm {
        kind: "guide".into(),
        owner_organisation_id: session.actor.organisation_id.to_string(),
        version: VersionInput {
            valid_from: ctx.today().to_string(),
            ..Default::default()
        },
        ..Default::default()
    };
    Ok(render(
        &list_page(&s, lang, &session, &ctx, input, FormErrors::none(lang)).await?,
    ))
}

async fn create(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    CsrfForm(form): CsrfForm<ProtocolForm>,
) -> ViewResult {
    let lang = lang_of(&headers);
    match s
        .services
        .create_protocol(&session.actor, &ctx, &form.to_input())
        .await
    {
        Ok(id) => Ok(see_other(&format!("/protocols/{id}"))),
        Err(e) => {
            let errors = FormErrors::from_error(lang, e)?.renamed(|f| match f {
                "programme_id" | "body_id" => "scope".into(),
                other => other.into(),
            });
            Ok(render_invalid(
                &list_page(&s, lang, &session, &ctx, form, errors).await?,
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "protocols/protocol.html")]
struct ProtocolPage {
    page: PageCtx,
    v: ProtocolView,
    version: VersionInput,
    change: String,
    errors: FormErrors,
}

impl ProtocolPage {
    fn roles(&self) -> Vec<(&'static str, String)> {
        roles(&self.page)
    }
    fn role_checked(&self, code: &str) -> bool {
        self.version.roles.iter().any(|r| r == code)
    }
    fn role_names(&self, stored: &str) -> String {
        let names: Vec<String> = stored
            .split_whitespace()
            .map(|r| self.page.code("role", r))
            .collect();
        if names.is_empty() {
            self.page.t("protocols.all_roles").to_string()
        } else {
            names.join(", ")
        }
    }
    fn not_read(&self) -> usize {
        self.v
            .readers
            .iter()
            .filter(|r| r.read_at.is_none())
            .count()
    }
    fn convener(&self) -> bool {
        self.v.can_publish
    }
    fn applied(&self, id: &Uuid) -> bool {
        self.version.applies.contains(&id.to_string())
    }
    fn pending(&self) -> Vec<&itinera_service::protocols::ProtocolChange> {
        self.v
            .changes
            .iter()
            .filter(|c| c.applied_in_version.is_none())
            .collect()
    }
}

#[allow(clippy::too_many_arguments)]
async fn protocol_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &Ctx,
    id: Uuid,
    version: Option<VersionInput>,
    change: String,
    errors: FormErrors,
) -> Result<ProtocolPage, ViewError> {
    let v = s.services.protocol(&session.actor, ctx, id).await?;
    // A new version starts from the one in force.
    let version = version.unwrap_or_else(|| {
        let cur = v
            .versions
            .iter()
            .find(|x| x.in_force)
            .or(v.versions.first());
        VersionInput {
            summary: cur.map(|c| c.version.summary.clone()).unwrap_or_default(),
            document_ref: cur
                .and_then(|c| c.version.document_ref.clone())
                .unwrap_or_default(),
            valid_from: ctx.today().to_string(),
            roles: cur
                .map(|c| {
                    c.version
                        .roles
                        .split_whitespace()
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default(),
            ..Default::default()
        }
    });
    Ok(ProtocolPage {
        page: PageCtx::new(lang, Some(session), "protocols.protocol"),
        v,
        version,
        change,
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
    Ok(render(
        &protocol_page(
            &s,
            lang,
            &session,
            &ctx,
            id,
            None,
            String::new(),
            FormErrors::none(lang),
        )
        .await?,
    ))
}

async fn publish(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<VersionInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .publish_version(&session.actor, &ctx, id, &input)
        .await;
    form_result(
        lang,
        result,
        |_| format!("/protocols/{id}"),
        |errors| {
            protocol_page(
                &s,
                lang,
                &session,
                &ctx,
                id,
                Some(input),
                String::new(),
                errors,
            )
        },
    )
    .await
}

async fn confirm_read(
    State(s): State<AppState>,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(_): CsrfForm<serde_json::Value>,
) -> ViewResult {
    s.services
        .confirm_protocol_read(&session.actor, &ctx, id)
        .await?;
    Ok(see_other(&format!("/protocols/{id}")))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ChangeForm {
    change: String,
}

async fn propose_change(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(form): CsrfForm<ChangeForm>,
) -> ViewResult {
    let lang = lang_of(&headers);
    match s
        .services
        .propose_protocol_change(&session.actor, &ctx, id, &form.change)
        .await
    {
        Ok(_) => Ok(see_other(&format!("/protocols/{id}#changes"))),
        Err(e) => {
            let errors = FormErrors::from_error(lang, e)?.renamed(|_| "change".into());
            Ok(render_invalid(
                &protocol_page(&s, lang, &session, &ctx, id, None, form.change, errors).await?,
            ))
        }
    }
}
