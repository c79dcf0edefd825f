//! JSONTestSuite (nst/JSONTestSuite): accept and reject agree with serde_json
//! for every `y_` and `n_` file under several fragmentations, and no `y_`
//! document changes the extracted text when it stands beside the target or
//! inside a decoy of it.

use crate::common;

use common::{check, scan, testdata};

const KEY: &str = "pre_exec_msg";

fn cases() -> Vec<(String, Vec<u8>)> {
    let Some(dir) = testdata("JSONTestSuite/test_parsing") else {
        return Vec::new();
    };
    let mut cases: Vec<_> = std::fs::read_dir(dir)
        .expect("readable test data")
        .map(|entry| entry.expect("readable entry").path())
        .filter_map(|path| {
            let name = path.file_name()?.to_str()?.to_owned();
            (name.starts_with("y_") || name.starts_with("n_")).then(|| {
                let bytes = std::fs::read(&path).expect("readable case");
                (name, bytes)
            })
        })
        .collect();
    cases.sort();
    assert!(
        cases.len() > 250,
        "expected the whole suite, found {}",
        cases.len()
    );
    cases
}

#[test]
fn accept_and_reject_agree_with_serde_json() {
    for (name, doc) in cases() {
        for plan in [&[doc.len().max(1)][..], &[1], &[2], &[3], &[7], &[1, 4, 2]] {
            let outcome = std::panic::catch_unwind(|| check(&doc, KEY, plan));
            assert!(outcome.is_ok(), "{name} with plan {plan:?}");
        }
        if name.starts_with("y_") {
            assert!(
                scan(&doc, KEY, &[5]).result.is_ok(),
                "{name} must be accepted"
            );
        } else if name.starts_with("n_") {
            assert!(
                scan(&doc, KEY, &[5]).result.is_err(),
                "{name} must be refused"
            );
        }
    }
}

#[test]
fn accepted_documents_as_siblings_and_decoys_leave_the_text_alone() {
    let text = r#"Let me check \"that\" for you \u00e9 \ud83d\ude00"#;
    let expected = "Let me check \"that\" for you é 😀";
    for (name, doc) in cases() {
        if !name.starts_with("y_") {
            continue;
        }
        let doc = String::from_utf8_lossy(&doc).into_owned();
        let wrapped = [
            format!(r#"{{"before":{doc},"{KEY}":"{text}","after":{doc}}}"#),
            format!(
                r#"{{"{KEY}":"{text}","decoy":{{"{KEY}":{doc}}},"list":[{doc},{{"{KEY}":{doc}}}]}}"#
            ),
        ];
        for wrapped in wrapped {
            for plan in [&[wrapped.len()][..], &[1], &[3], &[8]] {
                let got = scan(wrapped.as_bytes(), KEY, plan).result;
                assert_eq!(
                    got,
                    Ok(Some(expected.to_owned())),
                    "{name} in {wrapped} plan {plan:?}"
                );
            }
        }
    }
}
