#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Every parser that takes outside input, attacked with generated input: CSV and XLSX
//! files (random bytes, and valid files mutated: bits flipped, parts cut, repeated or
//! spliced, hostile characters put in), the document validators (DNI, NIE, codice
//! fiscale), the dates people and files write, the import's value readers, the text
//! normalisation of the master index, the form decoder of every page and the query
//! strings of the API and the pages (`views::decode_form`, `http::decode_query`: the
//! functions the extractors call) and the iCalendar writer. Nothing may panic, and what
//! each parser accepts must hold its promise (a document it accepts validates again to
//! itself, a date reads back to itself, clean text has no forbidden character, folding
//! is idempotent, a refused form or query is a 422 or 400, a calendar line keeps to 75
//! octets with no control character and its text reads back).
//!
//! Deterministic (a seeded generator). The test command runs a short round
//! (`ITINERA_FUZZ_ITERATIONS`, default 3,000 inputs per target); the long run, outside
//! it: `ITINERA_FUZZ_ITERATIONS=1000000 cargo test --release --test fuzz -- --nocapture`.

use itinera_domain::documents::{normalise, validate, with_computed_letter, DocumentKind};
use itinera_domain::{import, input, text};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn iterations() -> usize {
    std::env::var("ITINERA_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3_000)
}

/// Characters that break naive parsers.
const HOSTILE: &[&str] = &[
    "\0",
    "\u{202e}",
    "\u{2066}",
    "\u{feff}",
    "\r",
    "\n",
    "\r\n",
    "\t",
    ";",
    ",",
    "\"",
    "'",
    "\\",
    "/",
    "-",
    ".",
    " ",
    "ñ",
    "ß",
    "İ",
    "ﬁ",
    "𝔸",
    "😀",
    "\u{301}",
    "0",
    "9",
    "X",
    "Y",
    "Z",
    "=",
    "+",
    "@",
    "%",
    "<script>",
    "00/00/0000",
    "31/02/1980",
    "9999-99-99",
    "1e308",
    "-0",
    "NaN",
];

fn random_text(rng: &mut ChaCha8Rng, max: usize) -> String {
    let n = rng.gen_range(0..=max);
    let mut s = String::new();
    for _ in 0..n {
        match rng.gen_range(0..10) {
            0..=3 => s.push(char::from(rng.gen_range(0x20u8..0x7f))),
            4 | 5 => s.push_str(HOSTILE[rng.gen_range(0..HOSTILE.len())]),
            6 => s.push(char::from(b'0' + rng.gen_range(0..10))),
            7 => s.push(char::from(b'A' + rng.gen_range(0..26))),
            _ => {
                let c = char::from_u32(rng.gen_range(0..0x3_0000)).unwrap_or('?');
                s.push(c);
            }
        }
    }
    s
}

/// A valid input changed: bits flipped, bytes cut, inserted, repeated or spliced.
fn mutate(rng: &mut ChaCha8Rng, seed: &[u8]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for _ in 0..rng.gen_range(1..8) {
        if b.is_empty() {
            b.push(rng.gen());
            continue;
        }
        let at = rng.gen_range(0..b.len());
        match rng.gen_range(0..7) {
            0 => b[at] ^= 1 << rng.gen_range(0..8),
            1 => b.truncate(at),
            2 => {
                let h = HOSTILE[rng.gen_range(0..HOSTILE.len())].as_bytes();
                b.splice(at..at, h.iter().copied());
            }
            3 => {
                let end = (at + rng.gen_range(1..64)).min(b.len());
                let part = b[at..end].to_vec();
                for _ in 0..rng.gen_range(1..20) {
                    b.splice(at..at, part.iter().copied());
                }
            }
            4 => b[at] = rng.gen(),
            5 => {
                let end = (at + rng.gen_range(1..32)).min(b.len());
                b.drain(at..end);
            }
            _ => b.extend(std::iter::repeat_n(rng.gen::<u8>(), rng.gen_range(1..300))),
        }
    }
    b
}

fn valid_csv() -> Vec<u8> {
    "Nº Expediente;Nombre;Apellidos;Sexo;F. Nacimiento;DNI/NIE;Teléfono\r\n\
     SS-001;Dolores;Muñoz Gallardo;M;14/02/1971;33111222K;600 111 222\r\n\
     SS-002;\"Ibrahima; hijo\";Diallo;H;1988-09-30;X1234567L;\r\n\
     SS-003;Lola;\"Muñoz \"\"la Chica\"\"\";M;14/02/1971;;\r\n"
        .as_bytes()
        .to_vec()
}

fn valid_xlsx() -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["Nombre", "Apellidos", "Sexo", "F. Nacimiento", "DNI"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for r in 1..6u32 {
        ws.write_string(r, 0, "Ana").unwrap();
        ws.write_string(r, 1, "García López").unwrap();
        ws.write_string(r, 2, "M").unwrap();
        ws.write_number(r, 3, 30_000.0 + f64::from(r)).unwrap();
        ws.write_string(r, 4, "12345678Z").unwrap();
    }
    wb.save_to_buffer().unwrap()
}

#[test]
fn files_from_other_systems_never_break_the_reader() {
    let mut rng = ChaCha8Rng::seed_from_u64(0xf11e5);
    // The kept corpus (`tests/fuzz-corpus`) and two valid files made here.
    let mut seeds = vec![valid_csv(), valid_xlsx()];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x != "md"))
        .collect();
    files.sort();
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        // Each as it is: read or refused with a reason, never a panic.
        let _ = itinera_tabular::read(&bytes).map_err(|e| e.to_string());
        seeds.push(bytes);
    }
    assert!(seeds.len() >= 6, "the corpus is there");
    let (mut read, mut refused) = (0usize, 0usize);
    for i in 0..iterations() {
        let bytes = match i % 4 {
            0 => (0..rng.gen_range(0..2_000)).map(|_| rng.gen()).collect(),
            1 => random_text(&mut rng, 400).into_bytes(),
            _ => mutate(&mut rng, &seeds[i % seeds.len()]),
        };
        match itinera_tabular::read(&bytes) {
            Ok(sheet) => {
                read += 1;
                // Rows are reported by their line in the file: after the header's,
                // in order.
                let mut last = 1;
                for row in &sheet.rows {
                    assert!(
                        row.line > last,
                        "{:?}: line {} after {last} (case {i}): {:?}",
                        sheet.format,
                        row.line,
                        bytes.escape_ascii().to_string()
                    );
                    last = row.line;
                }
            }
            Err(e) => {
                refused += 1;
                // Every refusal can be told to a person (its line when it has one).
                let _ = (e.to_string(), e.line());
            }
        }
    }
    println!("fuzz tabular: {read} read, {refused} refused");
    assert!(read > 0 && refused > 0, "both kinds of input were tried");
}

