//! Participant pages: search, register, record, edit, consents.

use crate::http::{Path, Query};
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use itinera_domain::consent::{ConsentInput, Purpose};
use itinera_domain::documents::DocumentKind;
use itinera_domain::org::OrganisationKind;
use itinera_domain::participant::{
    DocumentInput, LabourStatus, ParticipantInput, Sex, COMMON_NATIONALITIES,
};
use itinera_domain::{Page, PageRequest};
use itinera_i18n::Lang;
use itinera_service::admin::{Organisation, Territory};
use itinera_service::participants::ParticipantSummary as Summary;
use itinera_service::participants::ParticipantView;
use serde::Deserialize;
use uuid::Uuid;

use crate::http::{lang_of, RequestCtx};
use crate::views::page::{
    form_result, render, render_invalid, see_other, CsrfForm, FormErrors, PageCtx, Session,
    ViewResult,
};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/participants", get(index).post(create))
        .route("/participants/search", post(search))
        .route("/participants/new", get(new))
        .route("/participants/{id}", get(show))
        .route("/participants/{id}/edit", get(edit).post(update))
        .route(
            "/participants/{id}/consents/new",
            get(new_consent).post(create_consent),
        )
        .route(
            "/consents/{id}/withdraw",
            get(confirm_withdraw).post(withdraw),
        )
}

#[derive(Template)]
#[template(path = "participants/search.html")]
struct SearchPage {
    page: PageCtx,
    q: String,
    results: Page<Summary>,
}

#[derive(Deserialize, Default)]
struct PageQuery {
    page: Option<u32>,
}

