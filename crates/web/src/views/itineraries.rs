//! The itinerary pages: the plan with goals, actions owned by each service, reviews, the
//! signature of the agreement, its versions and their differences, and the printable
//! agreement in the language chosen for it.

use crate::http::{Path, Query};
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use itinera_domain::assessment::text_in;
use itinera_domain::itinerary::{
    ActionInput, ActionKind, ActionStatus, Difference, GoalInput, GoalStatus, PlanInput,
    ReviewInput, Service, SignInput, Snapshot,
};
use itinera_domain::Error;
use itinera_i18n::Lang;
use itinera_service::auth::SessionInfo;
use itinera_service::cases::TeamMember;
use itinera_service::itineraries::{DiffQuery, ItineraryView};
use itinera_service::itineraries::{ItineraryAction as Action, ItineraryGoal as Goal};
use itinera_service::Ctx;
use serde::Deserialize;
use uuid::Uuid;

use crate::http::{lang_of, RequestCtx};
use crate::views::page::{
    form_result, render, CsrfForm, FormErrors, PageCtx, Session, ViewError, ViewResult,
};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cases/{id}/itinerary", get(show).post(plan))
        .route("/cases/{id}/itinerary/goals", post(add_goal))
        .route("/cases/{id}/itinerary/goals/{goal}", post(update_goal))
        .route("/cases/{id}/itinerary/actions", post(add_action))
        .route(
            "/cases/{id}/itinerary/actions/{action}",
            post(update_action),
        )
        .route("/cases/{id}/itinerary/signature", post(sign))
        .route("/cases/{id}/itinerary/reviews", post(review))
        .route("/cases/{id}/itinerary/agreement", get(agreement))
        .route("/cases/{id}/itinerary/differences", get(differences))
}

/// Which form a rejected submission came from, and what was typed in it.
#[derive(Default)]
struct Retry {
    /// `plan`, `goal`, `goal-ID`, `action`, `action-ID`, `sign` or `review`.
    form: String,
    plan: Option<PlanInput>,
    goal: Option<GoalInput>,
    action: Option<ActionInput>,
    sign: Option<SignInput>,
    review: Option<ReviewInput>,
}

#[derive(Template)]
#[template(path = "itineraries/show.html")]
struct ShowPage {
    page: PageCtx,
    v: ItineraryView,
    errors: FormErrors,
    form: String,
    plan: PlanInput,
    goal: GoalInput,
    action: ActionInput,
    sign: SignInput,
    review: ReviewInput,
    /// The row forms' typed values when one of them was rejected.
    row_goal: Option<GoalInput>,
    row_action: Option<ActionInput>,
}

/// A value of a difference, as a person reads it.
fn diff_value(page: &PageCtx, v: &ItineraryView, field: &str, value: &str) -> String {
    match field {
        "status" => {
            let a = page.code("action_status", value);
            if a != value {
                a
            } else {
                page.code("goal_status", value)
            }
        }
        "service" => page.code("service", value),
        "kind" => page.code("action_kind", value),
        "domain" => v
            .instrument
            .as_ref()
            .and_then(|i| i.domain(value))
            .map(|d| text_in(&d.label, page.lang.code()).to_string())
            .unwrap_or_else(|| value.to_string()),
        _ => value.to_string(),
    }
}

fn prof(m: &TeamMember) -> String {
    format!("{}@{}", m.user_id, m.organisation_id)
}

