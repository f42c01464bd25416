//! Improvement boards: columns, cards (an anonymous one keeps no author), votes and
//! the coordinator's groups. Who may see a board is its body's rule
//! (`coordination::visible_body_sql`), checked by the caller through the body.

use chrono::{DateTime, NaiveDate, Utc};
use itinera_domain::boards::BoardData;
use itinera_domain::Error;
use uuid::Uuid;

use crate::{db_err, on_tx, Tx};

#[derive(Debug, Clone, sqlx::FromRow)]
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

const BOARD: &str = "SELECT bd.id, bd.body_id, b.name AS body_name, bd.question, bd.opens_on, bd.closes_on, bd.votes_per_member, bd.created_at \
     FROM boards bd JOIN coordination_bodies b ON b.id = bd.body_id";

pub async fn insert_board(
    tx: &mut Tx,
    id: Uuid,
    body: Uuid,
    d: &BoardData,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO boards (id, body_id, question, opens_on, closes_on, votes_per_member, created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)"
    ).bind(id).bind(body).bind(&d.question).bind(d.opens_on).bind(d.closes_on)
    .bind(d.votes_per_member.map(i32::from)).bind(by).bind(now)
    .execute(c).await.map(|_| ()).map_err(db_err))?;
    for (i, title) in d.columns.iter().enumerate() {
        let pos = i32::try_from(i).unwrap_or(0);
        on_tx!(tx, c => sqlx::query(
            "INSERT INTO board_columns (id, board_id, position, title) VALUES ($1,$2,$3,$4)"
        ).bind(itinera_clock::new_id(now)).bind(id).bind(pos).bind(title)
        .execute(c).await.map(|_| ()).map_err(db_err))?;
    }
    Ok(())
}

pub async fn board(tx: &mut Tx, id: Uuid) -> Result<Option<Board>, Error> {
    let sql = format!("{BOARD} WHERE bd.id = $1");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(id).fetch_optional(c).await.map_err(db_err))
}

pub async fn boards_of_body(tx: &mut Tx, body: Uuid) -> Result<Vec<Board>, Error> {
    let sql = format!("{BOARD} WHERE bd.body_id = $1 ORDER BY bd.opens_on DESC, bd.id");
    on_tx!(tx, c => sqlx::query_as(&sql).bind(body).fetch_all(c).await.map_err(db_err))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Column {
    pub id: Uuid,
    pub position: i32,
    pub title: String,
}

pub async fn columns(tx: &mut Tx, board: Uuid) -> Result<Vec<Column>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT id, position, title FROM board_columns WHERE board_id = $1 ORDER BY position"
    ).bind(board).fetch_all(c).await.map_err(db_err))
}

/// A card with its votes. `author_name` is empty for an anonymous card (no author is
/// kept).
#[derive(Debug, Clone, sqlx::FromRow)]
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

pub async fn cards(tx: &mut Tx, board: Uuid) -> Result<Vec<Card>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT k.id, k.column_id, k.text, u.display_name AS author_name, o.name AS author_organisation_name, k.group_id, k.agreement_id, k.protocol_change_id, \
           (SELECT count(*) FROM board_votes v WHERE v.card_id = k.id) AS votes, k.created_at \
         FROM board_cards k LEFT JOIN users u ON u.id = k.author_id LEFT JOIN organisations o ON o.id = k.author_organisation_id \
         WHERE k.board_id = $1 ORDER BY k.created_at, k.id"
    ).bind(board).fetch_all(c).await.map_err(db_err))
}

/// The board a card is on.
pub async fn card_board(tx: &mut Tx, card: Uuid) -> Result<Option<Uuid>, Error> {
    on_tx!(tx, c => sqlx::query_scalar("SELECT board_id FROM board_cards WHERE id = $1")
        .bind(card).fetch_optional(c).await.map_err(db_err))
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_card(
    tx: &mut Tx,
    id: Uuid,
    board: Uuid,
    column: Uuid,
    text: &str,
    author: Option<(Uuid, Uuid)>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO board_cards (id, board_id, column_id, text, author_id, author_organisation_id, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7)"
    ).bind(id).bind(board).bind(column).bind(text).bind(author.map(|a| a.0)).bind(author.map(|a| a.1)).bind(now)
    .execute(c).await.map(|_| ()).map_err(db_err))
}

