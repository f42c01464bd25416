//! What the command line says, in the language of `ITINERA_LANG` (Spanish by default):
//! every message comes from the translation files, like the web pages'.

use itinera_i18n::{tf, Lang};

static CHOSEN: std::sync::OnceLock<Lang> = std::sync::OnceLock::new();

/// A command's `--lang`, chosen once, before anything is said.
pub fn set_lang(l: Lang) {
    let _ = CHOSEN.set(l);
}

/// The terminal's language: a command's `--lang`, else `ITINERA_LANG` (es, ca, it, en),
/// Spanish by default.
pub fn lang() -> Lang {
    if let Some(l) = CHOSEN.get() {
        return *l;
    }
    std::env::var("ITINERA_LANG")
        .ok()
        .and_then(|l| Lang::parse(&l))
        .unwrap_or_default()
}

/// A message with its `{placeholders}` filled in.
pub fn msg(key: &str, args: &[(&str, &str)]) -> String {
    tf(lang(), key, args)
}

/// The same, as an error.
pub fn err(key: &str, args: &[(&str, &str)]) -> anyhow::Error {
    anyhow::anyhow!("{}", msg(key, args))
}

/// An error of the linkage engine, said in the terminal's language.
pub fn link_err(e: itinera_linkage::LinkError) -> anyhow::Error {
    use itinera_linkage::LinkError as L;
    match e {
        L::NoFields => err("cli.link.no_fields", &[]),
        L::TooManyFields { given, max } => err(
            "cli.link.too_many_fields",
            &[("given", &given.to_string()), ("max", &max.to_string())],
        ),
        L::RowWidth {
            row,
            given,
            expected,
        } => err(
            "cli.link.row_width",
            &[
                ("row", &row.to_string()),
                ("given", &given.to_string()),
                ("expected", &expected.to_string()),
            ],
        ),
        L::SchemaMismatch => err("cli.link.schema_mismatch", &[]),
        L::NoBlockingRule => err("cli.link.no_blocking_rule", &[]),
        L::BadModel(detail) => err("cli.link.bad_model", &[("detail", &detail)]),
    }
}
