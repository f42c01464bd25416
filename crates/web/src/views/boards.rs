//! Improvement boards in the browser: a new board for a body, the board with its
//! columns and cards (post, vote), the coordinator's grouping, and a card turned into
//! an agreement or a protocol change.

use crate::http::Path;
use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use itinera_domain::access::Capability;
use itinera_domain::boards::{BoardInput, CardInput, GroupInput};
use itinera_domain::coordination::AgreementInput;
use itinera_i18n::Lang;
use itinera_service::auth::SessionInfo;
use itinera_service::boards::{BoardView, CardAgreementInput, CardChangeInput, CardView};
use itinera_service::coordination::{BodyMember as Member, Meeting};
use itinera_service::Ctx;
use serde::Deserialize;
use uuid::Uuid;

use crate::http::{lang_of, RequestCtx};
use crate::views::page::{
    form_result, render, render_invalid, see_other, CsrfForm, FormErrors, PageCtx, Session,
    ViewError, ViewResult,
};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/bodies/{id}/boards", post(create))
        .route("/bodies/{id}/boards/new", get(new_board))
        .route("/boards/{id}", get(show))
        .route("/boards/{id}/cards", post(post_card))
        .route("/boards/{id}/groups", post(group))
        .route("/cards/{id}/vote", post(vote))
        .route(
            "/cards/{id}/agreement",
            get(agreement_form).post(to_agreement),
        )
        .route(
            "/cards/{id}/protocol-change",
            get(change_form).post(to_change),
        )
}

// ---- A new board ----------------------------------------------------------------------

#[derive(Template)]
#[template(path = "boards/new.html")]
struct NewPage {
    page: PageCtx,
    body_id: Uuid,
    body_name: String,
    input: BoardInput,
    errors: FormErrors,
}

impl NewPage {
    fn columns_text(&self) -> String {
        self.input.columns.join("\n")
    }
}

async fn new_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &Ctx,
    body: Uuid,
    input: BoardInput,
    errors: FormErrors,
) -> Result<NewPage, ViewError> {
    session.actor.require(Capability::ConveneBodies)?;
    let v = s.services.body(&session.actor, ctx, body).await?;
    Ok(NewPage {
        page: PageCtx::new(lang, Some(session), "boards.new"),
        body_id: body,
        body_name: v.body.name,
        input,
        errors,
    })
}

async fn new_board(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let today = ctx.today();
    let input = BoardInput {
        columns: vec![itinera_i18n::t(lang, "boards.default_columns").replace('|', "\n")],
        opens_on: today.to_string(),
        closes_on: (today + chrono::Duration::days(14)).to_string(),
        votes_per_member: "3".into(),
        ..Default::default()
    };
    Ok(render(
        &new_page(&s, lang, &session, &ctx, id, input, FormErrors::none(lang)).await?,
    ))
}

async fn create(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<BoardInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .create_board(&session.actor, &ctx, id, &input)
        .await;
    form_result(
        lang,
        result,
        |b| format!("/boards/{b}"),
        |errors| new_page(&s, lang, &session, &ctx, id, input, errors),
    )
    .await
}

// ---- The board ------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "boards/board.html")]
struct BoardPage {
    page: PageCtx,
    v: BoardView,
    card: CardInput,
    group: GroupInput,
    errors: FormErrors,
}

impl BoardPage {
    fn open(&self) -> bool {
        self.v.state == itinera_domain::boards::BoardState::Open
    }
    fn convener(&self) -> bool {
        self.v.runs
    }
    fn group_title(&self, c: &CardView) -> String {
        c.card
            .group_id
            .and_then(|g| self.v.groups.iter().find(|x| x.id == g))
            .map(|g| g.title.clone())
            .unwrap_or_default()
    }
    fn selected(&self, id: &Uuid) -> bool {
        self.group.cards.contains(&id.to_string())
    }
    fn total_cards(&self) -> usize {
        self.v.columns.iter().map(|c| c.cards.len()).sum()
    }
}

