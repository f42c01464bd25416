//! Training pages: the courses (and the form to create one), a course's page (its
//! sessions, its candidates with each service's decision and their places, and the
//! programme's cases to preselect from, filtered), and a session's attendance sheet:
//! the whole group on one screen, saved in one request.

use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use itinera_domain::case::DEFAULT_PHASES;
use itinera_domain::training::{
    weekday_codes, AttendanceInput, CandidateStatusInput, CourseInput, DecisionInput, Presence,
    SessionInput, TrainersInput,
};
use itinera_i18n::Lang;
use itinera_service::auth::SessionInfo;
use itinera_service::training::{AttendanceView, CourseView, CoursesView, PoolQuery};
use itinera_service::Ctx;
use serde::Deserialize;
use uuid::Uuid;

use crate::http::{lang_of, Path, Query, RequestCtx};
use crate::views::page::{
    form_result, render, CsrfForm, FormErrors, PageCtx, Session, ViewError, ViewResult,
};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/courses", get(list).post(create))
        .route("/courses/{id}", get(show))
        .route("/courses/{id}/candidates", post(preselect))
        .route("/courses/{id}/candidates/{cand}/decision", post(decide))
        .route("/courses/{id}/candidates/{cand}/status", post(status))
        .route("/sessions/{id}/attendance", get(sheet).post(save_sheet))
        .route(
            "/courses/{id}/sessions/new",
            get(new_session).post(add_session),
        )
        .route(
            "/courses/{course}/sessions/{id}/edit",
            get(edit_session).post(change_session),
        )
        .route("/courses/{id}/trainers", get(trainers).post(set_trainers))
}

// ---- The trainers named -----------------------------------------------------------

#[derive(Template)]
#[template(path = "training/trainers.html")]
struct TrainersPage {
    page: PageCtx,
    v: CourseView,
    /// Ticked: as saved, or as sent in a refused form.
    ticked: Vec<String>,
    errors: FormErrors,
}

impl TrainersPage {
    fn ticked(&self, id: &Uuid) -> bool {
        let id = id.to_string();
        self.ticked.iter().any(|t| t.trim() == id)
    }
}

async fn trainers_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &Ctx,
    course: Uuid,
    ticked: Option<Vec<String>>,
    errors: FormErrors,
) -> Result<TrainersPage, ViewError> {
    let v = s
        .services
        .course(&session.actor, ctx, course, &Default::default())
        .await?;
    if !v.can_set_trainers {
        return Err(itinera_domain::Error::Forbidden.into());
    }
    let ticked = ticked.unwrap_or_else(|| v.trainers.iter().map(|t| t.id.to_string()).collect());
    Ok(TrainersPage {
        page: PageCtx::new(lang, Some(session), "course.trainers_title"),
        v,
        ticked,
        errors,
    })
}

async fn trainers(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let p = trainers_page(&s, lang, &session, &ctx, id, None, FormErrors::none(lang)).await?;
    Ok(render(&p))
}

async fn set_trainers(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<TrainersInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .set_course_trainers(&session.actor, &ctx, id, &input)
        .await;
    form_result(
        lang,
        result,
        |_| format!("/courses/{id}"),
        |errors| {
            trainers_page(
                &s,
                lang,
                &session,
                &ctx,
                id,
                Some(input.trainer_ids),
                errors,
            )
        },
    )
    .await
}

// ---- The schedule: a session added, moved or cancelled ----------------------------

#[derive(Template)]
#[template(path = "training/session.html")]
struct SessionPage {
    page: PageCtx,
    course: itinera_service::training::Course,
    /// The session changed, or none for a new one.
    session: Option<Uuid>,
    recorded: bool,
    input: SessionInput,
    errors: FormErrors,
}

