//! What every view uses: the page context (`PageCtx`: language, who is signed in, the
//! CSRF token, labels of coded values), a rejected form's messages (`FormErrors`), the
//! signed-in session (`Session`) and CSRF-checked forms (`CsrfForm`), rendering, and the
//! error page every view's error becomes (`render_errors`).

use std::borrow::Cow;

use askama::Template;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use itinera_domain::access::{Actor, Capability};
use itinera_domain::{Error, FieldError};
use itinera_i18n::{t, Lang};
use itinera_service::auth::SessionInfo;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::http::{cookie, lang_of, PendingError, RequestCtx, SESSION_COOKIE};
use crate::AppState;

pub use itinera_i18n::code_label;

/// The deployment's time zone for what pages show: `ITINERA_TIME_ZONE` (a tz name such
/// as `Europe/Madrid`, `Europe/Rome`, `Atlantic/Canary`), Europe/Madrid by default.
pub static ZONE: std::sync::LazyLock<itinera_domain::time::Zone> = std::sync::LazyLock::new(|| {
    std::env::var("ITINERA_TIME_ZONE")
        .ok()
        .and_then(|z| itinera_domain::time::Zone::parse(&z))
        .unwrap_or_default()
});

/// What every page's layout needs: language, who is signed in, the CSRF token.
pub struct PageCtx {
    pub lang: Lang,
    pub actor: Option<Actor>,
    pub csrf: String,
    pub organisations: Vec<(Uuid, String)>,
    /// The window's title: the page's own (a translation), or what the page is about
    /// (`titled`: a person's name on their case).
    pub title: String,
    /// Unread notices, shown in the header.
    pub unread: i64,
}

impl PageCtx {
    pub fn new(lang: Lang, session: Option<&SessionInfo>, title_key: &str) -> Self {
        PageCtx {
            lang,
            actor: session.map(|s| s.actor.clone()),
            csrf: session.map(|s| s.csrf_token.clone()).unwrap_or_default(),
            organisations: session.map(|s| s.organisations.clone()).unwrap_or_default(),
            title: t(lang, title_key).to_string(),
            unread: session.map(|s| s.unread).unwrap_or_default(),
        }
    }

    /// The same page titled by what it is about.
    pub fn titled(mut self, title: String) -> Self {
        self.title = title;
        self
    }