/// Takes the board's row lock until the transaction ends (a no-op update, the same on
/// both engines), so that two votes of one member cannot both pass the limit.
pub async fn lock(tx: &mut Tx, board: Uuid) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query("UPDATE boards SET votes_per_member = votes_per_member WHERE id = $1")
        .bind(board).execute(c).await.map(|_| ()).map_err(db_err))
}

/// The cards a member has voted for on a board.
pub async fn my_votes(tx: &mut Tx, board: Uuid, user: Uuid) -> Result<Vec<Uuid>, Error> {
    on_tx!(tx, c => sqlx::query_scalar(
        "SELECT card_id FROM board_votes WHERE board_id = $1 AND user_id = $2 ORDER BY card_id"
    ).bind(board).bind(user).fetch_all(c).await.map_err(db_err))
}

/// Casts a vote; `false` if the member had already voted for the card.
pub async fn vote(
    tx: &mut Tx,
    board: Uuid,
    card: Uuid,
    user: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO board_votes (card_id, user_id, board_id, created_at) VALUES ($1,$2,$3,$4) ON CONFLICT (card_id, user_id) DO NOTHING"
    ).bind(card).bind(user).bind(board).bind(now)
    .execute(c).await.map(|r| r.rows_affected() == 1).map_err(db_err))
}

pub async fn unvote(tx: &mut Tx, card: Uuid, user: Uuid) -> Result<bool, Error> {
    on_tx!(tx, c => sqlx::query("DELETE FROM board_votes WHERE card_id = $1 AND user_id = $2")
        .bind(card).bind(user)
        .execute(c).await.map(|r| r.rows_affected() == 1).map_err(db_err))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Group {
    pub id: Uuid,
    pub title: String,
}

pub async fn groups(tx: &mut Tx, board: Uuid) -> Result<Vec<Group>, Error> {
    on_tx!(tx, c => sqlx::query_as(
        "SELECT id, title FROM board_groups WHERE board_id = $1 ORDER BY created_at, id"
    ).bind(board).fetch_all(c).await.map_err(db_err))
}

pub async fn insert_group(
    tx: &mut Tx,
    id: Uuid,
    board: Uuid,
    title: &str,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO board_groups (id, board_id, title, created_at) VALUES ($1,$2,$3,$4)"
    ).bind(id).bind(board).bind(title).bind(now)
    .execute(c).await.map(|_| ()).map_err(db_err))
}

pub async fn set_group(tx: &mut Tx, card: Uuid, group: Uuid) -> Result<(), Error> {
    on_tx!(tx, c => sqlx::query("UPDATE board_cards SET group_id = $2 WHERE id = $1")
        .bind(card).bind(group)
        .execute(c).await.map(|_| ()).map_err(db_err))
}

/// Links cards to the agreement or the protocol change they became.
/// What a card is turned into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardLink {
    Agreement,
    ProtocolChange,
}

/// Locks a card not yet turned into `link` (its row, until the transaction ends): false
/// when it already was. Two requests turning the same card at once: the second waits
/// for the first, then finds it turned.
pub async fn lock_unlinked(tx: &mut Tx, card: Uuid, link: CardLink) -> Result<bool, Error> {
    let sql = match link {
        CardLink::Agreement => {
            "UPDATE board_cards SET agreement_id = agreement_id WHERE id = $1 AND agreement_id IS NULL"
        }
        CardLink::ProtocolChange => {
            "UPDATE board_cards SET protocol_change_id = protocol_change_id WHERE id = $1 AND protocol_change_id IS NULL"
        }
    };
    let n = on_tx!(tx, c => sqlx::query(sql).bind(card)
        .execute(c).await.map(|r| r.rows_affected()).map_err(db_err))?;
    Ok(n == 1)
}

pub async fn link_cards(
    tx: &mut Tx,
    cards: &[Uuid],
    agreement: Option<Uuid>,
    change: Option<Uuid>,
) -> Result<(), Error> {
    for card in cards {
        on_tx!(tx, c => sqlx::query(
            "UPDATE board_cards SET agreement_id = COALESCE(agreement_id, $2), protocol_change_id = COALESCE(protocol_change_id, $3) WHERE id = $1"
        ).bind(card).bind(agreement).bind(change)
        .execute(c).await.map(|_| ()).map_err(db_err))?;
    }
    Ok(())
}
