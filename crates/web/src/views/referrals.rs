//! Referrals, as pages: a case's referrals with the form to send one (the receiver is
//! chosen first, and the page says whether the person's consent covers it — if not,
//! which consent is missing, with a link to record it and come back); the
//! organisation's inbox (received, sent); one referral with its steps and the forms of
//! the step its reader may take (accept or reject, start, close with an outcome,
//! cancel); and the figures of the referral flow. A rejected form comes back with what
//! was typed.

use crate::http::{Path, Query};
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use itinera_domain::case::TeamRole;
use itinera_domain::referral::{AnswerInput, CloseInput, Outcome, ReferralInput, Shared, Urgency};
use itinera_i18n::Lang;
use itinera_service::auth::SessionInfo;
use itinera_service::referrals::{CaseReferrals, ReferralInbox, ReferralStats, ReferralView};
use itinera_service::Ctx;
use serde::Deserialize;
use uuid::Uuid;

use crate::http::{lang_of, RequestCtx};
use crate::views::page::{
    form_result, render, render_invalid, CsrfForm, FormErrors, PageCtx, Session, ViewError,
    ViewResult,
};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cases/{id}/referrals", get(case_page).post(create))
        .route("/referrals", get(inbox))
        .route("/referrals/stats", get(stats))
        .route("/referrals/{id}", get(show))
        .route("/referrals/{id}/answer", post(answer))
        .route("/referrals/{id}/start", post(start))
        .route("/referrals/{id}/close", post(close))
        .route("/referrals/{id}/cancel", post(cancel))
}

fn urgencies(page: &PageCtx) -> Vec<(&'static str, String)> {
    Urgency::ALL
        .iter()
        .map(|u| (u.code(), page.code("urgency", u.code())))
        .collect()
}

// ---- A case's referrals --------------------------------------------------------------

#[derive(Template)]
#[template(path = "referrals/case.html")]
struct CasePage {
    page: PageCtx,
    v: CaseReferrals,
    input: ReferralInput,
    errors: FormErrors,
    /// The catalogue search of the form: what was asked, what was found.
    pick: Pick,
    picks: Option<Vec<itinera_service::resources::ResourceView>>,
    /// The resource chosen from the catalogue.
    resource: Option<itinera_service::resources::ResourceView>,
}

impl CasePage {
    fn urgencies(&self) -> Vec<(&'static str, String)> {
        urgencies(&self.page)
    }
    /// The things that may be shared, with whether they are ticked.
    fn shareable(&self) -> Vec<(&'static str, String, bool)> {
        Shared::ALL
            .iter()
            .map(|s| {
                (
                    s.code(),
                    self.page.code("shared", s.code()),
                    self.input.shared.iter().any(|x| x == s.code()),
                )
            })
            .collect()
    }
    fn categories(&self) -> Vec<(&'static str, String)> {
        crate::views::resources::categories(&self.page)
    }
    /// The form's address with a resource of the catalogue chosen.
    fn pick_link(&self, r: &itinera_service::resources::ResourceView) -> String {
        format!(
            "/cases/{}/referrals?to={}&resource={}#refer",
            self.v.case.id,
            r.provider_organisation_id
                .map(|o| o.to_string())
                .unwrap_or_default(),
            r.id
        )
    }
    fn chosen(&self, id: &Uuid) -> bool {
        self.input.to_organisation_id.trim() == id.to_string()
    }
    /// The link that records the missing consent and comes back to this form.
    fn consent_link(&self, pid: &Uuid, org: &Uuid) -> String {
        let resource = self
            .resource
            .as_ref()
            .map(|r| format!("&resource={}", r.id))
            .unwrap_or_default();
        let back = format!(
            "/cases/{}/referrals?to={org}{resource}#refer",
            self.v.case.id
        );
        format!(
            "/participants/{pid}/consents/new?organisation={org}&then={}",
            urlencode(&back)
        )
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CheckParams {
    to: String,
    resource: String,
    q: String,
    category: String,
}

/// The catalogue search of a case's referral form (resources a referral can go to).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Pick {
    q: String,
    category: String,
}

#[allow(clippy::too_many_arguments)]
async fn case_view(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &Ctx,
    id: Uuid,
    input: ReferralInput,
    errors: FormErrors,
    pick: Pick,
) -> Result<CasePage, ViewError> {
    let to = Uuid::parse_str(input.to_organisation_id.trim()).ok();
    let v = s
        .services
        .case_referrals(&session.actor, ctx, id, to)
        .await?;
    let picks = if pick.q.trim().is_empty() && pick.category.trim().is_empty() {
        None
    } else {
        let q = itinera_service::resources::ResourceQuery {
            q: pick.q.clone(),
            category: pick.category.clone(),
            referable: "true".into(),
            per_page: Some(20),
            ..Default::default()
        };
        Some(
            s.services
                .resources(&session.actor, &q)
                .await
                .map(|p| p.items)
                .unwrap_or_default(),
        )
    };
    let resource = match Uuid::parse_str(input.resource_id.trim()) {
        Ok(rid) => s.services.resource(&session.actor, rid).await.ok(),
        Err(_) => None,
    };
    Ok(CasePage {
        page: PageCtx::new(lang, Some(session), "referral.title"),
        v,
        input,
        errors,
        pick,
        picks,
        resource,
    })
}

async fn case_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(q): Query<CheckParams>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let input = ReferralInput {
        to_organisation_id: q.to,
        resource_id: q.resource,
        urgency: "ordinary".into(),
        ..Default::default()
    };
    let pick = Pick {
        q: q.q,
        category: q.category,
    };
    Ok(render(
        &case_view(
            &s,
            lang,
            &session,
            &ctx,
            id,
            input,
            FormErrors::none(lang),
            pick,
        )
        .await?,
    ))
}

