//! No page prints an untranslated code: the demo's main pages, read by each kind of
//! professional in each of the four languages, show no missing translation (`⟨?⟩`) and
//! no raw code (a `snake_case` word in the visible text).

use reqwest::StatusCode;

use crate::casework::shared_case;
use crate::helpers::*;

/// The visible text of a page: no tags, no scripts or styles, no attributes, and not
/// what a form holds (a `textarea`'s typed content, e.g. a programme's phase codes).
fn visible(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        out.push(' ');
        rest = &rest[lt..];
        let skip = ["script", "style", "textarea"].into_iter().find(|t| {
            rest.get(1..=t.len())
                .is_some_and(|x| x.eq_ignore_ascii_case(t))
        });
        let end = match skip {
            Some(t) => rest
                .find(&format!("</{t}>"))
                .map(|e| e + t.len() + 3)
                .unwrap_or(rest.len()),
            None => rest.find('>').map(|e| e + 1).unwrap_or(rest.len()),
        };
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn raw_codes(text: &str) -> Vec<String> {
    let mut found: Vec<String> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| {
            w.contains('_')
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit())
                && w.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        })
        .map(str::to_string)
        .collect();
    if text.contains("⟨?⟩") {
        found.push("⟨?⟩".into());
    }
    for code in ["Utf8Bom", "Utf8", "Windows1252"] {
        if text.contains(code) {
            found.push(code.into());
        }
    }
    found.sort();
    found.dedup();
    found
}

#[tokio::test]
async fn no_page_prints_an_untranslated_code_in_any_language() {
    let app = spawn_app().await;
    let (pid, case) = shared_case(&app, 43_000_001).await;
    let mut problems = Vec::new();
    let casework = vec![
        "/".to_string(),
        "/caseload".into(),
        "/participants".into(),
        format!("/participants/{pid}"),
        format!("/cases/{case}"),
        format!("/cases/{case}/itinerary"),
        format!("/cases/{case}/contacts"),
        format!("/cases/{case}/assessments"),
        format!("/cases/{case}/referrals"),
        format!("/cases/{case}/incidents"),
        "/referrals".into(),
        "/calendar".into(),
        "/notifications".into(),
    ];
    let users: Vec<(&str, Vec<String>)> = vec![
        (SOCIAL_BADAJOZ, casework),
        (
            COORDINATOR,
            vec!["/".into(), "/bodies".into(), "/protocols".into()],
        ),
        (
            ADMIN,
            vec![
                "/admin".into(),
                "/admin/users".into(),
                "/admin/holidays".into(),
                "/admin/programmes".into(),
            ],
        ),
    ];
    for (user, pages) in &users {
        for lang in ["es", "ca", "it", "en"] {
            let b = Browser::new(&app.base);
            b.login(user).await;
            b.post_form("/language", &[("lang", lang), ("back", "/")])
                .await;
            for path in pages {
                let (status, html) = b.page(path).await;
                assert_eq!(status, StatusCode::OK, "{user} {lang} {path}");
                let text = visible(&html);
                let codes = raw_codes(&text);
                if !codes.is_empty() {
                    let at = codes
                        .first()
                        .and_then(|c| text.find(c.as_str()))
                        .unwrap_or(0);
                    let context: String = text
                        .get(at.saturating_sub(60)..)
                        .unwrap_or("")
                        .chars()
                        .take(120)
                        .collect();
                    problems.push(format!("{user} {lang} {path}: {codes:?} … {context}"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
