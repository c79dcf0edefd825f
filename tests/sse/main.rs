//! The SSE layer against a plain transcription of the WHATWG event-stream
//! rules: hand-written vectors, every split point, generated streams under
//! random fragmentations, recorded provider streams, the event size limit, and
//! the encoder round trip. `fuzz_regressions` keeps the inputs the SSE fuzz
//! targets found, each as a test named for what broke.

use std::path::PathBuf;

use argstream::{Error, ErrorKind, LineEnding, SseDecoder, SseEncoder, SseFrame};
use bytes::Bytes;

#[path = "../common/mod.rs"]
mod common;
mod fuzz_regressions;
#[path = "../common/sse_reference.rs"]
mod sse_reference;

use sse_reference::{BOM, Event, Outcome, reference};

/// Runs `SseDecoder` over `reads` in order, draining after each, then finishes.
fn decode_reads(reads: impl IntoIterator<Item = Bytes>) -> Result<Outcome, Error> {
    decode_reads_with(SseDecoder::new(), reads)
}

fn decode_reads_with(
    mut decoder: SseDecoder,
    reads: impl IntoIterator<Item = Bytes>,
) -> Result<Outcome, Error> {
    let mut events = Vec::new();
    for read in reads {
        decoder.feed(read);
        while let Some(event) = decoder.next_event()? {
            events.push(Event::from(event));
        }
    }
    decoder.finish();
    while let Some(event) = decoder.next_event()? {
        events.push(Event::from(event));
    }
    Ok(Outcome {
        events,
        last_event_id: decoder.last_event_id().to_vec(),
        retry: decoder.retry(),
        partial: decoder.has_partial_event(),
    })
}

/// `stream` cut at the sorted positions `cuts`, as slices of one `Bytes`.
fn pieces(stream: &Bytes, cuts: &[usize]) -> Vec<Bytes> {
    let mut reads = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0;
    for &cut in cuts {
        reads.push(stream.slice(start..cut));
        start = cut;
    }
    reads.push(stream.slice(start..));
    reads
}

fn chunks(stream: &Bytes, size: usize) -> Vec<Bytes> {
    let cuts: Vec<usize> = (size..stream.len()).step_by(size).collect();
    pieces(stream, &cuts)
}

/// Hand-written vectors, each aimed at one rule.
const VECTORS: &[&[u8]] = &[
    b"",
    b"data: x\n\n",
    b"data: x\r\n\r\n",
    b"data: x\r\rdata: y\r\r",
    b"data: a\r\ndata: b\rdata: c\n\r\n\n",
    b"data: x\r\n\n\rdata: y\n\r",
    b"data: x\r\n\r\ndata: y\r\n\r\n",
    b"\xEF\xBB\xBFdata: bom\n\n",
    b"\xEF\xBB\xBF\xEF\xBB\xBFdata: two boms\n\n",
    b"\xEF\xBBdata: half a bom\n\n",
    b"\xEF\xBB",
    b"\xEF",
    b"x\xEF\xBB\xBFdata: bom later\n\n",
    b": comment\ndata: x\n: another\n\n",
    b":\n\n:no space\n\n",
    b"data:x\n\ndata: x\n\ndata:  x\n\ndata:\n\ndata\n\n",
    b"data\ndata\n\n",
    b"data:\n\n",
    b"event\n\nevent: e\n\n",
    b"event: update\ndata: 1\n\ndata: 2\n\n",
    b"event:\ndata: default type\n\n",
    b"event: dropped\n\ndata: plain\n\n",
    b"id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\n",
    b"id: 7\n\ndata: carried over\n\n",
    b"id: a\0b\ndata: nul ignored\n\n",
    b"id: 1\nid: 2\0\ndata: x\n\n",
    b"retry: 1500\ndata: x\n\n",
    b"retry: 15a\ndata: x\n\nretry:\ndata: y\n\nretry: -1\ndata: z\n\n",
    b"retry: 99999999999999999999999\ndata: overflow\n\n",
    b"retry: 30\n\n",
    b"retry:  30\ndata: space is not a digit\n\n",
    b"foo: bar\ndata: x\nDATA: y\ndata : z\n\n",
    b"data: a\ndata: b\ndata:\ndata: c\n\n",
    b"data: line one\ndata: line two\r\ndata: line three\r\r",
    b"\n\n\r\n\r\r",
    b"data: unterminated",
    b"data: unterminated\n",
    b"data: x\n\ndata: last event without blank line\n",
    b"data: x\r",
    b"data: x\r\r\n",
    b"data: \xFF\xFE not utf-8\n\n",
    b"\xFF\xFEevent\xFF: x\ndata: y\n\n",
    b"data: a:b: c\n\n",
    b"data::x\n\n",
    b":data: not data\n\n",
    b" data: leading space makes another field\n\n",
    b"data: [DONE]\n\n",
];

