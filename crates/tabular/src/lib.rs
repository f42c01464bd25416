//! # itinera-tabular: the tables people export from their systems
//!
//! A municipal social-services export, an employment-service extract, an NGO's
//! spreadsheet: CSV with `,` `;` or tabs, quoted fields, in UTF-8 (with or without BOM),
//! UTF-16 (Excel's "Unicode text") or Windows-1252; or an XLSX workbook (its first
//! sheet). [`read`] turns the bytes into a header and rows of text, each row with the
//! line (CSV) or row number (XLSX) it came from, so that every later problem can be
//! named where the person will find it. Dates typed as dates in a workbook come out as
//! `YYYY-MM-DD`; dates stored as numbers stay numbers (Excel serials), for the caller to
//! read as such. No I/O: the caller hands over the bytes.
//!
//! **Caps.** One person's file must not take the service from everyone else: a file is
//! refused, with a message that says which limit, past [`MAX_ROWS`] rows, [`MAX_COLUMNS`]
//! columns, [`MAX_CELL_CHARS`] characters in a cell or [`MAX_TEXT_BYTES`] of text in all.
//! A workbook is checked before it is parsed: its XML parts are decompressed (really, not
//! trusting the sizes the archive declares) up to [`MAX_SHEET_XML`] each and
//! [`MAX_SHARED_STRINGS_XML`] for the shared strings; its sheet is then read cell by cell
//! (never as a grid between its corners). Every step is linear in the file.

pub mod write;

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use serde::Serialize;

/// Rows of data a file may have (a regional export of a year fits).
pub const MAX_ROWS: usize = 200_000;
/// Columns a table may have.
pub const MAX_COLUMNS: usize = 256;
/// Characters a cell may hold.
pub const MAX_CELL_CHARS: usize = 4_000;
/// Text a file may hold in all its cells.
pub const MAX_TEXT_BYTES: usize = 128 * 1024 * 1024;
/// Decompressed size of each XML part of a workbook (its sheet, its styles…).
pub const MAX_SHEET_XML: u64 = 256 * 1024 * 1024;
/// Decompressed size of a workbook's shared strings (all held in memory to read it).
pub const MAX_SHARED_STRINGS_XML: u64 = 32 * 1024 * 1024;
/// Parts a workbook may have.
pub const MAX_PARTS: usize = 2_000;

/// How the file was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "format", rename_all = "snake_case")]
pub enum Format {
    Csv { delimiter: char, encoding: Encoding },
    Xlsx { sheet: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    Utf8,
    Utf8Bom,
    Utf16,
    Windows1252,
}

/// One data row: its line in the file (1 is the header's) and its cells, trimmed. A row
/// may have more or fewer cells than the header; the caller reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub line: usize,
    pub cells: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Sheet {
    pub format: Format,
    pub header: Vec<String>,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TabularError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is not text in a known encoding, nor an XLSX workbook")]
    Encoding,
    #[error("column `{column}` appears twice in the header")]
    DuplicateColumn { column: String },
    #[error("the header has an empty column name (column {column})")]
    EmptyColumn { column: String },
    #[error("line {line}: {message}")]
    Csv { line: usize, message: String },
    #[error("the XLSX workbook cannot be read (damaged or truncated): {0}")]
    Xlsx(String),
    #[error("more than {MAX_ROWS} rows")]
    TooManyRows,
    #[error("more than {MAX_COLUMNS} columns (line {line})")]
    TooManyColumns { line: usize },
    #[error("line {line}: a cell of more than {MAX_CELL_CHARS} characters")]
    CellTooLong { line: usize },
    #[error("more than {MAX_TEXT_BYTES} bytes of text")]
    TooMuchText,
    #[error("the workbook is larger than allowed once decompressed ({part})")]
    XlsxTooBig { part: String },
}

impl TabularError {
    /// The translation key of the problem.
    pub fn code(&self) -> &'static str {
        match self {
            TabularError::Empty => "import.file.empty",
            TabularError::Encoding => "import.file.encoding",
            TabularError::DuplicateColumn { .. } => "import.file.duplicate_column",
            TabularError::EmptyColumn { .. } => "import.file.empty_column",
            TabularError::Csv { .. } => "import.file.csv",
            TabularError::Xlsx(_) => "import.file.xlsx",
            TabularError::TooManyRows => "import.file.too_many_rows",
            TabularError::TooManyColumns { .. } => "import.file.too_many_columns",
            TabularError::CellTooLong { .. } => "import.file.cell_too_long",
            TabularError::TooMuchText => "import.file.too_much_text",
            TabularError::XlsxTooBig { .. } => "import.file.xlsx_too_big",
        }
    }