    pub fn t(&self, key: &str) -> &'static str {
        t(self.lang, key)
    }

    /// A text with one placeholder filled, e.g. `tv("coordination.moved_from", "date", d)`.
    pub fn tv(&self, key: &str, name: &str, value: impl std::fmt::Display) -> String {
        itinera_i18n::tf(self.lang, key, &[(name, &value.to_string())])
    }

    pub fn page_label(&self, n: &u32) -> String {
        itinera_i18n::tf(self.lang, "list.page_label", &[("page", &n.to_string())])
    }

    /// A coded value's label, e.g. `code("sex", "female")`.
    pub fn code(&self, prefix: &str, code: &str) -> String {
        code_label(self.lang, prefix, code)
    }

    pub fn phase(&self, code: &str) -> String {
        self.code("phase", code)
    }

    pub fn date(&self, d: &NaiveDate) -> String {
        // Written directly: `format("%d/%m/%Y")` parses its pattern at every call, and a
        // course page writes a few hundred dates.
        format!("{:02}/{:02}/{:04}", d.day(), d.month(), d.year())
    }

    pub fn opt_date(&self, d: &Option<NaiveDate>) -> String {
        d.as_ref().map(|d| self.date(d)).unwrap_or_default()
    }

    /// The decimal separator of the page's language.
    pub fn decimal(&self) -> char {
        if self.lang == Lang::En {
            '.'
        } else {
            ','
        }
    }

    /// A number as the page's language writes it, with at most `places` decimals
    /// (trailing zeros dropped): `2,5`, `12`.
    pub fn number(&self, v: impl AsF64, places: usize) -> String {
        let v = v.as_f64();
        let s = format!("{v:.places$}");
        let s = if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        };
        s.replace('.', &self.decimal().to_string())
    }

    /// A count as the page's language writes it: thousands grouped with a point in
    /// es/ca/it from five digits on (`12.345`, `1234`), with a comma in en (`1,234`).
    pub fn int(&self, n: impl Into<i128>) -> String {
        let n: i128 = n.into();
        let digits = n.unsigned_abs().to_string();
        let (sep, from) = if self.lang == Lang::En {
            (',', 4)
        } else {
            ('.', 5)
        };
        let grouped = if digits.len() < from {
            digits
        } else {
            let mut out = String::new();
            for (i, c) in digits.chars().enumerate() {
                if i > 0 && (digits.len() - i).is_multiple_of(3) {
                    out.push(sep);
                }
                out.push(c);
            }
            out
        };
        if n < 0 {
            format!("-{grouped}")
        } else {
            grouped
        }
    }

    /// A number with exactly `places` decimals in the page's language: `12,50`.
    pub fn fixed(&self, v: f64, places: usize) -> String {
        format!("{v:.places$}").replace('.', &self.decimal().to_string())
    }

    /// A share (0–1) as a percentage with one decimal: `93,4 %`.
    pub fn percent1(&self, share: f64) -> String {
        format!("{} %", self.fixed(share * 100.0, 1))
    }

    /// A signed number with one decimal: `+3,2`, `-1,0`.
    pub fn signed1(&self, v: f64) -> String {
        let s = self.fixed(v.abs(), 1);
        if v < 0.0 {
            format!("-{s}")
        } else {
            format!("+{s}")
        }
    }

    /// An amount in cents, as euros: `480,50 €`.
    pub fn money(&self, cents: &i64) -> String {
        format!(
            "{} €",
            itinera_domain::benefit::amount_text(*cents, self.decimal())
        )
    }

    /// An instant in the deployment's time zone (`ITINERA_TIME_ZONE`, Europe/Madrid by
    /// default), never in UTC.
    pub fn datetime(&self, d: &DateTime<Utc>) -> String {
        ZONE.local(*d).format("%d/%m/%Y %H:%M").to_string()
    }

    fn can(&self, c: Capability) -> bool {
        self.actor.as_ref().is_some_and(|a| a.can(c))
    }

    pub fn can_read(&self) -> bool {
        self.can(Capability::ReadPersonData)
    }

    pub fn can_write(&self) -> bool {
        self.can(Capability::WritePersonData)
    }

    pub fn can_manage(&self) -> bool {
        self.can(Capability::ManageCases)
    }

    pub fn can_admin(&self) -> bool {
        self.can(Capability::Administer)
    }

    /// A trainer: takes the attendance of the courses they are named on.
    pub fn can_train(&self) -> bool {
        self.can(Capability::TakeAttendance)
    }

    /// A workplace tutor: follows the placements they tutor.
    pub fn can_tutor(&self) -> bool {
        self.can(Capability::TutorPlacements)
    }

    /// Keeps the resource catalogue.
    pub fn can_keep_catalogue(&self) -> bool {
        self.actor
            .as_ref()
            .is_some_and(itinera_service::resources::can_keep)
    }

    /// May import a catalogue file (keeps the whole catalogue).
    pub fn can_import_catalogue(&self) -> bool {
        self.actor
            .as_ref()
            .is_some_and(itinera_service::resources::can_import)
    }

    /// May change this resource of the catalogue.
    pub fn can_edit_resource(&self, r: &itinera_service::resources::ResourceView) -> bool {
        self.actor
            .as_ref()
            .is_some_and(|a| itinera_service::resources::can_edit(a, r))
    }

    pub fn can_coordinate(&self) -> bool {
        self.can(Capability::Coordinate)
    }

    pub fn can_audit(&self) -> bool {
        self.can(Capability::ReadAudit)
    }

    pub fn can_aggregates(&self) -> bool {
        self.can(Capability::ReadAggregates)
    }

    pub fn langs(&self) -> Vec<(&'static str, &'static str, bool)> {
        Lang::ALL
            .iter()
            .map(|l| (l.code(), l.native_name(), *l == self.lang))
            .collect()
    }

    pub fn is_current_org(&self, id: &Uuid) -> bool {
        self.actor
            .as_ref()
            .is_some_and(|a| a.organisation_id == *id)
    }

    /// An element id for a field name (`documents.0.kind` → `documents-0-kind`).
    pub fn id(&self, name: &str) -> String {
        name.replace('.', "-")
    }

    pub fn roles(&self) -> String {
        self.actor
            .as_ref()
            .map(|a| {
                a.roles
                    .iter()
                    .map(|r| self.code("role", r.code()))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    }
}

/// The field errors of a rejected form, translated.
#[derive(Default)]
pub struct FormErrors {
    lang: Lang,
    fields: Vec<FieldError>,
    general: Option<&'static str>,
}

impl FormErrors {
    pub fn none(lang: Lang) -> Self {
        FormErrors {
            lang,
            fields: vec![],
            general: None,
        }
    }

    /// Splits an error into field messages or a general one; other errors pass through.
    pub fn from_error(lang: Lang, e: Error) -> Result<Self, Error> {
        match e {
            Error::Invalid(fields) => Ok(FormErrors {
                lang,
                fields,
                general: None,
            }),
            Error::Rule(k) | Error::Conflict(k) => Ok(FormErrors {
                lang,
                fields: vec![],
                general: Some(k),
            }),
            other => Err(other),
        }
    }

    /// The same messages under other field names (a page with several forms whose
    /// fields share names, or a field the form names differently).
    pub fn renamed(mut self, rename: impl Fn(&str) -> String) -> Self {
        for f in &mut self.fields {
            f.field = rename(&f.field);
        }
        self
    }

    /// A field's message, in the reader's language, with the line of the file it is
    /// on when it is on one.
    fn message(&self, f: &FieldError) -> Cow<'static, str> {
        crate::http::field_message(self.lang, f)
    }

    pub fn get(&self, field: &str) -> Option<Cow<'static, str>> {
        self.fields
            .iter()
            .find(|f| f.field == field)
            .map(|f| self.message(f))
    }

    /// The first message for a field of a list (`prefix` like `cases.`).
    pub fn list_for(&self, prefix: &str) -> Option<Cow<'static, str>> {
        self.fields
            .iter()
            .find(|f| f.field.starts_with(prefix))
            .map(|f| self.message(f))
    }

    pub fn has(&self, field: &str) -> bool {
        self.fields.iter().any(|f| f.field == field)
    }

    pub fn any(&self) -> bool {
        !self.fields.is_empty() || self.general.is_some()
    }

    pub fn general(&self) -> Option<&'static str> {
        self.general.map(|k| t(self.lang, k))
    }

    /// (element id, message) for the summary of one of a page's several forms, whose
    /// fields have ids of their own (`id_of`); a field without one links to `fallback`
    /// (the form or its section).
    pub fn linked(
        &self,
        id_of: impl Fn(&str) -> Option<&'static str>,
        fallback: &str,
    ) -> Vec<(String, Cow<'static, str>)> {
        self.fields
            .iter()
            .map(|f| {
                let id = id_of(&f.field).unwrap_or(fallback).to_string();
                (id, self.message(f))
            })
            .collect()
    }

    /// (field id, message) for the summary at the top of a form.
    pub fn list(&self) -> Vec<(String, Cow<'static, str>)> {
        self.fields
            .iter()
            .map(|f| (f.field.replace('.', "-"), self.message(f)))
            .collect()
    }
}

