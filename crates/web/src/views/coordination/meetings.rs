//! A meeting's page: agenda with minutes, attendance, agreements, approval; printable.

use crate::http::Path;
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use itinera_domain::coordination::{AgreementInput, Attendance};
use itinera_domain::input::lenient_list;
use itinera_i18n::Lang;
use itinera_service::auth::SessionInfo;
use itinera_service::coordination::{ItemMinutes, MeetingView};
use serde::Deserialize;
use uuid::Uuid;

use crate::http::{lang_of, RequestCtx};
use crate::views::page::{
    form_result, render, render_invalid, see_other, CsrfForm, FormErrors, PageCtx, Session,
    ViewError, ViewResult,
};
use crate::AppState;

use super::owner_value;

#[derive(Template)]
#[template(path = "coordination/meeting.html")]
pub(super) struct MeetingPage {
    page: PageCtx,
    v: MeetingView,
    agreement: AgreementInput,
    errors: FormErrors,
    /// The meeting's record as typed, when it was refused (nothing of it is lost).
    typed: RecordForm,
    /// An agreement whose change of status was refused: its id, the reason typed and
    /// the messages (named `field-{id}`).
    status_target: Option<Uuid>,
    status_reason: String,
    status_errors: FormErrors,
}

impl MeetingPage {
    fn attendance_of(&self, member: &Uuid) -> String {
        let id = member.to_string();
        if let Some(i) = self.typed.member.iter().position(|m| *m == id) {
            return self.typed.attendance.get(i).cloned().unwrap_or_default();
        }
        self.v
            .attendance
            .iter()
            .find(|(m, _)| m == member)
            .map(|(_, a)| a.clone())
            .unwrap_or_default()
    }
    /// The problem with an item's minutes, when the record was refused.
    fn minutes_error(&self, item: &itinera_service::coordination::ItemView) -> Option<String> {
        self.errors
            .get(&format!("minutes-{}", item.item.id))
            .map(std::borrow::Cow::into_owned)
    }
    /// When the record was refused with this item's minutes in error and what is saved
    /// now is not what was typed (someone saved meanwhile): the saved text, to show.
    fn saved_meanwhile(&self, item: &itinera_service::coordination::ItemView) -> Option<String> {
        self.minutes_error(item)?;
        let saved = item.item.minutes.clone().unwrap_or_default();
        (saved != self.minutes_of(item)).then_some(saved)
    }
    /// An item's minutes: as typed when the record was refused, else as saved.
    fn minutes_of(&self, item: &itinera_service::coordination::ItemView) -> String {
        let id = item.item.id.to_string();
        if let Some(i) = self.typed.item.iter().position(|m| *m == id) {
            return self.typed.minutes.get(i).cloned().unwrap_or_default();
        }
        item.item.minutes.clone().unwrap_or_default()
    }
    fn attendances(&self) -> Vec<(&'static str, String)> {
        Attendance::ALL
            .iter()
            .map(|a| (a.code(), self.page.code("attendance", a.code())))
            .collect()
    }
    fn member_label(&self, m: &itinera_service::coordination::BodyMember) -> String {
        crate::export::member_label(m)
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
    /// The reason typed for an agreement whose change of status was refused.
    fn reason_of(&self, id: &Uuid) -> &str {
        if self.status_target == Some(*id) {
            &self.status_reason
        } else {
            ""
        }
    }
    fn status_err(&self, field: &str, id: &Uuid) -> Option<std::borrow::Cow<'static, str>> {
        self.status_errors.get(&format!("{field}-{id}"))
    }
    fn status_general(&self, id: &Uuid) -> Option<&'static str> {
        if self.status_target == Some(*id) {
            self.status_errors.general()
        } else {
            None
        }
    }
    fn agenda_cases(&self) -> Vec<(Uuid, String)> {
        self.v
            .items
            .iter()
            .filter_map(|i| Some((i.item.case_id?, i.participant_name.clone()?)))
            .collect()
    }
}

pub(super) async fn meeting_page(
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
        typed: RecordForm::default(),
        status_target: None,
        status_reason: String::new(),
        status_errors: FormErrors::none(lang),
    })
}

/// The meeting's record as its page sends it: every agenda item's minutes and every
/// invited member's attendance, saved together.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(super) struct RecordForm {
    #[serde(deserialize_with = "lenient_list")]
    item: Vec<String>,
    #[serde(deserialize_with = "lenient_list")]
    minutes: Vec<String>,
    /// Each item's minutes as the page showed them (see `ItemMinutes::was`).
    #[serde(deserialize_with = "lenient_list")]
    was: Vec<String>,
    #[serde(deserialize_with = "lenient_list")]
    member: Vec<String>,
    #[serde(deserialize_with = "lenient_list")]
    attendance: Vec<String>,
}