    /// The line the problem is on, when it is on one.
    pub fn line(&self) -> Option<usize> {
        match self {
            TabularError::Csv { line, .. }
            | TabularError::TooManyColumns { line }
            | TabularError::CellTooLong { line } => Some(*line).filter(|l| *l > 0),
            _ => None,
        }
    }
}

/// Reads a CSV or XLSX file (told apart by its first bytes, not its name).
pub fn read(bytes: &[u8]) -> Result<Sheet, TabularError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(TabularError::Empty);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes)
    } else {
        read_csv(bytes)
    }
}

/// The spreadsheet name of a 0-based column: A, B, …, Z, AA, AB, …
pub fn column_letter(index: usize) -> String {
    let mut n = index + 1;
    let mut out = Vec::new();
    while n > 0 {
        let r = (n - 1) % 26;
        out.push(b'A' + r as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Windows-1252 to Unicode, for files saved by older spreadsheet programs.
pub fn decode_cp1252(bytes: &[u8]) -> String {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9f => HIGH
                .get(usize::from(b - 0x80))
                .copied()
                .unwrap_or('\u{fffd}'),
            _ => char::from(b),
        })
        .collect()
}

/// A cell's bytes as text: UTF-8 if they are, Windows-1252 otherwise.
pub fn text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => std::borrow::Cow::Owned(decode_cp1252(bytes)),
    }
}

/// The file's text and the encoding it was in.
pub fn decode(bytes: &[u8]) -> Result<(String, Encoding), TabularError> {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return std::str::from_utf8(rest)
            .map(|s| (s.to_string(), Encoding::Utf8Bom))
            .map_err(|_| TabularError::Encoding);
    }
    let utf16 = |rest: &[u8], le: bool| -> Result<(String, Encoding), TabularError> {
        if !rest.len().is_multiple_of(2) {
            return Err(TabularError::Encoding);
        }
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .filter_map(|c| <[u8; 2]>::try_from(c).ok())
            .map(|c| {
                if le {
                    u16::from_le_bytes(c)
                } else {
                    u16::from_be_bytes(c)
                }
            })
            .collect();
        String::from_utf16(&units)
            .map(|s| (s, Encoding::Utf16))
            .map_err(|_| TabularError::Encoding)
    };
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, true);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, false);
    }
    // Text has no NUL bytes; a binary file (or UTF-16 without its mark) has many.
    if bytes.contains(&0) {
        return Err(TabularError::Encoding);
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok((s.to_string(), Encoding::Utf8)),
        Err(_) => Ok((decode_cp1252(bytes), Encoding::Windows1252)),
    }
}

/// The delimiter (`,` `;` or tab) that splits the header line into the most columns
/// (outside quotes).
pub fn sniff_delimiter(text: &str) -> u8 {
    let first = text.lines().next().unwrap_or_default();
    let (mut commas, mut semicolons, mut tabs) = (0usize, 0usize, 0usize);
    let mut quoted = false;
    for c in first.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => commas += 1,
            ';' if !quoted => semicolons += 1,
            '\t' if !quoted => tabs += 1,
            _ => {}
        }
    }
    // The most columns wins; on a tie, the comma, then the semicolon.
    [(commas, 2, b','), (semicolons, 1, b';'), (tabs, 0, b'\t')]
        .into_iter()
        .max_by_key(|(n, rank, _)| (*n, *rank))
        .map_or(b',', |(_, _, d)| d)
}

