//! Case pages: open a case, the case with its timeline, phase moves, status changes and
//! the case team.

use crate::http::Path;
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use itinera_domain::case::{ExitReason, TeamRole};
use itinera_i18n::Lang;
use itinera_service::admin::{Professional, Programme, Project};
use itinera_service::auth::SessionInfo;
use itinera_service::cases::{CaseView, MemberInput, OpenCaseInput, PhaseInput, StatusInput};
use itinera_service::Ctx;
use uuid::Uuid;

use crate::http::{lang_of, RequestCtx};
use crate::views::page::{
    form_result, render, render_invalid, see_other, CsrfForm, FormErrors, PageCtx, Session,
    ViewError, ViewResult,
};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/participants/{id}/cases/new", get(new).post(create))
        .route("/participants/{id}/cases/new/find", post(new_find))
        .route("/cases/{id}", get(show))
        .route("/cases/{id}/phase", post(phase))
        .route("/cases/{id}/status", post(status))
        .route("/cases/{id}/team", post(add_member))
        .route("/cases/{id}/team/find", post(team_find))
        .route("/caseload", get(caseload))
        .route(
            "/cases/{id}/team/{member}/remove",
            get(confirm_remove_member).post(remove_member),
        )
}

#[derive(Template)]
#[template(path = "cases/new.html")]
struct NewPage {
    page: PageCtx,
    errors: FormErrors,
    participant_id: Uuid,
    name: String,
    input: OpenCaseInput,
    programmes: Vec<(Programme, Vec<Project>)>,
    professionals: Vec<Professional>,
    /// What the professional list was searched for.
    find: String,
    /// The network is too large for one list: search it.
    limited: bool,
    /// Whether a sharing consent of the person is in force (the form warns if not).
    consent_in_force: bool,
}

impl NewPage {
    fn limited(&self) -> bool {
        self.limited
    }
    fn prof_value(&self, p: &Professional) -> String {
        format!("{}@{}", p.user_id, p.organisation_id)
    }
}

async fn new_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &Ctx,
    pid: Uuid,
    (input, find): (OpenCaseInput, String),
    errors: FormErrors,
) -> Result<NewPage, ViewError> {
    let v = s.services.participant(&session.actor, ctx, pid).await?;
    let mut programmes = Vec::new();
    for p in s
        .services
        .programmes()
        .await?
        .into_iter()
        .filter(|p| p.active)
    {
        let projects = s.services.programme(p.id).await?.projects;
        programmes.push((p, projects));
    }
    let (professionals, limited) = s
        .services
        .professionals_near(
            &find,
            session.actor.organisation_id,
            None,
            session.actor.user_id,
        )
        .await?;
    Ok(NewPage {
        page: PageCtx::new(lang, Some(session), "case.new"),
        errors,
        participant_id: pid,
        name: v.participant.data.full_name(),
        consent_in_force: v
            .consents
            .iter()
            .any(|c| c.state == "active" && c.consent.purpose == "sharing"),
        input,
        programmes,
        professionals,
        find,
        limited,
    })
}

async fn new(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(pid): Path<Uuid>,
) -> ViewResult {
    let lang = lang_of(&headers);
    session
        .actor
        .require_person(itinera_domain::access::Capability::ManageCases)?;
    let input = OpenCaseInput {
        opened_on: ctx.today().to_string(),
        case_manager: format!(
            "{}@{}",
            session.actor.user_id, session.actor.organisation_id
        ),
        ..Default::default()
    };
    Ok(render(
        &new_page(
            &s,
            lang,
            &session,
            &ctx,
            pid,
            (input, String::new()),
            FormErrors::none(lang),
        )
        .await?,
    ))
}

/// A search for the professional to name: the form again with the matches.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct FindForm {
    find: String,
}

/// A form whose list of professionals came from a search: the search is sent with it
/// (hidden), so that a refused form shows the same list with the one chosen.
#[derive(serde::Deserialize)]
struct WithFind<T> {
    #[serde(default)]
    find: String,
    #[serde(flatten)]
    input: T,
}

async fn new_find(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(pid): Path<Uuid>,
    CsrfForm(f): CsrfForm<FindForm>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let input = OpenCaseInput {
        opened_on: ctx.today().to_string(),
        ..Default::default()
    };
    Ok(render(
        &new_page(
            &s,
            lang,
            &session,
            &ctx,
            pid,
            (input, f.find),
            FormErrors::none(lang),
        )
        .await?,
    ))
}

async fn create(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(pid): Path<Uuid>,
    CsrfForm(WithFind { find, input }): CsrfForm<WithFind<OpenCaseInput>>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .open_case(&session.actor, &ctx, pid, &input)
        .await;
    form_result(
        lang,
        result,
        |id| format!("/cases/{id}"),
        |errors| new_page(&s, lang, &session, &ctx, pid, (input, find), errors),
    )
    .await
}