#[test]
fn reference_reads_the_rules_as_written() {
    let spaces = reference(b"data:x\n\ndata: x\n\ndata:  x\n\ndata:\n\ndata\n\n");
    let data: Vec<&[u8]> = spaces.events.iter().map(|e| &e.data[..]).collect();
    assert_eq!(data, [&b"x"[..], b"x", b" x", b"", b""]);

    let joined = reference(b"data: a\r\ndata: b\rdata: c\n\r\n\n");
    assert_eq!(joined.events.len(), 1);
    assert_eq!(joined.events[0].data, b"a\nb\nc");

    let fields =
        reference(b"\xEF\xBB\xBFid: 1\nevent: e\nretry: 5\ndata: x\n\nid: a\0\ndata: y\n\n");
    assert_eq!(
        fields.events,
        [
            Event {
                data: b"x".to_vec(),
                event: Some(b"e".to_vec()),
                id: b"1".to_vec(),
                retry: Some(5),
                offset: 3,
            },
            Event {
                data: b"y".to_vec(),
                event: None,
                id: b"1".to_vec(),
                retry: None,
                offset: 36,
            },
        ]
    );
    assert!(reference(b"data: cut").events.is_empty());
    assert!(reference(b"event: e\n\n").events.is_empty());
}

#[test]
fn vectors_decode_like_the_reference() {
    for &vector in VECTORS {
        let stream = Bytes::from_static(vector);
        let got = decode_reads([stream]).expect("no limit is near");
        assert_eq!(
            got,
            reference(vector),
            "vector {:?}",
            vector.escape_ascii().to_string()
        );
    }
}

#[test]
fn vectors_decode_the_same_at_every_split_point() {
    for &vector in VECTORS {
        let stream = Bytes::from_static(vector);
        let whole = reference(vector);
        for cut in 0..=vector.len() {
            let got = decode_reads(pieces(&stream, &[cut])).unwrap();
            assert_eq!(
                got,
                whole,
                "vector {:?} cut at {cut}",
                vector.escape_ascii().to_string()
            );
        }
        let bytewise = decode_reads(chunks(&stream, 1)).unwrap();
        assert_eq!(
            bytewise,
            whole,
            "vector {:?} byte by byte",
            vector.escape_ascii().to_string()
        );
    }
}

#[test]
fn cr_at_the_end_of_a_read_then_lf_is_one_line_end() {
    let reads = [
        Bytes::from_static(b"data: a\r"),
        Bytes::from_static(b"\ndata: b\r\n\r"),
        Bytes::from_static(b"\n"),
    ];
    let got = decode_reads(reads).unwrap();
    assert_eq!(got.events.len(), 1);
    assert_eq!(got.events[0].data, b"a\nb");
    assert!(!got.partial);
}

#[test]
fn a_single_line_within_one_read_is_not_copied() {
    let read = Bytes::from_static(b"event: e\ndata: {\"a\":1}\n\ndata: one\ndata: two\n\n");
    let mut decoder = SseDecoder::new();
    decoder.feed(read.clone());
    let inside = |bytes: &Bytes| read.as_ptr_range().contains(&bytes.as_ptr());
    let first = decoder.next_event().unwrap().unwrap();
    assert_eq!(first.data(), "{\"a\":1}");
    assert!(inside(first.data()));
    // So is the event type's: only one whose line spanned reads is copied
    // (see `Buffers::names`), so that it pins no line buffer.
    assert!(inside(first.event().unwrap()));
    assert_eq!(first.event_type(), b"e");
    let joined = decoder.next_event().unwrap().unwrap();
    assert_eq!(joined.data(), "one\ntwo");
    assert_eq!(joined.event_type(), b"message");
    assert!(!inside(joined.data()));
    assert!(decoder.next_event().unwrap().is_none());
}