/// A domain error on its way out of a view; `render_errors` makes it a page (or, for
/// a visitor who is not signed in, the login page).
pub use crate::http::HttpError as ViewError;

pub type ViewResult = Result<Response, ViewError>;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    page: PageCtx,
    message: &'static str,
    status: u16,
    request_id: String,
}

pub(super) async fn render_errors(req: Request, next: Next) -> Response {
    let lang = lang_of(req.headers());
    let request_id = RequestCtx::id_of(&req);
    let res = next.run(req).await;
    let Some(PendingError(e)) = res.extensions().get::<PendingError>().cloned() else {
        return res;
    };
    if matches!(*e, Error::Unauthenticated) {
        return Redirect::to("/login").into_response();
    }
    if let Error::Internal(detail) = &*e {
        tracing::error!(request_id, detail, "internal error");
    }
    if let Error::Unavailable(detail) = &*e {
        tracing::warn!(request_id, detail, "database unavailable");
    }
    let page = ErrorPage {
        page: PageCtx::new(lang, None, "error.title"),
        message: t(lang, e.message_key()),
        status: e.status(),
        request_id,
    };
    (res.status(), render(&page)).into_response()
}

/// Renders a template to an HTML response.
pub fn render<T: Template>(tpl: &T) -> Response {
    match tpl.render() {
        Ok(html) => Html(labelled_summaries(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Names the field in each line of a page's error summaries: a line links to its field
/// (`href="#id"`), and the field's label (`<label for="id">`) goes before the message,
/// so that "Este dato es obligatorio." says which. The label's text is taken from the
/// page as rendered (already escaped; without its required mark), so every form gets
/// it without passing its labels twice. A line whose field has no label stays as it is.
fn labelled_summaries(html: String) -> String {
    const SUMMARY: &str = "<div class=\"error-summary\"";
    if !html.contains(SUMMARY) {
        return html;
    }
    let mut out = String::with_capacity(html.len() + 256);
    let mut rest = html.as_str();
    while let Some(start) = rest.find(SUMMARY) {
        let end = rest[start..]
            .find("</div>")
            .map_or(rest.len(), |e| start + e);
        out.push_str(&rest[..start]);
        out.push_str(&label_links(&rest[start..end], &html));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The links of one summary (`part`) with their fields' labels found in `page`.
fn label_links(part: &str, page: &str) -> String {
    const LINK: &str = "<a href=\"#";
    let mut out = String::with_capacity(part.len() + 128);
    let mut rest = part;
    while let Some(at) = rest.find(LINK) {
        let after = &rest[at + LINK.len()..];
        let (Some(quote), Some(close)) = (after.find('"'), after.find('>')) else {
            break;
        };
        let id = &after[..quote];
        out.push_str(&rest[..at + LINK.len() + close + 1]);
        rest = &after[close + 1..];
        if let Some(label) = label_of(page, id) {
            out.push_str(&format!("<span class=\"summary-field\">{label}</span>: "));
        }
    }
    out.push_str(rest);
    out
}

/// The text of the label for element `id` in `page`, without tags or the required mark.
fn label_of(page: &str, id: &str) -> Option<String> {
    let open = format!("<label for=\"{id}\"");
    let start = page.find(&open)?;
    let body_start = start + page[start..].find('>')? + 1;
    let body = &page[body_start..body_start + page[body_start..].find("</label>")?];
    // Drop the required mark (`<span class="req">…</span>`), then any other tag.
    let mut text = String::new();
    let mut rest = body;
    while let Some(t) = rest.find('<') {
        text.push_str(&rest[..t]);
        let tag_end = rest[t..].find('>').map_or(rest.len(), |e| t + e + 1);
        if rest[t..].starts_with("<span class=\"req\"") {
            rest = rest[tag_end..]
                .find("</span>")
                .map_or("", |e| &rest[tag_end + e + "</span>".len()..]);
        } else {
            rest = &rest[tag_end..];
        }
    }
    text.push_str(rest);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!text.is_empty()).then_some(text)
}

/// The end of a form's POST: on success, to the address `to` gives (303); on a
/// refusal the person can mend (bad fields, a rule, a conflict), the page again (422),
/// built by `again` with the messages next to the fields — the caller keeps what was
/// typed in the page it builds. Other errors become the error page.
pub async fn form_result<T, P, Fut>(
    lang: Lang,
    result: Result<T, Error>,
    to: impl FnOnce(T) -> String,
    again: impl FnOnce(FormErrors) -> Fut,
) -> ViewResult
where
    P: Template,
    Fut: std::future::Future<Output = Result<P, ViewError>>,
{
    match result {
        Ok(v) => Ok(see_other(&to(v))),
        Err(e) => {
            let errors = FormErrors::from_error(lang, e)?;
            Ok(render_invalid(&again(errors).await?))
        }
    }
}

/// A report asked for with filters that are not valid (a period ending before it
/// starts, a day that does not exist, a project of another programme): the report of
/// its default filters, with the messages for the filter form. The page keeps what was
/// typed in the filters and is answered with `respond` (422). Other errors pass through.
pub async fn report_or_default<T, Fut>(
    lang: Lang,
    asked: Result<T, Error>,
    default: impl FnOnce() -> Fut,
) -> Result<(T, FormErrors), ViewError>
where
    Fut: std::future::Future<Output = Result<T, Error>>,
{
    match asked {
        Err(e @ Error::Invalid(_)) => {
            let errors = FormErrors::from_error(lang, e)?;
            Ok((default().await?, errors))
        }
        other => Ok((other?, FormErrors::none(lang))),
    }
}

/// A page that may carry messages about what was sent: 422 when it does, 200 otherwise.
pub fn respond<T: Template>(tpl: &T, errors: &FormErrors) -> Response {
    if errors.any() {
        render_invalid(tpl)
    } else {
        render(tpl)
    }
}

/// The confirmation of an action with big consequences (withdrawing a consent, removing a
/// team member, approving minutes): a page of its own, so that it works without
/// JavaScript. Its button posts the same form again with `confirm=yes`.
#[derive(Template)]
#[template(path = "confirm.html")]
pub struct ConfirmPage {
    pub page: PageCtx,
    /// Translation keys: the heading, what will happen, the button.
    pub heading: &'static str,
    pub consequence: &'static str,
    pub button: &'static str,
    /// What it is about (a person's name, a member), when the page can say.
    pub subject: Option<String>,
    pub action: String,
    /// Where "cancel" goes.
    pub back: String,
    pub errors: FormErrors,
    /// A consent withdrawal's date and note, as typed.
    pub withdrawal: Option<(String, String)>,
}

/// A local path to go back to (`/…`, not `//host`), else `fallback`.
pub fn local_back(back: &str, fallback: &str) -> String {
    match crate::http::local_path(back.trim()) {
        Some(b) if b.len() < 512 => b.to_string(),
        _ => fallback.to_string(),
    }
}

/// Renders a rejected form: 422 with the page.
pub fn render_invalid<T: Template>(tpl: &T) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, render(tpl)).into_response()
}

/// The signed-in session; without one the browser is sent to the login page.
pub struct Session(pub SessionInfo);

impl FromRequestParts<AppState> for Session {
    type Rejection = ViewError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let id = cookie(&parts.headers, SESSION_COOKIE).ok_or(ViewError(Error::Unauthenticated))?;
        let now = state.services.now();
        Ok(Session(state.services.session(id, now).await?))
    }
}

/// The largest form a page posts (minutes of a long meeting fit many times over).
pub const MAX_FORM: usize = 1024 * 1024;

/// A posted form, checked against the session's CSRF token and turned into `T`:
/// `a.0.b` names become nested lists, repeated names become lists.
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = ViewError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let Session(session) = Session::from_request_parts(&mut parts, state).await?;
        let bytes = axum::body::to_bytes(body, MAX_FORM).await.map_err(|e| {
            // Past the limit: 413, not a malformed form.
            if format!("{e:?}").contains("LengthLimit") {
                ViewError(Error::TooLarge)
            } else {
                ViewError(Error::field("body", "error.bad_form"))
            }
        })?;
        let (token, value) = decode_form::<T>(&bytes)?;
        // A form of an earlier session (signed out and in again, another tab) or sent
        // from elsewhere: refused, saying what to do.
        if !token.is_some_and(|t| itinera_service::auth::same_secret(&t, &session.csrf_token)) {
            return Err(ViewError(Error::BadRequest("error.csrf")));
        }
        Ok(CsrfForm(value))
    }
}

