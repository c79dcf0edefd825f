//! Inputs the fuzz targets (in `fuzz/`) found, each kept as a test named for
//! what broke. Run a target with `cargo +nightly fuzz run TARGET` from
//! `fuzz/`; see fuzz/README.md.

use argstream::{Error, ErrorKind, SseDecoder};
use bytes::Bytes;

/// Decodes `reads` in order with an event size limit, draining after each
/// read and after `finish`: the data of the events, or the error.
fn sse_data(reads: &[&[u8]], limit: usize) -> Result<Vec<Vec<u8>>, Error> {
    let mut decoder = SseDecoder::new().with_max_event_size(limit);
    let mut data = Vec::new();
    for read in reads {
        decoder.feed(Bytes::copy_from_slice(read));
        while let Some(event) = decoder.next_event()? {
            data.push(event.data().to_vec());
        }
    }
    decoder.finish();
    while let Some(event) = decoder.next_event()? {
        data.push(event.data().to_vec());
    }
    Ok(data)
}

/// sse_split: a stream that starts with the first byte of a byte order mark
/// and then something else. When the read ended after that first byte, the
/// byte was moved into the line without the event size check, so a line
/// the limit refuses in one read passed when cut there.
#[test]
fn sse_bom_prefix_split_across_reads_counts_against_the_event_size_limit() {
    let too_large = Error::new(ErrorKind::EventTooLarge, 0);
    assert_eq!(sse_data(&[b"\xEF\r"], 0), Err(too_large));
    assert_eq!(sse_data(&[b"\xEF", b"\r"], 0), Err(too_large));

    // The fuzzer's input: limit 0, one piece against bytes one at a time.
    let stream: &[u8] = b"\xEF\r\r\0\x02\0:$\xEF+\r\r";
    let bytewise: Vec<&[u8]> = stream.chunks(1).collect();
    assert_eq!(sse_data(&[stream], 0), Err(too_large));
    assert_eq!(sse_data(&bytewise, 0), Err(too_large));

    // Two bytes of the mark in earlier reads, a limit of one byte.
    let offset_one = Error::new(ErrorKind::EventTooLarge, 1);
    assert_eq!(sse_data(&[b"\xEF\xBBx\n\n"], 1), Err(offset_one));
    assert_eq!(sse_data(&[b"\xEF", b"\xBB", b"x\n\n"], 1), Err(offset_one));

    // Within the limit, a split mark prefix is still the start of a line.
    assert_eq!(sse_data(&[b"\xEF", b"\r"], 1), Ok(vec![]));
    assert_eq!(
        sse_data(&[b"\xEF", b"\xBB:\ndata: x\n\n"], 8),
        Ok(vec![b"x".to_vec()])
    );
}