#[allow(clippy::too_many_arguments)]
async fn board_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &Ctx,
    id: Uuid,
    card: CardInput,
    group: GroupInput,
    errors: FormErrors,
) -> Result<BoardPage, ViewError> {
    Ok(BoardPage {
        page: PageCtx::new(lang, Some(session), "boards.title"),
        v: s.services.board(&session.actor, ctx, id).await?,
        card,
        group,
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
        &board_page(
            &s,
            lang,
            &session,
            &ctx,
            id,
            CardInput::default(),
            GroupInput::default(),
            FormErrors::none(lang),
        )
        .await?,
    ))
}

async fn post_card(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(input): CsrfForm<CardInput>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s.services.post_card(&session.actor, &ctx, id, &input).await;
    form_result(
        lang,
        result,
        |c| format!("/boards/{id}#card-{c}"),
        |errors| {
            board_page(
                &s,
                lang,
                &session,
                &ctx,
                id,
                input,
                GroupInput::default(),
                errors,
            )
        },
    )
    .await
}

/// The grouping form names its title apart from the card form's fields.
#[derive(Deserialize, Default)]
#[serde(default)]
struct GroupForm {
    group_title: String,
    #[serde(deserialize_with = "itinera_domain::input::lenient_list")]
    cards: Vec<String>,
}

