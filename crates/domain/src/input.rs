//! Generic parsers of what people type and integrators send: required and optional
//! text (cleaned, with a length limit), dates, ids, a professional acting for an
//! organisation, and the lenient readers of form values (a form sends every value as
//! text; a ticked box as "on"). Each returns the translation key of the problem; the
//! caller names the field.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer};
use uuid::Uuid;

use crate::text::{clean, has_forbidden};

/// Required text, cleaned (trimmed, inner runs of space joined), at most `max`
/// characters; control and bidirectional-override characters are refused.
pub fn required_text(raw: &str, max: usize) -> Result<String, &'static str> {
    if has_forbidden(raw) {
        return Err("validation.text.characters");
    }
    match clean(raw) {
        None => Err("validation.required"),
        Some(s) if s.chars().count() > max => Err("validation.too_long"),
        Some(s) => Ok(s),
    }
}

pub fn optional_text(raw: &str, max: usize) -> Result<Option<String>, &'static str> {
    if has_forbidden(raw) {
        return Err("validation.text.characters");
    }
    match clean(raw) {
        Some(s) if s.chars().count() > max => Err("validation.too_long"),
        other => Ok(other),
    }
}

/// A user name: required, at most 64 characters, lower case letters, digits, `.`, `_`
/// and `-` (typed in any case, kept in lower case).
pub fn username(raw: &str) -> Result<String, &'static str> {
    let u = required_text(raw, 64)?.to_lowercase();
    if u.chars()
        .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        Ok(u)
    } else {
        Err("validation.username.format")
    }
}

/// The version a change was written on (optimistic concurrency): empty means the one
/// just read (`current`); anything else must be a whole number.
pub fn version_or(raw: &str, current: i32) -> Result<i32, &'static str> {
    match raw.trim() {
        "" => Ok(current),
        v => v.parse().map_err(|_| "validation.number.format"),
    }
}

/// An optional date: empty is none.
pub fn optional_date(raw: &str) -> Result<Option<NaiveDate>, &'static str> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        parse_date(raw).map(Some)
    }
}

/// Parses a calendar date typed as `YYYY-MM-DD` (the HTML date input) or `DD/MM/YYYY`.
pub fn parse_date(s: &str) -> Result<NaiveDate, &'static str> {
    let s = s.trim();
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
        .map_err(|_| "validation.date.format")?;
    // Years a person's record can hold: the parser takes any signed year, and dates
    // far outside these would overflow date arithmetic (periods, their previous
    // period) or PostgreSQL's date range.
    if within_years(d) {
        Ok(d)
    } else {
        Err("validation.date.range")
    }
}

/// Whether a date is within the years a record may hold (`FIRST_YEAR`–`LAST_YEAR`).
pub fn within_years(d: NaiveDate) -> bool {
    (FIRST_YEAR..=LAST_YEAR).contains(&d.year())
}

/// The first and last years a date typed in may have.
pub const FIRST_YEAR: i32 = 1900;
pub const LAST_YEAR: i32 = 2199;

/// An optional id: empty is none; anything but a UUID is not one of the choices.
pub fn optional_id(raw: &str) -> Result<Option<Uuid>, &'static str> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(None);
    }
    Uuid::parse_str(t)
        .map(Some)
        .map_err(|_| "validation.choice")
}

/// Parses `USER_ID@ORGANISATION_ID`.
pub fn parse_professional(raw: &str) -> Result<(Uuid, Uuid), &'static str> {
    if raw.trim().is_empty() {
        return Err("validation.required");
    }
    raw.split_once('@')
        .and_then(|(u, o)| {
            Some((
                Uuid::parse_str(u.trim()).ok()?,
                Uuid::parse_str(o.trim()).ok()?,
            ))
        })
        .ok_or("validation.choice")
}

/// Accepts a JSON string, number or null as text.
pub fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    })
}

/// Accepts a JSON number or a numeric string (forms send text); anything else is 0,
/// which no stored version has, so a stale or missing version is refused, not guessed.
pub fn lenient_i32<'de, D: Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(match v {
        serde_json::Value::Number(n) => n.as_i64().and_then(|n| i32::try_from(n).ok()).unwrap_or(0),
        serde_json::Value::String(s) => s.trim().parse().unwrap_or(0),
        _ => 0,
    })
}

/// Accepts a list of strings, or a single string (a form with one ticked box).
pub fn lenient_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(match v {
        serde_json::Value::String(s) => vec![s],
        // An item that is not text is kept as text (`42`), so that its check names it
        // rather than the list losing it.
        serde_json::Value::Array(a) => a
            .into_iter()
            .filter(|x| !x.is_null())
            .map(|x| match x {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            })
            .collect(),
        serde_json::Value::Null => vec![],
        other => vec![other.to_string()],
    })
}