/// A form's body decoded: its CSRF token, if any, and the form as `T` (through
/// `pairs_to_json`). A body that is not a form, or a form `T` cannot take, is
/// `error.bad_form`. Fuzzed by `tests/fuzz.rs`.
pub fn decode_form<T: DeserializeOwned>(bytes: &[u8]) -> Result<(Option<String>, T), Error> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(bytes).map_err(|_| Error::field("body", "error.bad_form"))?;
    let token = pairs
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.clone());
    // A list longer than a form can hold is refused, not folded into its last item;
    // and a list's items are numbered from 0 without gaps, so that no list names an
    // item past as many as the body sends for it (one small body naming item 999 of
    // thousands of lists would otherwise make millions of empty items).
    let mut lists: std::collections::HashMap<&str, (usize, usize)> =
        std::collections::HashMap::new();
    for (k, _) in &pairs {
        let mut parts = k.split('.');
        if let (Some(name), Some(Ok(i)), Some(_)) = (
            parts.next(),
            parts.next().map(str::parse::<usize>),
            parts.next(),
        ) {
            let e = lists.entry(name).or_insert((0, 0));
            e.0 = e.0.max(i);
            e.1 += 1;
        }
    }
    if lists
        .values()
        .any(|&(max, sent)| max >= MAX_FORM_ITEMS || max >= sent)
    {
        return Err(Error::field("body", "error.bad_form"));
    }
    let value = pairs_to_json(&pairs);
    serde_json::from_value(value)
        .map(|v| (token, v))
        .map_err(|_| Error::field("body", "error.bad_form"))
}