impl SessionPage {
    fn action(&self) -> String {
        match self.session {
            Some(sid) => format!("/courses/{}/sessions/{sid}/edit", self.course.id),
            None => format!("/courses/{}/sessions/new", self.course.id),
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn session_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &Ctx,
    course: Uuid,
    sid: Option<Uuid>,
    input: Option<SessionInput>,
    errors: FormErrors,
) -> Result<SessionPage, ViewError> {
    let v = s
        .services
        .course(&session.actor, ctx, course, &Default::default())
        .await?;
    if !v.can_schedule {
        return Err(itinera_domain::Error::Forbidden.into());
    }
    let found = match sid {
        Some(id) => Some(
            v.sessions
                .iter()
                .find(|x| x.id == id)
                .cloned()
                .ok_or(itinera_domain::Error::NotFound)?,
        ),
        None => None,
    };
    let input = input.unwrap_or_else(|| match &found {
        Some(x) => SessionInput {
            held_on: x.held_on.to_string(),
            starts_at: x.starts_at.clone(),
            ends_at: x.ends_at.clone(),
            cancelled: x.cancelled,
        },
        None => SessionInput {
            starts_at: v.course.starts_at.clone(),
            ends_at: v.course.ends_at.clone(),
            ..Default::default()
        },
    });
    Ok(SessionPage {
        page: PageCtx::new(
            lang,
            Some(session),
            if sid.is_some() {
                "session.edit_title"
            } else {
                "session.new_title"
            },
        ),
        recorded: found.as_ref().is_some_and(|x| x.recorded > 0),
        course: v.course,
        session: sid,
        input,
        errors,
    })
}

async fn new_session(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let p = session_page(
        &s,
        lang,
        &session,
        &ctx,
        id,
        None,
        None,
        FormErrors::none(lang),
    )
    .await?;
    Ok(render(&p))
}

async fn add_session(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<SessionInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .add_session(&session.actor, &ctx, id, &input)
        .await;
    form_result(
        lang,
        result,
        |_| format!("/courses/{id}#sessions"),
        |errors| session_page(&s, lang, &session, &ctx, id, None, Some(input), errors),
    )
    .await
}

async fn edit_session(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path((course, id)): Path<(Uuid, Uuid)>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let p = session_page(
        &s,
        lang,
        &session,
        &ctx,
        course,
        Some(id),
        None,
        FormErrors::none(lang),
    )
    .await?;
    Ok(render(&p))
}

async fn change_session(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path((course, id)): Path<(Uuid, Uuid)>,
    CsrfForm(input): CsrfForm<SessionInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .change_session(&session.actor, &ctx, id, &input)
        .await;
    form_result(
        lang,
        result,
        |_| format!("/courses/{course}#sessions"),
        |errors| {
            session_page(
                &s,
                lang,
                &session,
                &ctx,
                course,
                Some(id),
                Some(input),
                errors,
            )
        },
    )
    .await
}

// ---- The courses ------------------------------------------------------------------

#[derive(Template)]
#[template(path = "training/list.html")]
struct ListPage {
    page: PageCtx,
    v: CoursesView,
    input: CourseInput,
    errors: FormErrors,
}

impl ListPage {
    fn trainer_checked(&self, id: &Uuid) -> bool {
        self.input
            .trainer_ids
            .iter()
            .any(|t| t.trim() == id.to_string())
    }
    fn provider_name(&self, org: &Uuid) -> String {
        self.v
            .providers
            .iter()
            .find(|p| p.id == *org)
            .map(|p| p.name.clone())
            .unwrap_or_default()
    }
    fn days(&self) -> Vec<(&'static str, String, bool)> {
        weekday_codes()
            .map(|d| {
                (
                    d,
                    self.page.code("weekday", d),
                    self.input.weekdays.iter().any(|w| w == d),
                )
            })
            .collect()
    }
}

async fn list_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    input: CourseInput,
    errors: FormErrors,
) -> Result<ListPage, ViewError> {
    Ok(ListPage {
        page: PageCtx::new(lang, Some(session), "course.list_title"),
        v: s.services.courses(&session.actor).await?,
        input,
        errors,
    })
}

async fn list(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
) -> ViewResult {
    let lang = lang_of(&headers);
    let input = CourseInput {
        starts_at: "09:00".into(),
        ends_at: "14:00".into(),
        weekdays: ["mon", "tue", "wed", "thu", "fri"]
            .map(String::from)
            .to_vec(),
        ..Default::default()
    };
    Ok(render(
        &list_page(&s, lang, &session, input, FormErrors::none(lang)).await?,
    ))
}

async fn create(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    CsrfForm(input): CsrfForm<CourseInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s.services.create_course(&session.actor, &ctx, &input).await;
    form_result(
        lang,
        result,
        |id| format!("/courses/{id}"),
        |errors| list_page(&s, lang, &session, input, errors),
    )
    .await
}

// ---- A course ---------------------------------------------------------------------

#[derive(Template)]
#[template(path = "training/show.html")]
struct ShowPage {
    page: PageCtx,
    v: CourseView,
    q: PoolQuery,
    errors: FormErrors,
    /// The candidate whose form was rejected, with what was typed and chosen.
    target: Option<Uuid>,
    typed_reason: String,
    /// The decision (`approve`, `reject`) or the new status chosen.
    typed_choice: String,
    typed_certificate: bool,
}

/// What was typed in a candidate's form that was refused.
struct Typed {
    reason: String,
    choice: String,
    certificate: bool,
}

impl ShowPage {
    /// A reader of the case (not a trainer and no more) follows the name to it.
    fn links_case(&self) -> bool {
        self.v.can_preselect || !self.v.as_trainer
    }
    fn phases(&self) -> Vec<(&'static str, String, bool)> {
        DEFAULT_PHASES
            .iter()
            .map(|p| (*p, self.page.phase(p), self.q.phase.as_deref() == Some(*p)))
            .collect()
    }
    fn is_target(&self, id: &Uuid) -> bool {
        self.target == Some(*id)
    }
    fn available(&self) -> bool {
        self.q
            .available
            .as_deref()
            .is_some_and(|a| a == "true" || a == "on")
    }
    fn profile(&self) -> &str {
        self.q.profile.as_deref().unwrap_or("")
    }
}

#[allow(clippy::too_many_arguments)]
async fn show_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &Ctx,
    id: Uuid,
    q: PoolQuery,
    errors: FormErrors,
    target: Option<(Uuid, Typed)>,
) -> Result<ShowPage, ViewError> {
    // The page opens on the sessions nearest today; the whole schedule is a link away.
    let mut q = q;
    if q.schedule.as_deref().is_none_or(|v| v.trim().is_empty()) {
        q.schedule = Some("near".into());
    }
    let (target, typed) = match target {
        Some((t, typed)) => (Some(t), typed),
        None => (
            None,
            Typed {
                reason: String::new(),
                choice: String::new(),
                certificate: false,
            },
        ),
    };
    Ok(ShowPage {
        page: PageCtx::new(lang, Some(session), "course.title"),
        v: s.services.course(&session.actor, ctx, id, &q).await?,
        q,
        errors,
        target,
        typed_reason: typed.reason,
        typed_choice: typed.choice,
        typed_certificate: typed.certificate,
    })
}

