//! Every split point: each document fed in two pieces at every position, and
//! one byte at a time, gives exactly what serde_json gives, and the same
//! decoded text as one piece.

use crate::common;

use argstream::Event;
use common::{Outcome, check, scan, scan_pushed};

const KEY: &str = "pre_exec_msg";

/// Hand-written documents for the hard cases: escapes of every kind, surrogate
/// pairs, multi-byte UTF-8, decoys of the key, escaped key spellings,
/// duplicates, values of every type, and invalid documents.
const DOCS: &[&str] = &[
    r#"{"pre_exec_msg": "Let me check that for you"}"#,
    r#"{"pre_exec_msg":"quote \" backslash \\ slash \/ \b\f\n\r\t end"}"#,
    r#"{"pre_exec_msg":"\u00e9\u00E9 \u4e2d \ud83d\ude00 \uD83C\uDF89 \u0000"}"#,
    "{\"pre_exec_msg\":\"caf\u{e9} \u{4e2d}\u{6587} \u{1F600}\u{1F389} \u{7f}\"}",
    r#"{"a":{"pre_exec_msg":"decoy"},"pre_exec_msg":"real","b":["pre_exec_msg"]}"#,
    r#"{"list":[{"pre_exec_msg":"x"},"pre_exec_msg",{"k":{"pre_exec_msg":1}}],"pre_exec_msg":"ok"}"#,
    r#"{"pre\u005fexec_msg":"escaped key"}"#,
    r#"{"pre_exec_msgs":"longer","pre_exec_ms":"shorter","PRE_EXEC_MSG":"case"}"#,
    r#"{"pre_exec_msg":"first","pre_exec_msg":"second"}"#,
    r#"{"pre_exec_msg":"string","pre_exec_msg":12}"#,
    r#"{"pre_exec_msg":12,"pre_exec_msg":"string"}"#,
    r#"{"pre_exec_msg":{"pre_exec_msg":"inner"}}"#,
    r#"{"pre_exec_msg":["a","b"]}"#,
    r#"{"pre_exec_msg":null,"x":true,"y":false,"z":-0.5e+10}"#,
    r#"{"pre_exec_msg":""}"#,
    r#"  { "n" : [ 1 , 2.5 , -3e2 , 0 ] , "pre_exec_msg" : "spaced" }  "#,
    // Pretty-printed, with indentation runs longer than eight spaces, tabs
    // and CRLF: the structural gear takes them in loops.
    "{\n  \"a\": {\n          \"b\": [\n                  1,\n   \t  null\n  ]\n },\r\n\t\t\"pre_exec_msg\"  :\r\n         \"pretty\"\n}\n            ",
    "[\n                 \n]",
    "{\"a\":1}\n          x",
    // Nested keys right before their colon and strings right before their
    // comma, which the structural loop takes without a turn, and the same
    // places broken.
    r#"{"a":{"b":"x","c":"y"},"l":["p","q"],"pre_exec_msg":"z"}"#,
    r#"{"a":{"b":"x",}}"#,
    r#"{"a":["x",]}"#,
    r#"{"a":{"b"::1}}"#,
    r#"{"a":{"b":"x",:1}}"#,
    r#"{"a":{"b" "x"}}"#,
    r#"{"text":"\"pre_exec_msg\": \"not me\"","pre_exec_msg":"me"}"#,
    r#"{"pre_exec_msg":"a\\\"b\\"}"#,
    r#"{"pre_exec_msg":"\\u0041 is not an escape"}"#,
    r#"{"pre_exec_msg":"\ud834\udd1e clef"}"#,
    // Raw characters right before escapes: a fragment that ends inside a
    // character and one that brings its rest with an escape.
    "{\"pre_exec_msg\":\"\u{e9}\\n\u{4e2d}\\\"\u{1F600}\\u00e9\u{e9}\\ud83d\\ude00\"}",
    r#"[{"pre_exec_msg":"in an array root"}]"#,
    r#""pre_exec_msg""#,
    r#"{}"#,
    r#"12"#,
    r#"-0.0"#,
    // Invalid documents: each must be refused under every split.
    r#"{"pre_exec_msg":"unterminated"#,
    r#"{"pre_exec_msg":"bad \x escape"}"#,
    r#"{"pre_exec_msg":"lone \ud800 high"}"#,
    r#"{"pre_exec_msg":"lone \udc00 low"}"#,
    r#"{"pre_exec_msg":"high then bmp \ud800\u0041"}"#,
    r#"{"pre_exec_msg":"short \u12"}"#,
    "{\"pre_exec_msg\":\"raw\ttab\"}",
    "{\"pre_exec_msg\":\"raw\nnewline\"}",
    r#"{"pre_exec_msg":"ok"} extra"#,
    r#"{"pre_exec_msg":"ok",}"#,
    r#"{"pre_exec_msg" "no colon"}"#,
    r#"{"a":01}"#,
    r#"{"a":1.}"#,
    r#"{"a":-}"#,
    r#"{"a":tru}"#,
    r#"{"a":nul1}"#,
    r#"{"a":[1,]}"#,
    r#"{"a":[1}"#,
    r#"{"a":{"b":1]}"#,
    r#"{'a':1}"#,
    r#"{"a":1"#,
    r#""#,
    r#"   "#,
    r#"{"a":1}{"#,
];