async fn index(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Query(q): Query<PageQuery>,
) -> ViewResult {
    let page = PageCtx::new(lang_of(&headers), Some(&session), "participants.title");
    let results = s
        .services
        .search_participants(&session.actor, &ctx, "", PageRequest::new(q.page, None))
        .await?;
    Ok(render(&SearchPage {
        page,
        q: String::new(),
        results,
    }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SearchInput {
    q: String,
    page: Option<String>,
}

/// Search terms are posted, so that names never appear in URLs or access logs.
async fn search(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    CsrfForm(input): CsrfForm<SearchInput>,
) -> ViewResult {
    let page = PageCtx::new(lang_of(&headers), Some(&session), "participants.title");
    let n = input.page.as_deref().and_then(|p| p.parse().ok());
    let results = s
        .services
        .search_participants(&session.actor, &ctx, &input.q, PageRequest::new(n, None))
        .await?;
    Ok(render(&SearchPage {
        page,
        q: input.q,
        results,
    }))
}

#[derive(Template)]
#[template(path = "participants/form.html")]
struct FormPage {
    page: PageCtx,
    errors: FormErrors,
    input: ParticipantInput,
    /// `None` when registering.
    id: Option<Uuid>,
    version: i32,
    territories: Vec<Territory>,
}

impl FormPage {
    fn sexes(&self) -> Vec<(&'static str, String)> {
        Sex::ALL
            .iter()
            .map(|s| (s.code(), self.page.code("sex", s.code())))
            .collect()
    }
    fn labour(&self) -> Vec<(&'static str, String)> {
        LabourStatus::ALL
            .iter()
            .map(|s| (s.code(), self.page.code("labour", s.code())))
            .collect()
    }
    fn document_kinds(&self) -> Vec<(&'static str, String)> {
        DocumentKind::ALL
            .iter()
            .map(|k| (k.code(), self.page.code("document", k.code())))
            .collect()
    }
    /// The common nationalities, and the record's own when it is another (an import
    /// or the API may hold any ISO code): saving the form never loses it.
    fn nationalities(&self) -> Vec<(String, String)> {
        let mut list: Vec<(String, String)> = COMMON_NATIONALITIES
            .iter()
            .map(|c| (c.to_string(), self.page.code("country", c)))
            .collect();
        let own = self.input.nationality.trim();
        if !own.is_empty() && !COMMON_NATIONALITIES.contains(&own) {
            list.push((own.to_string(), own.to_string()));
        }
        list
    }
    fn isced(&self) -> Vec<(String, String)> {
        (0..=8)
            .map(|i| (i.to_string(), self.page.code("isced", &i.to_string())))
            .collect()
    }
    fn territory_selected(&self, id: &Uuid) -> bool {
        self.input.territory_id == id.to_string()
    }
    /// Two document rows at least, so that a second document can be added.
    fn document_rows(&self) -> Vec<(usize, DocumentInput)> {
        let mut d = self.input.documents.clone();
        while d.len() < 2 {
            d.push(DocumentInput::default());
        }
        d.into_iter().enumerate().collect()
    }
    fn doc_error(&self, i: &usize, part: &str) -> Option<std::borrow::Cow<'static, str>> {
        self.errors.get(&format!("documents.{i}.{part}"))
    }
}

async fn form_page(
    s: &AppState,
    lang: Lang,
    session: &itinera_service::auth::SessionInfo,
    input: ParticipantInput,
    errors: FormErrors,
    id: Option<Uuid>,
    version: i32,
) -> Result<FormPage, crate::views::page::ViewError> {
    let title = if id.is_some() {
        "participant.edit"
    } else {
        "participant.new"
    };
    Ok(FormPage {
        page: PageCtx::new(lang, Some(session), title),
        errors,
        input,
        id,
        version,
        territories: s.services.territories(&session.actor).await?,
    })
}

async fn new(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
) -> ViewResult {
    let lang = lang_of(&headers);
    session
        .actor
        .require(itinera_domain::access::Capability::WritePersonData)?;
    let input = ParticipantInput {
        dependants: "0".into(),
        ..Default::default()
    };
    Ok(render(
        &form_page(&s, lang, &session, input, FormErrors::none(lang), None, 0).await?,
    ))
}

/// What was typed laid over a record's own form: every field typed replaces hers,
/// and her documents stay with those typed added.
fn typed_over(record: ParticipantInput, typed: &ParticipantInput) -> ParticipantInput {
    use serde_json::Value;
    let (Ok(Value::Object(mut base)), Ok(Value::Object(over))) =
        (serde_json::to_value(&record), serde_json::to_value(typed))
    else {
        return record;
    };
    for (k, v) in over {
        let given = match &v {
            // The new form's dependants start at 0: not something typed.
            Value::String(t) if k == "dependants" => !matches!(t.trim(), "" | "0"),
            Value::String(t) => !t.trim().is_empty(),
            Value::Bool(b) => *b,
            Value::Array(a) => !a.is_empty(),
            Value::Null => false,
            _ => true,
        };
        if !given {
            continue;
        }
        if k == "documents" {
            let mut docs = match base.remove("documents") {
                Some(Value::Array(d)) => d,
                _ => Vec::new(),
            };
            if let Value::Array(new) = v {
                for d in new {
                    let number = d.get("number").and_then(Value::as_str).unwrap_or("").trim();
                    let same = |x: &Value| {
                        x.get("kind") == d.get("kind")
                            && x.get("number").and_then(Value::as_str).map(str::trim)
                                == Some(number)
                    };
                    if !number.is_empty() && !docs.iter().any(same) {
                        docs.push(d);
                    }
                }
            }
            base.insert(k, Value::Array(docs));
        } else {
            base.insert(k, v);
        }
    }
    serde_json::from_value(Value::Object(base)).unwrap_or(record)
}

async fn create(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    CsrfForm(input): CsrfForm<ParticipantInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    match s
        .services
        .register_participant(&session.actor, &ctx, &input)
        .await
    {
        // A plain new person needs no word from the index; anything else is told.
        Ok(r) if r.link.outcome == "new" => Ok(see_other(&format!("/participants/{}", r.id))),
        // The person is already recorded here: nothing was created. What was typed is
        // not lost: the record's edit form comes back with it laid over the record
        // (documents added to hers), to save or to leave.
        Ok(r) if r.link.outcome == "existing" => {
            let v = s.services.participant(&session.actor, &ctx, r.id).await?;
            let merged = typed_over(v.participant.data.to_input(), &input);
            let errors = FormErrors::from_error(
                lang,
                itinera_domain::Error::Rule("participant.existing_typed_kept"),
            )?;
            Ok(render(
                &form_page(
                    &s,
                    lang,
                    &session,
                    merged,
                    errors,
                    Some(r.id),
                    v.participant.version,
                )
                .await?,
            ))
        }
        Ok(r) => Ok(see_other(&format!(
            "/participants/{}?index={}",
            r.id, r.link.outcome
        ))),
        Err(e) => {
            let errors = FormErrors::from_error(lang, e)?;
            Ok(render_invalid(
                &form_page(&s, lang, &session, input, errors, None, 0).await?,
            ))
        }
    }
}

#[derive(Deserialize, Default)]
struct ShowParams {
    index: Option<String>,
}

#[derive(Template)]
#[template(path = "participants/show.html")]
struct ShowPage {
    page: PageCtx,
    v: ParticipantView,
    /// What the master index did, after a registration or an unmerge.
    notice: Option<&'static str>,
}

impl ShowPage {
    fn side(&self, s: &itinera_service::linkage::Side) -> String {
        super::linkage::side_label(&self.page, s)
    }
    fn percent(&self, p: &f64) -> String {
        self.page.percent1(*p)
    }
    fn flags(&self) -> Vec<String> {
        let d = &self.v.participant.data;
        [
            ("disability", d.disability),
            ("disability_declined", d.disability_declined),
            ("single_parent", d.single_parent),
            ("homeless", d.homeless),
            ("migrant", d.migrant),
            ("minority", d.minority),
            ("minority_declined", d.minority_declined),
            ("rural", d.rural),
        ]
        .iter()
        .filter(|(_, on)| *on)
        .map(|(k, _)| self.page.t(&format!("participant.{k}")).to_string())
        .collect()
    }
    /// No sharing consent in force: the page asks for one (right after a registration
    /// too), to those who may record it.
    fn consent_missing(&self) -> bool {
        !self
            .v
            .consents
            .iter()
            .any(|c| c.state == "active" && c.consent.purpose == "sharing")
    }
    fn basis_code(&self) -> &'static str {
        match self.v.basis {
            itinera_domain::access::Basis::Registered => "registered",
            itinera_domain::access::Basis::TeamWithConsent => "team_with_consent",
            itinera_domain::access::Basis::Scoped => "scoped",
        }
    }
    fn nationality(&self) -> String {
        self.v
            .participant
            .data
            .nationality
            .as_deref()
            .map(|c| self.page.code("country", c))
            .unwrap_or_default()
    }
    fn isced(&self) -> String {
        self.v
            .participant
            .data
            .isced_level
            .map(|i| self.page.code("isced", &i.to_string()))
            .unwrap_or_default()
    }
}

async fn show(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(q): Query<ShowParams>,
) -> ViewResult {
    let page = PageCtx::new(lang_of(&headers), Some(&session), "participant.title");
    let v = s.services.participant(&session.actor, &ctx, id).await?;
    let notice = match q.index.as_deref() {
        Some("linked") => Some("linkage.notice.linked"),
        Some("review") => Some("linkage.notice.review"),
        Some("existing") => Some("linkage.notice.existing"),
        Some("unmerged") => Some("linkage.notice.unmerged"),
        _ => None,
    };
    Ok(render(&ShowPage { page, v, notice }))
}

async fn edit(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ViewResult {
    let lang = lang_of(&headers);
    session
        .actor
        .require_person(itinera_domain::access::Capability::WritePersonData)?;
    let v = s.services.participant(&session.actor, &ctx, id).await?;
    let input = v.participant.data.to_input();
    Ok(render(
        &form_page(
            &s,
            lang,
            &session,
            input,
            FormErrors::none(lang),
            Some(id),
            v.participant.version,
        )
        .await?,
    ))
}

#[derive(Deserialize)]
struct EditInput {
    #[serde(default)]
    version: String,
    #[serde(flatten)]
    data: ParticipantInput,
}

async fn update(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<EditInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let version: i32 = input.version.parse().unwrap_or(0);
    let result = s
        .services
        .update_participant(&session.actor, &ctx, id, version, &input.data)
        .await;
    // Someone saved the record meanwhile: the form comes back with what was typed, on
    // the version saved now (so that saving again keeps this version), saying so.
    if matches!(
        result,
        Err(itinera_domain::Error::Conflict("error.stale_version"))
    ) {
        let now = s.services.participant(&session.actor, &ctx, id).await?;
        let errors = FormErrors::from_error(
            lang,
            itinera_domain::Error::Conflict("participant.changed_meanwhile"),
        )?;
        return Ok(render_invalid(
            &form_page(
                &s,
                lang,
                &session,
                input.data,
                errors,
                Some(id),
                now.participant.version,
            )
            .await?,
        ));
    }
    form_result(
        lang,
        result,
        |_| format!("/participants/{id}"),
        |errors| form_page(&s, lang, &session, input.data, errors, Some(id), version),
    )
    .await
}

#[derive(Template)]
#[template(path = "participants/consent_form.html")]
struct ConsentPage {
    page: PageCtx,
    /// Where to go once saved (a local path: the referral form that asked for it).
    then: Option<String>,
    errors: FormErrors,
    id: Uuid,
    name: String,
    input: ConsentInput,
    organisations: Vec<Organisation>,
}

impl ConsentPage {
    fn purposes(&self) -> Vec<(&'static str, String)> {
        Purpose::ALL
            .iter()
            .map(|p| (p.code(), self.page.code("purpose", p.code())))
            .collect()
    }
    fn kinds(&self) -> Vec<(&'static str, String, bool)> {
        OrganisationKind::ALL
            .iter()
            .map(|k| {
                (
                    k.code(),
                    self.page.code("org_kind", k.code()),
                    self.input.organisation_kinds.iter().any(|x| x == k.code()),
                )
            })
            .collect()
    }
    fn org_checked(&self, id: &Uuid) -> bool {
        self.input
            .organisations
            .iter()
            .any(|x| *x == id.to_string())
    }
}

#[allow(clippy::too_many_arguments)]
async fn consent_page(
    s: &AppState,
    lang: Lang,
    session: &itinera_service::auth::SessionInfo,
    ctx: &itinera_service::Ctx,
    id: Uuid,
    input: ConsentInput,
    errors: FormErrors,
    then: Option<String>,
) -> Result<ConsentPage, crate::views::page::ViewError> {
    let v = s.services.participant(&session.actor, ctx, id).await?;
    Ok(ConsentPage {
        page: PageCtx::new(lang, Some(session), "consent.new"),
        then,
        errors,
        id,
        name: v.participant.data.full_name(),
        input,
        organisations: s.services.organisations().await?,
    })
}

/// `?organisation=` ticks an organisation (a referral's receiver that the consent
/// does not cover yet); `?then=` is where to go once saved (a local path).
#[derive(Deserialize, Default)]
#[serde(default)]
struct ConsentParams {
    organisation: String,
    then: String,
}

impl ConsentParams {
    fn then(&self) -> Option<String> {
        crate::http::local_path(&self.then).map(str::to_string)
    }
}

async fn new_consent(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    crate::http::Query(q): crate::http::Query<ConsentParams>,
) -> ViewResult {
    let lang = lang_of(&headers);
    session
        .actor
        .require_person(itinera_domain::access::Capability::WritePersonData)?;
    let organisations = match Uuid::parse_str(q.organisation.trim()) {
        Ok(o) => vec![o.to_string()],
        Err(_) => Vec::new(),
    };
    let input = ConsentInput {
        purpose: "sharing".into(),
        given_on: ctx.today().to_string(),
        organisations,
        ..Default::default()
    };
    Ok(render(
        &consent_page(
            &s,
            lang,
            &session,
            &ctx,
            id,
            input,
            FormErrors::none(lang),
            q.then(),
        )
        .await?,
    ))
}

async fn create_consent(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    crate::http::Query(q): crate::http::Query<ConsentParams>,
    CsrfForm(input): CsrfForm<ConsentInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .add_consent(&session.actor, &ctx, id, &input)
        .await;
    let then = q.then();
    form_result(
        lang,
        result,
        |_| {
            then.clone()
                .unwrap_or_else(|| format!("/participants/{id}#consents"))
        },
        |errors| consent_page(&s, lang, &session, &ctx, id, input, errors, then.clone()),
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WithdrawInput {
    withdrawn_on: String,
    note: String,
    /// `yes` once the confirmation page was seen.
    confirm: String,
    /// Where "cancel" goes (the person's page).
    back: String,
}

fn withdraw_page(
    lang: Lang,
    session: &itinera_service::auth::SessionInfo,
    id: Uuid,
    input: &WithdrawInput,
    errors: FormErrors,
) -> crate::views::page::ConfirmPage {
    crate::views::page::ConfirmPage {
        page: PageCtx::new(lang, Some(session), "consent.withdraw_title"),
        heading: "consent.withdraw_title",
        consequence: "consent.withdraw_consequence",
        button: "consent.withdraw_confirm",
        subject: None,
        action: format!("/consents/{id}/withdraw"),
        back: crate::views::page::local_back(&input.back, "/participants"),
        errors,
        withdrawal: Some((input.withdrawn_on.clone(), input.note.clone())),
    }
}

/// Withdrawing a consent cuts other services off the person at once: a page says so and
/// asks the date and a note before anything changes.
async fn confirm_withdraw(
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    Query(q): Query<WithdrawInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let input = WithdrawInput {
        withdrawn_on: ctx.today().to_string(),
        ..q
    };
    Ok(render(&withdraw_page(
        lang,
        &session,
        id,
        &input,
        FormErrors::none(lang),
    )))
}

async fn withdraw(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<WithdrawInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    if input.confirm != "yes" {
        let input = WithdrawInput {
            withdrawn_on: if input.withdrawn_on.trim().is_empty() {
                ctx.today().to_string()
            } else {
                input.withdrawn_on
            },
            ..input
        };
        return Ok(render(&withdraw_page(
            lang,
            &session,
            id,
            &input,
            FormErrors::none(lang),
        )));
    }
    let result = s
        .services
        .withdraw_consent(&session.actor, &ctx, id, &input.withdrawn_on, &input.note)
        .await;
    form_result(
        lang,
        result,
        |pid| format!("/participants/{pid}#consents"),
        |errors| async { Ok(withdraw_page(lang, &session, id, &input, errors)) },
    )
    .await
}