/// The most items of one list a form may send (`lines.0.status` … `lines.999.status`):
/// a whole course group's attendance sheet, a household, a file's mapping.
pub const MAX_FORM_ITEMS: usize = 1000;

/// Form pairs as JSON: `documents.0.kind` nests, a repeated name becomes a list.
pub fn pairs_to_json(pairs: &[(String, String)]) -> serde_json::Value {
    use serde_json::{Map, Value};
    let mut root = Map::new();
    for (k, v) in pairs {
        if k == "csrf" {
            continue;
        }
        let parts: Vec<&str> = k.split('.').collect();
        if let [outer, middle, inner] = parts.as_slice() {
            if let Ok(idx) = middle.parse::<usize>() {
                let arr = root.entry(*outer).or_insert_with(|| Value::Array(vec![]));
                if let Value::Array(a) = arr {
                    while a.len() <= idx.min(MAX_FORM_ITEMS) {
                        a.push(Value::Object(Map::new()));
                    }
                    if let Some(Value::Object(o)) = a.get_mut(idx.min(MAX_FORM_ITEMS)) {
                        o.insert(inner.to_string(), Value::String(v.clone()));
                    }
                }
                continue;
            }
            // `scores.income.level`: a map of objects keyed by the middle part.
            let outer = root
                .entry(*outer)
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(o) = outer {
                let map = o
                    .entry(*middle)
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(i) = map {
                    i.insert(inner.to_string(), Value::String(v.clone()));
                }
            }
            continue;
        }
        match root.get_mut(k) {
            Some(Value::Array(a)) => a.push(Value::String(v.clone())),
            Some(existing) => {
                let prev = existing.take();
                *existing = Value::Array(vec![prev, Value::String(v.clone())]);
            }
            None => {
                root.insert(k.clone(), Value::String(v.clone()));
            }
        }
    }
    Value::Object(root)
}

