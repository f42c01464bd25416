//! The line of a JSON document at which a JSON pointer's value starts, so that a
//! problem found in the parsed value is reported where a person finds it in the file.
//! A small scanner over the text: it follows the pointer's steps and skips the rest.

/// The 1-based line of `pointer`'s value in `text` (the nearest enclosing value when a
/// step is missing, e.g. the object a required property is missing from).
pub fn line_of(text: &str, pointer: &str) -> usize {
    let b = text.as_bytes();
    let line = |pos: usize| {
        b.get(..pos)
            .map_or(0, |s| s.iter().filter(|c| **c == b'\n').count())
            + 1
    };
    let steps: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect();
    let mut pos = skip_ws(b, 0);
    for step in &steps {
        let Some(next) = child(b, pos, step) else {
            return line(pos);
        };
        pos = next;
    }
    line(pos)
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(|c| c.is_ascii_whitespace()) {
        i += 1;
    }
    i
}

/// The end of the string starting at `i` (on its opening quote).
fn skip_string(b: &[u8], mut i: usize) -> usize {
    i += 1;
    while let Some(c) = b.get(i) {
        match c {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    i
}

/// The end of the value starting at `i`.
fn skip_value(b: &[u8], i: usize) -> usize {
    match b.get(i) {
        Some(b'"') => skip_string(b, i),
        Some(b'{') | Some(b'[') => {
            let mut depth = 0usize;
            let mut j = i;
            while let Some(c) = b.get(j) {
                match c {
                    b'"' => {
                        j = skip_string(b, j);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            return j + 1;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            j
        }
        _ => {
            let mut j = i;
            while b
                .get(j)
                .is_some_and(|c| !matches!(c, b',' | b'}' | b']') && !c.is_ascii_whitespace())
            {
                j += 1;
            }
            j
        }
    }
}

/// Where the value of member or element `step` of the container at `pos` starts.
fn child(b: &[u8], pos: usize, step: &str) -> Option<usize> {
    match b.get(pos)? {
        b'{' => {
            let mut i = skip_ws(b, pos + 1);
            while b.get(i) == Some(&b'"') {
                let end = skip_string(b, i);
                let raw = std::str::from_utf8(b.get(i..end)?).ok()?;
                let key: String = serde_json::from_str(raw).ok()?;
                i = skip_ws(b, end);
                if b.get(i) != Some(&b':') {
                    return None;
                }
                i = skip_ws(b, i + 1);
                if key == step {
                    return Some(i);
                }
                i = skip_ws(b, skip_value(b, i));
                if b.get(i) == Some(&b',') {
                    i = skip_ws(b, i + 1);
                }
            }
            None
        }
        b'[' => {
            let want: usize = step.parse().ok()?;
            let mut i = skip_ws(b, pos + 1);
            let mut k = 0;
            while b.get(i).is_some_and(|c| *c != b']') {
                if k == want {
                    return Some(i);
                }
                i = skip_ws(b, skip_value(b, i));
                if b.get(i) == Some(&b',') {
                    i = skip_ws(b, i + 1);
                }
                k += 1;
            }
            None
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_line_of_a_pointer() {
        let text = "{\n  \"contents\": [\n    {\"id\": \"a\", \"x\": {\"y\": [1, 2]}},\n    {\n      \"id\": \"b\",\n      \"name\": \"with \\\"quotes\\\" and } ]\",\n      \"phones\": [\n        {\"number\": 5}\n      ]\n    }\n  ]\n}";
        assert_eq!(line_of(text, ""), 1);
        assert_eq!(line_of(text, "/contents"), 2);
        assert_eq!(line_of(text, "/contents/0/x/y/1"), 3);
        assert_eq!(line_of(text, "/contents/1"), 4);
        assert_eq!(line_of(text, "/contents/1/name"), 6);
        assert_eq!(line_of(text, "/contents/1/phones/0/number"), 8);
        // A missing step: the nearest enclosing value.
        assert_eq!(line_of(text, "/contents/1/email"), 4);
        assert_eq!(line_of(text, "/contents/7"), 2);
    }
}