/// Invalid UTF-8 and other raw bytes that string literals cannot hold.
const BYTE_DOCS: &[&[u8]] = &[
    b"{\"pre_exec_msg\":\"bad \xff byte\"}",
    b"{\"pre_exec_msg\":\"overlong \xc0\xaf\"}",
    b"{\"pre_exec_msg\":\"surrogate \xed\xa0\x80\"}",
    b"{\"pre_exec_msg\":\"too big \xf4\x90\x80\x80\"}",
    b"{\"pre_exec_msg\":\"cut \xe4\xb8\"}",
    b"{\"pre_exec_msg\":\"cut at end \xe4\xb8",
    b"{\"pre_exec_msg\":\"stray continuation \x80\"}",
    b"{\"pre_exec_msg\":\"ok\xe4\xb8\xad\xf0\x9f\x98\x80\"}",
    b"\xef\xbb\xbf{\"pre_exec_msg\":\"bom\"}",
    b"{\"a\":\"\x00\"}",
];

fn all_docs() -> impl Iterator<Item = &'static [u8]> {
    DOCS.iter()
        .map(|doc| doc.as_bytes())
        .chain(BYTE_DOCS.iter().copied())
}

#[test]
fn one_piece_matches_serde_json() {
    for doc in all_docs() {
        check(doc, KEY, &[doc.len().max(1)]);
    }
}

#[test]
fn one_byte_at_a_time_matches_serde_json() {
    for doc in all_docs() {
        check(doc, KEY, &[1]);
    }
}

#[test]
fn every_split_into_two_pieces_matches_one_piece() {
    for doc in all_docs() {
        let whole = scan(doc, KEY, &[doc.len().max(1)]).result;
        for cut in 1..doc.len() {
            let split = scan(doc, KEY, &[cut, doc.len()]).result;
            assert_eq!(
                split,
                whole,
                "doc {:?} cut at {cut}",
                String::from_utf8_lossy(doc)
            );
        }
    }
}

#[test]
fn spans_never_split_an_escape_pair_or_character() {
    let doc = r#"{"pre_exec_msg":"a\n\ud83d\ude00é中\u00e9\\"}"#.as_bytes();
    for plan in [&[1][..], &[2], &[3], &[5], &[7]] {
        for event in scan(doc, KEY, plan).events {
            if let argstream::Event::Text(span) = event {
                let raw = span.raw(doc);
                // Each span decodes alone, and as raw JSON string text it is a
                // valid string on its own.
                let quoted = [&b"\""[..], raw, b"\""].concat();
                assert!(serde_json::from_slice::<String>(&quoted).is_ok(), "{raw:?}");
            }
        }
    }
}

/// `push_text` must give the text and the other events `next_event` gives,
/// and the same error at the same offset, under every split.
#[test]
fn push_text_agrees_with_next_event_at_every_split() {
    let without_spans = |outcome: Outcome| Outcome {
        result: outcome.result,
        events: outcome
            .events
            .into_iter()
            .filter(|event| !matches!(event, Event::Text(_)))
            .collect(),
    };
    for doc in all_docs() {
        let mut plans: Vec<Vec<usize>> = vec![vec![doc.len().max(1)], vec![1], vec![3]];
        plans.extend((1..doc.len()).map(|cut| vec![cut, doc.len()]));
        for plan in &plans {
            assert_eq!(
                scan_pushed(doc, KEY, plan),
                without_spans(scan(doc, KEY, plan)),
                "doc {:?} plan {plan:?}",
                String::from_utf8_lossy(doc)
            );
        }
    }
}
