//! The one reader of whole upstream events: one pass over one complete
//! event's JSON, with the key scanner's own lexers (strings, escapes, UTF-8,
//! numbers), as strict as the scanner, reading on demand.
//!
//! A decoder reads a few fields of an event and ignores the rest
//! (`system_fingerprint`, `logprobs`, `obfuscation`, a Responses event's
//! whole `response.output`). The reader is told which member names the
//! format's decoder reads, or, until the format is known, any decoder
//! ([`EventReader::set_names`]; the tables are built from the rows of
//! `formats.rs`): the members it reads are
//! laid out as a flat list of byte positions, level by level; any other
//! member's value is skipped, checked by the same lexers and a stack of open
//! brackets but laid out nowhere, as serde_json's `IgnoredAny` skips. Array
//! elements are laid out when their array is. Either way the whole event is
//! checked in the one pass, with no recursion on its depth.
//!
//! Positions come for free: a value's raw text is a slice of the payload (a
//! relay passes `usage` on byte for byte, skipped members and all), and an
//! error, in the syntax or in a field's type, names the byte where it is.
//! Escaped strings are decoded into one buffer the reader reuses, so after
//! warm-up an event costs no allocation; the walk checked their text, so
//! the buffer's UTF-8 is checked once an event.

//!
//! Three files: the name table ([`names`]), the walk that checks an event
//! and lays it out ([`walk`]), and the document API the decoders read it
//! through ([`doc`]).

mod doc;
mod names;
mod walk;

pub use self::doc::Code;
pub(crate) use self::doc::{At, Doc, Scalar};
pub(crate) use self::names::{Key, Names, same_name};
pub(crate) use self::walk::EventReader;

#[cfg(test)]
mod tests {
    use super::{EventReader, Names};
    use crate::{Error, ErrorKind};

    static NONE: Names = Names::of(&[]);
    static KEPT: Names = Names::of(&["type", "u", "keep"]);

    /// Reads `doc` laying out every member.
    fn reads(doc: &[u8]) -> Result<(), Error> {
        EventReader::new(&Names::ALL).read(doc).map(drop)
    }

    /// Reads `doc` skipping every member's value.
    fn skips(doc: &[u8]) -> Result<(), Error> {
        EventReader::new(&NONE).read(doc).map(drop)
    }

    /// The reader accepts exactly what serde_json accepts, on every
    /// JSONTestSuite file (`y_`, `n_` and the implementation-defined `i_`),
    /// but numbers out of `f64` range, which it never converts: laying each
    /// file out, and skipping it whole as the value of a member nobody
    /// reads.
    #[test]
    fn agrees_with_serde_json_on_json_test_suite() {
        let root = std::env::var_os("ARGSTREAM_TESTDATA")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data").into());
        let Ok(dir) = std::fs::read_dir(root.join("JSONTestSuite/test_parsing")) else {
            eprintln!("skipping: JSONTestSuite not found (set ARGSTREAM_TESTDATA)");
            return;
        };
        let mut checked = 0;
        for entry in dir {
            let path = entry.unwrap().path();
            let doc = std::fs::read(&path).unwrap();
            let wrapped = [&b"{\"skipped\":"[..], &doc, b"}"].concat();
            for (doc, got) in [(&doc, reads(&doc)), (&wrapped, skips(&wrapped))] {
                match serde_json::from_slice::<serde_json::Value>(doc) {
                    Ok(_) => assert!(got.is_ok(), "{}: {got:?}", path.display()),
                    Err(e) if e.to_string().starts_with("number out of range") => {}
                    Err(e) => assert!(got.is_err(), "{}: serde_json says {e}", path.display()),
                }
            }
            checked += 1;
        }
        assert!(checked > 300);
    }