async fn show(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(q): Query<PoolQuery>,
) -> ViewResult {
    let lang = lang_of(&headers);
    Ok(render(
        &show_page(
            &s,
            lang,
            &session,
            &ctx,
            id,
            q,
            FormErrors::none(lang),
            None,
        )
        .await?,
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PreselectForm {
    case_id: String,
}

async fn preselect(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(form): CsrfForm<PreselectForm>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = match Uuid::parse_str(form.case_id.trim()) {
        Ok(case) => s.services.preselect(&session.actor, &ctx, id, case).await,
        Err(_) => Err(itinera_domain::Error::field("case_id", "validation.uuid")),
    };
    form_result(
        lang,
        result,
        |c| format!("/courses/{id}#candidate-{c}"),
        |errors| {
            show_page(
                &s,
                lang,
                &session,
                &ctx,
                id,
                PoolQuery::default(),
                errors,
                None,
            )
        },
    )
    .await
}

async fn decide(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path((id, cand)): Path<(Uuid, Uuid)>,
    CsrfForm(input): CsrfForm<DecisionInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .decide_candidate(&session.actor, &ctx, cand, &input)
        .await;
    form_result(
        lang,
        result,
        |_| format!("/courses/{id}#candidate-{cand}"),
        |errors| {
            show_page(
                &s,
                lang,
                &session,
                &ctx,
                id,
                PoolQuery::default(),
                errors,
                Some((
                    cand,
                    Typed {
                        reason: input.reason.clone(),
                        choice: input.decision.clone(),
                        certificate: false,
                    },
                )),
            )
        },
    )
    .await
}

async fn status(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path((id, cand)): Path<(Uuid, Uuid)>,
    CsrfForm(input): CsrfForm<CandidateStatusInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .candidate_status(&session.actor, &ctx, cand, &input)
        .await;
    form_result(
        lang,
        result,
        |_| format!("/courses/{id}#candidate-{cand}"),
        |errors| {
            show_page(
                &s,
                lang,
                &session,
                &ctx,
                id,
                PoolQuery::default(),
                errors,
                Some((
                    cand,
                    Typed {
                        reason: input.reason.clone(),
                        choice: input.status.clone(),
                        certificate: input.certificate,
                    },
                )),
            )
        },
    )
    .await
}

// ---- A session's sheet ------------------------------------------------------------

#[derive(Template)]
#[template(path = "training/attendance.html")]
struct SheetPage {
    page: PageCtx,
    v: AttendanceView,
    /// What was typed, when the sheet was refused: (status, reason) per candidate.
    typed: Option<AttendanceInput>,
    errors: FormErrors,
    /// After a save: lines saved and incidents raised.
    saved: Option<(usize, usize)>,
}

impl SheetPage {
    fn presences(&self) -> Vec<(&'static str, String)> {
        Presence::ALL
            .iter()
            .map(|p| (p.code(), self.page.code("presence", p.code())))
            .collect()
    }
    /// The status shown for a line: what was typed, else what is recorded, else present.
    fn status_of(&self, n: &usize, recorded: &Option<String>) -> String {
        if let Some(t) = &self.typed {
            if let Some(l) = t.lines.get(*n) {
                return l.status.clone();
            }
        }
        recorded.clone().unwrap_or_else(|| "present".into())
    }
    fn reason_of(&self, n: &usize, recorded: &Option<String>) -> String {
        if let Some(t) = &self.typed {
            if let Some(l) = t.lines.get(*n) {
                return l.reason.clone();
            }
        }
        recorded.clone().unwrap_or_default()
    }
    /// The line's place in the form: lines the reader may not save are shown and not
    /// sent, so the form counts only the others.
    fn form_index(&self, n: &usize) -> usize {
        self.v.lines.iter().take(*n).filter(|l| l.editable).count()
    }
    fn any_editable(&self) -> bool {
        self.v.lines.iter().any(|l| l.editable)
    }
    fn error_of(&self, n: &usize) -> Option<std::borrow::Cow<'static, str>> {
        self.errors
            .get(&format!("lines.{n}.reason"))
            .or_else(|| self.errors.get(&format!("lines.{n}.status")))
            .or_else(|| self.errors.get(&format!("lines.{n}.candidate_id")))
    }
}

#[allow(clippy::too_many_arguments)]
async fn sheet_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &Ctx,
    id: Uuid,
    typed: Option<AttendanceInput>,
    errors: FormErrors,
    saved: Option<(usize, usize)>,
) -> Result<SheetPage, ViewError> {
    Ok(SheetPage {
        page: PageCtx::new(lang, Some(session), "attendance.title"),
        v: s.services.attendance(&session.actor, ctx, id).await?,
        typed,
        errors,
        saved,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SavedQuery {
    saved: Option<usize>,
    incidents: Option<usize>,
}

async fn sheet(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(q): Query<SavedQuery>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let saved = q.saved.map(|n| (n, q.incidents.unwrap_or(0)));
    Ok(render(
        &sheet_page(
            &s,
            lang,
            &session,
            &ctx,
            id,
            None,
            FormErrors::none(lang),
            saved,
        )
        .await?,
    ))
}

async fn save_sheet(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<AttendanceInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .save_attendance(&session.actor, &ctx, id, &input)
        .await;
    form_result(
        lang,
        result,
        |saved| {
            format!(
                "/sessions/{}/attendance?saved={}&incidents={}",
                saved.session_id,
                saved.lines,
                saved.incidents.len()
            )
        },
        |errors| sheet_page(&s, lang, &session, &ctx, id, Some(input), errors, None),
    )
    .await
}
