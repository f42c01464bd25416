//! A case's placements page: its contracts with their follow-up and retention checks,
//! the form to register a contract, and on each contract the forms to record its end
//! and its retention checks. A rejected form comes back with what was typed, next to
//! the contract it was typed for. A workplace tutor's page (`/tutoring`) lists the
//! placements they tutor, each with the way to report an incident.

use crate::http::Path;
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use itinera_domain::placement::{
    ContractEndInput, ContractInput, EndReason, RetentionInput, RetentionOutcome, TutorInput,
};
use itinera_i18n::Lang;
use itinera_service::auth::SessionInfo;
use itinera_service::placements::{ContractsView, TutoredContract};
use itinera_service::Ctx;
use uuid::Uuid;

use crate::http::{lang_of, RequestCtx};
use crate::views::page::{
    form_result, render, CsrfForm, FormErrors, PageCtx, Session, ViewError, ViewResult,
};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cases/{id}/contracts", get(show).post(create))
        .route("/cases/{case}/contracts/{id}/end", post(end))
        .route("/cases/{case}/contracts/{id}/tutor", post(tutor))
        .route("/cases/{case}/retention-checks/{id}", post(retention))
        .route("/tutoring", get(tutoring))
}

#[derive(Template)]
#[template(path = "placements/tutoring.html")]
struct TutoringPage {
    page: PageCtx,
    contracts: Vec<TutoredContract>,
}

async fn tutoring(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
) -> ViewResult {
    let lang = lang_of(&headers);
    let contracts = s.services.tutored_contracts(&session.actor, &ctx).await?;
    Ok(render(&TutoringPage {
        page: PageCtx::new(lang, Some(&session), "tutoring.title"),
        contracts,
    }))
}

#[derive(Template)]
#[template(path = "placements/show.html")]
struct ShowPage {
    page: PageCtx,
    v: ContractsView,
    input: ContractInput,
    errors: FormErrors,
    /// The contract or retention check whose form was rejected, with what was typed.
    target: Option<Uuid>,
    end_input: ContractEndInput,
    retention_input: RetentionInput,
    /// The tutor chosen, when the refused form was a contract's change of tutor.
    tutor_input: Option<TutorInput>,
    item_errors: FormErrors,
}

impl ShowPage {
    fn is_target(&self, id: &Uuid) -> bool {
        self.target == Some(*id) && self.tutor_input.is_none()
    }
    fn is_tutor_target(&self, id: &Uuid) -> bool {
        self.target == Some(*id) && self.tutor_input.is_some()
    }
    /// Whether `tutor` is the one selected in contract `k`'s tutor form: as chosen in a
    /// refused form, or as saved.
    fn tutor_selected(&self, k: &itinera_service::placements::Contract, tutor: &Uuid) -> bool {
        match &self.tutor_input {
            Some(t) if self.target == Some(k.id) => t.tutor_id.trim() == tutor.to_string(),
            _ => k.tutor_id == Some(*tutor),
        }
    }
    /// The message of a field of one item's form (its errors are named `field-{id}`,
    /// the field's element id, so that the summary's links reach it).
    fn item_err(&self, field: &str, id: &Uuid) -> Option<std::borrow::Cow<'static, str>> {
        self.item_errors.get(&format!("{field}-{id}"))
    }
    fn end_reasons(&self) -> Vec<(&'static str, String)> {
        EndReason::ALL
            .iter()
            .map(|k| (k.code(), self.page.code("end_reason", k.code())))
            .collect()
    }
    fn outcomes(&self) -> Vec<(&'static str, String)> {
        RetentionOutcome::ALL
            .iter()
            .map(|k| (k.code(), self.page.code("retention_outcome", k.code())))
            .collect()
    }
    fn hours(&self, h: &f64) -> String {
        self.page.number(*h, 2)
    }
}

struct Rejected {
    target: Option<Uuid>,
    end_input: ContractEndInput,
    retention_input: RetentionInput,
    tutor_input: Option<TutorInput>,
    item_errors: FormErrors,
}

