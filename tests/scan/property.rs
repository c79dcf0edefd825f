//! Generated documents under random fragmentations, against serde_json.
//! Seeds are fixed, so a failure names a seed that reproduces it.

use crate::common;

use common::{Rng, check, scan, scan_pushed};

const KEY: &str = "msg";

/// Builds a random JSON document biased toward the hard cases.
struct Generator {
    rng: Rng,
    out: String,
}

impl Generator {
    fn ws(&mut self) {
        for _ in 0..self.rng.below(3) {
            let ws = [" ", "\n", "\t", "\r", "  "];
            self.out.push_str(ws[self.rng.below(ws.len())]);
        }
    }

    /// String text: raw ASCII, raw multi-byte characters, every escape, and
    /// surrogate pairs in both letter cases.
    fn string_body(&mut self) {
        for _ in 0..self.rng.below(12) {
            let piece = match self.rng.below(14) {
                0 => "plain text ".to_owned(),
                1 => r#"\""#.to_owned(),
                2 => r"\\".to_owned(),
                3 => r"\/\b\f\n\r\t".to_owned(),
                4 => format!(r"\u{:04x}", 0x20 + self.rng.below(0xD7FF - 0x20)),
                5 => format!(r"\u{:04X}", 0xE000 + self.rng.below(0x1FFF)),
                6 => {
                    let high = 0xD800 + self.rng.below(0x400);
                    let low = 0xDC00 + self.rng.below(0x400);
                    if self.rng.chance(50) {
                        format!(r"\u{high:04x}\u{low:04x}")
                    } else {
                        format!(r"\u{high:04X}\u{low:04X}")
                    }
                }
                7 => "é".to_owned(),
                8 => "中文".to_owned(),
                9 => "😀🎉".to_owned(),
                10 => format!(r"\u00{:02x}", self.rng.below(0x20)),
                11 => "msg".to_owned(),
                12 => "\u{7f}~".to_owned(),
                _ => r#"\"msg\": \"decoy\""#.to_owned(),
            };
            self.out.push_str(&piece);
        }
    }

    fn string(&mut self) {
        self.out.push('"');
        self.string_body();
        self.out.push('"');
    }

    fn key(&mut self) {
        let keys = [
            r#""msg""#,
            r#""m\u0073g""#,
            r#""msgs""#,
            r#""ms""#,
            r#""other""#,
            r#""\u006Dsg""#,
        ];
        let key = keys[self.rng.below(keys.len())];
        self.out.push_str(key);
    }

    fn number(&mut self) {
        let numbers = [
            "0",
            "-0",
            "12",
            "-3.25",
            "1e5",
            "2E-3",
            "6.02e+23",
            "123456789012345678901234",
        ];
        self.out.push_str(numbers[self.rng.below(numbers.len())]);
    }

    /// A value nested at most `depth` more levels. Iteration, not recursion,
    /// would be needed for deep input; this generator stays shallow.
    fn value(&mut self, depth: usize) {
        match self.rng.below(if depth == 0 { 4 } else { 6 }) {
            0 => self.string(),
            1 => self.number(),
            2 => {
                let literals = ["true", "false", "null"];
                self.out.push_str(literals[self.rng.below(3)]);
            }
            3 => self.string(),
            4 => self.object(depth - 1),
            _ => {
                self.out.push('[');
                for i in 0..self.rng.below(4) {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.ws();
                    self.value(depth - 1);
                    self.ws();
                }
                self.out.push(']');
            }
        }
    }

    fn object(&mut self, depth: usize) {
        self.out.push('{');
        for i in 0..self.rng.below(5) {
            if i > 0 {
                self.out.push(',');
            }
            self.ws();
            self.key();
            self.ws();
            self.out.push(':');
            self.ws();
            self.value(depth);
            self.ws();
        }
        self.out.push('}');
    }

    fn document(seed: u64) -> String {
        let mut generator = Generator {
            rng: Rng::new(seed),
            out: String::new(),
        };
        generator.ws();
        generator.object(3);
        generator.ws();
        generator.out
    }
}

#[test]
fn generated_documents_match_serde_json_under_random_fragmentation() {
    let mut rng = Rng::new(0x5EED);
    for seed in 1..=3000u64 {
        let doc = Generator::document(seed);
        let whole = scan(doc.as_bytes(), KEY, &[doc.len().max(1)]);
        check(doc.as_bytes(), KEY, &[doc.len().max(1)]);
        for _ in 0..4 {
            let plan = rng.plan();
            let split = scan(doc.as_bytes(), KEY, &plan);
            assert_eq!(
                split.result, whole.result,
                "seed {seed} plan {plan:?} doc {doc}"
            );
            let pushed = scan_pushed(doc.as_bytes(), KEY, &plan);
            assert_eq!(
                pushed.result, whole.result,
                "push_text, seed {seed} plan {plan:?} doc {doc}"
            );
        }
    }
}

#[test]
fn damaged_documents_are_refused_exactly_when_serde_json_refuses() {
    let mut rng = Rng::new(0xBAD);
    for seed in 1..=3000u64 {
        let mut doc = Generator::document(seed).into_bytes();
        // One random change: a byte replaced, removed, or the end cut off.
        let at = rng.below(doc.len());
        match rng.below(3) {
            0 => doc[at] = b"\"\\{}[],:0e.-+ uxa\x00\xff\xc3"[rng.below(20)],
            1 => {
                doc.remove(at);
            }
            _ => doc.truncate(at),
        }
        let plan = rng.plan();
        check(&doc, KEY, &plan);
        assert_eq!(
            scan_pushed(&doc, KEY, &plan).result,
            scan(&doc, KEY, &plan).result,
            "push_text, seed {seed} plan {plan:?}"
        );
    }
}