#[derive(Template)]
#[template(path = "cases/show.html")]
struct ShowPage {
    page: PageCtx,
    v: CaseView,
    professionals: Vec<Professional>,
    /// What the professional list was searched for.
    find: String,
    /// The network is too large for one list: search it.
    limited: bool,
    /// Which form the errors belong to: phase, status or team.
    form: &'static str,
    errors: FormErrors,
    phase_input: PhaseInput,
    status_input: StatusInput,
    member_input: MemberInput,
}

impl ShowPage {
    fn limited(&self) -> bool {
        self.limited
    }
    fn exit_reasons(&self) -> Vec<(&'static str, String)> {
        ExitReason::ALL
            .iter()
            .map(|r| (r.code(), self.page.code("exit", r.code())))
            .collect()
    }
    fn team_roles(&self) -> Vec<(&'static str, String)> {
        TeamRole::ALL
            .iter()
            .map(|r| (r.code(), self.page.code("team_role", r.code())))
            .collect()
    }
    fn prof_value(&self, p: &Professional) -> String {
        format!("{}@{}", p.user_id, p.organisation_id)
    }
    fn err(&self, form: &str, field: &str) -> Option<std::borrow::Cow<'static, str>> {
        if self.form == form {
            self.errors.get(field)
        } else {
            None
        }
    }
    /// The element id of a field of one of the page's forms.
    fn field_id(form: &str, field: &str) -> Option<&'static str> {
        Some(match (form, field) {
            ("phase", "to_phase") => "to_phase",
            ("phase", "reason") => "phase-reason",
            ("status", "action") => "status-action",
            ("status", "reason") => "status-reason",
            ("status", "exit_reason") => "exit_reason",
            ("status", "exit_on") => "exit_on",
            ("team", "professional") => "professional",
            ("team", "role") => "member-role",
            _ => return None,
        })
    }
    /// The fields in error of `form`, as (element id, message), for its summary.
    fn summary(&self, form: &str) -> Vec<(String, std::borrow::Cow<'static, str>)> {
        if self.form != form {
            return Vec::new();
        }
        self.errors.linked(|f| Self::field_id(form, f), form)
    }
    fn general(&self, form: &str) -> Option<&'static str> {
        if self.form == form {
            self.errors.general()
        } else {
            None
        }
    }
    fn is_open(&self) -> bool {
        self.v.case.status == "open"
    }
    fn is_suspended(&self) -> bool {
        self.v.case.status == "suspended"
    }
    fn is_closed(&self) -> bool {
        self.v.case.status == "closed"
    }
    fn phase_state(&self, code: &str) -> &'static str {
        let pos = |c: &str| self.v.phases.iter().position(|p| p.code == c);
        match (pos(code), pos(&self.v.case.phase)) {
            (Some(a), Some(b)) if a < b => "done",
            (Some(a), Some(b)) if a == b => "current",
            _ => "todo",
        }
    }
}

struct Retry {
    form: &'static str,
    find: String,
    errors: FormErrors,
    phase_input: PhaseInput,
    status_input: StatusInput,
    member_input: MemberInput,
}

async fn show_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &Ctx,
    id: Uuid,
    retry: Option<Retry>,
) -> Result<ShowPage, ViewError> {
    let v = s.services.case(&session.actor, ctx, id).await?;
    let r = retry.unwrap_or(Retry {
        form: "",
        find: String::new(),
        errors: FormErrors::none(lang),
        // "New phase" proposes the next one, not the first of the list.
        phase_input: PhaseInput {
            to_phase: v.proposed_phase.clone().unwrap_or_default(),
            ..PhaseInput::default()
        },
        status_input: StatusInput {
            exit_on: ctx.today().to_string(),
            ..Default::default()
        },
        member_input: MemberInput::default(),
    });
    let (professionals, limited) = s
        .services
        .professionals_near(
            &r.find,
            session.actor.organisation_id,
            Some(id),
            session.actor.user_id,
        )
        .await?;
    Ok(ShowPage {
        page: PageCtx::new(lang, Some(session), "case.title").titled(format!(
            "{} · {}",
            v.participant_name, v.case.programme_code
        )),
        v,
        professionals,
        find: r.find,
        limited,
        form: r.form,
        errors: r.errors,
        phase_input: r.phase_input,
        status_input: r.status_input,
        member_input: r.member_input,
    })
}

