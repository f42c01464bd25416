//! The data-protection office's pages: a record's privacy page (`/privacy/records/{id}`:
//! restriction, legal holds, erasure) and the retention rules and runs
//! (`/privacy/retention`, administrators set the rules). The subject-access page and
//! the record of processing activities are in `audit`.

use crate::http::Path;
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use itinera_domain::privacy::{
    LegalHoldInput, PeriodUnit, PrivacyRequestInput, RecordKind, RetentionRuleInput,
};
use itinera_domain::{Error, Errors};
use itinera_i18n::Lang;
use itinera_service::auth::SessionInfo;
use itinera_service::privacy::{PrivacyRecord, RetentionRule, RetentionRun, RetentionRunInput};
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

use crate::http::{lang_of, RequestCtx};
use crate::views::page::{
    form_result, render, CsrfForm, FormErrors, PageCtx, Session, ViewError, ViewResult,
};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/privacy/records/{id}", get(record))
        .route("/privacy/records/{id}/restriction", post(restriction))
        .route("/privacy/records/{id}/legal-holds", post(place_hold))
        .route("/privacy/legal-holds/{id}/release", post(release_hold))
        .route("/privacy/records/{id}/erasure", post(erase))
        .route("/privacy/retention", get(retention))
        .route("/privacy/retention/rules", post(set_rules))
        .route("/privacy/retention/runs", post(run))
        .route("/privacy/retention/runs/{id}", get(run_page))
}

// ---- A record --------------------------------------------------------------------

#[derive(Template)]
#[template(path = "privacy/record.html")]
struct RecordPage {
    page: PageCtx,
    r: PrivacyRecord,
    restrict: PrivacyRequestInput,
    restrict_errors: FormErrors,
    hold: LegalHoldInput,
    hold_errors: FormErrors,
    erase: EraseForm,
    erase_errors: FormErrors,
    /// What was just done (a translation key).
    done: Option<&'static str>,
}

