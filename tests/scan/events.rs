//! The events and errors a caller sees: their order, kinds and offsets.

use crate::common;

use argstream::{ErrorKind, Event, KeyScanner, ValueKind};

fn events(doc: &str, keys: &[&str]) -> Vec<Event> {
    let mut scanner = KeyScanner::new(keys);
    let mut out = Vec::new();
    while let Some(event) = scanner.next_event(doc.as_bytes()).unwrap() {
        out.push(event);
    }
    scanner.finish().unwrap();
    out
}

fn error(doc: &[u8]) -> (ErrorKind, u64) {
    let mut scanner = KeyScanner::new(&["k"]);
    let error = loop {
        match scanner.next_event(doc) {
            Ok(Some(_)) => continue,
            Ok(None) => break scanner.finish().unwrap_err(),
            Err(error) => break error,
        }
    };
    (error.kind(), error.offset())
}

#[test]
fn events_in_order_for_several_keys() {
    let doc = r#"{"a":"x","b":[1],"a":"y","c":null}"#;
    let got = events(doc, &["a", "b", "c"]);
    let kinds: Vec<String> = got
        .iter()
        .map(|event| match event {
            Event::ValueStart { key, occurrence } => format!("start {key} {occurrence}"),
            Event::Text(span) => format!("text {}", &doc[span.range()]),
            Event::ValueEnd { key } => format!("end {key}"),
            Event::NonString {
                key,
                occurrence,
                kind,
            } => format!("other {key} {occurrence} {kind:?}"),
            Event::Complete => "complete".to_owned(),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "start 0 0",
            "text x",
            "end 0",
            "other 1 0 Array",
            "start 0 1",
            "text y",
            "end 0",
            "other 2 0 Null",
            "complete"
        ]
    );
}

