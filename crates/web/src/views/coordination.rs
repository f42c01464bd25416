//! Coordination bodies in the browser: the list and a new body, a body's page (members,
//! the coming meetings, meetings held, open agreements), and a meeting's page (agenda
//! with minutes, attendance, agreements, approval), printable.

use crate::http::Path;
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use itinera_domain::access::Capability;
use itinera_domain::coordination::{
    AgreementInput, Attendance, BodyInput, Frequency, MeetingInput, MemberRole,
};
use itinera_domain::input::lenient_list;
use itinera_i18n::Lang;
use itinera_service::auth::SessionInfo;
use itinera_service::coordination::Body;
use itinera_service::coordination::{BodyView, MeetingView, MemberInput};
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
        .route("/bodies", get(list).post(create))
        .route("/bodies/{id}", get(show))
        .route("/bodies/{id}/members", post(add_member))
        .route("/bodies/{id}/overview", get(overview))
        .route("/bodies/{id}/edit", get(edit_body).post(update_body))
        .route("/bodies/{id}/members/{member}", post(member_role))
        .route("/bodies/{id}/members/{member}/remove", post(remove_member))
        .route("/meetings/{id}/minutes.txt", get(minutes_text))
        .route("/bodies/{id}/meetings", post(create_meeting))
        .route("/meetings/{id}", get(meeting))
        .route("/meetings/{id}/attendance", post(attendance))
        .route("/meetings/{id}/items/{item}/minutes", post(minutes))
        .route("/meetings/{id}/approval", post(approve))
        .route("/meetings/{id}/agreements", post(add_agreement))
        .route("/agreements/{id}/status", post(agreement_status))
        .route("/calendar", get(calendar))
        .route("/calendar/feed", post(create_feed))
        .route("/calendar/feed/revoke", post(revoke_feed))
        .route("/calendar/feed/{file}", get(feed))
        .route("/network-agreements", get(network).post(create_network))
        .route("/notifications/read", post(read_notifications))
}

async fn read_notifications(
    State(s): State<AppState>,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    CsrfForm(_): CsrfForm<serde_json::Value>,
) -> ViewResult {
    s.services.read_notifications(&session.actor, &ctx).await?;
    Ok(see_other("/"))
}

// ---- Bodies -----------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "coordination/bodies.html")]
struct ListPage {
    page: PageCtx,
    bodies: Vec<Body>,
    programmes: Vec<(Uuid, String)>,
    input: BodyInput,
    errors: FormErrors,
}

impl ListPage {
    fn frequencies(&self) -> Vec<(&'static str, String)> {
        Frequency::ALL
            .iter()
            .map(|f| (f.code(), self.page.code("frequency", f.code())))
            .collect()
    }
}

