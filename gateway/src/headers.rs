//! Which headers cross the gateway, each way, and what an answer's headers
//! say it is.
//!
//! Hop-by-hop headers belong to one connection (RFC 9110 §7.6.1):
//! `connection` and every header it names, `keep-alive`, `te`, `trailer`,
//! `transfer-encoding`, `upgrade` and the `proxy-*` ones. They are dropped
//! both ways, whatever else is forwarded.

use axum::http::{HeaderMap, HeaderName, HeaderValue, header};

/// The request headers forwarded to the upstream, unchanged, unless the
/// client's `connection` names them. Any other header (cookies, the
/// client's host) stays here.
static FORWARDED_HEADERS: [HeaderName; 7] = [
    header::AUTHORIZATION,
    header::CONTENT_TYPE,
    HeaderName::from_static("x-api-key"),
    HeaderName::from_static("x-goog-api-key"),
    HeaderName::from_static("anthropic-version"),
    HeaderName::from_static("anthropic-beta"),
    HeaderName::from_static("openai-organization"),
];

/// The hop-by-hop headers every connection may have, and `content-length`,
/// which the body the gateway sends on frames anew.
const HOP_BY_HOP_HEADERS: [HeaderName; 6] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

/// The client's headers that go to the upstream.
pub fn forwarded(request: &HeaderMap) -> impl Iterator<Item = (&HeaderName, &HeaderValue)> {
    FORWARDED_HEADERS
        .iter()
        .filter(|name| !named_in_connection(request, name))
        .flat_map(|name| {
            request
                .get_all(name)
                .into_iter()
                .map(move |value| (name, value))
        })
}

/// The upstream answer's headers that go to the client: all but the
/// hop-by-hop ones and `content-length` (the body goes out framed anew).
pub fn passed_back(answer: &HeaderMap) -> impl Iterator<Item = (&HeaderName, &HeaderValue)> {
    answer.iter().filter(|(name, _)| {
        *name != header::CONTENT_LENGTH
            && !HOP_BY_HOP_HEADERS.contains(name)
            && !name.as_str().starts_with("proxy-")
            && !named_in_connection(answer, name)
    })
}

/// Whether one of the `connection` headers lists `name` (names are
/// case-insensitive; `HeaderName` is lower case).
fn named_in_connection(headers: &HeaderMap, name: &HeaderName) -> bool {
    headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|token| token.trim().eq_ignore_ascii_case(name.as_str()))
}

/// Whether the `content-type` is `media_type` (`type/subtype`, lower
/// case): compared without regard to case, parameters (`; charset=…`)
/// and the spaces around them left aside.
pub fn has_media_type(headers: &HeaderMap, media_type: &str) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case(media_type))
}

/// The `content-encoding` of an answer, when it has one other than
/// `identity`: the gateway asks for none, so an encoded body is one it
/// cannot read. Said in a form fit for a message: at most 32 bytes of
/// letters, digits, `-`, `,` and spaces.
pub fn unsolicited_coding(answer: &HeaderMap) -> Option<String> {
    let value = answer.get(header::CONTENT_ENCODING)?.as_bytes();
    let trimmed = value.trim_ascii();
    if trimmed.is_empty() || trimmed.eq_ignore_ascii_case(b"identity") {
        return None;
    }
    let plain = |byte: &u8| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b',' | b' ');
    if trimmed.len() <= 32 && trimmed.iter().all(plain) {
        Some(String::from_utf8_lossy(trimmed).into_owned())
    } else {
        Some("(not shown)".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn media_types_are_read_without_case_and_parameters() {
        for value in [
            "text/event-stream",
            "Text/Event-Stream",
            " text/event-stream ;charset=utf-8",
            "TEXT/EVENT-STREAM; charset=UTF-8",
        ] {
            let answer = headers(&[("content-type", value)]);
            assert!(has_media_type(&answer, "text/event-stream"), "{value}");
        }
        for value in [
            "text/event-streams",
            "text/plain",
            "",
            "text/event-stream-x;",
        ] {
            let answer = headers(&[("content-type", value)]);
            assert!(!has_media_type(&answer, "text/event-stream"), "{value}");
        }
        assert!(!has_media_type(&HeaderMap::new(), "text/event-stream"));
    }

    #[test]
    fn any_coding_but_identity_is_unsolicited() {
        let coding = |value| unsolicited_coding(&headers(&[("content-encoding", value)]));
        assert_eq!(coding("gzip").as_deref(), Some("gzip"));
        assert_eq!(coding(" br, gzip ").as_deref(), Some("br, gzip"));
        assert_eq!(coding("Identity"), None);
        assert_eq!(coding("x\"y").as_deref(), Some("(not shown)"));
        assert_eq!(unsolicited_coding(&HeaderMap::new()), None);
    }

    #[test]
    fn connection_names_any_header_in_any_case_over_several_lines() {
        let request = headers(&[
            ("connection", "keep-alive, X-Api-Key"),
            ("connection", "anthropic-beta"),
            ("x-api-key", "k"),
            ("anthropic-beta", "b"),
            ("authorization", "Bearer t"),
            ("cookie", "c"),
        ]);
        let names: Vec<&str> = forwarded(&request).map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["authorization"]);
    }
}
