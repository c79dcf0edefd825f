//! Byte spans of top-level members in a chunk that simd-json already
//! validated: simd-json's tape keeps values but not where they were, and a
//! relay wants to pass `usage` and `error` on byte for byte.

use memchr::memchr2;

/// The text of the value of the last top-level member named `key` in `doc`,
/// a JSON object that is known to be valid.
///
/// Keys are compared as raw bytes, so a key written with escapes
/// (`"\u0075sage"`) is not found. Linear in `doc.len()`, no allocation, no
/// recursion.
pub(crate) fn top_level_value<'a>(doc: &'a [u8], key: &str) -> Option<&'a str> {
    let mut found = None;
    top_level_members(doc, |name, value| {
        if name == key.as_bytes() {
            found = Some(value);
        }
        true
    });
    std::str::from_utf8(doc.get(found?)?).ok()
}

/// Hands `each` the raw name and the value's range of every top-level
/// member, in order, while it returns `true`.
fn top_level_members(doc: &[u8], mut each: impl FnMut(&[u8], std::ops::Range<usize>) -> bool) {
    let mut depth = 0usize;
    let mut expect_key = false;
    let mut at = 0;
    while let Some(&byte) = doc.get(at) {
        match byte {
            b'"' => {
                let Some(end) = string_end(doc, at) else {
                    return;
                };
                let is_key = depth == 1 && expect_key;
                expect_key = false;
                if is_key {
                    let Some(start) = value_start(doc, end) else {
                        return;
                    };
                    let Some(stop) = value_end(doc, start) else {
                        return;
                    };
                    if !each(&doc[at + 1..end - 1], start..stop) {
                        return;
                    }
                    at = stop;
                } else {
                    at = end;
                }
            }
            b'{' | b'[' => {
                depth += 1;
                expect_key = depth == 1 && byte == b'{';
                at += 1;
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                at += 1;
            }
            b',' => {
                expect_key = depth == 1;
                at += 1;
            }
            _ => at += 1,
        }
    }
}

/// The index just past the closing quote of the string that opens at `open`.
fn string_end(doc: &[u8], open: usize) -> Option<usize> {
    let mut at = open + 1;
    loop {
        let hit = at + memchr2(b'"', b'\\', doc.get(at..)?)?;
        if doc[hit] == b'"' {
            return Some(hit + 1);
        }
        at = hit + 2;
    }
}

/// The index of the first byte of the value after a key that ends at `after_key`.
fn value_start(doc: &[u8], after_key: usize) -> Option<usize> {
    let rest = doc.get(after_key..)?;
    let offset = rest
        .iter()
        .position(|&b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b':'))?;
    Some(after_key + offset)
}

/// The index just past the value that starts at `start`.
fn value_end(doc: &[u8], start: usize) -> Option<usize> {
    match *doc.get(start)? {
        b'"' => string_end(doc, start),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut at = start;
            while let Some(&byte) = doc.get(at) {
                match byte {
                    b'"' => {
                        at = string_end(doc, at)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(at + 1);
                        }
                    }
                    _ => {}
                }
                at += 1;
            }
            None
        }
        _ => {
            let rest = &doc[start..];
            let len = rest
                .iter()
                .position(|&b| matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
                .unwrap_or(rest.len());
            Some(start + len)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::top_level_value;

    #[test]
    fn finds_top_level_members_only() {
        let doc = br#"{"a":{"usage":1},"s":"\"usage\"","usage" : {"x":[1,"}"]} ,"n":12}"#;
        assert_eq!(top_level_value(doc, "usage"), Some(r#"{"x":[1,"}"]}"#));
        assert_eq!(top_level_value(doc, "n"), Some("12"));
        assert_eq!(top_level_value(doc, "s"), Some(r#""\"usage\"""#));
        assert_eq!(top_level_value(doc, "x"), None);
        assert_eq!(top_level_value(br#"{"usage":null}"#, "usage"), Some("null"));
    }

    #[test]
    fn never_panics_on_broken_input() {
        for doc in [
            &b"{\"usage\""[..],
            b"{\"usage\":",
            b"{\"usage\":{",
            b"\"",
            b"}}]]",
            b"{\"a\\",
        ] {
            let _ = top_level_value(doc, "usage");
        }
    }
}