/// A small xorshift64* generator, so failures reproduce from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// A stream of lines chosen to hit every rule: fields with and without
/// colons and spaces, comments, blank lines, NULs, bad retries, stray BOM
/// bytes and non-UTF-8, with mixed line ends and sometimes no final one.
fn generate_stream(rng: &mut Rng) -> Vec<u8> {
    const NAMES: &[&[u8]] = &[
        b"data", b"data", b"data", b"event", b"id", b"retry", b"foo", b"DATA", b"data ", b"",
    ];
    const VALUE_BYTES: &[u8] = b"ab :\0 09\xEF\xBB\xBF\xFF";
    const ENDS: &[&[u8]] = &[b"\n", b"\n", b"\r\n", b"\r"];
    let mut stream = Vec::new();
    match rng.below(6) {
        0 => stream.extend_from_slice(BOM),
        1 => stream.extend_from_slice(&BOM[..1 + rng.below(2)]),
        _ => {}
    }
    for _ in 0..rng.below(24) {
        match rng.below(10) {
            0 | 1 => {}
            2 => {
                stream.push(b':');
                stream.extend_from_slice(b" comment");
            }
            3 => stream.extend_from_slice(format!("retry: {}", rng.next() % 100_000).as_bytes()),
            _ => {
                stream.extend_from_slice(rng.pick(NAMES));
                if rng.below(5) != 0 {
                    stream.push(b':');
                }
                for _ in 0..rng.below(12) {
                    stream.push(rng.pick(VALUE_BYTES));
                }
            }
        }
        stream.extend_from_slice(rng.pick(ENDS));
    }
    if rng.below(4) == 0 {
        stream.extend_from_slice(b"data: tail");
    }
    stream
}

#[test]
fn generated_streams_under_random_fragmentation_decode_like_the_reference() {
    let mut rng = Rng(0x5EED_55E0_2024_0001);
    for round in 0..3_000 {
        let stream = Bytes::from(generate_stream(&mut rng));
        let expected = reference(&stream);
        for _ in 0..4 {
            let mut cuts: Vec<usize> = (0..rng.below(8))
                .map(|_| rng.below(stream.len() + 1))
                .collect();
            cuts.sort_unstable();
            let got = decode_reads(pieces(&stream, &cuts)).unwrap();
            assert_eq!(
                got,
                expected,
                "round {round}: stream {:?} cut at {cuts:?}",
                stream.escape_ascii().to_string()
            );
        }
    }
}

#[test]
fn recorded_streams_decode_like_the_reference_at_every_feed_size() {
    let Some(dir) = common::testdata("streams/openai-compatible") else {
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "sse"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .sse files in {}", dir.display());
    let mut events = 0;
    for path in &files {
        let stream = Bytes::from(std::fs::read(path).unwrap());
        let expected = reference(&stream);
        events += expected.events.len();
        for size in [1, 7, 4096, stream.len().max(1)] {
            let got = decode_reads(chunks(&stream, size)).unwrap();
            assert_eq!(got, expected, "{} fed in reads of {size}", path.display());
        }
    }
    assert!(events > files.len(), "the recorded streams hold events");
}

#[test]
fn an_event_past_the_limit_fails_with_its_offset() {
    let mut line = b"data: ok\n\ndata: ".to_vec();
    line.resize(line.len() + 100_000, b'a');
    line.extend_from_slice(b"\n\n");
    let stream = Bytes::from(line);
    let limit = 1024;
    // The second event starts at byte 10; its line passes the limit at byte 10 + 1024.
    for size in [1, 100, 4096, stream.len()] {
        let mut decoder = SseDecoder::new().with_max_event_size(limit);
        let mut events = Vec::new();
        let mut error = None;
        'reads: for read in chunks(&stream, size) {
            decoder.feed(read);
            loop {
                match decoder.next_event() {
                    Ok(Some(event)) => events.push(event.into_data()),
                    Ok(None) => break,
                    Err(e) => {
                        error = Some(e);
                        break 'reads;
                    }
                }
            }
            let held = decoder.retained_bytes();
            assert!(held <= 4 * limit, "the decoder holds {held} bytes");
        }
        let error = error.expect("the limit is hit");
        assert_eq!(events, ["ok"], "reads of {size}");
        assert_eq!(error.kind(), ErrorKind::EventTooLarge);
        assert_eq!(error.offset(), 10 + limit as u64, "reads of {size}");
        // Failed for good, and holding nothing.
        decoder.feed(Bytes::from_static(b"data: more\n\n"));
        assert_eq!(decoder.next_event(), Err(error));
        decoder.finish();
        assert_eq!(decoder.next_event(), Err(error));
        assert_eq!(decoder.retained_bytes(), 0);
    }
}