#[test]
fn document_validators_accept_only_what_validates_again() {
    let mut rng = ChaCha8Rng::seed_from_u64(0xd0c5);
    let kinds = [
        DocumentKind::Dni,
        DocumentKind::Nie,
        DocumentKind::CodiceFiscale,
        DocumentKind::Passport,
        DocumentKind::Other,
    ];
    let seeds = [
        "12345678Z",
        "X1234567L",
        "RSSMRA85T10A562S",
        "PAB123456",
        "Y-0000000-Z",
    ];
    let mut accepted = 0usize;
    for i in 0..iterations() {
        let raw = if i % 2 == 0 {
            random_text(&mut rng, 24)
        } else {
            String::from_utf8_lossy(&mutate(&mut rng, seeds[i % seeds.len()].as_bytes()))
                .into_owned()
        };
        let _ = normalise(&raw);
        for k in kinds {
            if let Ok(n) = validate(k, &raw) {
                accepted += 1;
                assert_eq!(validate(k, &n), Ok(n.clone()), "{k:?} {raw:?}");
                assert!(!n.chars().any(char::is_whitespace), "{n:?}");
            }
        }
        if let Some((k, n)) = with_computed_letter(&raw) {
            assert!(
                validate(k, &n).is_ok(),
                "a computed letter validates: {raw:?} → {n}"
            );
        }
    }
    println!("fuzz documents: {accepted} accepted");
    assert!(accepted > 0);
}

