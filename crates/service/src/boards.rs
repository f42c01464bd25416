//! Improvement boards of a body: its members post cards (named or anonymous) and vote
//! while the board is open; the body's conveners group the cards and turn the chosen
//! ones into agreements (at one of the body's meetings) or protocol changes.

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::access::{Actor, Capability};
use itinera_domain::boards::{
    check_open, check_vote, state, BoardInput, BoardState, CardInput, GroupInput,
};
use itinera_domain::coordination::AgreementInput;
use itinera_domain::Error;
use itinera_store::boards as store;
use itinera_store::coordination as bodies;
use itinera_store::{protocols, Tx};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{audit, finish, Action};
use crate::coordination::agreement_in;
use crate::guard::{require_runs, visible_body};
use crate::{Ctx, Services};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Board {
    pub id: Uuid,
    pub body_id: Uuid,
    pub body_name: String,
    pub question: String,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    pub votes_per_member: Option<i32>,
    pub created_at: DateTime<Utc>,
}

impl From<itinera_store::boards::Board> for Board {
    fn from(r: itinera_store::boards::Board) -> Self {
        Board {
            id: r.id,
            body_id: r.body_id,
            body_name: r.body_name,
            question: r.question,
            opens_on: r.opens_on,
            closes_on: r.closes_on,
            votes_per_member: r.votes_per_member,
            created_at: r.created_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BoardColumn {
    pub id: Uuid,
    pub position: i32,
    pub title: String,
}

impl From<itinera_store::boards::Column> for BoardColumn {
    fn from(r: itinera_store::boards::Column) -> Self {
        BoardColumn {
            id: r.id,
            position: r.position,
            title: r.title,
        }
    }
}

/// A card with its votes. `author_name` is empty for an anonymous card (no author is
/// kept).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Card {
    pub id: Uuid,
    pub column_id: Uuid,
    pub text: String,
    pub author_name: Option<String>,
    pub author_organisation_name: Option<String>,
    pub group_id: Option<Uuid>,
    pub agreement_id: Option<Uuid>,
    pub protocol_change_id: Option<Uuid>,
    pub votes: i64,
    pub created_at: DateTime<Utc>,
}

impl From<itinera_store::boards::Card> for Card {
    fn from(r: itinera_store::boards::Card) -> Self {
        Card {
            id: r.id,
            column_id: r.column_id,
            text: r.text,
            author_name: r.author_name,
            author_organisation_name: r.author_organisation_name,
            group_id: r.group_id,
            agreement_id: r.agreement_id,
            protocol_change_id: r.protocol_change_id,
            votes: r.votes,
            created_at: r.created_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CardGroup {
    pub id: Uuid,
    pub title: String,
}

impl From<itinera_store::boards::Group> for CardGroup {
    fn from(r: itinera_store::boards::Group) -> Self {
        CardGroup {
            id: r.id,
            title: r.title,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CardView {
    #[serde(flatten)]
    pub card: Card,
    /// Whether the actor voted for it.
    pub voted: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ColumnView {
    #[serde(flatten)]
    pub column: BoardColumn,
    pub cards: Vec<CardView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BoardView {
    pub board: Board,
    pub body: crate::coordination::Body,
    pub state: BoardState,
    pub columns: Vec<ColumnView>,
    pub groups: Vec<CardGroup>,
    /// The actor's votes left; `None` when the board has no limit.
    pub votes_left: Option<u32>,
    /// Whether the actor runs the body (groups cards, turns them into agreements).
    pub runs: bool,
}

/// A card turned into an agreement at one of the body's meetings.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct CardAgreementInput {
    pub meeting_id: String,
    #[serde(flatten)]
    pub agreement: AgreementInput,
}

/// A card turned into a proposed change of a protocol.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct CardChangeInput {
    pub protocol_id: String,
    pub text: String,
}

async fn board_and_body(
    tx: &mut Tx,
    actor: &Actor,
    id: Uuid,
) -> Result<(store::Board, bodies::Body), Error> {
    let b = store::board(tx, id).await?.ok_or(Error::NotFound)?;
    let body = visible_body(tx, actor, b.body_id).await?;
    Ok((b, body))
}

/// The board of a card the actor may see, the card, and the board's cards.
async fn card_on(
    tx: &mut Tx,
    actor: &Actor,
    card: Uuid,
) -> Result<(store::Board, bodies::Body, store::Card, Vec<store::Card>), Error> {
    let board = store::card_board(tx, card).await?.ok_or(Error::NotFound)?;
    let (b, body) = board_and_body(tx, actor, board).await?;
    let all = store::cards(tx, board).await?;
    let c = all
        .iter()
        .find(|c| c.id == card)
        .cloned()
        .ok_or(Error::NotFound)?;
    Ok((b, body, c, all))
}

/// The cards that go together with `card`: its group, or itself alone.
fn with_group(card: &store::Card, all: &[store::Card]) -> Vec<Uuid> {
    match card.group_id {
        Some(g) => all
            .iter()
            .filter(|c| c.group_id == Some(g))
            .map(|c| c.id)
            .collect(),
        None => vec![card.id],
    }
}

impl Services {
    /// Opens a board for a body's members.
    pub async fn create_board(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        body: Uuid,
        input: &BoardInput,
    ) -> Result<Uuid, Error> {
        actor.require(Capability::ConveneBodies)?;
        let d = input.validate()?;
        let mut tx = self.store.write().await?;
        require_runs(&mut tx, actor, body).await?;
        let id = ctx.new_id();
        store::insert_board(&mut tx, id, body, &d, actor.user_id, ctx.now).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::BoardCreate,
            Some(id),
            json!({"body": body, "columns": d.columns.len()}),
        )
        .await?;
        Ok(id)
    }

    /// The boards of a body.
    pub async fn boards(&self, actor: &Actor, body: Uuid) -> Result<Vec<Board>, Error> {
        actor.require(Capability::Coordinate)?;
        let mut tx = self.store.read().await?;
        visible_body(&mut tx, actor, body).await?;
        let b = store::boards_of_body(&mut tx, body).await?;
        tx.commit().await?;
        Ok(b.into_iter().map(Into::into).collect())
    }

    /// A board as a member sees it: its columns with their cards (most voted first),
    /// the coordinator's groups and the member's votes left.
    pub async fn board(&self, actor: &Actor, ctx: &Ctx, id: Uuid) -> Result<BoardView, Error> {
        actor.require(Capability::Coordinate)?;
        let mut tx = self.store.read().await?;
        let (board, body) = board_and_body(&mut tx, actor, id).await?;
        let cols = store::columns(&mut tx, id).await?;
        let mut cards = store::cards(&mut tx, id).await?;
        let groups = store::groups(&mut tx, id).await?;
        let mine = store::my_votes(&mut tx, id, actor.user_id).await?;
        let runs = crate::guard::runs(actor, &bodies::members(&mut tx, body.id).await?);
        tx.commit().await?;
        cards.sort_by(|a, b| b.votes.cmp(&a.votes).then(a.created_at.cmp(&b.created_at)));
        let columns = cols
            .into_iter()
            .map(|column| ColumnView {
                cards: cards
                    .iter()
                    .filter(|c| c.column_id == column.id)
                    .map(|c| CardView {
                        voted: mine.contains(&c.id),
                        card: c.clone().into(),
                    })
                    .collect(),
                column: column.into(),
            })
            .collect();
        let used = u32::try_from(mine.len()).unwrap_or(u32::MAX);
        Ok(BoardView {
            state: state(board.opens_on, board.closes_on, ctx.today()),
            votes_left: board
                .votes_per_member
                .map(|l| u32::try_from(l).unwrap_or(0).saturating_sub(used)),
            board: board.into(),
            body: body.into(),
            columns,
            groups: groups.into_iter().map(Into::into).collect(),
            runs,
        })
    }

    /// Posts a card while the board is open. An anonymous card keeps no author.
    pub async fn post_card(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        board: Uuid,
        input: &CardInput,
    ) -> Result<Uuid, Error> {
        actor.require(Capability::Coordinate)?;
        let mut tx = self.store.write().await?;
        let (b, _) = board_and_body(&mut tx, actor, board).await?;
        check_open(state(b.opens_on, b.closes_on, ctx.today())).map_err(Error::Rule)?;
        let d = input.validate()?;
        if !store::columns(&mut tx, board)
            .await?
            .iter()
            .any(|c| c.id == d.column_id)
        {
            return Err(Error::field("column_id", "validation.choice"));
        }
        let id = ctx.new_id();
        let author = (!d.anonymous).then_some((actor.user_id, actor.organisation_id));
        store::insert_card(&mut tx, id, board, d.column_id, &d.text, author, ctx.now).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::BoardCard,
            Some(board),
            json!({"card": id, "anonymous": d.anonymous}),
        )
        .await?;
        Ok(id)
    }

    /// Votes for a card (or takes the vote back) while the board is open, within the
    /// board's votes per member.
    pub async fn vote_card(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        card: Uuid,
        on: bool,
    ) -> Result<(), Error> {
        actor.require(Capability::Coordinate)?;
        let mut tx = self.store.write().await?;
        let (b, ..) = card_on(&mut tx, actor, card).await?;
        check_open(state(b.opens_on, b.closes_on, ctx.today())).map_err(Error::Rule)?;
        let changed = if on {
            store::lock(&mut tx, b.id).await?;
            let mine = store::my_votes(&mut tx, b.id, actor.user_id).await?;
            if mine.contains(&card) {
                false
            } else {
                check_vote(
                    u32::try_from(mine.len()).unwrap_or(u32::MAX),
                    b.votes_per_member
                        .map(|v| u16::try_from(v).unwrap_or(u16::MAX)),
                )
                .map_err(Error::Rule)?;
                store::vote(&mut tx, b.id, card, actor.user_id, ctx.now).await?
            }
        } else {
            store::unvote(&mut tx, card, actor.user_id).await?
        };
        if changed {
            audit(
                &mut tx,
                actor,
                ctx,
                if on {
                    Action::BoardVote
                } else {
                    Action::BoardUnvote
                },
                Some(b.id),
                json!({"card": card}),
            )
            .await?;
        }
        tx.commit().await
    }

    /// Groups cards of a board under a title (open or closed board).
    pub async fn group_cards(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        board: Uuid,
        input: &GroupInput,
    ) -> Result<Uuid, Error> {
        actor.require(Capability::ConveneBodies)?;
        let d = input.validate()?;
        let mut tx = self.store.write().await?;
        let (_, body) = board_and_body(&mut tx, actor, board).await?;
        require_runs(&mut tx, actor, body.id).await?;
        let cards = store::cards(&mut tx, board).await?;
        if d.cards.iter().any(|c| !cards.iter().any(|k| k.id == *c)) {
            return Err(Error::field("cards", "validation.choice"));
        }
        let id = ctx.new_id();
        store::insert_group(&mut tx, id, board, &d.title, ctx.now).await?;
        for c in &d.cards {
            store::set_group(&mut tx, *c, id).await?;
        }
        finish(
            tx,
            actor,
            ctx,
            Action::BoardGroup,
            Some(board),
            json!({"group": id, "cards": d.cards}),
        )
        .await?;
        Ok(id)
    }

    /// Turns a card (with its group) into an agreement made at one of the body's
    /// meetings; the cards link to it.
    pub async fn card_to_agreement(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        card: Uuid,
        input: &CardAgreementInput,
    ) -> Result<Uuid, Error> {
        actor.require(Capability::ConveneBodies)?;
        let mut tx = self.store.write().await?;
        let (b, body, c, all) = card_on(&mut tx, actor, card).await?;
        require_runs(&mut tx, actor, body.id).await?;
        if c.agreement_id.is_some()
            || !store::lock_unlinked(&mut tx, card, store::CardLink::Agreement).await?
        {
            return Err(Error::Conflict("boards.already_agreement"));
        }
        let meeting = input
            .meeting_id
            .trim()
            .parse::<Uuid>()
            .ok()
            .ok_or_else(|| Error::field("meeting_id", "validation.required"))?;
        match bodies::meeting(&mut tx, meeting).await? {
            Some(m) if m.body_id == body.id => {}
            _ => return Err(Error::field("meeting_id", "validation.choice")),
        }
        let agreement = agreement_in(&mut tx, actor, ctx, meeting, &input.agreement).await?;
        let linked = with_group(&c, &all);
        store::link_cards(&mut tx, &linked, Some(agreement), None).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::BoardCardAgreement,
            Some(b.id),
            json!({"cards": linked, "agreement": agreement}),
        )
        .await?;
        Ok(agreement)
    }

    /// Turns a card (with its group) into a proposed change of a protocol the actor
    /// sees; the next version may apply it.
    pub async fn card_to_protocol_change(
        &self,
        actor: &Actor,
        ctx: &Ctx,
        card: Uuid,
        input: &CardChangeInput,
    ) -> Result<Uuid, Error> {
        actor.require(Capability::ConveneBodies)?;
        let text = itinera_domain::text::clean(&input.text)
            .ok_or_else(|| Error::field("text", "validation.required"))?;
        if text.chars().count() > 2000 {
            return Err(Error::field("text", "validation.too_long"));
        }
        let mut tx = self.store.write().await?;
        let (b, body, c, all) = card_on(&mut tx, actor, card).await?;
        require_runs(&mut tx, actor, body.id).await?;
        if c.protocol_change_id.is_some()
            || !store::lock_unlinked(&mut tx, card, store::CardLink::ProtocolChange).await?
        {
            return Err(Error::Conflict("boards.already_change"));
        }
        let protocol = input
            .protocol_id
            .trim()
            .parse::<Uuid>()
            .ok()
            .ok_or_else(|| Error::field("protocol_id", "validation.required"))?;
        if protocols::protocol(&mut tx, protocol, actor.user(), actor.organisation())
            .await?
            .is_none()
        {
            return Err(Error::field("protocol_id", "validation.choice"));
        }
        let id = ctx.new_id();
        protocols::insert_change(&mut tx, id, protocol, &text, actor.user_id, ctx.now).await?;
        let linked = with_group(&c, &all);
        store::link_cards(&mut tx, &linked, None, Some(id)).await?;
        finish(
            tx,
            actor,
            ctx,
            Action::BoardCardProtocolChange,
            Some(b.id),
            json!({"cards": linked, "protocol": protocol, "change": id}),
        )
        .await?;
        Ok(id)
    }
}