#[test]
fn the_limit_counts_the_data_so_far_and_the_line() {
    // 4 data bytes, then a line of 8: 12 bytes held.
    let stream = Bytes::from_static(b"data:abcd\ndata:efg\n\n");
    let fits = decode_reads_with(
        SseDecoder::new().with_max_event_size(12),
        chunks(&stream, 3),
    )
    .unwrap();
    assert_eq!(fits.events[0].data, b"abcd\nefg");
    let error = decode_reads_with(
        SseDecoder::new().with_max_event_size(11),
        chunks(&stream, 3),
    )
    .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::EventTooLarge);
    // The second line starts at 10; 11 - 4 = 7 bytes of it fit.
    assert_eq!(error.offset(), 17);
    let whole = decode_reads_with(SseDecoder::new().with_max_event_size(11), [stream]).unwrap_err();
    assert_eq!(whole, error);
}

#[test]
fn the_unterminated_last_event_is_discarded_and_reported() {
    let got = decode_reads([Bytes::from_static(b"data: a\n\ndata: b\n")]).unwrap();
    assert_eq!(got.events.len(), 1);
    assert!(got.partial);
    let clean = decode_reads([Bytes::from_static(b"data: a\n\n: bye\n")]).unwrap();
    assert!(!clean.partial);
}

const PAYLOADS: &[&[u8]] = &[
    b"",
    b"x",
    b"{\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}",
    b" leading space",
    b"  two spaces",
    b":colon first",
    b"data: x",
    b"a\nb",
    b"a\r\nb",
    b"a\rb",
    b"\n",
    b"\r\n\r\n",
    b"trailing\n",
    b"\xFF\xFE not utf-8 \xEF\xBB\xBF",
    b"[DONE]",
];

/// WHATWG line ends all come back as LF.
fn normalized(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut bytes = payload.iter().peekable();
    while let Some(&byte) = bytes.next() {
        if byte == b'\r' {
            bytes.next_if_eq(&&b'\n');
            out.push(b'\n');
        } else {
            out.push(byte);
        }
    }
    out
}

#[test]
fn encoded_frames_decode_to_their_payloads() {
    let mut encoder = SseEncoder::new();
    for &payload in PAYLOADS {
        let frame = encoder.data(payload);
        let got = decode_reads([frame.clone()]).unwrap();
        assert_eq!(got, reference(&frame));
        assert_eq!(got.events.len(), 1, "payload {payload:?}");
        assert_eq!(
            got.events[0].data,
            normalized(payload),
            "payload {payload:?}"
        );
    }
    assert_eq!(encoder.done(), "data: [DONE]\n\n");
}