pub(super) async fn record(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(form): CsrfForm<RecordForm>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let shown = form.was.len() == form.item.len();
    let minutes: Vec<ItemMinutes> = form
        .item
        .iter()
        .zip(form.minutes.iter())
        .enumerate()
        .map(|(i, (item, text))| ItemMinutes {
            item: item.clone(),
            text: text.clone(),
            was: if shown {
                form.was.get(i).cloned()
            } else {
                None
            },
        })
        .collect();
    let attendance: Vec<(String, String)> = form
        .member
        .iter()
        .cloned()
        .zip(form.attendance.iter().cloned())
        .filter(|(_, a)| !a.is_empty())
        .collect();
    let result = s
        .services
        .record_meeting(&session.actor, &ctx, id, &minutes, &attendance)
        .await;
    form_result(
        lang,
        result,
        |_| format!("/meetings/{id}#agenda"),
        |errors| async {
            let mut page = meeting_page(
                &s,
                lang,
                &session,
                &ctx,
                id,
                AgreementInput::default(),
                errors,
            )
            .await?;
            page.typed = form.clone();
            Ok(page)
        },
    )
    .await
}

pub(super) async fn meeting(
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
pub(super) struct AttendanceForm {
    #[serde(deserialize_with = "lenient_list")]
    member: Vec<String>,
    #[serde(deserialize_with = "lenient_list")]
    attendance: Vec<String>,
}

pub(super) async fn attendance(
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
pub(super) struct MinutesForm {
    minutes: String,
}

pub(super) async fn minutes(
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

fn approve_page(lang: Lang, session: &SessionInfo, id: Uuid) -> crate::views::page::ConfirmPage {
    crate::views::page::ConfirmPage {
        page: PageCtx::new(lang, Some(session), "coordination.approve"),
        heading: "coordination.approve",
        consequence: "coordination.approve_consequence",
        button: "coordination.approve",
        subject: None,
        action: format!("/meetings/{id}/approval"),
        back: format!("/meetings/{id}"),
        errors: FormErrors::none(lang),
        withdrawal: None,
    }
}

/// Approved minutes can no longer change: a page asks first.
pub(super) async fn confirm_approve(
    headers: HeaderMap,
    Session(session): Session,
    Path(id): Path<Uuid>,
) -> ViewResult {
    Ok(render(&approve_page(lang_of(&headers), &session, id)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ConfirmForm {
    confirm: String,
}

pub(super) async fn approve(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(form): CsrfForm<ConfirmForm>,
) -> ViewResult {
    if form.confirm != "yes" {
        return Ok(render(&approve_page(lang_of(&headers), &session, id)));
    }
    s.services.approve_minutes(&session.actor, &ctx, id).await?;
    Ok(see_other(&format!("/meetings/{id}")))
}

pub(super) async fn add_agreement(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<AgreementInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .add_agreement(&session.actor, &ctx, id, &input)
        .await;
    form_result(
        lang,
        result,
        |_| format!("/meetings/{id}#agreements"),
        |errors| meeting_page(&s, lang, &session, &ctx, id, input, errors),
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct StatusForm {
    status: String,
    reason: String,
    back: String,
    /// The meeting whose page the form is on: a refusal comes back there, with the
    /// reason typed and the message beside it.
    meeting: String,
}

pub(super) async fn agreement_status(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(form): CsrfForm<StatusForm>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .set_agreement_status(&session.actor, &ctx, id, &form.status, &form.reason)
        .await;
    let meeting = form.meeting.trim().parse::<Uuid>().ok();
    match (result, meeting) {
        // Back to the meeting or the body the form was on (a local path only).
        (Ok(()), _) => Ok(see_other(&crate::views::page::local_back(&form.back, "/"))),
        (Err(e), Some(meeting)) => {
            let errors = FormErrors::from_error(lang, e)?.renamed(|f| format!("{f}-{id}"));
            let mut page = meeting_page(
                &s,
                lang,
                &session,
                &ctx,
                meeting,
                AgreementInput::default(),
                FormErrors::none(lang),
            )
            .await?;
            page.status_target = Some(id);
            page.status_reason = form.reason;
            page.status_errors = errors;
            Ok(render_invalid(&page))
        }
        (Err(e), None) => Err(e.into()),
    }
}