#[test]
fn non_string_kinds() {
    for (value, kind) in [
        ("{}", ValueKind::Object),
        ("[]", ValueKind::Array),
        ("-1", ValueKind::Number),
        ("true", ValueKind::Bool),
        ("false", ValueKind::Bool),
        ("null", ValueKind::Null),
    ] {
        let doc = format!(r#"{{"k":{value}}}"#);
        assert_eq!(
            events(&doc, &["k"]),
            [
                Event::NonString {
                    key: 0,
                    occurrence: 0,
                    kind
                },
                Event::Complete
            ]
        );
    }
}

#[test]
fn empty_string_value_gives_start_and_end_only() {
    assert_eq!(
        events(r#"{"k":""}"#, &["k"]),
        [
            Event::ValueStart {
                key: 0,
                occurrence: 0
            },
            Event::ValueEnd { key: 0 },
            Event::Complete
        ]
    );
}

#[test]
fn text_arrives_as_soon_as_its_bytes_do() {
    let doc = br#"{"k":"hello \u00e9 world"}"#;
    let mut scanner = KeyScanner::new(&["k"]);
    let mut got = Vec::new();
    for end in 1..=doc.len() {
        while let Some(event) = scanner.next_event(&doc[..end]).unwrap() {
            if let Event::Text(span) = event {
                got.push((end, String::from_utf8(span.raw(doc).to_vec()).unwrap()));
            }
        }
    }
    scanner.finish().unwrap();
    // Plain text comes out byte by byte; the escape waits for its last digit.
    assert_eq!(got[0], (7, "h".to_owned()));
    assert!(got.contains(&(18, r"\u00e9".to_owned())), "{got:?}");
    assert_eq!(
        got.iter().map(|(_, s)| s.as_str()).collect::<String>(),
        r"hello \u00e9 world"
    );
}

#[test]
fn errors_name_kind_and_offset() {
    let cases: &[(&[u8], ErrorKind, u64)] = &[
        (br#"{"k":"a\x"}"#, ErrorKind::InvalidEscape, 8),
        (br#"{"k":"\u12g4"}"#, ErrorKind::InvalidEscape, 10),
        (br#"{"k":"\ud800x"}"#, ErrorKind::LoneSurrogate, 6),
        (br#"{"k":"\udc00"}"#, ErrorKind::LoneSurrogate, 6),
        (br#"{"k":"\ud800\u0041"}"#, ErrorKind::LoneSurrogate, 6),
        (b"{\"k\":\"a\xffb\"}", ErrorKind::InvalidUtf8, 7),
        (b"{\"k\":\"a\xe4\xb8x\"}", ErrorKind::InvalidUtf8, 9),
        (b"{\"k\":\"a\x01\"}", ErrorKind::ControlCharacter, 7),
        (br#"{"k":01}"#, ErrorKind::InvalidNumber, 6),
        (br#"{"k":1.x}"#, ErrorKind::InvalidNumber, 7),
        (br#"{"k":trux}"#, ErrorKind::InvalidLiteral, 8),
        (br#"{"k":1,}"#, ErrorKind::UnexpectedByte, 7),
        (br#"{"k":1] "#, ErrorKind::UnexpectedByte, 6),
        (br#"{"k":1} x"#, ErrorKind::TrailingContent, 8),
        (br#"{"k":"abc"#, ErrorKind::Truncated, 9),
        (br#"{"k":1"#, ErrorKind::Truncated, 6),
        (b"", ErrorKind::Truncated, 0),
        (b"-", ErrorKind::Truncated, 1),
    ];
    for &(doc, kind, offset) in cases {
        assert_eq!(
            error(doc),
            (kind, offset),
            "{:?}",
            String::from_utf8_lossy(doc)
        );
    }
}

#[test]
fn error_display_names_the_offset() {
    let err = argstream::Error::new(ErrorKind::InvalidEscape, 42);
    assert_eq!(err.to_string(), "invalid escape sequence at byte 42");
}

#[test]
fn a_failed_scanner_stays_failed() {
    let mut scanner = KeyScanner::new(&["k"]);
    let first = scanner.next_event(br#"{"k":x"#).unwrap_err();
    assert_eq!(scanner.next_event(br#"{"k":x"}"#), Err(first));
    assert_eq!(scanner.finish(), Err(first));
}

#[test]
fn a_shrunk_buffer_is_an_error_not_a_panic() {
    let mut scanner = KeyScanner::new(&["k"]);
    while scanner.next_event(br#"{"k":"abc"#).unwrap().is_some() {}
    let error = scanner.next_event(b"{").unwrap_err();
    assert_eq!(error.kind(), ErrorKind::BufferShrunk);
}

#[test]
fn depth_limit_matches_serde_json_and_is_configurable() {
    let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    for n in [126, 127, 128, 129] {
        let doc = nested(n);
        let ours = common::scan(doc.as_bytes(), "k", &[3]).result;
        let serde = serde_json::from_slice::<serde_json::Value>(doc.as_bytes()).is_ok();
        assert_eq!(ours.is_ok(), serde, "depth {n}");
        if n >= 128 {
            assert_eq!(ours.unwrap_err().kind(), ErrorKind::TooDeep);
        }
    }
    let mut scanner = KeyScanner::new(&["k"]).with_max_depth(4);
    assert!(scanner.next_event(b"[[[]]]").is_ok());
    let mut scanner = KeyScanner::new(&["k"]).with_max_depth(4);
    let error = scanner.next_event(b"[[[[]]]]").unwrap_err();
    assert_eq!((error.kind(), error.offset()), (ErrorKind::TooDeep, 3));
}

#[test]
fn deep_input_neither_recurses_nor_grows_memory() {
    // A million open brackets: refused at the limit, long before the end.
    let doc = vec![b'['; 1 << 20];
    let mut scanner = KeyScanner::new(&["k"]);
    let error = scanner.next_event(&doc).unwrap_err();
    assert_eq!((error.kind(), error.offset()), (ErrorKind::TooDeep, 127));
    // A high limit works without recursion too.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let mut scanner = KeyScanner::new(&["k"]).with_max_depth(200_000);
    while scanner.next_event(deep.as_bytes()).unwrap().is_some() {}
    scanner.finish().unwrap();
}

#[test]
fn numbers_outside_f64_range_are_accepted_unlike_serde_json() {
    for doc in [
        "1e400",
        r#"{"k":"x","n":-1e400}"#,
        "[123456789e999999999999]",
    ] {
        assert!(serde_json::from_slice::<serde_json::Value>(doc.as_bytes()).is_err());
        assert!(
            common::scan(doc.as_bytes(), "k", &[2]).result.is_ok(),
            "{doc}"
        );
    }
}

#[test]
fn reset_scans_a_new_document() {
    let mut scanner = KeyScanner::new(&["k"]);
    let _ = scanner.next_event(br#"{"k":x"#);
    scanner.reset();
    let mut seen = Vec::new();
    while let Some(event) = scanner.next_event(br#"{"k":"y"}"#).unwrap() {
        seen.push(event);
    }
    assert_eq!(
        seen.first(),
        Some(&Event::ValueStart {
            key: 0,
            occurrence: 0
        })
    );
    scanner.finish().unwrap();
}

#[test]
fn root_number_completes_at_finish() {
    let mut scanner = KeyScanner::new(&["k"]);
    assert_eq!(scanner.next_event(b"12").unwrap(), None);
    assert!(!scanner.is_complete());
    scanner.finish().unwrap();
    assert!(scanner.is_complete());
}

/// Why the one-piece comparison with `serde_json::from_slice::<IgnoredAny>`
/// is not like for like: it skips strings without checking their UTF-8 or
/// surrogates, which argstream (like serde_json's `Value`) refuses.
#[test]
fn serde_json_ignored_any_checks_less_than_the_scanner() {
    for doc in [&b"[\"a\xff\xfeb\"]"[..], br#"["\ud800"]"#] {
        assert!(serde_json::from_slice::<serde::de::IgnoredAny>(doc).is_ok());
        assert!(serde_json::from_slice::<serde_json::Value>(doc).is_err());
        assert!(common::scan(doc, "k", &[doc.len()]).result.is_err());
    }
}