/// `first_col`: the 0-based column the table starts at (a workbook's table may not start
/// at A).
fn check_header(header: &[String], first_col: usize) -> Result<(), TabularError> {
    let mut seen = std::collections::HashSet::with_capacity(header.len());
    for (i, h) in header.iter().enumerate() {
        if h.is_empty() {
            return Err(TabularError::EmptyColumn {
                column: column_letter(first_col + i),
            });
        }
        if !seen.insert(h.as_str()) {
            return Err(TabularError::DuplicateColumn { column: h.clone() });
        }
    }
    Ok(())
}

/// The text read so far, against the caps.
#[derive(Default)]
struct Budget {
    bytes: usize,
}

impl Budget {
    fn take(&mut self, cell: &str, line: usize) -> Result<(), TabularError> {
        // Bytes bound characters from above: count characters only when it matters.
        if cell.len() > MAX_CELL_CHARS && cell.chars().count() > MAX_CELL_CHARS {
            return Err(TabularError::CellTooLong { line });
        }
        self.bytes += cell.len();
        if self.bytes > MAX_TEXT_BYTES {
            return Err(TabularError::TooMuchText);
        }
        Ok(())
    }
}

fn is_blank(cells: &[String]) -> bool {
    cells.iter().all(String::is_empty)
}