async fn group(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(form): CsrfForm<GroupForm>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let input = GroupInput {
        title: form.group_title,
        cards: form.cards,
    };
    match s
        .services
        .group_cards(&session.actor, &ctx, id, &input)
        .await
    {
        Ok(_) => Ok(see_other(&format!("/boards/{id}"))),
        Err(e) => {
            // The group form's fields are named apart from the card form's.
            let errors = FormErrors::from_error(lang, e)?.renamed(|f| format!("group_{f}"));
            Ok(render_invalid(
                &board_page(
                    &s,
                    lang,
                    &session,
                    &ctx,
                    id,
                    CardInput::default(),
                    input,
                    errors,
                )
                .await?,
            ))
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct VoteForm {
    vote: String,
    board: String,
}

async fn vote(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(form): CsrfForm<VoteForm>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let board: Uuid = form
        .board
        .parse()
        .map_err(|_| ViewError(itinera_domain::Error::NotFound))?;
    let result = s
        .services
        .vote_card(&session.actor, &ctx, id, form.vote != "0")
        .await;
    form_result(
        lang,
        result,
        |_| format!("/boards/{board}#card-{id}"),
        |errors| {
            board_page(
                &s,
                lang,
                &session,
                &ctx,
                board,
                CardInput::default(),
                GroupInput::default(),
                errors,
            )
        },
    )
    .await
}

// ---- A card turned into an agreement or a protocol change -------------------------------

/// The card a form is about, found on its board.
fn find_card(v: &BoardView, card: Uuid) -> Option<CardView> {
    v.columns
        .iter()
        .flat_map(|c| c.cards.iter())
        .find(|c| c.card.id == card)
        .cloned()
}

#[derive(Template)]
#[template(path = "boards/card_agreement.html")]
struct AgreementPage {
    page: PageCtx,
    board: BoardView,
    card: CardView,
    meetings: Vec<Meeting>,
    members: Vec<Member>,
    input: CardAgreementInput,
    errors: FormErrors,
}

impl AgreementPage {
    fn owner_value(&self, m: &Member) -> String {
        super::coordination::owner_value(m)
    }
    fn member_label(&self, m: &Member) -> String {
        crate::export::member_label(m)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CardRef {
    board: String,
}

async fn card_context(
    s: &AppState,
    session: &SessionInfo,
    ctx: &Ctx,
    board: &str,
    card: Uuid,
) -> Result<(BoardView, CardView), ViewError> {
    session.actor.require(Capability::ConveneBodies)?;
    let board: Uuid = board
        .parse()
        .map_err(|_| ViewError(itinera_domain::Error::NotFound))?;
    let v = s.services.board(&session.actor, ctx, board).await?;
    let c = find_card(&v, card).ok_or(ViewError(itinera_domain::Error::NotFound))?;
    Ok((v, c))
}

#[allow(clippy::too_many_arguments)]
async fn agreement_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &Ctx,
    board: &str,
    card: Uuid,
    input: Option<CardAgreementInput>,
    errors: FormErrors,
) -> Result<AgreementPage, ViewError> {
    let (v, c) = card_context(s, session, ctx, board, card).await?;
    let body = s.services.body(&session.actor, ctx, v.body.id).await?;
    let meetings: Vec<Meeting> = body
        .meetings
        .into_iter()
        .filter(|m| m.minutes_approved_at.is_none())
        .collect();
    let input = input.unwrap_or_else(|| CardAgreementInput {
        meeting_id: meetings
            .iter()
            .find(|m| m.meeting_date >= ctx.today())
            .or(meetings.last())
            .map(|m| m.id.to_string())
            .unwrap_or_default(),
        agreement: AgreementInput {
            text: c.card.text.clone(),
            due_on: (ctx.today() + chrono::Duration::days(30)).to_string(),
            ..Default::default()
        },
    });
    Ok(AgreementPage {
        page: PageCtx::new(lang, Some(session), "boards.to_agreement"),
        board: v,
        card: c,
        meetings,
        members: body.members,
        input,
        errors,
    })
}

async fn agreement_form(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    crate::http::Query(r): crate::http::Query<CardRef>,
) -> ViewResult {
    let lang = lang_of(&headers);
    Ok(render(
        &agreement_page(
            &s,
            lang,
            &session,
            &ctx,
            &r.board,
            id,
            None,
            FormErrors::none(lang),
        )
        .await?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AgreementForm {
    board: String,
    #[serde(flatten)]
    input: CardAgreementInput,
}

async fn to_agreement(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(form): CsrfForm<AgreementForm>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .card_to_agreement(&session.actor, &ctx, id, &form.input)
        .await;
    form_result(
        lang,
        result,
        |_| format!("/boards/{}#card-{id}", form.board),
        |errors| {
            agreement_page(
                &s,
                lang,
                &session,
                &ctx,
                &form.board,
                id,
                Some(form.input),
                errors,
            )
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "boards/card_change.html")]
struct ChangePage {
    page: PageCtx,
    board: BoardView,
    card: CardView,
    protocols: Vec<itinera_service::protocols::ProtocolLine>,
    input: CardChangeInput,
    errors: FormErrors,
}

#[allow(clippy::too_many_arguments)]
async fn change_page(
    s: &AppState,
    lang: Lang,
    session: &SessionInfo,
    ctx: &Ctx,
    board: &str,
    card: Uuid,
    input: Option<CardChangeInput>,
    errors: FormErrors,
) -> Result<ChangePage, ViewError> {
    let (v, c) = card_context(s, session, ctx, board, card).await?;
    let protocols = s.services.protocols(&session.actor, ctx, None).await?;
    let input = input.unwrap_or_else(|| CardChangeInput {
        protocol_id: String::new(),
        text: c.card.text.clone(),
    });
    Ok(ChangePage {
        page: PageCtx::new(lang, Some(session), "boards.to_change"),
        board: v,
        card: c,
        protocols,
        input,
        errors,
    })
}

async fn change_form(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    crate::http::Query(r): crate::http::Query<CardRef>,
) -> ViewResult {
    let lang = lang_of(&headers);
    Ok(render(
        &change_page(
            &s,
            lang,
            &session,
            &ctx,
            &r.board,
            id,
            None,
            FormErrors::none(lang),
        )
        .await?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ChangeForm {
    board: String,
    #[serde(flatten)]
    input: CardChangeInput,
}

async fn to_change(
    State(s): State<AppState>,
    headers: HeaderMap,
    Session(session): Session,
    RequestCtx(ctx): RequestCtx,
    Path(id): Path<Uuid>,
    CsrfForm(form): CsrfForm<ChangeForm>,
) -> ViewResult {
    let lang = lang_of(&headers);
    let result = s
        .services
        .card_to_protocol_change(&session.actor, &ctx, id, &form.input)
        .await;
    form_result(
        lang,
        result,
        |_| format!("/boards/{}#card-{id}", form.board),
        |errors| {
            change_page(
                &s,
                lang,
                &session,
                &ctx,
                &form.board,
                id,
                Some(form.input),
                errors,
            )
        },
    )
    .await
}