    /// Each name of a table has its own id, found from its bytes; a name
    /// the table lacks has none, even one of the same length and ends.
    #[test]
    fn names_have_ids_of_their_own() {
        static TABLE: Names = Names::of(&["created", "call_id", "id", "index", "x", ""]);
        let mut ids: Vec<u8> = TABLE.names.iter().map(|n| TABLE.id(n.as_bytes())).collect();
        assert!(
            ids.iter()
                .all(|&id| id != super::names::NO_NAME && id != super::names::SHARED)
        );
        assert!(
            TABLE
                .names
                .iter()
                .all(|n| TABLE.key(n).id == TABLE.id(n.as_bytes()))
        );
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), TABLE.names.len());
        for stranger in [
            "crested",
            "cxll_id",
            "ib",
            "indey",
            "y",
            "a_name_of_more_than_32_bytes_long",
        ] {
            assert_eq!(
                TABLE.id(stranger.as_bytes()),
                super::names::NO_NAME,
                "{stranger}"
            );
        }
        assert!(!TABLE.key("absent").is_known(), "no member has it");
        // The decoders' table: no two names share a slot.
        let decoders = &super::super::READ_BY_A_DECODER;
        assert!(!decoders.slots.contains(&super::names::SHARED));
        for name in decoders.names {
            assert_eq!(
                decoders.names[usize::from(decoders.id(name.as_bytes()) - 1)],
                *name
            );
        }
    }

    /// The walk's short names get the ids the lexer's path gives them, and
    /// a name it must not take goes to the lexer.
    #[test]
    fn short_names_have_the_ids_of_long_ones() {
        let table = &super::super::READ_BY_A_DECODER;
        let strangers = [
            "",
            "a",
            "ix",
            "idx",
            "crested",
            "functiom",
            "finish_reasom",
            // Long names that differ from one the table holds only in the
            // middle, or only at the end, and one too long for the words.
            "input_tokens_xetails",
            "input_tokens_detailz",
            "completion_tokens_detailz",
            "x\\u0041",
        ];
        for name in table.names.iter().chain(&strangers) {
            let payload = format!("\"{name}\":1}}                  ");
            let short = table.short_name(payload.as_bytes(), 0);
            if name.len() <= 23 && !name.contains('\\') {
                let (end, id) = short.expect(name);
                assert_eq!(end, name.len() + 2, "{name}");
                assert_eq!(id, table.id(name.as_bytes()), "{name}");
                assert_eq!(
                    id != super::names::NO_NAME,
                    table.names.contains(name),
                    "{name}"
                );
            } else {
                assert_eq!(short, None, "{name}");
            }
        }
        for odd in [
            "\"caf\u{e9}\":1}                  ",
            "\"a\u{1}b\":1}                  ",
            "\"ab\":1}",
        ] {
            assert_eq!(table.short_name(odd.as_bytes(), 0), None, "{odd:?}");
        }
    }

    #[test]
    fn errors_name_the_byte_whether_read_or_skipped() {
        let cases: [(&[u8], ErrorKind, u64); 16] = [
            (br#"{"a":1,}"#, ErrorKind::UnexpectedByte, 7),
            (br#"{"a": nul"#, ErrorKind::Truncated, 9),
            (br#"{"a":nulx}"#, ErrorKind::InvalidLiteral, 8),
            (br#"{"a": fals}"#, ErrorKind::InvalidLiteral, 10),
            (br#"{"a": }"#, ErrorKind::UnexpectedByte, 6),
            (br#"{"a": -}"#, ErrorKind::InvalidNumber, 7),
            (br#"{"a":"\q"}"#, ErrorKind::InvalidEscape, 7),
            (br#"{"a":01}"#, ErrorKind::InvalidNumber, 6),
            (br#"{"a":tru}"#, ErrorKind::InvalidLiteral, 8),
            (br#"{"a":1} x"#, ErrorKind::TrailingContent, 8),
            (br#"{"a":"#, ErrorKind::Truncated, 5),
            (b"{\"a\":\"\xff\"}", ErrorKind::InvalidUtf8, 6),
            (b"{\"a\":\"\x01\"}", ErrorKind::ControlCharacter, 6),
            (br#"{"a" 1}"#, ErrorKind::UnexpectedByte, 5),
            (br#"{"a":{"b":[1 2]}}"#, ErrorKind::UnexpectedByte, 13),
            (br#"{"a":{"b":[1}}"#, ErrorKind::UnexpectedByte, 12),
        ];
        for (doc, kind, offset) in cases {
            for error in [reads(doc).unwrap_err(), skips(doc).unwrap_err()] {
                assert_eq!(
                    (error.kind(), error.offset()),
                    (kind, offset),
                    "{:?}",
                    String::from_utf8_lossy(doc)
                );
            }
        }
    }

    #[test]
    fn the_depth_limit_is_settable_and_holds_in_skipped_values() {
        let nested = |depth: usize| {
            let mut doc = b"{\"a\":".to_vec();
            doc.extend(std::iter::repeat_n(b'[', depth));
            doc.extend(std::iter::repeat_n(b']', depth));
            doc.push(b'}');
            doc
        };
        assert_eq!(reads(&nested(200)).unwrap_err().kind(), ErrorKind::TooDeep);
        assert_eq!(skips(&nested(200)).unwrap_err().kind(), ErrorKind::TooDeep);
        assert!(skips(&nested(100)).is_ok());
        let mut reader = EventReader::new(&NONE);
        reader.set_max_depth(8);
        let error = reader.read(&nested(7)).map(drop).unwrap_err();
        assert_eq!((error.kind(), error.offset()), (ErrorKind::TooDeep, 11));
        assert!(reader.read(&nested(6)).is_ok());
        // An empty array that is skipped is held to the limit too.
        reader.set_max_depth(2);
        let error = reader.read(b"{\"a\":[]}").map(drop).unwrap_err();
        assert_eq!((error.kind(), error.offset()), (ErrorKind::TooDeep, 5));
        reader.set_max_depth(3);
        assert!(reader.read(b"{\"a\":[]}").is_ok());
    }

    #[test]
    fn looks_fields_up_with_raw_spans_and_decoded_strings() {
        let doc =
            br#" {"a": {"b": [1, "x\u00e9", null, {"c": true}]}, "s": "p\"q", "a": {"n": 42}} "#;
        let mut reader = EventReader::new(&Names::ALL);
        let doc = reader.read(doc).unwrap();
        let root = Some(doc.root().unwrap());
        let key = |name| Names::ALL.key(name);
        assert_eq!(
            doc.unsigned(doc.get(root, key("a")).unwrap(), key("n")),
            Ok(Some(42))
        );
        assert_eq!(doc.str(root, key("s")), Ok(Some("p\"q")));
        assert_eq!(
            doc.raw(doc.get(root, key("s")).unwrap().unwrap()),
            r#""p\"q""#
        );
        assert_eq!(doc.str(root, key("missing")), Ok(None));
        assert!(
            doc.str(root, key("a")).is_err(),
            "an object is not a string"
        );
    }

    /// A skipped member leaves no trace but in its object's raw text; the
    /// members around it, and a key with an escape, are read.
    #[test]
    fn skips_what_no_decoder_reads() {
        let payload = br#"{"skip": {"type": "x", "n": [1, {"type": 2}]}, "type": "t", "u": {"keep": 1, "skip": "y"}, "\u0073kip": 3}"#;
        let mut reader = EventReader::new(&KEPT);
        let doc = reader.read(payload).unwrap();
        let root = doc.root().unwrap();
        let key = |name| KEPT.key(name);
        assert_eq!(doc.str(Some(root), key("type")), Ok(Some("t")));
        let u = doc.get_object(Some(root), key("u")).unwrap();
        assert_eq!(doc.unsigned(u, key("keep")), Ok(Some(1)));
        assert!(doc.has_members(u.unwrap()).unwrap());
        assert_eq!(doc.raw(u.unwrap()), r#"{"keep": 1, "skip": "y"}"#);
        // `type`, `u` and the escaped name, which the table never sees.
        assert_eq!(doc.members(root).unwrap().count(), 3);
    }
}
