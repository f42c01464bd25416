//! Writing a report's tables: CSV (UTF-8 with BOM and `;`, which the spreadsheets
//! our users open read right in Spanish, Catalan and Italian locales) and XLSX (one
//! sheet per table, numbers as numbers).

use rust_xlsxwriter::{Format, Workbook};

/// A cell of a report.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    Empty,
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_string())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<u32> for Cell {
    fn from(n: u32) -> Self {
        Cell::Number(f64::from(n))
    }
}

impl From<Option<f64>> for Cell {
    fn from(n: Option<f64>) -> Self {
        n.map_or(Cell::Empty, Cell::Number)
    }
}

/// A named table: its title (the sheet name in a workbook), header and rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub title: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

#[derive(Debug, thiserror::Error)]
#[error("the workbook could not be written: {0}")]
pub struct WriteError(String);

/// **Formula defusing** (CSV injection): a cell a spreadsheet would read as a formula —
/// one that starts with `=`, `@`, a tab or a carriage return, or with `+` or `-` followed
/// by anything but a plain number or telephone number — is kept as text by a leading
/// apostrophe. `+34 924 000 000` and `-6.97` stay as they are.
pub fn defuse(s: &str) -> std::borrow::Cow<'_, str> {
    let formula = match s.chars().next() {
        Some('=' | '@' | '\t' | '\r') => true,
        Some('+' | '-') => !s
            .chars()
            .skip(1)
            .all(|c| c.is_ascii_digit() || " .,()/".contains(c)),
        _ => false,
    };
    if formula {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

fn safe(s: &str) -> String {
    defuse(s).into_owned()
}

/// The tables one after the other, each under its title, separated by a blank line.
/// Numbers use a decimal comma.
pub fn csv(tables: &[Table]) -> Result<Vec<u8>, WriteError> {
    let e = |x: csv::Error| WriteError(x.to_string());
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .flexible(true)
        .from_writer("\u{feff}".as_bytes().to_vec());
    for (i, t) in tables.iter().enumerate() {
        if i > 0 {
            w.write_record([""]).map_err(e)?;
        }
        w.write_record([safe(&t.title)]).map_err(e)?;
        w.write_record(t.header.iter().map(|h| safe(h)))
            .map_err(e)?;
        for row in &t.rows {
            w.write_record(row.iter().map(|c| match c {
                Cell::Text(s) => safe(s),
                Cell::Number(n) => format!("{n}").replace('.', ","),
                Cell::Empty => String::new(),
            }))
            .map_err(e)?;
        }
    }
    w.into_inner().map_err(|x| WriteError(x.to_string()))
}

/// Sheet names: at most 31 characters, none of `[]:*?/\`, unique.
fn sheet_name(title: &str, taken: &[String]) -> String {
    let clean: String = title
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(28)
        .collect();
    // An empty title (never given by Itinera) becomes the sheet's number.
    let base = if clean.trim().is_empty() {
        (taken.len() + 1).to_string()
    } else {
        clean
    };
    let mut name = base.clone();
    let mut n = 2;
    while taken.iter().any(|t| t.eq_ignore_ascii_case(&name)) {
        name = format!("{base} {n}");
        n += 1;
    }
    name
}

/// A workbook with one sheet per table, the header in bold.
pub fn xlsx(tables: &[Table]) -> Result<Vec<u8>, WriteError> {
    let e = |x: rust_xlsxwriter::XlsxError| WriteError(x.to_string());
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let mut names = Vec::new();
    for t in tables {
        let name = sheet_name(&t.title, &names);
        let ws = wb.add_worksheet();
        ws.set_name(&name).map_err(e)?;
        names.push(name);
        for (c, h) in t.header.iter().enumerate() {
            let col = u16::try_from(c).map_err(|_| WriteError("too many columns".into()))?;
            ws.write_string_with_format(0, col, h, &bold).map_err(e)?;
            ws.set_column_width(col, (h.chars().count().max(12) + 2) as f64)
                .map_err(e)?;
        }
        for (r, row) in t.rows.iter().enumerate() {
            let r = u32::try_from(r + 1).map_err(|_| WriteError("too many rows".into()))?;
            for (c, cell) in row.iter().enumerate() {
                let col = u16::try_from(c).map_err(|_| WriteError("too many columns".into()))?;
                match cell {
                    Cell::Text(s) => {
                        // A string cell is never evaluated; defused all the same, so a
                        // sheet saved again as CSV stays harmless.
                        ws.write_string(r, col, defuse(s)).map_err(e)?;
                    }
                    Cell::Number(n) => {
                        ws.write_number(r, col, *n).map_err(e)?;
                    }
                    Cell::Empty => {}
                }
            }
        }
    }
    wb.save_to_buffer().map_err(e)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn tables() -> Vec<Table> {
        vec![
            Table {
                title: "Reuniones".into(),
                header: vec!["Previstas".into(), "Celebradas".into()],
                rows: vec![vec![Cell::from(4u32), Cell::from(2u32)]],
            },
            Table {
                title: "Asistencia: por organización".into(),
                header: vec!["Organización".into(), "Tasa".into()],
                rows: vec![
                    vec![
                        Cell::from("Servicios sociales; Badajoz"),
                        Cell::from(Some(66.7)),
                    ],
                    vec![Cell::from("=HYPERLINK()"), Cell::Empty],
                ],
            },
        ]
    }

    #[test]
    fn formulas_are_defused_and_numbers_kept() {
        for f in [
            "=1+1",
            "@SUM(A1)",
            "+cmd|' /C calc'!A0",
            "-2+3+cmd|' /C calc'!A0",
            "\t=1",
            "\r=1",
            "=HYPERLINK(\"http://x\",\"y\")",
        ] {
            assert_eq!(defuse(f), format!("'{f}"), "{f:?}");
        }
        for k in [
            "+34 924 000 000",
            "-6.97",
            "-38,87",
            "Ana",
            "",
            "-",
            "1=1",
            "(+34) 600",
        ] {
            assert_eq!(defuse(k), k, "{k:?}");
        }
    }

    #[test]
    fn csv_is_read_back_with_its_tables_quoted_and_safe() {
        let bytes = csv(&tables()).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with('\u{feff}'));
        assert!(text.contains("\"Servicios sociales; Badajoz\";66,7\r\n"));
        assert!(text.contains("'=HYPERLINK();\r\n"));
        assert!(text.contains("\r\n\"\"\r\nAsistencia"));
        // Read back with the crate's own reader: the first table's header and row.
        let t = crate::read(text.as_bytes()).unwrap();
        assert_eq!(t.header, ["Reuniones"]);
    }

    #[test]
    fn xlsx_is_read_back_sheet_by_sheet() {
        let bytes = xlsx(&tables()).unwrap();
        let t = crate::read(&bytes).unwrap();
        assert_eq!(t.header, ["Previstas", "Celebradas"]);
        assert_eq!(t.rows[0].cells, ["4", "2"]);
        use calamine::Reader;
        let wb: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(
            wb.sheet_names(),
            ["Reuniones", "Asistencia por organización"]
        );
    }
}
