//! Administration pages, the auditor's pages and the programme manager's overview.

use crate::http::{Path, Query};
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use itinera_domain::access::{Capability, Role};
use itinera_domain::org::{OrganisationKind, TerritoryLevel};
use itinera_domain::PageRequest;
use itinera_i18n::Lang;
use itinera_service::admin::{
    Membership, Organisation, Programme, Territory, Token, User, UserView,
};
use itinera_service::admin::{
    MembershipInput, OrganisationInput, ProgrammeInput, ProgrammeView, ProjectInput,
    TerritoryInput, TokenInput, UserInput,
};
use itinera_service::aggregates::ProgrammeOverview;
use itinera_service::audit_log::AuditQuery;
use itinera_service::audit_log::{AuditEntry as Entry, Verification};
use itinera_service::auth::SessionInfo;
use serde::Deserialize;
use uuid::Uuid;

use super::{
    render, render_invalid, see_other, CsrfForm, FormErrors, PageCtx, Session, ViewError,
    ViewResult,
};
use crate::http::{lang_of, RequestCtx};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(index))
        .route(
            "/admin/territories",
            get(territories).post(create_territory),
        )
        .route(
            "/admin/organisations",
            get(organisations).post(create_organisation),
        )
        .route(
            "/admin/organisations/{id}",
            get(organisation).post(update_organisation),
        )
        .route("/admin/programmes", get(programmes).post(create_programme))
        .route(
            "/admin/programmes/{id}",
            get(programme).post(update_programme),
        )
        .route("/admin/programmes/{id}/projects", post(add_project))
        .route("/admin/users", get(users).post(create_user))
        .route("/admin/users/{id}", get(user))
        .route("/admin/users/{id}/memberships", post(add_membership))
        .route(
            "/admin/users/{id}/memberships/{mid}/remove",
            post(remove_membership),
        )
        .route("/admin/users/{id}/active", post(set_active))
        .route("/admin/tokens", get(tokens).post(create_token))
        .route("/admin/tokens/{id}/revoke", post(revoke_token))
        .route("/audit", get(audit))
        .route("/programmes/{id}/overview", get(overview))
}

fn require_admin(session: &SessionInfo) -> Result<(), ViewError> {
    Ok(session.actor.require(Capability::Administer)?)
}

#[derive(Template)]
#[template(path = "admin/index.html")]
struct IndexPage {
    page: PageCtx,
}

async fn index(headers: HeaderMap, Session(session): Session) -> ViewResult {
    require_admin(&session)?;
    Ok(render(&IndexPage {
        page: PageCtx::new(lang_of(&headers), Some(&session), "admin.title"),
    }))
}

// ---- Territories -------------------------------------------------------------------