impl ShowPage {
    fn err(&self, form: &str, field: &str) -> Option<std::borrow::Cow<'static, str>> {
        (self.form == form)
            .then(|| self.errors.get(field))
            .flatten()
    }
    fn general(&self, form: &str) -> Option<&'static str> {
        (self.form == form).then(|| self.errors.general()).flatten()
    }
    /// The element id of a field of one of the page's forms.
    fn field_id(form: &str, field: &str) -> Option<&'static str> {
        Some(match (form, field) {
            ("goal", "domain") => "goal-domain",
            ("goal", "description") => "goal-description",
            ("goal", "target_on") => "goal-target",
            ("action", "goal_id") => "action-goal",
            ("action", "kind") => "action-kind",
            ("action", "service") => "action-service",
            ("action", "description") => "action-description",
            ("action", "responsible") => "action-responsible",
            ("action", "starts_on") => "action-starts",
            ("action", "due_on") => "action-due",
            ("plan", "commitments") => "commitments",
            ("plan", "language") => "plan-language",
            ("plan", "review_on") => "review-on",
            ("sign", "signed_on") => "signed-on",
            ("sign", "signatories") => "signatories",
            ("review", "reviewed_on") => "reviewed-on",
            ("review", "next_review_on") => "next-review-on",
            ("review", "progress") => "progress",
            _ => return None,
        })
    }
    /// The fields in error of `form`, as (element id, message), for its summary; a
    /// field without an element of its own links to the form.
    fn summary(&self, form: &str) -> Vec<(String, std::borrow::Cow<'static, str>)> {
        if self.form != form {
            return Vec::new();
        }
        self.errors
            .linked(|f| Self::field_id(form, f), &format!("{form}-form"))
    }
    fn domain_label(&self, code: &str) -> String {
        self.v
            .instrument
            .as_ref()
            .and_then(|i| i.domain(code))
            .map(|d| text_in(&d.label, self.page.lang.code()).to_string())
            .unwrap_or_else(|| code.to_string())
    }
    fn domains(&self) -> Vec<(String, String, bool)> {
        self.v
            .instrument
            .as_ref()
            .map(|i| {
                i.domains
                    .iter()
                    .map(|d| {
                        (
                            d.code.clone(),
                            text_in(&d.label, self.page.lang.code()).to_string(),
                            self.v.suggested_goal_domains.contains(&d.code),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
    fn goal_statuses(&self) -> Vec<(&'static str, String)> {
        GoalStatus::ALL
            .iter()
            .map(|s| (s.code(), self.page.code("goal_status", s.code())))
            .collect()
    }
    fn action_statuses(&self) -> Vec<(&'static str, String)> {
        ActionStatus::ALL
            .iter()
            .map(|s| (s.code(), self.page.code("action_status", s.code())))
            .collect()
    }
    fn services(&self) -> Vec<(&'static str, String)> {
        Service::ALL
            .iter()
            .map(|s| (s.code(), self.page.code("service", s.code())))
            .collect()
    }
    fn kinds(&self) -> Vec<(&'static str, String)> {
        ActionKind::ALL
            .iter()
            .map(|s| (s.code(), self.page.code("action_kind", s.code())))
            .collect()
    }
    fn team(&self) -> Vec<(String, String)> {
        self.v
            .team
            .iter()
            .map(|m| {
                (
                    prof(m),
                    format!("{} · {}", m.user_name, m.organisation_name),
                )
            })
            .collect()
    }
    fn langs(&self) -> Vec<(&'static str, &'static str)> {
        Lang::ALL
            .iter()
            .map(|l| (l.code(), l.native_name()))
            .collect()
    }
    fn goal_row(&self, g: &Goal) -> GoalInput {
        match &self.row_goal {
            Some(i) if self.form == format!("goal-{}", g.id) => i.clone(),
            _ => GoalInput {
                domain: g.domain.clone(),
                description: g.description.clone(),
                target_on: g.target_on.map(|d| d.to_string()).unwrap_or_default(),
                status: g.status.clone(),
                version: g.version.to_string(),
            },
        }
    }
    fn action_row(&self, a: &Action) -> ActionInput {
        match &self.row_action {
            Some(i) if self.form == format!("action-{}", a.id) => i.clone(),
            _ => ActionInput {
                goal_id: a.goal_id.map(|g| g.to_string()).unwrap_or_default(),
                kind: a.kind.clone(),
                service: a.service.clone(),
                description: a.description.clone(),
                responsible: format!("{}@{}", a.responsible_id, a.organisation_id),
                starts_on: a.starts_on.to_string(),
                due_on: a.due_on.to_string(),
                status: a.status.clone(),
                status_reason: a.status_reason.clone().unwrap_or_default(),
                version: a.version.to_string(),
            },
        }
    }
    fn goal_name(&self, id: &Option<Uuid>) -> String {
        id.and_then(|id| self.v.goals.iter().find(|g| g.id == id))
            .map(|g| g.description.clone())
            .unwrap_or_default()
    }
    fn diff_value(&self, field: &str, value: &str) -> String {
        diff_value(&self.page, &self.v, field, value)
    }
}

async fn show_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &Ctx,
    id: Uuid,
    errors: FormErrors,
    r: Retry,
) -> Result<ShowPage, ViewError> {
    let v = s.services.itinerary(&session.actor, ctx, id).await?;
    let plan = match r.plan {
        Some(p) if r.form == "plan" => p,
        _ => PlanInput {
            commitments: v
                .itinerary
                .as_ref()
                .map(|i| i.commitments.clone())
                .unwrap_or_default(),
            language: v
                .itinerary
                .as_ref()
                .map(|i| i.language.clone())
                .unwrap_or_else(|| "es".into()),
            review_on: v
                .itinerary
                .as_ref()
                .and_then(|i| i.review_on)
                .map(|d| d.to_string())
                .unwrap_or_default(),
            version: v.version(),
        },
    };
    let today = ctx.today().to_string();
    let goal_form = r.form == "goal";
    let action_form = r.form == "action";
    let row_goal = r.goal.clone().filter(|_| r.form.starts_with("goal-"));
    let row_action = r.action.clone().filter(|_| r.form.starts_with("action-"));
    Ok(ShowPage {
        page: PageCtx::new(lang, Some(session), "itinerary.title"),
        errors,
        plan,
        goal: r.goal.filter(|_| goal_form).unwrap_or_default(),
        action: r.action.filter(|_| action_form).unwrap_or(ActionInput {
            starts_on: today.clone(),
            responsible: format!(
                "{}@{}",
                session.actor.user_id, session.actor.organisation_id
            ),
            ..Default::default()
        }),
        sign: r.sign.unwrap_or(SignInput {
            signed_on: today.clone(),
            signatories: v.participant_name.clone(),
            version: v.version(),
        }),
        review: r.review.unwrap_or(ReviewInput {
            reviewed_on: today,
            ..Default::default()
        }),
        row_goal,
        row_action,
        form: r.form,
        v,
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
        &show_page(
            &s,
            lang,
            &session,
            &ctx,
            id,
            FormErrors::none(lang),
            Retry::default(),
        )
        .await?,
    ))
}

/// After a form: back to its section, or the page again with the errors and the input.
async fn done(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &Ctx,
    id: Uuid,
    result: Result<(), Error>,
    retry: Retry,
) -> ViewResult {
    let anchor = match retry.form.split('-').next().unwrap_or("") {
        "goal" => "goals",
        "action" => "actions",
        "sign" => "agreement",
        "review" => "reviews",
        _ => "plan",
    };
    form_result(
        lang,
        result,
        |_| format!("/cases/{id}/itinerary#{anchor}"),
        |errors| show_page(s, lang, session, ctx, id, errors, retry),
    )
    .await
}

async fn plan(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<PlanInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let r = s
        .services
        .update_plan(&session.actor, &ctx, id, &input)
        .await
        .map(|_| ());
    let retry = Retry {
        form: "plan".into(),
        plan: Some(input),
        ..Default::default()
    };
    done(&s, lang, &session, &ctx, id, r, retry).await
}

async fn add_goal(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<GoalInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let r = s
        .services
        .add_goal(&session.actor, &ctx, id, &input)
        .await
        .map(|_| ());
    let retry = Retry {
        form: "goal".into(),
        goal: Some(input),
        ..Default::default()
    };
    done(&s, lang, &session, &ctx, id, r, retry).await
}

async fn update_goal(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path((id, goal)): Path<(Uuid, Uuid)>,
    CsrfForm(input): CsrfForm<GoalInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let r = s
        .services
        .update_goal(&session.actor, &ctx, id, goal, &input)
        .await;
    let retry = Retry {
        form: format!("goal-{goal}"),
        goal: Some(input),
        ..Default::default()
    };
    done(&s, lang, &session, &ctx, id, r, retry).await
}

async fn add_action(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<ActionInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let r = s
        .services
        .add_action(&session.actor, &ctx, id, &input)
        .await
        .map(|_| ());
    let retry = Retry {
        form: "action".into(),
        action: Some(input),
        ..Default::default()
    };
    done(&s, lang, &session, &ctx, id, r, retry).await
}

async fn update_action(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path((id, action)): Path<(Uuid, Uuid)>,
    CsrfForm(input): CsrfForm<ActionInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let r = s
        .services
        .update_action(&session.actor, &ctx, id, action, &input)
        .await;
    let retry = Retry {
        form: format!("action-{action}"),
        action: Some(input),
        ..Default::default()
    };
    done(&s, lang, &session, &ctx, id, r, retry).await
}

async fn sign(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<SignInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let r = s
        .services
        .sign_agreement(&session.actor, &ctx, id, &input)
        .await
        .map(|_| ());
    let retry = Retry {
        form: "sign".into(),
        sign: Some(input),
        ..Default::default()
    };
    done(&s, lang, &session, &ctx, id, r, retry).await
}

async fn review(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<ReviewInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let r = s
        .services
        .review_itinerary(&session.actor, &ctx, id, &input)
        .await
        .map(|_| ());
    let retry = Retry {
        form: "review".into(),
        review: Some(input),
        ..Default::default()
    };
    done(&s, lang, &session, &ctx, id, r, retry).await
}

/// The agreement to print: a signed version, or the current draft.
#[derive(Template)]
#[template(path = "itineraries/agreement.html")]
struct AgreementPage {
    page: PageCtx,
    /// The agreement's own language (the participant's), for its texts.
    doc: PageCtx,
    v: ItineraryView,
    snapshot: Snapshot,
    number: Option<i32>,
    signed_on: Option<chrono::NaiveDate>,
    signatories: Vec<String>,
}

impl AgreementPage {
    fn domain_label(&self, code: &str) -> String {
        self.v
            .instrument
            .as_ref()
            .and_then(|i| i.domain(code))
            .map(|d| text_in(&d.label, self.doc.lang.code()).to_string())
            .unwrap_or_else(|| code.to_string())
    }
    /// The actions grouped by the service that owns them.
    fn supports(&self) -> Vec<(String, Vec<&itinera_domain::itinerary::SnapAction>)> {
        Service::ALL
            .iter()
            .filter_map(|s| {
                let list: Vec<_> = self
                    .snapshot
                    .actions
                    .iter()
                    .filter(|a| a.service == s.code() && a.status != "cancelled")
                    .collect();
                (!list.is_empty()).then(|| (self.doc.code("service", s.code()), list))
            })
            .collect()
    }
    fn commitments(&self) -> Vec<&str> {
        self.snapshot
            .commitments
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    }
    fn signature_lines(&self) -> Vec<String> {
        if self.signatories.is_empty() {
            let mut v = vec![self.v.participant_name.clone()];
            v.extend(
                self.v
                    .team
                    .iter()
                    .map(|m| format!("{} · {}", m.user_name, m.organisation_name)),
            );
            v
        } else {
            self.signatories.clone()
        }
    }
}

#[derive(Deserialize, Default)]
struct VersionParam {
    version: Option<i32>,
}

async fn agreement(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(q): Query<VersionParam>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let v = s.services.itinerary(&session.actor, &ctx, id).await?;
    let (snapshot, number, signed_on, signatories) = match q.version {
        Some(n) => {
            let x = v
                .versions
                .iter()
                .find(|x| x.number == n)
                .ok_or(Error::NotFound)?;
            (
                x.snapshot.clone(),
                Some(n),
                Some(x.signed_on),
                x.signatories.clone(),
            )
        }
        None => (v.draft.clone(), None, None, Vec::new()),
    };
    let doc_lang = Lang::parse(&snapshot.language).unwrap_or(lang);
    Ok(render(&AgreementPage {
        page: PageCtx::new(lang, Some(&session), "agreement.title"),
        doc: PageCtx::new(doc_lang, Some(&session), "agreement.title"),
        v,
        snapshot,
        number,
        signed_on,
        signatories,
    }))
}

#[derive(Template)]
#[template(path = "itineraries/differences.html")]
struct DiffPage {
    page: PageCtx,
    v: ItineraryView,
    from: i32,
    to: Option<i32>,
    differences: Vec<Difference>,
}

impl DiffPage {
    fn diff_value(&self, field: &str, value: &str) -> String {
        diff_value(&self.page, &self.v, field, value)
    }
}

async fn differences(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(q): Query<DiffQuery>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let (from, to) = q.versions()?;
    let v = s.services.itinerary(&session.actor, &ctx, id).await?;
    let differences = v.differences(from, to)?;
    Ok(render(&DiffPage {
        page: PageCtx::new(lang, Some(&session), "itinerary.differences"),
        v,
        from,
        to,
        differences,
    }))
}