impl RecordPage {
    fn hold_kind(&self, h: &itinera_domain::privacy::Hold) -> String {
        let what = self.page.code("erasure.hold", h.kind.code());
        match h.until {
            Some(d) => format!(
                "{} {}",
                self.page.tv("erasure.hold_until", "what", what),
                self.page.date(&d)
            ),
            None => what,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct EraseForm {
    reference: String,
    reason: String,
    confirm: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct RestrictionForm {
    /// `restrict` or `lift`.
    action: String,
    reference: String,
    reason: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DoneQuery {
    done: String,
}

fn done_key(s: &str) -> Option<&'static str> {
    Some(match s {
        "restricted" => "privacy.done.restricted",
        "lifted" => "privacy.done.lifted",
        "held" => "privacy.done.held",
        "released" => "privacy.done.released",
        "erased" => "privacy.done.erased",
        _ => return None,
    })
}

struct Forms {
    restrict: PrivacyRequestInput,
    restrict_errors: Option<FormErrors>,
    hold: LegalHoldInput,
    hold_errors: Option<FormErrors>,
    erase: EraseForm,
    erase_errors: Option<FormErrors>,
}

impl Forms {
    fn empty() -> Forms {
        Forms {
            restrict: PrivacyRequestInput::default(),
            restrict_errors: None,
            hold: LegalHoldInput::default(),
            hold_errors: None,
            erase: EraseForm::default(),
            erase_errors: None,
        }
    }
}

async fn record_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &itinera_service::Ctx,
    id: Uuid,
    f: Forms,
    done: Option<&'static str>,
) -> Result<RecordPage, ViewError> {
    let r = s.services.privacy_record(&session.actor, ctx, id).await?;
    Ok(RecordPage {
        page: PageCtx::new(lang, Some(session), "privacy.record.title"),
        r,
        restrict: f.restrict,
        restrict_errors: f.restrict_errors.unwrap_or(FormErrors::none(lang)),
        hold: f.hold,
        hold_errors: f.hold_errors.unwrap_or(FormErrors::none(lang)),
        erase: f.erase,
        erase_errors: f.erase_errors.unwrap_or(FormErrors::none(lang)),
        done,
    })
}

async fn record(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    crate::http::Query(q): crate::http::Query<DoneQuery>,
) -> ViewResult {
    let lang = lang_of(&headers);
    Ok(render(
        &record_page(
            &s,
            lang,
            &session,
            &ctx,
            id,
            Forms::empty(),
            done_key(&q.done),
        )
        .await?,
    ))
}

async fn restriction(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<RestrictionForm>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let req = PrivacyRequestInput {
        reference: input.reference.clone(),
        reason: input.reason.clone(),
    };
    let lift = input.action == "lift";
    let result = if lift {
        s.services
            .lift_restriction(&session.actor, &ctx, id, &req)
            .await
    } else {
        s.services.restrict(&session.actor, &ctx, id, &req).await
    };
    form_result(
        lang,
        result,
        |_| {
            format!(
                "/privacy/records/{id}?done={}",
                if lift { "lifted" } else { "restricted" }
            )
        },
        |errors| {
            let mut f = Forms::empty();
            f.restrict = req.clone();
            f.restrict_errors = Some(errors);
            record_page(&s, lang, &session, &ctx, id, f, None)
        },
    )
    .await
}

async fn place_hold(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<LegalHoldInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .place_legal_hold(&session.actor, &ctx, id, &input)
        .await;
    form_result(
        lang,
        result,
        |_| format!("/privacy/records/{id}?done=held"),
        |errors| {
            let mut f = Forms::empty();
            f.hold = input.clone();
            f.hold_errors = Some(errors.renamed(|n| format!("hold-{n}")));
            record_page(&s, lang, &session, &ctx, id, f, None)
        },
    )
    .await
}

async fn release_hold(
    State(s): State<AppState>,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(hold): Path<Uuid>,
    CsrfForm(_): CsrfForm<HashMap<String, String>>,
) -> ViewResult {
    match s
        .services
        .release_legal_hold(&session.actor, &ctx, hold)
        .await
    {
        Ok(h) => Ok(crate::views::page::see_other(&format!(
            "/privacy/records/{}?done=released",
            h.participant_id
        ))),
        Err(e) => Err(e.into()),
    }
}

async fn erase(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<EraseForm>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let req = PrivacyRequestInput {
        reference: input.reference.clone(),
        reason: input.reason.clone(),
    };
    let result = if input.confirm == "yes" {
        s.services.erase(&session.actor, &ctx, id, &req).await
    } else {
        // The request's own errors and the missing confirmation, together.
        let mut e = Errors::new();
        if let Err(Error::Invalid(fields)) = req.validate() {
            for f in fields {
                e.add(f.field, f.code);
            }
        }
        e.add("confirm", "erasure.confirm_required");
        Err(e
            .finish()
            .err()
            .unwrap_or(Error::Rule("erasure.confirm_required")))
    };
    form_result(
        lang,
        result,
        |_| format!("/privacy/records/{id}?done=erased"),
        |errors| {
            let mut f = Forms::empty();
            f.erase = input.clone();
            f.erase_errors = Some(errors.renamed(|n| format!("erase-{n}")));
            record_page(&s, lang, &session, &ctx, id, f, None)
        },
    )
    .await
}

// ---- Retention ---------------------------------------------------------------------

#[derive(Template)]
#[template(path = "privacy/retention.html")]
struct RetentionPage {
    page: PageCtx,
    rules: Vec<RetentionRule>,
    runs: Vec<RetentionRun>,
    /// The periods as typed, by kind.
    typed: HashMap<String, String>,
    rule_errors: FormErrors,
    run_errors: FormErrors,
    /// The data-protection office: runs the rules for real.
    office: bool,
}

impl RetentionPage {
    fn any_settable(&self) -> bool {
        self.rules.iter().any(|r| r.settable)
    }
}

impl RetentionPage {
    fn typed(&self, r: &RetentionRule) -> String {
        self.typed
            .get(r.kind.code())
            .cloned()
            .unwrap_or_else(|| r.period.map(|p| p.to_string()).unwrap_or_default())
    }
    fn field(&self, r: &RetentionRule) -> String {
        format!("period_{}", r.kind.code())
    }
    fn unit(&self, r: &RetentionRule) -> &'static str {
        match r.unit {
            PeriodUnit::Years => self.page.t("retention.unit.years"),
            PeriodUnit::Days => self.page.t("retention.unit.days"),
        }
    }
    fn period(&self, r: &RetentionRule) -> String {
        match r.period {
            Some(p) => format!("{} {}", p, self.unit(r)),
            None => self.page.t("retention.kept").to_string(),
        }
    }
    fn default_period(&self, r: &RetentionRule) -> String {
        match r.default_period {
            Some(p) => format!("{} {}", p, self.unit(r)),
            None => self.page.t("retention.kept").to_string(),
        }
    }
    fn total(&self, run: &RetentionRun) -> u64 {
        run.lines.iter().map(|l| l.done).sum()
    }
}

async fn retention_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    typed: HashMap<String, String>,
    rule_errors: FormErrors,
    run_errors: FormErrors,
) -> Result<RetentionPage, ViewError> {
    Ok(RetentionPage {
        page: PageCtx::new(lang, Some(session), "retention.title"),
        rules: s.services.retention_rules(&session.actor).await?,
        runs: s.services.retention_runs(&session.actor).await?,
        typed,
        rule_errors,
        run_errors,
        office: itinera_service::privacy::require_office(&session.actor).is_ok(),
    })
}

async fn retention(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
) -> ViewResult {
    let lang = lang_of(&headers);
    Ok(render(
        &retention_page(
            &s,
            lang,
            &session,
            HashMap::new(),
            FormErrors::none(lang),
            FormErrors::none(lang),
        )
        .await?,
    ))
}

async fn set_rules(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    CsrfForm(form): CsrfForm<HashMap<String, String>>,
) -> ViewResult {
    let lang = lang_of(&headers);
    // Every period the reader sets checked first: all are saved, or none.
    let mut typed = HashMap::new();
    let mut inputs = Vec::new();
    for kind in RecordKind::ALL
        .iter()
        .filter(|k| itinera_service::privacy::may_set_retention(&session.actor, **k))
    {
        let raw = form
            .get(&format!("period_{}", kind.code()))
            .cloned()
            .unwrap_or_default();
        inputs.push((
            *kind,
            RetentionRuleInput {
                period: raw.clone(),
            },
        ));
        typed.insert(kind.code().to_string(), raw);
    }
    let result = s
        .services
        .set_retention_rules(&session.actor, &ctx, &inputs)
        .await;
    form_result(
        lang,
        result,
        |_| "/privacy/retention".to_string(),
        |errors| retention_page(&s, lang, &session, typed, errors, FormErrors::none(lang)),
    )
    .await
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct RunForm {
    /// `dry` or `real`.
    mode: String,
    confirm: String,
}

async fn run(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    CsrfForm(form): CsrfForm<RunForm>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let dry = form.mode != "real";
    let result = if !dry && form.confirm != "yes" {
        Err(Error::field("confirm", "retention.confirm_required"))
    } else {
        s.services
            .run_retention(&session.actor, &ctx, &RetentionRunInput { dry_run: dry })
            .await
    };
    form_result(
        lang,
        result,
        |r| format!("/privacy/retention/runs/{}", r.id),
        |errors| {
            retention_page(
                &s,
                lang,
                &session,
                HashMap::new(),
                FormErrors::none(lang),
                errors,
            )
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "privacy/run.html")]
struct RunPage {
    page: PageCtx,
    run: RetentionRun,
}

impl RunPage {
    fn kind(&self, code: &str) -> String {
        self.page.code("retention.kind", code)
    }
    fn period(&self, l: &itinera_service::privacy::RetentionLine) -> String {
        let unit = match RecordKind::parse(&l.kind).map(RecordKind::unit) {
            Some(PeriodUnit::Years) => self.page.t("retention.unit.years"),
            _ => self.page.t("retention.unit.days"),
        };
        match l.period {
            Some(p) => format!("{p} {unit}"),
            None => self.page.t("retention.kept").to_string(),
        }
    }
}

async fn run_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    Path(id): Path<Uuid>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let run = s.services.retention_run(&session.actor, id).await?;
    Ok(render(&RunPage {
        page: PageCtx::new(lang, Some(&session), "retention.run.title"),
        run,
    }))
}