impl Rejected {
    fn none(lang: Lang) -> Self {
        Rejected {
            target: None,
            end_input: ContractEndInput::default(),
            retention_input: RetentionInput::default(),
            tutor_input: None,
            item_errors: FormErrors::none(lang),
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &Ctx,
    id: Uuid,
    input: ContractInput,
    errors: FormErrors,
    rejected: Rejected,
) -> Result<ShowPage, ViewError> {
    Ok(ShowPage {
        page: PageCtx::new(lang, Some(session), "placement.title"),
        v: s.services.contracts(&session.actor, ctx, id).await?,
        input,
        errors,
        target: rejected.target,
        end_input: rejected.end_input,
        retention_input: rejected.retention_input,
        tutor_input: rejected.tutor_input,
        item_errors: rejected.item_errors,
    })
}

fn blank(ctx: &Ctx) -> ContractInput {
    ContractInput {
        start_on: ctx.today().to_string(),
        ..Default::default()
    }
}

async fn show(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let input = blank(&ctx);
    Ok(render(
        &page(
            &s,
            lang,
            &session,
            &ctx,
            id,
            input,
            FormErrors::none(lang),
            Rejected::none(lang),
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
    CsrfForm(input): CsrfForm<ContractInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .record_contract(&session.actor, &ctx, id, &input)
        .await;
    form_result(
        lang,
        result,
        |k| format!("/cases/{id}/contracts#contract-{k}"),
        |errors| {
            page(
                &s,
                lang,
                &session,
                &ctx,
                id,
                input,
                errors,
                Rejected::none(lang),
            )
        },
    )
    .await
}

async fn end(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path((case, id)): Path<(Uuid, Uuid)>,
    CsrfForm(input): CsrfForm<ContractEndInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .end_contract(&session.actor, &ctx, id, &input)
        .await;
    form_result(
        lang,
        result,
        |_| format!("/cases/{case}/contracts#contract-{id}"),
        |item_errors| {
            page(
                &s,
                lang,
                &session,
                &ctx,
                case,
                blank(&ctx),
                FormErrors::none(lang),
                Rejected {
                    target: Some(id),
                    end_input: input,
                    retention_input: RetentionInput::default(),
                    tutor_input: None,
                    item_errors: item_errors.renamed(|f| format!("{f}-{id}")),
                },
            )
        },
    )
    .await
}

async fn retention(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path((case, id)): Path<(Uuid, Uuid)>,
    CsrfForm(input): CsrfForm<RetentionInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .record_retention(&session.actor, &ctx, id, &input)
        .await;
    form_result(
        lang,
        result,
        |_| format!("/cases/{case}/contracts#retention-{id}"),
        |item_errors| {
            page(
                &s,
                lang,
                &session,
                &ctx,
                case,
                blank(&ctx),
                FormErrors::none(lang),
                Rejected {
                    target: Some(id),
                    end_input: ContractEndInput::default(),
                    retention_input: input,
                    tutor_input: None,
                    item_errors: item_errors.renamed(|f| format!("{f}-{id}")),
                },
            )
        },
    )
    .await
}

async fn tutor(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path((case, id)): Path<(Uuid, Uuid)>,
    CsrfForm(input): CsrfForm<TutorInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .change_contract_tutor(&session.actor, &ctx, id, &input)
        .await;
    form_result(
        lang,
        result,
        |_| format!("/cases/{case}/contracts#contract-{id}"),
        |item_errors| {
            page(
                &s,
                lang,
                &session,
                &ctx,
                case,
                blank(&ctx),
                FormErrors::none(lang),
                Rejected {
                    target: Some(id),
                    end_input: ContractEndInput::default(),
                    retention_input: RetentionInput::default(),
                    tutor_input: Some(input),
                    item_errors: item_errors.renamed(|f| format!("{f}-{id}")),
                },
            )
        },
    )
    .await
}
