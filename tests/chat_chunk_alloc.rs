//! Steady-state parsing allocates nothing: a counting global allocator
//! watches a loop over the same chunks after one warm-up pass. This is a
//! property of the API (buffers are reused), not a speed measurement. It has
//! its own test binary so no other test allocates while it counts.

#[path = "common/counting_alloc.rs"]
mod counting_alloc;

use std::sync::atomic::Ordering;

use argstream::chat::{Chunk, ChunkParser};
use counting_alloc::ALLOCATIONS;

const CHUNKS: [&[u8]; 5] = [
    br#"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}"#,
    br#"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":\"Caf\u00e9 \\\"x\\\"\"}"}},{"index":1,"id":"call_2","function":{"name":"f","arguments":"{}"}}]},"finish_reason":null}]}"#,
    br#"{"choices":[{"index":0,"delta":{"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}],"reasoning_content":"hm"}}]}"#,
    br#"{"id":"chatcmpl-1","choices":[],"usage":{"prompt_tokens":20,"completion_tokens":16,"total_tokens":36}}"#,
    br#"{"error":{"message":"boom","type":"server_error","code":500}}"#,
];

fn consume(parser: &mut ChunkParser, payload: &[u8]) -> usize {
    let mut seen = 0;
    match parser.parse(payload).expect("valid chunk") {
        Chunk::Done => seen += 1,
        Chunk::Error(err) => seen += err.message().map_or(0, str::len),
        Chunk::Data(view) => {
            seen += view.id().map_or(0, str::len);
            for choice in view.choices() {
                seen += choice.delta().text().map(str::len).sum::<usize>();
                seen += choice.delta().reasoning().map_or(0, str::len);
                for call in choice.tool_calls() {
                    seen += call.arguments().map_or(0, str::len) + call.index() as usize;
                }
            }
            if let Some(usage) = view.usage() {
                seen += usage.raw_json().map_or(0, str::len);
            }
        }
    }
    seen
}

#[test]
fn steady_state_parsing_does_not_allocate() {
    counting_alloc::watch_this_thread();
    let mut parser = ChunkParser::new();
    let mut seen = 0;
    let start = ALLOCATIONS.load(Ordering::Relaxed);
    seen += consume(&mut parser, CHUNKS[0]);
    // The counter works: a fresh parser grows its buffers.
    assert!(ALLOCATIONS.load(Ordering::Relaxed) > start);
    for payload in CHUNKS.iter().chain([&&b"[DONE]"[..]]) {
        seen += consume(&mut parser, payload);
    }
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for _ in 0..1000 {
        for payload in CHUNKS {
            seen += consume(&mut parser, payload);
        }
    }
    let during = ALLOCATIONS.load(Ordering::Relaxed) - before;
    assert!(seen > 0);
    assert_eq!(during, 0, "allocations during 5000 parses after warm-up");
}