async fn show(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ViewResult {
    Ok(render(
        &show_page(&s, lang_of(&headers), &session, &ctx, id, None).await?,
    ))
}

async fn retry_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &Ctx,
    id: Uuid,
    e: itinera_domain::Error,
    mut r: Retry,
) -> ViewResult {
    r.errors = FormErrors::from_error(lang, e)?;
    Ok(render_invalid(
        &show_page(s, lang, session, ctx, id, Some(r)).await?,
    ))
}

fn retry(form: &'static str, lang: Lang) -> Retry {
    Retry {
        form,
        find: String::new(),
        errors: FormErrors::none(lang),
        phase_input: PhaseInput::default(),
        status_input: StatusInput::default(),
        member_input: MemberInput::default(),
    }
}

async fn phase(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<PhaseInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    match s
        .services
        .move_case_phase(&session.actor, &ctx, id, &input)
        .await
    {
        Ok(_) => Ok(see_other(&format!("/cases/{id}#timeline"))),
        Err(e) => {
            retry_page(
                &s,
                lang,
                &session,
                &ctx,
                id,
                e,
                Retry {
                    phase_input: input,
                    ..retry("phase", lang)
                },
            )
            .await
        }
    }
}

async fn status(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<StatusInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    match s
        .services
        .change_case_status(&session.actor, &ctx, id, &input)
        .await
    {
        Ok(_) => Ok(see_other(&format!("/cases/{id}#timeline"))),
        Err(e) => {
            retry_page(
                &s,
                lang,
                &session,
                &ctx,
                id,
                e,
                Retry {
                    status_input: input,
                    ..retry("status", lang)
                },
            )
            .await
        }
    }
}

async fn add_member(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(WithFind { find, input }): CsrfForm<WithFind<MemberInput>>,
) -> ViewResult {
    let lang = lang_of(&headers);
    match s
        .services
        .add_case_member(&session.actor, &ctx, id, &input)
        .await
    {
        Ok(_) => Ok(see_other(&format!("/cases/{id}#team"))),
        Err(e) => {
            retry_page(
                &s,
                lang,
                &session,
                &ctx,
                id,
                e,
                Retry {
                    member_input: input,
                    find,
                    ..retry("team", lang)
                },
            )
            .await
        }
    }
}

async fn team_find(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(f): CsrfForm<FindForm>,
) -> ViewResult {
    let lang = lang_of(&headers);
    Ok(render(
        &show_page(
            &s,
            lang,
            &session,
            &ctx,
            id,
            Some(Retry {
                find: f.find,
                ..retry("team", lang)
            }),
        )
        .await?,
    ))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ConfirmInput {
    confirm: String,
}

fn remove_member_page(
    lang: Lang,
    session: &SessionInfo,
    id: Uuid,
    member: Uuid,
) -> crate::views::page::ConfirmPage {
    crate::views::page::ConfirmPage {
        page: PageCtx::new(lang, Some(session), "case.remove_member_title"),
        heading: "case.remove_member_title",
        consequence: "case.remove_member_consequence",
        button: "case.remove_member",
        subject: None,
        action: format!("/cases/{id}/team/{member}/remove"),
        back: format!("/cases/{id}#team"),
        errors: crate::views::page::FormErrors::none(lang),
        withdrawal: None,
    }
}

/// Removing a member cuts them off the case: a page asks first.
async fn confirm_remove_member(
    headers: HeaderMap,
    Session(session): Session,
    Path((id, member)): Path<(Uuid, Uuid)>,
) -> ViewResult {
    Ok(render(&remove_member_page(
        lang_of(&headers),
        &session,
        id,
        member,
    )))
}

async fn remove_member(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path((id, member)): Path<(Uuid, Uuid)>,
    CsrfForm(input): CsrfForm<ConfirmInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    if input.confirm != "yes" {
        return Ok(render(&remove_member_page(lang, &session, id, member)));
    }
    match s
        .services
        .remove_case_member(&session.actor, &ctx, id, member)
        .await
    {
        Ok(_) => Ok(see_other(&format!("/cases/{id}#team"))),
        Err(e) => retry_page(&s, lang, &session, &ctx, id, e, retry("team", lang)).await,
    }
}

#[derive(Template)]
#[template(path = "cases/caseload.html")]
struct CaseloadPage {
    page: PageCtx,
    c: itinera_service::caseload::Caseload,
}

impl CaseloadPage {
    fn is_programme(&self, id: &Uuid) -> bool {
        self.c.programme_id.as_ref() == Some(id)
    }
}

/// "Mis casos": the professional's cases, what is next on each, soonest due first.
async fn caseload(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    crate::http::Query(p): crate::http::Query<itinera_service::caseload::CaseloadParams>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let c = s.services.caseload(&session.actor, &ctx, &p).await?;
    Ok(render(&CaseloadPage {
        page: PageCtx::new(lang, Some(&session), "caseload.title"),
        c,
    }))
}