#[test]
fn dates_and_import_values_never_break_and_read_back() {
    let mut rng = ChaCha8Rng::seed_from_u64(0xda7e);
    let seeds = ["14/02/1971", "1988-09-30", "31/12/1999", "1/1/70", "30000"];
    let mut dates = 0usize;
    for i in 0..iterations() {
        let raw = if i % 2 == 0 {
            random_text(&mut rng, 16)
        } else {
            String::from_utf8_lossy(&mutate(&mut rng, seeds[i % seeds.len()].as_bytes()))
                .into_owned()
        };
        if let Ok(d) = input::parse_date(&raw) {
            dates += 1;
            assert_eq!(input::parse_date(&d.format("%Y-%m-%d").to_string()), Ok(d));
            assert_eq!(input::parse_date(&d.format("%d/%m/%Y").to_string()), Ok(d));
        }
        if let Some(d) = import::date(&raw) {
            assert!(!import::impossible_date(&d.format("%d/%m/%Y").to_string()));
        }
        let _ = (
            import::impossible_date(&raw),
            import::sex(&raw, true),
            import::labour_status(&raw),
            import::declined(&raw),
            import::split_surnames(&raw),
            import::guess_target(&raw),
        );
    }
    println!("fuzz dates: {dates} read");
}

#[test]
fn text_normalisation_is_clean_and_idempotent() {
    let mut rng = ChaCha8Rng::seed_from_u64(0x7e87);
    for _ in 0..iterations() {
        let raw = random_text(&mut rng, 60);
        if let Some(c) = text::clean(&raw) {
            assert!(!text::has_forbidden(&c), "{c:?}");
            assert_eq!(text::clean(&c).as_deref(), Some(c.as_str()), "{raw:?}");
        }
        let f = text::fold(&raw);
        assert_eq!(text::fold(&f), f, "{raw:?}");
        let lf = itinera_linkage::text::fold(&raw);
        assert_eq!(itinera_linkage::text::fold(&lf), lf, "{raw:?}");
        for t in itinera_linkage::text::name_tokens(&raw) {
            let _ = itinera_linkage::text::skeleton(&t);
        }
        let _ = text::mask_document(&raw);
    }
}

/// A form body or a query string: names and values of random text, with the shapes the
/// decoder nests (`documents.0.kind`, `scores.income.level`), repeated names, and broken
/// percent-encoding.
fn random_pairs(rng: &mut ChaCha8Rng) -> String {
    const NAMES: &[&str] = &[
        "given_name",
        "surname1",
        "birth_date",
        "sex",
        "documents.0.kind",
        "documents.0.number",
        "documents.99999999999999999999.kind",
        "documents.7.number",
        "scores.income.level",
        "scores..",
        "a.b.c.d",
        "..",
        ".",
        "day",
        "name",
        "territory_id",
        "reference",
        "reason",
        "until",
        "period",
        "q",
        "page",
        "per_page",
        "from",
        "to",
        "action",
        "entity_id",
        "organisation_kinds",
        "organisation_kinds",
        "csrf",
        "dry_run",
    ];
    let mut out = String::new();
    for i in 0..rng.gen_range(0..14) {
        if i > 0 {
            out.push('&');
        }
        let name = if rng.gen_bool(0.8) {
            NAMES[rng.gen_range(0..NAMES.len())].to_string()
        } else {
            random_text(rng, 12)
        };
        let value = random_text(rng, 40);
        let enc = |s: &str| -> String {
            s.bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect()
        };
        match rng.gen_range(0..6) {
            0 => out.push_str(&name),
            1 => out.push_str(&format!("{name}={value}")),
            2 => out.push_str(&format!("{}=%{}", enc(&name), random_text(rng, 3))),
            _ => out.push_str(&format!("{}={}", enc(&name), enc(&value))),
        }
    }
    out
}

