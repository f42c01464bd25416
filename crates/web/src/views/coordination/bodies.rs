//! A body in the browser: the list and a new body, a body's page (members, the coming
//! meetings, meetings held, open agreements), editing it, its members, its overview.

use crate::http::Path;
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use itinera_domain::access::Capability;
use itinera_domain::coordination::{BodyInput, Frequency, MeetingInput, MemberRole};
use itinera_domain::input::lenient_list;
use itinera_i18n::Lang;
use itinera_service::auth::SessionInfo;
use itinera_service::coordination::Body;
use itinera_service::coordination::{BodyView, MemberInput};
use serde::Deserialize;
use uuid::Uuid;

use crate::http::{lang_of, RequestCtx};
use crate::views::page::{
    form_result, render, render_invalid, see_other, CsrfForm, FormErrors, PageCtx, Session,
    ViewError, ViewResult,
};
use crate::AppState;

#[derive(Template)]
#[template(path = "coordination/bodies.html")]
pub(super) struct ListPage {
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

pub(super) async fn list_page(
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

pub(super) async fn list(
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

pub(super) async fn create(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    CsrfForm(input): CsrfForm<BodyInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s.services.create_body(&session.actor, &ctx, &input).await;
    form_result(
        lang,
        result,
        |id| format!("/bodies/{id}"),
        |errors| list_page(&s, lang, &session, input, errors),
    )
    .await
}

#[derive(Template)]
#[template(path = "coordination/body.html")]
pub(super) struct BodyPage {
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
    fn cases_error(&self) -> Option<std::borrow::Cow<'static, str>> {
        self.errors.list_for("cases.")
    }
    fn invited_error(&self) -> Option<std::borrow::Cow<'static, str>> {
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
pub(super) async fn body_page(
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

pub(super) fn new_meeting() -> MeetingInput {
    MeetingInput {
        mode: "in_person".into(),
        starts: "10:00".into(),
        ends: "11:30".into(),
        ..Default::default()
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ShowParams {
    /// A planned date chosen to convene: the new meeting's form starts with it.
    date: String,
}

pub(super) async fn show(
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

pub(super) async fn add_member(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<MemberInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .add_body_member(&session.actor, &ctx, id, &input)
        .await;
    form_result(
        lang,
        result,
        |_| format!("/bodies/{id}#members"),
        |errors| body_page(&s, lang, &session, &ctx, id, input, new_meeting(), errors),
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct MeetingForm {
    #[serde(flatten)]
    meeting: MeetingInput,
    #[serde(deserialize_with = "lenient_list")]
    cases: Vec<String>,
    #[serde(deserialize_with = "lenient_list")]
    invited: Vec<String>,
}

pub(super) async fn create_meeting(
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
pub(super) struct EditPage {
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

pub(super) async fn edit_body(
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

pub(super) async fn update_body(
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
pub(super) struct RoleForm {
    role: String,
}

/// A member's role changed, or a member removed: back to the body's page, which says
/// why if it was refused.
pub(super) async fn member_change(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &itinera_service::Ctx,
    id: Uuid,
    member: Uuid,
    role: Option<&str>,
) -> ViewResult {
    let result = s
        .services
        .change_body_member(&session.actor, ctx, id, member, role)
        .await;
    form_result(
        lang,
        result,
        |_| format!("/bodies/{id}#members"),
        |errors| {
            body_page(
                s,
                lang,
                session,
                ctx,
                id,
                MemberInput::default(),
                new_meeting(),
                errors,
            )
        },
    )
    .await
}

pub(super) async fn member_role(
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

pub(super) async fn remove_member(
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
pub(super) async fn minutes_text(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let v = s.services.meeting(&session.actor, &ctx, id).await?;
    Ok(crate::export::minutes_download(lang, &v))
}

/// A member as an agreement's owner (`user:ID` or `organisation:ID`).
pub(crate) fn owner_value(m: &itinera_service::coordination::BodyMember) -> String {
    match m.user_id {
        Some(u) => format!("user:{u}"),
        None => format!("organisation:{}", m.organisation_id),
    }
}

/// What a level-1 or level-2 body sees of its programme: aggregates and pseudonyms.
pub(super) async fn overview(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    crate::http::Query(p): crate::http::Query<crate::views::overview::OverviewParams>,
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
    Ok(render(&crate::views::overview::OverviewPage {
        page: PageCtx::new(lang, Some(&session), "overview.title"),
        programme: view.programme,
        phases: view.phases,
        o,
        body: Some((body.id, body.name)),
    }))
}
