//! Improvement boards (consultations): a body asks its members a question, with
//! columns (e.g. COMUNICACIÓN / COORDINACIÓN / OTRAS APORTACIONES) and an open and close
//! date; members post cards, named or anonymous, and vote; the coordinator groups cards
//! and turns the chosen ones into agreements or protocol changes.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{Errors, Result};
use crate::input::required_text;
use crate::input::{lenient_bool, lenient_list, parse_date};

/// The most columns a board has.
pub const MAX_COLUMNS: usize = 8;

/// A board as typed. `columns` are titles; a form sends them one per line.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct BoardInput {
    pub question: String,
    #[serde(deserialize_with = "lenient_list")]
    pub columns: Vec<String>,
    pub opens_on: String,
    pub closes_on: String,
    /// Empty: no limit.
    pub votes_per_member: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BoardData {
    pub question: String,
    pub columns: Vec<String>,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    pub votes_per_member: Option<u16>,
}

impl BoardInput {
    pub fn validate(&self) -> Result<BoardData> {
        let mut e = Errors::new();
        let question = e.take("question", required_text(&self.question, 500));
        let mut columns: Vec<String> = Vec::new();
        for line in self.columns.iter().flat_map(|c| c.lines()) {
            if line.trim().is_empty() {
                continue;
            }
            // Each title as any text typed: no control or direction characters.
            match required_text(line, 80) {
                Err(code) => e.add("columns", code),
                Ok(t) if columns.iter().any(|c| c.to_lowercase() == t.to_lowercase()) => {
                    e.add("columns", "boards.column_twice")
                }
                Ok(t) => columns.push(t),
            }
        }
        if columns.is_empty() && !e.has("columns") {
            e.add("columns", "validation.required");
        } else if columns.len() > MAX_COLUMNS {
            e.add("columns", "boards.too_many_columns");
        }
        let opens_on = e.take("opens_on", parse_date(&self.opens_on));
        let closes_on = e.take("closes_on", parse_date(&self.closes_on));
        if let (Some(o), Some(c)) = (opens_on, closes_on) {
            if c < o {
                e.add("closes_on", "boards.closes_before_opens");
            }
        }
        let votes = e.take("votes_per_member", {
            let t = self.votes_per_member.trim();
            if t.is_empty() {
                Ok(None)
            } else {
                match t.parse::<u16>() {
                    Ok(n) if (1..=50).contains(&n) => Ok(Some(n)),
                    _ => Err("boards.votes_range"),
                }
            }
        });
        e.finish()?;
        Ok(BoardData {
            question: question.unwrap_or_default(),
            columns,
            opens_on: opens_on.unwrap_or_default(),
            closes_on: closes_on.unwrap_or_default(),
            votes_per_member: votes.flatten(),
        })
    }
}

crate::coded_enum!(BoardState {
    NotYetOpen = "not_yet_open",
    Open = "open",
    Closed = "closed",
});

/// Where a board stands on `today`: it is open from its opening day to its closing day,
/// both included.
pub fn state(opens_on: NaiveDate, closes_on: NaiveDate, today: NaiveDate) -> BoardState {
    if today < opens_on {
        BoardState::NotYetOpen
    } else if today > closes_on {
        BoardState::Closed
    } else {
        BoardState::Open
    }
}

/// Cards are posted and votes cast only while the board is open.
pub fn check_open(s: BoardState) -> std::result::Result<(), &'static str> {
    match s {
        BoardState::Open => Ok(()),
        BoardState::NotYetOpen => Err("boards.not_yet_open"),
        BoardState::Closed => Err("boards.closed"),
    }
}

/// A vote is refused once a member has used the board's votes.
pub fn check_vote(used: u32, limit: Option<u16>) -> std::result::Result<(), &'static str> {
    match limit {
        Some(l) if used >= u32::from(l) => Err("boards.no_votes_left"),
        _ => Ok(()),
    }
}

/// A card as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CardInput {
    pub column_id: String,
    pub text: String,
    #[serde(deserialize_with = "lenient_bool")]
    pub anonymous: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CardData {
    pub column_id: uuid::Uuid,
    pub text: String,
    pub anonymous: bool,
}

impl CardInput {
    pub fn validate(&self) -> Result<CardData> {
        let mut e = Errors::new();
        let column = e.take(
            "column_id",
            self.column_id
                .trim()
                .parse::<uuid::Uuid>()
                .map_err(|_| "validation.choice"),
        );
        let text = e.take("text", required_text(&self.text, 1000));
        e.finish()?;
        Ok(CardData {
            column_id: column.unwrap_or_default(),
            text: text.unwrap_or_default(),
            anonymous: self.anonymous,
        })
    }
}