async fn list_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    input: BodyInput,
    errors: FormErrors,
) -> Result<ListPage, ViewError> {
    let bodies = s.services.bodies(&session.actor).await?;
    let programmes = if session.actor.can(Capability::ConveneBodies) {
        s.services
            .programmes()
            .await?
            .into_iter()
            .map(|p| (p.id, format!("{} — {}", p.code, p.name)))
            .collect()
    } else {
        Vec::new()
    };
    Ok(ListPage {
        page: PageCtx::new(lang, Some(session), "coordination.title"),
        bodies,
        programmes,
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
    let input = BodyInput {
        level: "3".into(),
        frequency: "fortnightly".into(),
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
    CsrfForm(input): CsrfForm<BodyInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    match s.services.create_body(&session.actor, &ctx, &input).await {
        Ok(id) => Ok(see_other(&format!("/bodies/{id}"))),
        Err(e) => {
            let errors = FormErrors::from_error(lang, e)?;
            Ok(render_invalid(
                &list_page(&s, lang, &session, input, errors).await?,
            ))
        }
    }
}

#[derive(Template)]
#[template(path = "coordination/body.html")]
struct BodyPage {
    page: PageCtx,
    v: BodyView,
    organisations: Vec<(Uuid, String)>,
    cases: Vec<(Uuid, String)>,
    member: MemberInput,
    meeting: MeetingInput,
    /// A refused meeting form's ticked cases and invited members (none: all invited).
    chosen_cases: Vec<String>,
    invited: Vec<String>,
    errors: FormErrors,
}

impl BodyPage {
    fn roles(&self) -> Vec<(&'static str, String)> {
        MemberRole::ALL
            .iter()
            .map(|r| (r.code(), self.page.code("body_role", r.code())))
            .collect()
    }
    fn allows_cases(&self) -> bool {
        self.v.body.level == 3
    }
    /// The meeting already convened on a planned date, if any.
    fn meeting_on(&self, d: &chrono::NaiveDate) -> Option<Uuid> {
        self.v
            .meetings
            .iter()
            .find(|m| m.meeting_date == *d)
            .map(|m| m.id)
    }
    fn cases_error(&self) -> Option<&'static str> {
        self.errors.list_for("cases.")
    }
    fn invited_error(&self) -> Option<&'static str> {
        self.errors.list_for("invited.")
    }
    fn case_chosen(&self, id: &Uuid) -> bool {
        self.chosen_cases.contains(&id.to_string())
    }
    fn is_invited(&self, id: &Uuid) -> bool {
        self.invited.is_empty() || self.invited.contains(&id.to_string())
    }
}

#[allow(clippy::too_many_arguments)]
async fn body_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &itinera_service::Ctx,
    id: Uuid,
    member: MemberInput,
    meeting: MeetingInput,
    errors: FormErrors,
) -> Result<BodyPage, ViewError> {
    let v = s.services.body(&session.actor, ctx, id).await?;
    // Those who run the body name its members.
    let organisations = if v.runs {
        s.services.member_choices(&session.actor).await?
    } else {
        Vec::new()
    };
    let cases = if v.body.level == 3 {
        s.services.agenda_cases(&session.actor, ctx).await?
    } else {
        Vec::new()
    };
    Ok(BodyPage {
        page: PageCtx::new(lang, Some(session), "coordination.body"),
        v,
        organisations,
        cases,
        member,
        meeting,
        chosen_cases: Vec::new(),
        invited: Vec::new(),
        errors,
    })
}

