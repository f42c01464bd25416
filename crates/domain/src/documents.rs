//! Identity documents and their check characters: Spanish DNI and NIE (mod-23 letter),
//! Italian codice fiscale (odd/even tables). Passports and other documents are only
//! normalised.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Dni,
    Nie,
    CodiceFiscale,
    Passport,
    Other,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 5] = [
        DocumentKind::Dni,
        DocumentKind::Nie,
        DocumentKind::CodiceFiscale,
        DocumentKind::Passport,
        DocumentKind::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            DocumentKind::Dni => "dni",
            DocumentKind::Nie => "nie",
            DocumentKind::CodiceFiscale => "codice_fiscale",
            DocumentKind::Passport => "passport",
            DocumentKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }
}

const DNI_LETTERS: &[u8; 23] = b"TRWAGMYFPDXBNJZSQVHLCKE";

/// Upper-cases and removes spaces, dots and dashes.
pub fn normalise(number: &str) -> String {
    number
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The control letter of a DNI number (0..=99_999_999).
pub fn dni_letter(n: u32) -> char {
    DNI_LETTERS
        .get((n % 23) as usize)
        .map_or('?', |c| char::from(*c))
}

/// A DNI or NIE written without its control letter, as employment-service exports often
/// hold them: its kind and the number with the letter computed (modulo 23), or `None`
/// when it is not such a number. A DNI of fewer than eight digits (its leading zeros
/// dropped by a spreadsheet) is padded with zeros. A number that has a letter is never
/// changed here: a wrong letter is refused by `validate`.
pub fn with_computed_letter(raw: &str) -> Option<(DocumentKind, String)> {
    let n = normalise(raw);
    let b = n.as_bytes();
    if (1..=8).contains(&b.len()) && b.iter().all(u8::is_ascii_digit) {
        let v = digits_value(b)?;
        return Some((DocumentKind::Dni, format!("{v:08}{}", dni_letter(v))));
    }
    if let Ok(&[first, ref rest @ ..]) = <&[u8; 8]>::try_from(b).map(|a| &a[..]) {
        let prefix = match first {
            b'X' => 0,
            b'Y' => 1,
            b'Z' => 2,
            _ => return None,
        };
        if !rest.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let rest = digits_value(rest)?;
        return Some((
            DocumentKind::Nie,
            format!("{n}{}", dni_letter(prefix * 10_000_000 + rest)),
        ));
    }
    None
}

/// Validates a document number of the given kind and returns its normal form, or the
/// translation key of the problem.
pub fn validate(kind: DocumentKind, raw: &str) -> Result<String, &'static str> {
    let n = normalise(raw);
    if n.is_empty() {
        return Err("validation.required");
    }
    match kind {
        DocumentKind::Dni => validate_dni(&n).map(|_| n),
        DocumentKind::Nie => validate_nie(&n).map(|_| n),
        DocumentKind::CodiceFiscale => validate_codice_fiscale(&n).map(|_| n),
        DocumentKind::Passport | DocumentKind::Other => {
            if n.len() > 20 {
                Err("validation.document.too_long")
            } else {
                Ok(n)
            }
        }
    }
}

/// Eight digits and a letter.
fn digits_value(d: &[u8]) -> Option<u32> {
    d.iter().try_fold(0u32, |acc, c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

fn validate_dni(n: &str) -> Result<(), &'static str> {
    let Ok(bytes) = <&[u8; 9]>::try_from(n.as_bytes()) else {
        return Err("validation.dni.format");
    };
    let (digits, letter) = (&bytes[..8], bytes[8]);
    let Some(num) = digits_value(digits).filter(|_| letter.is_ascii_alphabetic()) else {
        return Err("validation.dni.format");
    };
    if dni_letter(num) as u8 != letter {
        return Err("validation.dni.letter");
    }
    Ok(())
}

fn validate_nie(n: &str) -> Result<(), &'static str> {
    let Ok(bytes) = <&[u8; 9]>::try_from(n.as_bytes()) else {
        return Err("validation.nie.format");
    };
    let prefix = match bytes[0] {
        b'X' => 0,
        b'Y' => 1,
        b'Z' => 2,
        _ => return Err("validation.nie.format"),
    };
    let Some(rest) = digits_value(&bytes[1..8]).filter(|_| bytes[8].is_ascii_alphabetic()) else {
        return Err("validation.nie.format");
    };
    if dni_letter(prefix * 10_000_000 + rest) as u8 != bytes[8] {
        return Err("validation.nie.letter");
    }
    Ok(())
}