pub fn see_other(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// A number however a template holds it (by value or behind references).
pub trait AsF64 {
    fn as_f64(&self) -> f64;
}
impl AsF64 for f64 {
    fn as_f64(&self) -> f64 {
        *self
    }
}
impl<T: AsF64 + ?Sized> AsF64 for &T {
    fn as_f64(&self) -> f64 {
        (**self).as_f64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each line of an error summary is led by its field's label, taken from the page
    /// without the required mark; a line whose field has no label keeps its message
    /// alone, and a page without a summary is not touched.
    #[test]
    fn a_summary_line_names_its_field() {
        let page = r##"<div class="error-summary" role="alert" tabindex="-1">
  <h2>Revise</h2>
  <ul>
  <li><a href="#given_name">Este dato es obligatorio.</a></li><li><a href="#nowhere">Falta.</a></li>
  </ul>
</div>
<form><div class="field"><label for="given_name">Nombre <span class="req">(obligatorio)</span></label>
<input id="given_name"></div><label for="other">Otro &amp; más</label></form>"##;
        let out = labelled_summaries(page.to_string());
        assert!(
            out.contains(
                r##"<a href="#given_name"><span class="summary-field">Nombre</span>: Este dato es obligatorio.</a>"##
            ),
            "{out}"
        );
        assert!(out.contains(r##"<a href="#nowhere">Falta.</a>"##), "{out}");
        // The rest of the page as it was.
        assert!(
            out.ends_with(&page[page.find("</div>").unwrap()..]),
            "{out}"
        );
        let plain = "<p><a href=\"#given_name\">x</a></p><label for=\"given_name\">Nombre</label>";
        assert_eq!(labelled_summaries(plain.to_string()), plain);
        assert_eq!(label_of(page, "other").as_deref(), Some("Otro &amp; más"));
    }

    /// Dates are written day/month/year with leading zeros, as chrono's `%d/%m/%Y`.
    #[test]
    fn a_date_is_written_as_its_pattern_would() {
        let page = PageCtx::new(Lang::Es, None, "home.title");
        for (y, m, d) in [(2026, 1, 5), (2026, 11, 23), (999, 12, 31), (2027, 2, 28)] {
            let day = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            assert_eq!(page.date(&day), day.format("%d/%m/%Y").to_string());
        }
    }

    /// Every text a template asks for by a literal key (`page.t("…")`, `page.tv("…"`)
    /// is in the translation files: a missing one would show as "⟨?⟩".
    #[test]
    fn every_key_a_template_names_is_translated() {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|x| x == "html") {
                    out.push(p);
                }
            }
        }
        let mut files = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates"),
            &mut files,
        );
        assert!(files.len() > 50);
        let mut missing = Vec::new();
        let mut seen = 0;
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for opener in ["page.t(\"", "page.tv(\""] {
                for part in text.split(opener).skip(1) {
                    let Some(key) = part.split('"').next() else {
                        continue;
                    };
                    seen += 1;
                    if !itinera_i18n::has(key) {
                        missing.push(format!("{}: {key}", f.display()));
                    }
                }
            }
        }
        assert!(seen > 500, "{seen}");
        assert!(missing.is_empty(), "{missing:#?}");
    }

    #[test]
    fn a_long_list_keeps_every_item_and_a_longer_one_is_refused() {
        // A group of 60 on an attendance sheet: 60 lines, none folded into another.
        let body: String = (0..60)
            .map(|i| format!("lines.{i}.candidate_id=c{i}&lines.{i}.status=present&"))
            .collect();
        let (_, v) = decode_form::<serde_json::Value>(body.as_bytes()).unwrap();
        let lines = v["lines"].as_array().unwrap();
        assert_eq!(lines.len(), 60);
        assert_eq!(lines[59]["candidate_id"], "c59");
        let far = format!("lines.{MAX_FORM_ITEMS}.status=present");
        assert!(decode_form::<serde_json::Value>(far.as_bytes()).is_err());
        // Items named past those sent make nothing: thousands of lists each naming
        // item 999 are refused, not built.
        let wide: String = (0..5000).map(|i| format!("a{i}.999.x=&")).collect();
        assert!(decode_form::<serde_json::Value>(wide.as_bytes()).is_err());
        assert!(decode_form::<serde_json::Value>(b"lines.1.status=present").is_err());
    }

    #[test]
    fn form_pairs_nest_and_repeat() {
        let p = |k: &str, v: &str| (k.to_string(), v.to_string());
        let v = pairs_to_json(&[
            p("csrf", "x"),
            p("given_name", "Ana"),
            p("documents.0.kind", "dni"),
            p("documents.0.number", "1"),
            p("documents.1.kind", "nie"),
            p("organisation_kinds", "a"),
            p("organisation_kinds", "b"),
            p("scores.income.level", "3"),
            p("scores.income.note", "n"),
            p("scores.housing.level", "na"),
        ]);
        assert_eq!(v["scores"]["income"]["level"], "3");
        assert_eq!(v["scores"]["income"]["note"], "n");
        assert_eq!(v["scores"]["housing"]["level"], "na");
        assert_eq!(v["given_name"], "Ana");
        assert_eq!(v["documents"][1]["kind"], "nie");
        assert_eq!(v["organisation_kinds"][1], "b");
        assert!(v.get("csrf").is_none());
    }

    #[test]
    fn numbers_are_written_as_each_language_writes_them() {
        let es = PageCtx::new(Lang::Es, None, "home.title");
        let en = PageCtx::new(Lang::En, None, "home.title");
        assert_eq!(es.number(2.5, 2), "2,5");
        assert_eq!(es.number(12.0, 2), "12");
        assert_eq!(es.number(120.0, 0), "120");
        assert_eq!(en.number(2.5, 2), "2.5");
        assert_eq!(es.fixed(12.5, 2), "12,50");
        assert_eq!(es.percent1(0.9342), "93,4 %");
        assert_eq!(es.signed1(-1.04), "-1,0");
        assert_eq!(es.signed1(3.25), "+3,2");
        assert_eq!(es.int(904u32), "904");
        assert_eq!(
            es.int(1234u32),
            "1234",
            "four digits stay together in Spanish"
        );
        assert_eq!(es.int(128_522u32), "128.522");
        assert_eq!(es.int(-1_000_000i64), "-1.000.000");
        assert_eq!(en.int(1234u32), "1,234");
    }
}