/// A group of cards as typed by the coordinator: a title and two cards or more.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct GroupInput {
    pub title: String,
    #[serde(deserialize_with = "lenient_list")]
    pub cards: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GroupData {
    pub title: String,
    pub cards: Vec<uuid::Uuid>,
}

impl GroupInput {
    pub fn validate(&self) -> Result<GroupData> {
        let mut e = Errors::new();
        let title = e.take("title", required_text(&self.title, 200));
        let mut cards = Vec::new();
        for c in self.cards.iter().filter(|c| !c.trim().is_empty()) {
            match c.trim().parse::<uuid::Uuid>() {
                Ok(id) if !cards.contains(&id) => cards.push(id),
                Ok(_) => {}
                Err(_) => e.add("cards", "validation.choice"),
            }
        }
        if cards.len() < 2 {
            e.add("cards", "boards.group_two_cards");
        }
        e.finish()?;
        Ok(GroupData {
            title: title.unwrap_or_default(),
            cards,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::Error;

    fn d(y: i32, m: u32, dd: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, dd).unwrap()
    }

    fn codes(r: Result<impl std::fmt::Debug>) -> Vec<(String, &'static str)> {
        match r {
            Err(Error::Invalid(e)) => e.into_iter().map(|f| (f.field, f.code)).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_board_has_columns_one_per_line_and_closes_after_it_opens() {
        let ok = BoardInput {
            question: "¿Qué propones para mejorar la comunicación?".into(),
            columns: vec!["COMUNICACIÓN\r\nCOORDINACIÓN\n\nOTRAS APORTACIONES".into()],
            opens_on: "2026-11-01".into(),
            closes_on: "2026-11-30".into(),
            votes_per_member: "3".into(),
        }
        .validate()
        .unwrap();
        assert_eq!(
            ok.columns,
            ["COMUNICACIÓN", "COORDINACIÓN", "OTRAS APORTACIONES"]
        );
        assert_eq!(ok.votes_per_member, Some(3));
        let bad = BoardInput {
            question: " ".into(),
            columns: vec!["A".into(), "a".into()],
            opens_on: "2026-11-30".into(),
            closes_on: "2026-11-01".into(),
            votes_per_member: "0".into(),
        };
        assert_eq!(
            codes(bad.validate()),
            [
                ("question".into(), "validation.required"),
                ("columns".into(), "boards.column_twice"),
                ("closes_on".into(), "boards.closes_before_opens"),
                ("votes_per_member".into(), "boards.votes_range"),
            ]
        );
        let none = BoardInput {
            columns: vec![],
            ..bad
        };
        assert!(codes(none.validate()).contains(&("columns".into(), "validation.required")));
        // A control or direction character in a title is named, not stored.
        let odd = BoardInput {
            columns: vec!["A\u{0}B".into(), "\u{202E}C".into()],
            ..none
        };
        assert_eq!(
            codes(odd.validate())
                .into_iter()
                .filter(|c| c.0 == "columns")
                .collect::<Vec<_>>(),
            [
                ("columns".into(), "validation.text.characters"),
                ("columns".into(), "validation.text.characters")
            ]
        );
    }

    #[test]
    fn a_board_is_open_between_its_days_both_included() {
        let (o, c) = (d(2026, 11, 2), d(2026, 11, 20));
        assert_eq!(state(o, c, d(2026, 11, 1)), BoardState::NotYetOpen);
        assert_eq!(state(o, c, o), BoardState::Open);
        assert_eq!(state(o, c, c), BoardState::Open);
        assert_eq!(state(o, c, d(2026, 11, 21)), BoardState::Closed);
        assert_eq!(check_open(BoardState::Closed), Err("boards.closed"));
        assert_eq!(
            check_open(BoardState::NotYetOpen),
            Err("boards.not_yet_open")
        );
    }

    #[test]
    fn votes_are_limited_when_the_board_says_so() {
        assert!(check_vote(100, None).is_ok());
        assert!(check_vote(2, Some(3)).is_ok());
        assert_eq!(check_vote(3, Some(3)), Err("boards.no_votes_left"));
    }

    #[test]
    fn cards_and_groups_are_checked() {
        assert_eq!(
            codes(CardInput::default().validate()),
            [
                ("column_id".into(), "validation.choice"),
                ("text".into(), "validation.required")
            ]
        );
        let one = uuid::Uuid::new_v4().to_string();
        assert_eq!(
            codes(
                GroupInput {
                    title: "Canales".into(),
                    cards: vec![one.clone(), one]
                }
                .validate()
            ),
            [("cards".into(), "boards.group_two_cards")]
        );
    }
}