async fn create(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<ReferralInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s.services.refer(&session.actor, &ctx, id, &input).await;
    form_result(
        lang,
        result,
        |r| format!("/referrals/{r}"),
        |errors| case_view(&s, lang, &session, &ctx, id, input, errors, Pick::default()),
    )
    .await
}

// ---- The inbox -------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "referrals/inbox.html")]
struct InboxPage {
    page: PageCtx,
    v: ReferralInbox,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct InboxParams {
    #[serde(rename = "box")]
    side: String,
    open: String,
}

async fn inbox(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Query(q): Query<InboxParams>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let sent = q.side == "sent";
    let open = matches!(q.open.as_str(), "true" | "on" | "1");
    let v = s
        .services
        .referral_inbox(&session.actor, &ctx, sent, open)
        .await?;
    Ok(render(&InboxPage {
        page: PageCtx::new(lang, Some(&session), "referral.inbox"),
        v,
    }))
}

// ---- One referral ----------------------------------------------------------------------

/// Which of the referral page's forms came back rejected, with what was typed.
#[derive(Default)]
enum Typed {
    #[default]
    None,
    Accept(AnswerInput),
    Reject(AnswerInput),
    Close(CloseInput),
    Cancel(CloseInput),
}

#[derive(Template)]
#[template(path = "referrals/show.html")]
struct ShowPage {
    page: PageCtx,
    v: ReferralView,
    typed: Typed,
    errors: FormErrors,
}

impl ShowPage {
    fn team_roles(&self) -> Vec<(&'static str, String, bool)> {
        let chosen = match &self.typed {
            Typed::Accept(a) if !a.team_role.is_empty() => a.team_role.clone(),
            _ => self.v.default_team_role.clone(),
        };
        TeamRole::ALL
            .iter()
            .filter(|r| !matches!(r, TeamRole::Trainer | TeamRole::Tutor))
            .map(|r| {
                (
                    r.code(),
                    self.page.code("team_role", r.code()),
                    r.code() == chosen,
                )
            })
            .collect()
    }
    fn outcomes(&self) -> Vec<(&'static str, String)> {
        Outcome::ALL
            .iter()
            .map(|o| (o.code(), self.page.code("outcome", o.code())))
            .collect()
    }
    fn assignee_chosen(&self, id: &Uuid) -> bool {
        match &self.typed {
            Typed::Accept(a) => a.assignee_id.trim() == id.to_string(),
            _ => self.page.actor.as_ref().is_some_and(|a| a.user_id == *id),
        }
    }
    /// The errors of form `name`, if it is the one that came back.
    fn errors_of(&self, name: &str) -> Option<&FormErrors> {
        let which = match self.typed {
            Typed::None => return None,
            Typed::Accept(_) => "accept",
            Typed::Reject(_) => "reject",
            Typed::Close(_) => "close",
            Typed::Cancel(_) => "cancel",
        };
        (which == name).then_some(&self.errors)
    }
    fn reject_reason(&self) -> &str {
        match &self.typed {
            Typed::Reject(a) => &a.reason,
            _ => "",
        }
    }
    fn close_outcome(&self) -> &str {
        match &self.typed {
            Typed::Close(c) => &c.outcome,
            _ => "",
        }
    }
    fn close_note(&self) -> &str {
        match &self.typed {
            Typed::Close(c) => &c.note,
            _ => "",
        }
    }
    fn cancel_note(&self) -> &str {
        match &self.typed {
            Typed::Cancel(c) => &c.note,
            _ => "",
        }
    }
}

async fn show_view(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &Ctx,
    id: Uuid,
    typed: Typed,
    errors: FormErrors,
) -> Result<ShowPage, ViewError> {
    Ok(ShowPage {
        page: PageCtx::new(lang, Some(session), "referral.one"),
        v: s.services.referral(&session.actor, ctx, id).await?,
        typed,
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
        &show_view(
            &s,
            lang,
            &session,
            &ctx,
            id,
            Typed::None,
            FormErrors::none(lang),
        )
        .await?,
    ))
}

async fn answer(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<AnswerInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .answer_referral(&session.actor, &ctx, id, &input)
        .await;
    let typed = if input.decision == "reject" {
        Typed::Reject(input)
    } else {
        Typed::Accept(input)
    };
    form_result(
        lang,
        result,
        |_| format!("/referrals/{id}"),
        |errors| show_view(&s, lang, &session, &ctx, id, typed, errors),
    )
    .await
}

async fn start(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(_): CsrfForm<CloseInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s.services.start_referral(&session.actor, &ctx, id).await;
    form_result(
        lang,
        result,
        |_| format!("/referrals/{id}"),
        |errors| show_view(&s, lang, &session, &ctx, id, Typed::None, errors),
    )
    .await
}

async fn close(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<CloseInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .close_referral(&session.actor, &ctx, id, &input)
        .await;
    form_result(
        lang,
        result,
        |_| format!("/referrals/{id}"),
        |errors| show_view(&s, lang, &session, &ctx, id, Typed::Close(input), errors),
    )
    .await
}

async fn cancel(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<CloseInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .cancel_referral(&session.actor, &ctx, id, &input)
        .await;
    form_result(
        lang,
        result,
        |_| format!("/referrals/{id}"),
        |errors| show_view(&s, lang, &session, &ctx, id, Typed::Cancel(input), errors),
    )
    .await
}

// ---- Figures ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "referrals/stats.html")]
struct StatsPage {
    page: PageCtx,
    from: String,
    to: String,
    v: Option<ReferralStats>,
    errors: FormErrors,
}

impl StatsPage {
    fn hours(&self, h: &Option<i64>) -> String {
        h.map(|h| h.to_string()).unwrap_or_else(|| "—".into())
    }

    /// A figure as published: the number, or "< threshold" when it is hidden.
    fn n(&self, v: &Option<usize>) -> String {
        match (v, &self.v) {
            (Some(n), _) => self.page.int(*n as i128),
            (None, Some(s)) => format!("< {}", s.threshold),
            (None, None) => String::new(),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PeriodParams {
    from: String,
    to: String,
}

async fn stats(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Query(p): Query<PeriodParams>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let page = PageCtx::new(lang, Some(&session), "referral.stats");
    match s
        .services
        .referral_stats(&session.actor, &ctx, &p.from, &p.to)
        .await
    {
        Ok(v) => Ok(render(&StatsPage {
            page,
            from: v.from.to_string(),
            to: v.to.to_string(),
            v: Some(v),
            errors: FormErrors::none(lang),
        })),
        Err(e) => {
            let errors = FormErrors::from_error(lang, e)?;
            Ok(render_invalid(&StatsPage {
                page,
                from: p.from,
                to: p.to,
                v: None,
                errors,
            }))
        }
    }
}