fn new_meeting() -> MeetingInput {
    MeetingInput {
        mode: "in_person".into(),
        starts: "10:00".into(),
        ends: "11:30".into(),
        ..Default::default()
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ShowParams {
    /// A planned date chosen to convene: the new meeting's form starts with it.
    date: String,
}

async fn show(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    crate::http::Query(p): crate::http::Query<ShowParams>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let mut meeting = new_meeting();
    if chrono::NaiveDate::parse_from_str(&p.date, "%Y-%m-%d").is_ok() {
        meeting.date = p.date;
    }
    Ok(render(
        &body_page(
            &s,
            lang,
            &session,
            &ctx,
            id,
            MemberInput::default(),
            meeting,
            FormErrors::none(lang),
        )
        .await?,
    ))
}

async fn add_member(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<MemberInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    match s
        .services
        .add_body_member(&session.actor, &ctx, id, &input)
        .await
    {
        Ok(_) => Ok(see_other(&format!("/bodies/{id}#members"))),
        Err(e) => {
            let errors = FormErrors::from_error(lang, e)?;
            Ok(render_invalid(
                &body_page(&s, lang, &session, &ctx, id, input, new_meeting(), errors).await?,
            ))
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MeetingForm {
    #[serde(flatten)]
    meeting: MeetingInput,
    #[serde(deserialize_with = "lenient_list")]
    cases: Vec<String>,
    #[serde(deserialize_with = "lenient_list")]
    invited: Vec<String>,
}

async fn create_meeting(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(form): CsrfForm<MeetingForm>,
) -> ViewResult {
    let lang = lang_of(&headers);
    match s
        .services
        .create_meeting(
            &session.actor,
            &ctx,
            id,
            &form.meeting,
            &form.cases,
            &form.invited,
        )
        .await
    {
        Ok(m) => Ok(see_other(&format!("/meetings/{m}"))),
        Err(e) => {
            let errors = FormErrors::from_error(lang, e)?;
            let mut page = body_page(
                &s,
                lang,
                &session,
                &ctx,
                id,
                MemberInput::default(),
                form.meeting,
                errors,
            )
            .await?;
            page.chosen_cases = form.cases;
            page.invited = form.invited;
            Ok(render_invalid(&page))
        }
    }
}

#[derive(Template)]
#[template(path = "coordination/edit.html")]
struct EditPage {
    page: PageCtx,
    body: Body,
    input: BodyInput,
    errors: FormErrors,
}

impl EditPage {
    fn frequencies(&self) -> Vec<(&'static str, String)> {
        Frequency::ALL
            .iter()
            .map(|f| (f.code(), self.page.code("frequency", f.code())))
            .collect()
    }
}

async fn edit_body(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ViewResult {
    let lang = lang_of(&headers);
    session.actor.require(Capability::ConveneBodies)?;
    let body = s.services.body(&session.actor, &ctx, id).await?.body;
    let input = BodyInput {
        name: body.name.clone(),
        frequency: body.frequency.clone(),
        custom_days: body.custom_days.map(|d| d.to_string()).unwrap_or_default(),
        first_meeting_on: body
            .first_meeting_on
            .map(|d| d.to_string())
            .unwrap_or_default(),
        description: body.description.clone().unwrap_or_default(),
        ..Default::default()
    };
    Ok(render(&EditPage {
        page: PageCtx::new(lang, Some(&session), "coordination.edit_body"),
        body,
        input,
        errors: FormErrors::none(lang),
    }))
}

async fn update_body(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<BodyInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    match s
        .services
        .update_body(&session.actor, &ctx, id, &input)
        .await
    {
        Ok(()) => Ok(see_other(&format!("/bodies/{id}"))),
        Err(e) => {
            let errors = FormErrors::from_error(lang, e)?;
            let body = s.services.body(&session.actor, &ctx, id).await?.body;
            Ok(render_invalid(&EditPage {
                page: PageCtx::new(lang, Some(&session), "coordination.edit_body"),
                body,
                input,
                errors,
            }))
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RoleForm {
    role: String,
}

/// A member's role changed, or a member removed: back to the body's page, which says
/// why if it was refused.
async fn member_change(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &itinera_service::Ctx,
    id: Uuid,
    member: Uuid,
    role: Option<&str>,
) -> ViewResult {
    match s
        .services
        .change_body_member(&session.actor, ctx, id, member, role)
        .await
    {
        Ok(()) => Ok(see_other(&format!("/bodies/{id}#members"))),
        Err(e) => {
            let errors = FormErrors::from_error(lang, e)?;
            Ok(render_invalid(
                &body_page(
                    s,
                    lang,
                    session,
                    ctx,
                    id,
                    MemberInput::default(),
                    new_meeting(),
                    errors,
                )
                .await?,
            ))
        }
    }
}

async fn member_role(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path((id, member)): Path<(Uuid, Uuid)>,
    CsrfForm(form): CsrfForm<RoleForm>,
) -> ViewResult {
    let lang = lang_of(&headers);
    member_change(&s, lang, &session, &ctx, id, member, Some(&form.role)).await
}

async fn remove_member(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path((id, member)): Path<(Uuid, Uuid)>,
    CsrfForm(_): CsrfForm<serde_json::Value>,
) -> ViewResult {
    let lang = lang_of(&headers);
    member_change(&s, lang, &session, &ctx, id, member, None).await
}

/// The minutes as a plain-text document (to file or paste into an official record).
/// It names the cases this member may see, as the meeting's page does (an audited read).
async fn minutes_text(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let v = s.services.meeting(&session.actor, &ctx, id).await?;
    Ok(minutes_download(lang, &v))
}

/// A member as a list names them: the professional and their organisation, or the
/// organisation.
pub(crate) fn member_label(m: &itinera_service::coordination::BodyMember) -> String {
    match &m.user_name {
        Some(u) => format!("{u} · {}", m.organisation_name),
        None => m.organisation_name.clone(),
    }
}

/// A member as an agreement's owner (`user:ID` or `organisation:ID`).
pub(crate) fn owner_value(m: &itinera_service::coordination::BodyMember) -> String {
    match m.user_id {
        Some(u) => format!("user:{u}"),
        None => format!("organisation:{}", m.organisation_id),
    }
}

/// The minutes of a meeting as text, in the reader's language.
pub(crate) fn minutes_document(lang: Lang, v: &MeetingView) -> String {
    use itinera_i18n::t;
    let code = |prefix: &str, c: &str| super::code_label(lang, prefix, c);
    let m = &v.meeting;
    let mut out = String::new();
    let title = format!(
        "{} — {} {}–{}",
        v.body.name,
        m.meeting_date.format("%d/%m/%Y"),
        m.starts,
        m.ends
    );
    out.push_str(&format!(
        "{title}\n{}\n\n",
        "=".repeat(title.chars().count())
    ));
    out.push_str(&format!(
        "{}: {}",
        t(lang, "coordination.mode"),
        code("meeting_mode", &m.mode)
    ));
    if let Some(p) = &m.place {
        out.push_str(&format!(" · {p}"));
    }
    if let Some(l) = &m.link {
        out.push_str(&format!(" · {l}"));
    }
    out.push('\n');
    match (&m.minutes_approved_at, &m.minutes_approved_by_name) {
        (Some(at), by) => out.push_str(&format!(
            "{}: {}{}\n",
            t(lang, "coordination.minutes_approved"),
            at.format("%d/%m/%Y %H:%M"),
            by.as_ref().map(|b| format!(" · {b}")).unwrap_or_default()
        )),
        (None, _) => out.push_str(&format!("{}\n", t(lang, "coordination.minutes_draft"))),
    }
    out.push_str(&format!("\n{}\n", t(lang, "coordination.attendance")));
    for mm in v.members.iter().filter(|m| v.invited.contains(&m.id)) {
        let who = member_label(mm);
        let att = v
            .attendance
            .iter()
            .find(|(x, _)| *x == mm.id)
            .map(|(_, a)| code("attendance", a))
            .unwrap_or_else(|| "—".into());
        out.push_str(&format!("- {who}: {att}\n"));
    }
    out.push_str(&format!("\n{}\n", t(lang, "coordination.agenda")));
    for (i, it) in v.items.iter().enumerate() {
        let what = match it.item.kind.as_str() {
            "case" => match &it.participant_name {
                Some(n) => format!("{}: {n}", t(lang, "coordination.case_item")),
                None => t(lang, "coordination.hidden_case").to_string(),
            },
            "followup" => format!("{}: {}", t(lang, "coordination.followup"), it.item.title),
            _ => it.item.title.clone(),
        };
        out.push_str(&format!("{}. {what}\n", i + 1));
        if let Some(mn) = &it.item.minutes {
            for line in mn.lines() {
                out.push_str(&format!("   {line}\n"));
            }
        }
    }
    out.push_str(&format!("\n{}\n", t(lang, "coordination.agreements")));
    for a in &v.agreements {
        let owner = match &a.agreement.owner_user_name {
            Some(u) => format!("{u} · {}", a.agreement.owner_organisation_name),
            None => a.agreement.owner_organisation_name.clone(),
        };
        out.push_str(&format!(
            "- {} — {owner} · {} {} · {}\n",
            a.agreement.text,
            t(lang, "coordination.due_on"),
            a.agreement.due_on.format("%d/%m/%Y"),
            code("agreement_status", &a.agreement.status)
        ));
    }
    out
}

pub(crate) fn minutes_download(lang: Lang, v: &MeetingView) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/plain; charset=utf-8".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"acta-{}.txt\"",
                    v.meeting.meeting_date
                ),
            ),
            (axum::http::header::CACHE_CONTROL, "no-store".to_string()),
        ],
        minutes_document(lang, v),
    )
        .into_response()
}

/// What a level-1 or level-2 body sees of its programme: aggregates and pseudonyms.
async fn overview(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    crate::http::Query(p): crate::http::Query<super::admin::OverviewParams>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let (programme, o) = s
        .services
        .body_overview(
            &session.actor,
            &ctx,
            id,
            itinera_domain::PageRequest::new(p.page, Some(50)),
        )
        .await?;
    let body = s.services.body(&session.actor, &ctx, id).await?.body;
    let view = s.services.programme(programme).await?;
    Ok(render(&super::admin::OverviewPage {
        page: PageCtx::new(lang, Some(&session), "overview.title"),
        programme: view.programme,
        phases: view.phases,
        o,
        body: Some((body.id, body.name)),
    }))
}

// ---- Meetings -------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "coordination/meeting.html")]
struct MeetingPage {
    page: PageCtx,
    v: MeetingView,
    agreement: AgreementInput,
    errors: FormErrors,
}

impl MeetingPage {
    fn attendance_of(&self, member: &Uuid) -> String {
        self.v
            .attendance
            .iter()
            .find(|(m, _)| m == member)
            .map(|(_, a)| a.clone())
            .unwrap_or_default()
    }
    fn attendances(&self) -> Vec<(&'static str, String)> {
        Attendance::ALL
            .iter()
            .map(|a| (a.code(), self.page.code("attendance", a.code())))
            .collect()
    }
    fn member_label(&self, m: &itinera_service::coordination::BodyMember) -> String {
        member_label(m)
    }
    fn owner_value(&self, m: &itinera_service::coordination::BodyMember) -> String {
        owner_value(m)
    }
    fn frozen(&self) -> bool {
        self.v.meeting.minutes_approved_at.is_some()
    }
    /// The members invited: their attendance is recorded.
    fn invited_members(&self) -> Vec<&itinera_service::coordination::BodyMember> {
        self.v
            .members
            .iter()
            .filter(|m| self.v.invited.contains(&m.id))
            .collect()
    }
    fn agenda_cases(&self) -> Vec<(Uuid, String)> {
        self.v
            .items
            .iter()
            .filter_map(|i| Some((i.item.case_id?, i.participant_name.clone()?)))
            .collect()
    }
}

async fn meeting_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &itinera_service::Ctx,
    id: Uuid,
    agreement: AgreementInput,
    errors: FormErrors,
) -> Result<MeetingPage, ViewError> {
    Ok(MeetingPage {
        page: PageCtx::new(lang, Some(session), "coordination.meeting"),
        v: s.services.meeting(&session.actor, ctx, id).await?,
        agreement,
        errors,
    })
}

async fn meeting(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ViewResult {
    let lang = lang_of(&headers);
    Ok(render(
        &meeting_page(
            &s,
            lang,
            &session,
            &ctx,
            id,
            AgreementInput::default(),
            FormErrors::none(lang),
        )
        .await?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AttendanceForm {
    #[serde(deserialize_with = "lenient_list")]
    member: Vec<String>,
    #[serde(deserialize_with = "lenient_list")]
    attendance: Vec<String>,
}

async fn attendance(
    State(s): State<AppState>,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(form): CsrfForm<AttendanceForm>,
) -> ViewResult {
    let rows: Vec<(String, String)> = form
        .member
        .into_iter()
        .zip(form.attendance)
        .filter(|(_, a)| !a.is_empty())
        .collect();
    s.services
        .record_attendance(&session.actor, &ctx, id, &rows)
        .await?;
    Ok(see_other(&format!("/meetings/{id}#attendance")))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MinutesForm {
    minutes: String,
}

async fn minutes(
    State(s): State<AppState>,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path((id, item)): Path<(Uuid, Uuid)>,
    CsrfForm(form): CsrfForm<MinutesForm>,
) -> ViewResult {
    s.services
        .record_minutes(&session.actor, &ctx, id, item, &form.minutes)
        .await?;
    Ok(see_other(&format!("/meetings/{id}#item-{item}")))
}

async fn approve(
    State(s): State<AppState>,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(_): CsrfForm<serde_json::Value>,
) -> ViewResult {
    s.services.approve_minutes(&session.actor, &ctx, id).await?;
    Ok(see_other(&format!("/meetings/{id}")))
}

async fn add_agreement(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<AgreementInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    match s
        .services
        .add_agreement(&session.actor, &ctx, id, &input)
        .await
    {
        Ok(_) => Ok(see_other(&format!("/meetings/{id}#agreements"))),
        Err(e) => {
            let errors = FormErrors::from_error(lang, e)?;
            Ok(render_invalid(
                &meeting_page(&s, lang, &session, &ctx, id, input, errors).await?,
            ))
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct StatusForm {
    status: String,
    reason: String,
    back: String,
}

async fn agreement_status(
    State(s): State<AppState>,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(form): CsrfForm<StatusForm>,
) -> ViewResult {
    s.services
        .set_agreement_status(&session.actor, &ctx, id, &form.status, &form.reason)
        .await?;
    // Back to the meeting or the body the form was on (a local path only).
    let back = if form.back.starts_with('/') && !form.back.starts_with("//") {
        form.back
    } else {
        "/".to_string()
    };
    Ok(see_other(&back))
}

// ---- Calendar -----------------------------------------------------------------------

#[derive(Template)]
#[template(path = "coordination/calendar.html")]
struct CalendarPage {
    page: PageCtx,
    month: chrono::NaiveDate,
    weeks: Vec<[Option<chrono::NaiveDate>; 7]>,
    entries: Vec<itinera_service::coordination::CalendarEntry>,
    has_feed: bool,
    /// A feed address just created (shown once).
    new_feed: Option<String>,
}

impl CalendarPage {
    fn on(&self, d: &chrono::NaiveDate) -> Vec<&itinera_service::coordination::CalendarEntry> {
        self.entries
            .iter()
            .filter(|e| e.meeting_date == *d)
            .collect()
    }
    fn month_link(&self, delta: i32) -> String {
        use chrono::Datelike;
        let m = if delta < 0 {
            self.month.checked_sub_months(chrono::Months::new(1))
        } else {
            self.month.checked_add_months(chrono::Months::new(1))
        }
        .unwrap_or(self.month);
        format!("/calendar?month={:04}-{:02}", m.year(), m.month())
    }
    fn title(&self) -> String {
        use chrono::Datelike;
        format!(
            "{} {}",
            self.page.code("month", &self.month.month().to_string()),
            self.month.year()
        )
    }
    fn day(&self, d: &chrono::NaiveDate) -> u32 {
        use chrono::Datelike;
        d.day()
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CalendarParams {
    month: String,
}

async fn calendar_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &itinera_service::Ctx,
    month: &str,
    new_feed: Option<String>,
) -> Result<CalendarPage, ViewError> {
    use chrono::Datelike;
    let today = ctx.today();
    let first = chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
        .unwrap_or_else(|_| today.with_day(1).unwrap_or(today));
    let last = first
        .checked_add_months(chrono::Months::new(1))
        .map(|d| d - chrono::Duration::days(1))
        .unwrap_or(first);
    let entries = s.services.calendar(&session.actor, first, last).await?;
    Ok(CalendarPage {
        page: PageCtx::new(lang, Some(session), "calendar.title"),
        month: first,
        weeks: itinera_domain::calendar::month_weeks(first.year(), first.month()),
        entries,
        has_feed: s.services.has_calendar_feed(&session.actor).await?,
        new_feed,
    })
}

async fn calendar(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    crate::http::Query(q): crate::http::Query<CalendarParams>,
) -> ViewResult {
    let lang = lang_of(&headers);
    Ok(render(
        &calendar_page(&s, lang, &session, &ctx, &q.month, None).await?,
    ))
}

async fn create_feed(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    CsrfForm(_): CsrfForm<serde_json::Value>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let token = s
        .services
        .create_calendar_feed(&session.actor, &ctx)
        .await?;
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if s.secure_cookies { "https" } else { "http" };
    let url = format!("{scheme}://{host}/calendar/feed/{token}.ics");
    Ok(render(
        &calendar_page(&s, lang, &session, &ctx, "", Some(url)).await?,
    ))
}

async fn revoke_feed(
    State(s): State<AppState>,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    CsrfForm(_): CsrfForm<serde_json::Value>,
) -> ViewResult {
    s.services
        .revoke_calendar_feed(&session.actor, &ctx)
        .await?;
    Ok(see_other("/calendar"))
}

/// The feed itself, for calendar programs: no session, the secret in the address.
async fn feed(
    State(s): State<AppState>,
    RequestCtx(ctx): RequestCtx,
    Path(file): Path<String>,
) -> Result<axum::response::Response, ViewError> {
    use axum::response::IntoResponse;
    let token = file.strip_suffix(".ics").unwrap_or(&file);
    let ics = s.services.calendar_feed(token, ctx.now).await?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/calendar; charset=utf-8",
            ),
            (axum::http::header::CACHE_CONTROL, "private, max-age=300"),
        ],
        ics,
    )
        .into_response())
}

// ---- Network agreements ---------------------------------------------------------------

#[derive(Template)]
#[template(path = "coordination/network.html")]
struct NetworkPage {
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
struct NetworkParams {
    q: String,
}

#[allow(clippy::too_many_arguments)]
async fn network_page(
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

async fn network(
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

async fn create_network(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    CsrfForm(input): CsrfForm<itinera_domain::network::NetworkAgreementInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    match s
        .services
        .create_network_agreement(&session.actor, &ctx, &input)
        .await
    {
        Ok(_) => Ok(see_other("/network-agreements")),
        Err(e) => {
            let errors = FormErrors::from_error(lang, e)?;
            Ok(render_invalid(
                &network_page(&s, lang, &session, &ctx, String::new(), input, errors).await?,
            ))
        }
    }
}