/// Accepts `true`/`false`, the strings a form sends for a ticked box, and yes/no in
/// words (any case); anything else is refused (the field is named), never read as no.
pub fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    use serde::de::Error as _;
    let v = serde_json::Value::deserialize(d)?;
    match v {
        serde_json::Value::Bool(b) => Ok(b),
        serde_json::Value::Null => Ok(false),
        serde_json::Value::String(s) => match s.trim().to_lowercase().as_str() {
            "on" | "true" | "1" | "yes" | "sí" | "si" | "sì" => Ok(true),
            "" | "off" | "false" | "0" | "no" => Ok(false),
            _ => Err(D::Error::custom("not a yes or a no")),
        },
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(1) => Ok(true),
            Some(0) => Ok(false),
            _ => Err(D::Error::custom("not a yes or a no")),
        },
        _ => Err(D::Error::custom("not a yes or a no")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_typed_two_ways_within_the_years_a_record_holds() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 14).unwrap();
        assert_eq!(parse_date(" 2026-03-14 "), Ok(d));
        assert_eq!(parse_date("14/03/2026"), Ok(d));
        assert_eq!(parse_date("2026-02-30"), Err("validation.date.format"));
        assert_eq!(parse_date("1900-01-01").map(|d| d.year()), Ok(1900));
        assert_eq!(parse_date("2199-12-31").map(|d| d.year()), Ok(2199));
        // chrono reads any signed year: far ones are refused, not stored.
        for far in ["-262143-01-02", "1899-12-31", "2200-01-01", "31/12/1899"] {
            assert_eq!(parse_date(far), Err("validation.date.range"), "{far}");
        }
        for bad in ["01/01/99999", "+99999-01-01", "99999-01-01"] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn user_names() {
        assert_eq!(username(" TS.Badajoz "), Ok("ts.badajoz".to_string()));
        assert_eq!(username(""), Err("validation.required"));
        assert_eq!(username("ana maría"), Err("validation.username.format"));
        assert_eq!(username(&"a".repeat(65)), Err("validation.too_long"));
    }

    #[test]
    fn control_and_bidi_characters_are_refused() {
        for bad in [
            "Ana\u{0}",
            "Ana\u{7}",
            "\u{202E}anA",
            "Ana\u{2067}x",
            "a\u{1b}[31m",
        ] {
            assert_eq!(
                required_text(bad, 100),
                Err("validation.text.characters"),
                "{bad:?}"
            );
            assert_eq!(optional_text(bad, 100), Err("validation.text.characters"));
            assert!(!clean(bad)
                .unwrap_or_default()
                .chars()
                .any(crate::text::is_forbidden));
        }
        assert_eq!(
            required_text(" Ana\tMaría\n ", 100),
            Ok("Ana María".to_string())
        );
        assert_eq!(required_text("عائشة", 100), Ok("عائشة".to_string()));
    }

    #[test]
    fn text_dates_and_ids() {
        assert_eq!(required_text("  Ana  ", 10), Ok("Ana".to_string()));
        assert_eq!(required_text("   ", 10), Err("validation.required"));
        assert_eq!(required_text("abcdef", 5), Err("validation.too_long"));
        assert_eq!(optional_text("", 5), Ok(None));
        assert_eq!(
            parse_date("03/12/2026"),
            NaiveDate::from_ymd_opt(2026, 12, 3).ok_or("x")
        );
        assert_eq!(parse_date("2026-12-03"), parse_date("03/12/2026"));
        assert_eq!(parse_date("31/02/2026"), Err("validation.date.format"));
        assert_eq!(optional_date(" "), Ok(None));
        assert_eq!(optional_id(""), Ok(None));
        assert_eq!(optional_id("abc"), Err("validation.choice"));
        let (u, o) = (Uuid::new_v4(), Uuid::new_v4());
        assert_eq!(parse_professional(&format!("{u}@{o}")), Ok((u, o)));
        assert_eq!(parse_professional(""), Err("validation.required"));
        assert_eq!(parse_professional("x@y"), Err("validation.choice"));
    }

    #[derive(Deserialize, utoipa::ToSchema)]
    struct Form {
        #[serde(deserialize_with = "lenient_bool", default)]
        ticked: bool,
        #[serde(deserialize_with = "lenient_list", default)]
        list: Vec<String>,
        #[serde(deserialize_with = "lenient_i32", default)]
        version: i32,
        #[serde(deserialize_with = "lenient_string", default)]
        text: String,
    }

    #[test]
    fn forms_send_text() {
        let f: Form = serde_json::from_value(serde_json::json!({
            "ticked": "on", "list": "one", "version": "7", "text": 12
        }))
        .unwrap_or_else(|_| Form {
            ticked: false,
            list: vec![],
            version: -1,
            text: String::new(),
        });
        assert!(f.ticked);
        assert_eq!(f.list, vec!["one".to_string()]);
        assert_eq!(f.version, 7);
        assert_eq!(f.text, "12");
    }

    #[test]
    fn a_yes_or_no_is_read_as_said_or_refused() {
        let read = |v: serde_json::Value| {
            serde_json::from_value::<Form>(serde_json::json!({ "ticked": v })).map(|f| f.ticked)
        };
        for yes in ["Yes", "TRUE", "sí", "on", "1"] {
            assert!(read(serde_json::json!(yes)).unwrap_or(false), "{yes}");
        }
        for no in ["no", "False", "", "0", "off"] {
            assert!(!read(serde_json::json!(no)).unwrap_or(true), "{no}");
        }
        assert!(read(serde_json::json!("maybe")).is_err());
        assert!(read(serde_json::json!(2)).is_err());
        let f: Result<Form, _> = serde_json::from_value(serde_json::json!({"list": [42, "a"]}));
        assert_eq!(f.map(|f| f.list).unwrap_or_default(), vec!["42", "a"]);
    }
}