#[derive(Template)]
#[template(path = "admin/territories.html")]
struct TerritoriesPage {
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

async fn territories_page(
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

async fn territories(
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

async fn create_territory(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    CsrfForm(input): CsrfForm<TerritoryInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    match s
        .services
        .create_territory(&session.actor, &ctx, &input)
        .await
    {
        Ok(_) => Ok(see_other("/admin/territories")),
        Err(e) => {
            let errors = FormErrors::from_error(lang, e)?;
            Ok(render_invalid(
                &territories_page(&s, lang, &session, input, errors).await?,
            ))
        }
    }
}

// ---- Organisations -----------------------------------------------------------------

#[derive(Template)]
#[template(path = "admin/organisations.html")]
struct OrganisationsPage {
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

async fn organisations_page(
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

async fn organisations(
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

async fn organisation(
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

async fn save_org(
    s: AppState,
    headers: HeaderMap,
    session: SessionInfo,
    ctx: itinera_service::Ctx,
    id: Option<Uuid>,
    input: OrganisationInput,
) -> ViewResult {
    let lang = lang_of(&headers);
    match s
        .services
        .save_organisation(&session.actor, &ctx, id, &input)
        .await
    {
        Ok(_) => Ok(see_other("/admin/organisations")),
        Err(e) => {
            let errors = FormErrors::from_error(lang, e)?;
            Ok(render_invalid(
                &organisations_page(&s, lang, &session, input, errors, id).await?,
            ))
        }
    }
}

async fn create_organisation(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    CsrfForm(input): CsrfForm<OrganisationInput>,
) -> ViewResult {
    save_org(s, headers, session, ctx, None, input).await
}

async fn update_organisation(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<OrganisationInput>,
) -> ViewResult {
    save_org(s, headers, session, ctx, Some(id), input).await
}

// ---- Programmes --------------------------------------------------------------------

#[derive(Template)]
#[template(path = "admin/programmes.html")]
struct ProgrammesPage {
    page: PageCtx,
    programmes: Vec<Programme>,
    /// The programme being edited, with its projects; `None` for a new one.
    current: Option<ProgrammeView>,
    errors: FormErrors,
    input: ProgrammeInput,
    project_errors: FormErrors,
    project_input: ProjectInput,
    territories: Vec<Territory>,
    organisations: Vec<Organisation>,
}

impl ProgrammesPage {
    fn feeds_selected(&self, id: &Uuid) -> bool {
        self.input.feeds_programme_id == id.to_string()
    }
    fn share(&self, bp: &i32) -> String {
        format!("{:.2} %", f64::from(*bp) / 100.0)
    }
}

fn programme_input(v: &ProgrammeView) -> ProgrammeInput {
    ProgrammeInput {
        code: v.programme.code.clone(),
        name: v.programme.name.clone(),
        description: v.programme.description.clone(),
        feeds_programme_id: v
            .programme
            .feeds_programme_id
            .map(|f| f.to_string())
            .unwrap_or_default(),
        start_date: v
            .programme
            .start_date
            .map(|d| d.to_string())
            .unwrap_or_default(),
        end_date: v
            .programme
            .end_date
            .map(|d| d.to_string())
            .unwrap_or_default(),
        active: v.programme.active,
        phases: v
            .phases
            .iter()
            .map(|p| p.code.clone())
            .collect::<Vec<_>>()
            .join("\n"),
        funding: v
            .funding
            .iter()
            .map(|f| format!("{}={}", f.fund, f64::from(f.share_bp) / 100.0))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

#[allow(clippy::too_many_arguments)]
async fn programmes_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    current: Option<Uuid>,
    input: Option<ProgrammeInput>,
    errors: FormErrors,
    project_input: ProjectInput,
    project_errors: FormErrors,
) -> Result<ProgrammesPage, ViewError> {
    let current = match current {
        Some(id) => Some(s.services.programme(id).await?),
        None => None,
    };
    let input = input.unwrap_or_else(|| {
        current
            .as_ref()
            .map(programme_input)
            .unwrap_or(ProgrammeInput {
                active: true,
                phases: itinera_domain::case::DEFAULT_PHASES.join("\n"),
                ..Default::default()
            })
    });
    Ok(ProgrammesPage {
        page: PageCtx::new(lang, Some(session), "admin.programmes"),
        programmes: s.services.programmes().await?,
        current,
        errors,
        input,
        project_errors,
        project_input,
        territories: s.services.territories(&session.actor).await?,
        organisations: s.services.organisations().await?,
    })
}

async fn programmes(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
) -> ViewResult {
    require_admin(&session)?;
    let lang = lang_of(&headers);
    Ok(render(
        &programmes_page(
            &s,
            lang,
            &session,
            None,
            None,
            FormErrors::none(lang),
            ProjectInput::default(),
            FormErrors::none(lang),
        )
        .await?,
    ))
}

async fn programme(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    Path(id): Path<Uuid>,
) -> ViewResult {
    require_admin(&session)?;
    let lang = lang_of(&headers);
    Ok(render(
        &programmes_page(
            &s,
            lang,
            &session,
            Some(id),
            None,
            FormErrors::none(lang),
            ProjectInput::default(),
            FormErrors::none(lang),
        )
        .await?,
    ))
}

async fn save_prog(
    s: AppState,
    headers: HeaderMap,
    session: SessionInfo,
    ctx: itinera_service::Ctx,
    id: Option<Uuid>,
    input: ProgrammeInput,
) -> ViewResult {
    let lang = lang_of(&headers);
    match s
        .services
        .save_programme(&session.actor, &ctx, id, &input)
        .await
    {
        Ok(pid) => Ok(see_other(&format!("/admin/programmes/{pid}"))),
        Err(e) => {
            let errors = FormErrors::from_error(lang, e)?;
            Ok(render_invalid(
                &programmes_page(
                    &s,
                    lang,
                    &session,
                    id,
                    Some(input),
                    errors,
                    ProjectInput::default(),
                    FormErrors::none(lang),
                )
                .await?,
            ))
        }
    }
}

async fn create_programme(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    CsrfForm(input): CsrfForm<ProgrammeInput>,
) -> ViewResult {
    save_prog(s, headers, session, ctx, None, input).await
}

async fn update_programme(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<ProgrammeInput>,
) -> ViewResult {
    save_prog(s, headers, session, ctx, Some(id), input).await
}

async fn add_project(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<ProjectInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    match s
        .services
        .add_project(&session.actor, &ctx, id, &input)
        .await
    {
        Ok(_) => Ok(see_other(&format!("/admin/programmes/{id}#projects"))),
        Err(e) => {
            let errors = FormErrors::from_error(lang, e)?;
            Ok(render_invalid(
                &programmes_page(
                    &s,
                    lang,
                    &session,
                    Some(id),
                    None,
                    FormErrors::none(lang),
                    input,
                    errors,
                )
                .await?,
            ))
        }
    }
}

// ---- Users -------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    page: PageCtx,
    users: Vec<UserView>,
    errors: FormErrors,
    input: UserInput,
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

async fn users_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    input: UserInput,
    errors: FormErrors,
) -> Result<UsersPage, ViewError> {
    Ok(UsersPage {
        page: PageCtx::new(lang, Some(session), "admin.users"),
        users: s.services.users(&session.actor).await?,
        errors,
        input,
    })
}

async fn users(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
) -> ViewResult {
    require_admin(&session)?;
    let lang = lang_of(&headers);
    Ok(render(
        &users_page(
            &s,
            lang,
            &session,
            UserInput {
                locale: "es".into(),
                ..Default::default()
            },
            FormErrors::none(lang),
        )
        .await?,
    ))
}

async fn create_user(
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
                &users_page(&s, lang, &session, input, errors).await?,
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "admin/user.html")]
struct UserPage {
    page: PageCtx,
    user: User,
    memberships: Vec<Membership>,
    organisations: Vec<Organisation>,
    errors: FormErrors,
    input: MembershipInput,
}

impl UserPage {
    fn roles(&self) -> Vec<(&'static str, String)> {
        Role::ALL
            .iter()
            .map(|r| (r.code(), self.page.code("role", r.code())))
            .collect()
    }
}

async fn user_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    id: Uuid,
    input: MembershipInput,
    errors: FormErrors,
) -> Result<UserPage, ViewError> {
    let (user, memberships) = s
        .services
        .users(&session.actor)
        .await?
        .into_iter()
        .find(|v| v.user.id == id)
        .map(|v| (v.user, v.memberships))
        .ok_or(ViewError(itinera_domain::Error::NotFound))?;
    Ok(UserPage {
        page: PageCtx::new(lang, Some(session), "admin.user"),
        user,
        memberships,
        organisations: s.services.organisations().await?,
        errors,
        input,
    })
}

async fn user(
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

async fn add_membership(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<MembershipInput>,
) -> ViewResult {
    require_admin(&session)?;
    let lang = lang_of(&headers);
    match s
        .services
        .add_membership((&session.actor).into(), &ctx, id, &input)
        .await
    {
        Ok(()) => Ok(see_other(&format!("/admin/users/{id}"))),
        Err(e) => {
            let errors = FormErrors::from_error(lang, e)?;
            Ok(render_invalid(
                &user_page(&s, lang, &session, id, input, errors).await?,
            ))
        }
    }
}

#[derive(Deserialize)]
struct Empty {}

async fn remove_membership(
    State(s): State<AppState>,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path((id, mid)): Path<(Uuid, Uuid)>,
    CsrfForm(_): CsrfForm<Empty>,
) -> ViewResult {
    s.services
        .remove_membership(&session.actor, &ctx, id, mid)
        .await?;
    Ok(see_other(&format!("/admin/users/{id}")))
}

#[derive(Deserialize)]
struct ActiveInput {
    active: String,
}

async fn set_active(
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

// ---- Tokens ------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "admin/tokens.html")]
struct TokensPage {
    page: PageCtx,
    tokens: Vec<Token>,
    users: Vec<UserView>,
    errors: FormErrors,
    input: TokenInput,
    /// A token just created: shown once.
    created: Option<String>,
}

impl TokensPage {
    fn choices(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for UserView {
            user: u,
            memberships: ms,
        } in &self.users
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

async fn tokens_page(
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
        users: s.services.users(&session.actor).await?,
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
struct TokenForm {
    owner: String,
    name: String,
    expires_in_days: String,
}

async fn create_token(
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

async fn revoke_token(
    State(s): State<AppState>,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(_): CsrfForm<Empty>,
) -> ViewResult {
    s.services.revoke_token(&session.actor, &ctx, id).await?;
    Ok(see_other("/admin/tokens"))
}

// ---- Audit -------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    page: PageCtx,
    q: AuditQuery,
    entries: Option<itinera_domain::Page<Entry>>,
    errors: FormErrors,
    verification: Option<Verification>,
    usernames: Vec<(Uuid, String)>,
}

impl AuditPage {
    fn who(&self, id: &Option<Uuid>) -> String {
        id.and_then(|id| self.usernames.iter().find(|(u, _)| *u == id))
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| "—".into())
    }
    fn next_page(&self) -> String {
        let mut q = self.q.clone();
        q.page = (self.q.page.trim().parse::<u32>().unwrap_or(1) + 1).to_string();
        serde_urlencoded::to_string(&q).unwrap_or_default()
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AuditParams {
    #[serde(flatten)]
    q: AuditQuery,
    verify: Option<String>,
}

async fn audit(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Query(params): Query<AuditParams>,
) -> ViewResult {
    session.actor.require(Capability::ReadAudit)?;
    let lang = lang_of(&headers);
    let verification = if params.verify.is_some() {
        Some(s.services.verify_audit((&session.actor).into()).await?)
    } else {
        None
    };
    let (entries, errors) = match s.services.audit_log(&session.actor, &ctx, &params.q).await {
        Ok(p) => (Some(p), FormErrors::none(lang)),
        Err(e) => (None, FormErrors::from_error(lang, e)?),
    };
    // Auditors see who acted (professionals' usernames), never participants' data.
    let usernames = s.services.usernames().await?;
    Ok(render(&AuditPage {
        page: PageCtx::new(lang, Some(&session), "audit.title"),
        q: params.q,
        entries,
        errors,
        verification,
        usernames,
    }))
}

// ---- Programme overview ------------------------------------------------------------

#[derive(Template)]
#[template(path = "overview.html")]
pub(crate) struct OverviewPage {
    pub page: PageCtx,
    pub programme: Programme,
    pub phases: Vec<itinera_service::admin::Phase>,
    pub o: ProgrammeOverview,
    /// The level-1 or level-2 body this is shown to, if any.
    pub body: Option<(Uuid, String)>,
}

impl OverviewPage {
    fn phase_total(&self, code: &str) -> i64 {
        self.o
            .counts
            .iter()
            .filter(|c| c.phase == code && c.status != "closed")
            .map(|c| c.count)
            .sum()
    }
    fn status_total(&self, status: &str) -> i64 {
        self.o
            .counts
            .iter()
            .filter(|c| c.status == status)
            .map(|c| c.count)
            .sum()
    }
    fn bar(&self, code: &str) -> i64 {
        let max = self
            .phases
            .iter()
            .map(|p| self.phase_total(&p.code))
            .max()
            .unwrap_or(0)
            .max(1);
        self.phase_total(code) * 100 / max
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct OverviewParams {
    pub page: Option<u32>,
}

async fn overview(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(p): Query<OverviewParams>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let o = s
        .services
        .programme_overview(&session.actor, &ctx, id, PageRequest::new(p.page, Some(50)))
        .await?;
    let view = s.services.programme(id).await?;
    Ok(render(&OverviewPage {
        page: PageCtx::new(lang, Some(&session), "overview.title"),
        programme: view.programme,
        phases: view.phases,
        o,
        body: None,
    }))
}