#[test]
fn batched_frames_with_fields_decode_back() {
    let mut encoder = SseEncoder::with_capacity(256);
    for &payload in PAYLOADS {
        encoder.push_frame(&SseFrame {
            event: Some(b"delta\nnot this"),
            id: Some(b"7"),
            retry: Some(u64::MAX),
            data: payload,
        });
        encoder.push_comment(b"keep-alive");
    }
    encoder.push_done();
    let batch = encoder.take();
    assert!(encoder.pending().is_empty());
    let got = decode_reads(chunks(&batch, 5)).unwrap();
    assert_eq!(got, reference(&batch));
    assert_eq!(got.events.len(), PAYLOADS.len() + 1);
    for (event, &payload) in got.events.iter().zip(PAYLOADS) {
        assert_eq!(event.data, normalized(payload));
        assert_eq!(event.event.as_deref(), Some(&b"delta"[..]));
        assert_eq!(event.id, b"7");
        assert_eq!(event.retry, Some(u64::MAX));
    }
    assert_eq!(got.events.last().unwrap().data, b"[DONE]");
}

#[test]
fn crlf_frames_are_the_lf_frames_with_crlf_and_decode_the_same() {
    let mut lf = SseEncoder::new();
    let mut crlf = SseEncoder::new().with_line_ending(LineEnding::CrLf);
    assert_eq!(crlf.line_ending(), LineEnding::CrLf);
    for encoder in [&mut lf, &mut crlf] {
        for &payload in PAYLOADS {
            encoder.push_frame(&SseFrame {
                event: Some(b"delta"),
                id: Some(b"7"),
                retry: Some(3),
                data: payload,
            });
            encoder.push_comment(b"keep-alive");
        }
        encoder.push_done();
    }
    let (lf, crlf) = (lf.take(), crlf.take());
    assert!(!crlf.windows(2).any(|w| w[1] == b'\n' && w[0] != b'\r'));
    let mut widened = Vec::new();
    for &byte in lf.iter() {
        if byte == b'\n' {
            widened.push(b'\r');
        }
        widened.push(byte);
    }
    assert_eq!(crlf, widened);
    // The same events, at offsets of their own.
    let without_offsets = |mut outcome: Outcome| {
        outcome.events.iter_mut().for_each(|event| event.offset = 0);
        outcome
    };
    let want = without_offsets(decode_reads([lf.clone()]).unwrap());
    for piece in [1, 5, crlf.len()] {
        let got = decode_reads(chunks(&crlf, piece)).unwrap();
        assert_eq!(got, reference(&crlf));
        assert_eq!(without_offsets(got), want);
    }
}

#[test]
fn the_encoder_reuses_its_buffer_once_frames_are_dropped() {
    const CAPACITY: usize = 4096;
    let mut encoder = SseEncoder::with_capacity(CAPACITY);
    let first = encoder.data(b"first");
    let start = first.as_ptr() as usize;
    let allocation = start..start + CAPACITY;
    drop(first);
    let mut rng = Rng(7);
    let payload = [b'p'; 300];
    for _ in 0..10_000 {
        let frame = encoder.data(&payload[..rng.below(payload.len())]);
        // Every frame lies in the first allocation: none was made since.
        assert!(allocation.contains(&(frame.as_ptr() as usize)));
        assert!(allocation.contains(&(frame.as_ptr() as usize + frame.len() - 1)));
    }
    // A frame kept alive stops the reuse; that is the documented cost.
    let kept: Vec<Bytes> = (0..20).map(|_| encoder.data(&payload)).collect();
    assert!(
        kept.iter()
            .any(|frame| !allocation.contains(&(frame.as_ptr() as usize)))
    );
}

#[test]
fn reset_starts_a_new_stream_from_scratch() {
    let first = Bytes::from_static(b"\xef\xbb\xbfid: 7\nretry: 10\ndata: half a li");
    let second = Bytes::from_static(b"\xef\xbb\xbfdata: b\r\n\r\n");
    let mut decoder = SseDecoder::new().with_max_event_size(64);
    decoder.feed(first);
    assert_eq!(decoder.next_event().unwrap(), None);
    decoder.reset();
    assert!(!decoder.has_partial_event());
    decoder.feed(second.clone());
    let event = decoder.next_event().unwrap().expect("one event");
    assert_eq!(event.data(), &Bytes::from_static(b"b"));
    assert!(event.id().is_empty());
    assert_eq!(event.offset(), 3);
    assert_eq!(decoder.retry(), None);
    assert_eq!(decoder.max_event_size(), 64);
}