#[test]
fn forms_and_query_strings_never_break_the_decoders() {
    use itinera_web::http::decode_query;
    use itinera_web::views::decode_form;
    let mut rng = ChaCha8Rng::seed_from_u64(0xf0f0);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
    let (mut taken, mut refused) = (0usize, 0usize);
    for _ in 0..iterations() {
        let body = random_pairs(&mut rng);
        let bytes = if rng.gen_bool(0.1) {
            mutate(&mut rng, body.as_bytes())
        } else {
            body.clone().into_bytes()
        };
        // The forms people send, decoded and then validated as the services do.
        match decode_form::<itinera_domain::participant::ParticipantInput>(&bytes) {
            Ok((_, p)) => {
                taken += 1;
                let _ = p.validate(today);
            }
            Err(e) => {
                refused += 1;
                assert!(matches!(e, itinera_domain::Error::Invalid(_)), "{e:?}");
            }
        }
        if let Ok((_, h)) = decode_form::<itinera_domain::holidays::HolidayInput>(&bytes) {
            let _ = h.validate();
        }
        if let Ok((_, h)) = decode_form::<itinera_domain::privacy::LegalHoldInput>(&bytes) {
            let _ = h.validate(today);
        }
        if let Ok((_, r)) = decode_form::<itinera_domain::privacy::RetentionRuleInput>(&bytes) {
            for k in itinera_domain::privacy::RecordKind::ALL {
                let _ = r.validate(*k);
            }
        }
        let _ = decode_form::<std::collections::HashMap<String, String>>(&bytes);
        let _ = decode_form::<serde_json::Value>(&bytes);
        // The query strings of lists and searches.
        let q = String::from_utf8_lossy(&bytes).to_string();
        if let Err(e) = decode_query::<itinera_service::audit_log::AuditQuery>(&q) {
            assert!(matches!(e, itinera_domain::Error::BadRequest(_)));
        }
        let _ = decode_query::<std::collections::HashMap<String, String>>(&q);
        let _ = decode_query::<Vec<(String, String)>>(&q);
    }
    assert!(taken > 0 && refused > 0, "{taken} taken, {refused} refused");
}

fn unescape_ics(v: &str) -> String {
    let mut out = String::new();
    let mut it = v.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.next() {
                Some('n') | Some('N') => out.push('\n'),
                Some(o) => out.push(o),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn the_calendar_writer_keeps_its_format_whatever_the_text() {
    use itinera_domain::calendar::{ics, Event};
    let mut rng = ChaCha8Rng::seed_from_u64(0x1c5);
    let now = chrono::DateTime::from_timestamp(1_796_000_000, 0).unwrap();
    for _ in 0..iterations() {
        let starts =
            chrono::DateTime::from_timestamp(rng.gen_range(0..4_000_000_000i64), 0).unwrap();
        let summary = random_text(&mut rng, 200);
        let place = random_text(&mut rng, 90);
        let event = Event {
            uid: random_text(&mut rng, 40),
            starts,
            ends: starts + chrono::Duration::minutes(rng.gen_range(0..600)),
            summary: summary.clone(),
            location: rng.gen_bool(0.5).then(|| place.clone()),
            url: rng.gen_bool(0.3).then(|| random_text(&mut rng, 120)),
            description: rng.gen_bool(0.5).then(|| random_text(&mut rng, 400)),
        };
        let name = random_text(&mut rng, 50);
        let out = ics(&name, &[event], now);
        // Lines end in CRLF, hold at most 75 octets, and carry no control character.
        assert!(out.ends_with("\r\n"));
        for line in out.split("\r\n") {
            assert!(line.len() <= 75, "{line:?}");
            assert!(!line.chars().any(|c| c.is_control()), "{line:?}");
        }
        // Unfolded and unescaped, the summary reads back as written (control characters
        // dropped, tabs as spaces).
        let unfolded = out.replace("\r\n ", "");
        let line = unfolded
            .split("\r\n")
            .find(|l| l.starts_with("SUMMARY:"))
            .unwrap();
        let expected: String = summary
            .chars()
            .filter_map(|c| match c {
                '\t' => Some(' '),
                '\n' => Some('\n'),
                c if c.is_control() => None,
                c => Some(c),
            })
            .collect();
        assert_eq!(unescape_ics(&line["SUMMARY:".len()..]), expected);
        assert_eq!(unfolded.matches("BEGIN:VEVENT").count(), 1);
    }
}