fn read_csv(bytes: &[u8]) -> Result<Sheet, TabularError> {
    let (text, encoding) = decode(bytes)?;
    let delimiter = sniff_delimiter(&text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header: Vec<String> = match records.next() {
        Some(Ok(r)) => r.iter().map(|h| h.trim().to_string()).collect(),
        Some(Err(e)) => {
            return Err(TabularError::Csv {
                line: 1,
                message: e.to_string(),
            })
        }
        None => return Err(TabularError::Empty),
    };
    // Trailing empty header cells (a spreadsheet's habit) are not columns.
    let mut header = header;
    while header.last().is_some_and(String::is_empty) && header.len() > 1 {
        header.pop();
    }
    if header.len() > MAX_COLUMNS {
        return Err(TabularError::TooManyColumns { line: 1 });
    }
    check_header(&header, 0)?;
    let mut budget = Budget::default();
    // A record's line, from its byte offset: the reader's offset may point at the end
    // of the previous line (CR LF, skipped blank lines), so line breaks are stepped over.
    let bytes_of = text.as_bytes();
    // A line ends in LF, CR LF or a lone CR (files from old systems).
    let newlines: Vec<usize> = bytes_of
        .iter()
        .enumerate()
        .filter(|(i, b)| **b == b'\n' || (**b == b'\r' && bytes_of.get(i + 1) != Some(&b'\n')))
        .map(|(i, _)| i)
        .collect();
    let line_at = |byte: u64| {
        let mut b = byte as usize;
        while matches!(bytes_of.get(b), Some(b'\r' | b'\n')) {
            b += 1;
        }
        newlines.partition_point(|&n| n < b) + 1
    };
    let mut rows = Vec::new();
    for r in records {
        let r = r.map_err(|e| TabularError::Csv {
            line: e.position().map_or(0, |p| line_at(p.byte())),
            message: e.to_string(),
        })?;
        let line = r.position().map_or(0, |p| line_at(p.byte()));
        if r.len() > MAX_COLUMNS && r.iter().skip(MAX_COLUMNS).any(|c| !c.trim().is_empty()) {
            return Err(TabularError::TooManyColumns { line });
        }
        let mut cells: Vec<String> = Vec::with_capacity(r.len().min(MAX_COLUMNS));
        for c in r.iter().take(MAX_COLUMNS) {
            budget.take(c.trim(), line)?;
            cells.push(c.trim().to_string());
        }
        while cells.len() > header.len() && cells.last().is_some_and(String::is_empty) {
            cells.pop();
        }
        if !is_blank(&cells) {
            if rows.len() == MAX_ROWS {
                return Err(TabularError::TooManyRows);
            }
            rows.push(Row { line, cells });
        }
    }
    Ok(Sheet {
        format: Format::Csv {
            delimiter: char::from(delimiter),
            encoding,
        },
        header,
        rows,
    })
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(t) if t.time() == chrono::NaiveTime::MIN => t.date().to_string(),
            Some(t) => t.to_string(),
            None => dt.as_f64().to_string(),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// Decompresses the workbook's XML parts, counting what they really hold, and refuses
/// a workbook past the caps before anything is parsed.
fn check_workbook(bytes: &[u8]) -> Result<(), TabularError> {
    use std::io::Read;
    let mut zip =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| TabularError::Xlsx(e.to_string()))?;
    if zip.len() > MAX_PARTS {
        return Err(TabularError::XlsxTooBig {
            part: format!("{} parts", zip.len()),
        });
    }
    for i in 0..zip.len() {
        let mut part = zip
            .by_index(i)
            .map_err(|e| TabularError::Xlsx(e.to_string()))?;
        let name = part
            .name()
            .map(|n| n.to_string())
            .map_err(|e| TabularError::Xlsx(e.to_string()))?;
        if !(name.ends_with(".xml") || name.ends_with(".rels")) {
            continue; // images and the like: never read
        }
        let cap = if name.ends_with("sharedStrings.xml") {
            MAX_SHARED_STRINGS_XML
        } else {
            MAX_SHEET_XML
        };
        let n = std::io::copy(&mut (&mut part).take(cap + 1), &mut std::io::sink())
            .map_err(|e| TabularError::Xlsx(e.to_string()))?;
        if n > cap {
            return Err(TabularError::XlsxTooBig { part: name });
        }
    }
    Ok(())
}

fn read_xlsx(bytes: &[u8]) -> Result<Sheet, TabularError> {
    check_workbook(bytes)?;
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes))
        .map_err(|e: calamine::XlsxError| TabularError::Xlsx(e.to_string()))?;
    let name = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| TabularError::Xlsx("no sheet".into()))?;
    // Cell by cell: (row, column, text) of the cells with something in them.
    let mut cells: Vec<(u32, u32, String)> = Vec::new();
    let mut budget = Budget::default();
    let mut first_row: Option<u32> = None;
    {
        let mut reader = book
            .worksheet_cells_reader(&name)
            .map_err(|e| TabularError::Xlsx(e.to_string()))?;
        while let Some(cell) = reader
            .next_cell()
            .map_err(|e| TabularError::Xlsx(e.to_string()))?
        {
            let (row, col) = cell.get_position();
            let text = cell_text(&Data::from(cell.get_value().clone()));
            if text.is_empty() {
                continue;
            }
            let line = row as usize + 1;
            if col as usize >= MAX_COLUMNS {
                return Err(TabularError::TooManyColumns { line });
            }
            let first = *first_row.get_or_insert(row);
            if (row.saturating_sub(first) as usize) > MAX_ROWS {
                return Err(TabularError::TooManyRows);
            }
            budget.take(&text, line)?;
            cells.push((row, col, text));
        }
    }
    cells.sort_unstable_by_key(|(r, c, _)| (*r, *c));
    let first_row = cells
        .iter()
        .map(|(r, _, _)| *r)
        .min()
        .ok_or(TabularError::Empty)?;
    let first_col = cells.iter().map(|(_, c, _)| *c).min().unwrap_or(0);
    let mut grouped: Vec<(u32, Vec<String>)> = Vec::new();
    for (r, c, text) in cells {
        if grouped.last().is_none_or(|(last, _)| *last != r) {
            grouped.push((r, Vec::new()));
        }
        if let Some((_, row)) = grouped.last_mut() {
            let at = (c - first_col) as usize;
            if row.len() <= at {
                row.resize(at + 1, String::new());
            }
            if let Some(slot) = row.get_mut(at) {
                *slot = text;
            }
        }
    }
    let mut it = grouped.into_iter();
    let mut header = match it.next() {
        Some((r, h)) if r == first_row => h,
        _ => Vec::new(),
    };
    header.resize(header.len().max(1), String::new());
    // Columns left of the table are not part of it; neither are empty trailing ones.
    while header.last().is_some_and(String::is_empty) && header.len() > 1 {
        header.pop();
    }
    check_header(&header, first_col as usize)?;
    let mut rows = Vec::new();
    for (r, mut cells) in it {
        // A row's empty cells at its end were never written: the row is as wide as the
        // header (cells beyond it are kept, for the caller to report).
        if cells.len() < header.len() {
            cells.resize(header.len(), String::new());
        }
        if !is_blank(&cells) {
            rows.push(Row {
                line: r as usize + 1,
                cells,
            });
        }
    }
    Ok(Sheet {
        format: Format::Xlsx { sheet: name },
        header,
        rows,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn csv_dialects_and_encodings() {
        let s = read("Nombre;Apellidos;Fecha\n\"Peña, Ana\";García;07/03/1985\n\n;;\nLuis;Pérez;1990-01-02\n".as_bytes()).unwrap();
        let crlf = read(b"a;b\r\n1;2\r\n\r\n3;4\r\n").unwrap();
        assert_eq!(crlf.rows[0].line, 2);
        let cr = read(b"a,b\r1,2\r3,4\r").unwrap();
        assert_eq!(
            cr.rows.iter().map(|r| r.line).collect::<Vec<_>>(),
            [2, 3],
            "lines that end in a lone CR count"
        );
        assert_eq!(crlf.rows[1].line, 4);
        assert_eq!(s.header, ["Nombre", "Apellidos", "Fecha"]);
        assert_eq!(s.rows.len(), 2);
        assert_eq!(s.rows[0].cells[0], "Peña, Ana");
        assert_eq!(s.rows[1].line, 5);
        assert_eq!(
            s.format,
            Format::Csv {
                delimiter: ';',
                encoding: Encoding::Utf8
            }
        );
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(b"a,b\n1,2\n");
        assert_eq!(read(&bom).unwrap().header, ["a", "b"]);
        // Windows-1252: "Muñoz" with ñ = 0xF1.
        let s = read(b"nombre\tapellido\nJos\xe9\tMu\xf1oz\n").unwrap();
        assert_eq!(s.rows[0].cells, ["José", "Muñoz"]);
        let mut u16 = vec![0xFF, 0xFE];
        for unit in "nombre\tedad\r\nÁngel\t3\r\n".encode_utf16() {
            u16.extend_from_slice(&unit.to_le_bytes());
        }
        let s = read(&u16).unwrap();
        assert_eq!(s.rows[0].cells, ["Ángel", "3"]);
        assert!(matches!(
            s.format,
            Format::Csv {
                encoding: Encoding::Utf16,
                ..
            }
        ));
    }

    #[test]
    fn bad_files_are_named() {
        assert_eq!(read(b"  \n").unwrap_err(), TabularError::Empty);
        assert_eq!(read(b"a,b\x00c\n").unwrap_err(), TabularError::Encoding);
        assert_eq!(
            read(b"a,b,a\n1,2,3\n").unwrap_err(),
            TabularError::DuplicateColumn { column: "a".into() }
        );
        assert_eq!(
            read(b"a,,c\n1,2,3\n").unwrap_err(),
            TabularError::EmptyColumn { column: "B".into() }
        );
        // A short row is kept as it is: the caller reports it with its line.
        let s = read(b"a,b,c\n1,2\n").unwrap();
        assert_eq!(s.rows[0].cells.len(), 2);
        assert_eq!(s.rows[0].line, 2);
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(27), "AB");
    }

    fn workbook() -> Vec<u8> {
        use rust_xlsxwriter::{ExcelDateTime, Format as XFormat, Workbook};
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name("Usuarios").unwrap();
        let date = XFormat::new().set_num_format("dd/mm/yyyy");
        ws.write_string(0, 0, "Nombre").unwrap();
        ws.write_string(0, 1, "F. nacimiento").unwrap();
        ws.write_string(0, 2, "Serie").unwrap();
        ws.write_string(1, 0, " Ana ").unwrap();
        ws.write_datetime_with_format(1, 1, ExcelDateTime::from_ymd(1985, 3, 7).unwrap(), &date)
            .unwrap();
        ws.write_number(1, 2, 31_113.0).unwrap();
        ws.write_string(3, 0, "Luis").unwrap();
        wb.save_to_buffer().unwrap()
    }

    #[test]
    fn xlsx_first_sheet_with_dates_and_serials() {
        let s = read(&workbook()).unwrap();
        assert_eq!(s.header, ["Nombre", "F. nacimiento", "Serie"]);
        assert_eq!(s.rows[0].cells, ["Ana", "1985-03-07", "31113"]);
        assert_eq!(s.rows[0].line, 2);
        assert_eq!(
            s.rows[1].line, 4,
            "a blank row is skipped, lines still count"
        );
        assert_eq!(
            s.format,
            Format::Xlsx {
                sheet: "Usuarios".into()
            }
        );
    }

    #[test]
    fn a_truncated_workbook_is_named_as_such() {
        let wb = workbook();
        let cut = &wb[..wb.len() / 2];
        let e = read(cut).unwrap_err();
        assert_eq!(e.code(), "import.file.xlsx");
    }

    /// The probes of the security review: each refused at once, with its reason.
    #[test]
    fn a_file_past_the_caps_is_refused_not_read() {
        use rust_xlsxwriter::Workbook;
        // Two cells at the corners of a sheet: never a grid between them.
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "Nombre").unwrap();
        ws.write_string(1_048_575, 16_383, "x").unwrap();
        let corners = wb.save_to_buffer().unwrap();
        assert!(corners.len() < 10_000);
        assert_eq!(
            read(&corners).unwrap_err(),
            TabularError::TooManyColumns { line: 1_048_576 }
        );
        // Shared strings that decompress past their cap.
        let mut wb = Workbook::new();
        wb.add_worksheet().write_string(0, 0, "Nombre").unwrap();
        let small = wb.save_to_buffer().unwrap();
        let mut zin = zip::ZipArchive::new(Cursor::new(&small)).unwrap();
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for i in 0..zin.len() {
            let mut f = zin.by_index(i).unwrap();
            let name = f.name().unwrap().to_string();
            let mut content = Vec::new();
            std::io::Read::read_to_end(&mut f, &mut content).unwrap();
            if name.ends_with("sharedStrings.xml") {
                let n = (MAX_SHARED_STRINGS_XML as usize) / 17 + 10;
                let mut x = String::from("<?xml version=\"1.0\"?><sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">");
                x.push_str(&"<si><t>a</t></si>".repeat(n));
                x.push_str("</sst>");
                content = x.into_bytes();
            }
            out.start_file(name, opts).unwrap();
            std::io::Write::write_all(&mut out, &content).unwrap();
        }
        let bomb = out.finish().unwrap().into_inner();
        assert!(bomb.len() < 2_000_000, "{}", bomb.len());
        assert!(matches!(
            read(&bomb).unwrap_err(),
            TabularError::XlsxTooBig { part } if part.ends_with("sharedStrings.xml")
        ));
        // 200,000 columns of CSV: refused on its header, without comparing them.
        let wide = (0..200_000)
            .map(|i| format!("c{i}"))
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(
            read(format!("{wide}\n").as_bytes()).unwrap_err(),
            TabularError::TooManyColumns { line: 1 }
        );
        // A data row wider than the cap, rows past the cap, a cell too long.
        let row = (0..300).map(|_| "1").collect::<Vec<_>>().join(",");
        assert_eq!(
            read(format!("a,b\n1,2\n{row}\n").as_bytes()).unwrap_err(),
            TabularError::TooManyColumns { line: 3 }
        );
        let many = format!("a\n{}", "1\n".repeat(MAX_ROWS + 1));
        assert_eq!(
            read(many.as_bytes()).unwrap_err(),
            TabularError::TooManyRows
        );
        assert_eq!(
            read(format!("a\n{}\n", "1\n".repeat(MAX_ROWS)).as_bytes())
                .unwrap()
                .rows
                .len(),
            MAX_ROWS
        );
        let long = format!("a,b\n1,{}\n", "x".repeat(MAX_CELL_CHARS + 1));
        assert_eq!(
            read(long.as_bytes()).unwrap_err(),
            TabularError::CellTooLong { line: 2 }
        );
    }
}