/// Codice fiscale: 6 letters, 2 digits, month letter, 2 digits, letter, 3 digits, check
/// letter. "Omocodia" replaces digits by letters (LMNPQRSTUV); it is accepted.
fn validate_codice_fiscale(n: &str) -> Result<(), &'static str> {
    let Ok(b) = <&[u8; 16]>::try_from(n.as_bytes()) else {
        return Err("validation.codice_fiscale.format");
    };
    let digitish = |c: u8| c.is_ascii_digit() || b"LMNPQRSTUV".contains(&c);
    let shape_ok = b[..6].iter().all(u8::is_ascii_alphabetic)
        && digitish(b[6])
        && digitish(b[7])
        && b"ABCDEHLMPRST".contains(&b[8])
        && digitish(b[9])
        && digitish(b[10])
        && b[11].is_ascii_alphabetic()
        && b[12..15].iter().all(|c| digitish(*c))
        && b[15].is_ascii_alphabetic();
    if !shape_ok {
        return Err("validation.codice_fiscale.format");
    }
    if codice_fiscale_check(&b[..15]) != Some(b[15]) {
        return Err("validation.codice_fiscale.check");
    }
    Ok(())
}

/// The check character of the first 15 characters of a codice fiscale.
pub fn codice_fiscale_check(first15: &[u8]) -> Option<u8> {
    const ODD: [u32; 26] = [
        1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24,
        23,
    ];
    let mut sum = 0u32;
    for (i, &c) in first15.iter().enumerate() {
        let idx = if c.is_ascii_digit() {
            u32::from(c - b'0')
        } else if c.is_ascii_uppercase() {
            u32::from(c - b'A')
        } else {
            return None;
        };
        // Positions are 1-based in the standard: odd positions are even indices.
        if i % 2 == 0 {
            sum += ODD.get(idx as usize).copied()?;
        } else {
            sum += idx;
        }
    }
    Some(b'A' + (sum % 26) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_letter_is_computed_and_a_wrong_one_is_not_replaced() {
        assert_eq!(
            with_computed_letter("12345678"),
            Some((DocumentKind::Dni, "12345678Z".into()))
        );
        assert_eq!(
            with_computed_letter("1.234.567"),
            Some((DocumentKind::Dni, "01234567L".into()))
        );
        assert_eq!(
            with_computed_letter("x1234567"),
            Some((DocumentKind::Nie, "X1234567L".into()))
        );
        assert_eq!(with_computed_letter("12345678A"), None);
        assert_eq!(with_computed_letter("A1234567"), None);
        assert_eq!(with_computed_letter(""), None);
        for n in ["12345678", "1234567", "X1234567", "Y7654321", "Z0000001"] {
            let (kind, full) = with_computed_letter(n).unwrap();
            assert_eq!(validate(kind, &full), Ok(full.clone()), "{n}");
        }
    }

    #[test]
    fn dni_letters() {
        assert_eq!(
            validate(DocumentKind::Dni, "12345678Z"),
            Ok("12345678Z".into())
        );
        assert_eq!(
            validate(DocumentKind::Dni, "12.345.678-z"),
            Ok("12345678Z".into())
        );
        assert_eq!(
            validate(DocumentKind::Dni, "12345678A"),
            Err("validation.dni.letter")
        );
        assert_eq!(
            validate(DocumentKind::Dni, "1234567Z"),
            Err("validation.dni.format")
        );
        assert_eq!(
            validate(DocumentKind::Dni, "  "),
            Err("validation.required")
        );
    }

    #[test]
    fn nie_letters() {
        // X1234567 -> 01234567 % 23 = 19 -> 'L'
        assert_eq!(
            validate(DocumentKind::Nie, "X1234567L"),
            Ok("X1234567L".into())
        );
        assert_eq!(
            validate(DocumentKind::Nie, "Y1234567X"),
            Ok("Y1234567X".into())
        );
        assert_eq!(
            validate(DocumentKind::Nie, "X1234567A"),
            Err("validation.nie.letter")
        );
        assert_eq!(
            validate(DocumentKind::Nie, "A1234567L"),
            Err("validation.nie.format")
        );
    }

    #[test]
    fn codice_fiscale_check_character() {
        // The well-known example of the Agenzia delle Entrate documentation.
        assert_eq!(
            validate(DocumentKind::CodiceFiscale, "RSSMRA85T10A562S"),
            Ok("RSSMRA85T10A562S".into())
        );
        assert_eq!(
            validate(DocumentKind::CodiceFiscale, "RSSMRA85T10A562T"),
            Err("validation.codice_fiscale.check")
        );
        assert_eq!(
            validate(DocumentKind::CodiceFiscale, "RSSMRA85T10A56"),
            Err("validation.codice_fiscale.format")
        );
    }

    #[test]
    fn passports_are_only_normalised() {
        assert_eq!(
            validate(DocumentKind::Passport, "pa 123456"),
            Ok("PA123456".into())
        );
        assert_eq!(
            validate(DocumentKind::Other, &"9".repeat(21)),
            Err("validation.document.too_long")
        );
    }

    #[test]
    fn every_dni_number_has_exactly_one_valid_letter() {
        for n in [0u32, 1, 22, 23, 99_999_999, 47_110_815] {
            let valid = (b'A'..=b'Z')
                .filter(|l| {
                    validate(DocumentKind::Dni, &format!("{n:08}{}", char::from(*l))).is_ok()
                })
                .count();
            assert_eq!(valid, 1, "number {n}");
        }
    }
}
