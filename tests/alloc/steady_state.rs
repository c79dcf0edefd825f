//! The relay allocates nothing per event in steady state: only the collected
//! arguments and content grow, by doubling. A counting allocator checks it,
//! counting this test's thread alone.

use crate::counting_alloc;
use argstream::Relay;
use bytes::Bytes;

fn event(delta: &str) -> String {
    format!(
        "data: {{\"id\":\"c\",\"created\":1,\"model\":\"m\",\"choices\":[{{\"index\":0,\"delta\":{delta}}}],\"usage\":{{\"total_tokens\":5}}}}\n\n"
    )
}

#[test]
fn relaying_an_event_allocates_nothing_in_steady_state() {
    counting_alloc::watch_this_thread();
    let mut stream = event(
        r#"{"tool_calls":[{"index":0,"id":"a","function":{"name":"f","arguments":"{\"pre_exec_msg\":\""}}]}"#,
    );
    // Inner argument text, cut inside escapes and a surrogate pair.
    let fragments = [
        "Let ", r#"me \""#, "che", r"ck \u00", "e9 ", r"\ud83d", r"\ude00 ",
    ];
    for i in 0..6000 {
        stream.push_str(&event(&format!(
            r#"{{"tool_calls":[{{"index":0,"function":{{"arguments":{}}}}}]}}"#,
            serde_json::to_string(fragments[i % fragments.len()]).unwrap()
        )));
        if i % 3 == 0 {
            stream.push_str(&event(r#"{"content":"text"}"#));
        }
    }
    stream.push_str(&event(
        r#"{"tool_calls":[{"index":0,"function":{"arguments":"\"}"}}]}"#,
    ));
    stream.push_str(
        "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\ndata: [DONE]\n\n",
    );
    // Reads cut at odd places, made before counting starts. They share one
    // buffer, as reads a network stack hands out do; a read that owns a `Vec`
    // of its own would allocate the first time it is sliced, and that cost is
    // the caller's, not the relay's.
    let body = Bytes::from(stream);
    let reads: Vec<Bytes> = (0..body.len())
        .step_by(61)
        .map(|start| body.slice(start..(start + 61).min(body.len())))
        .collect();
    let (warm, measured) = reads.split_at(reads.len() / 2);
    let mut relay = Relay::new(&["pre_exec_msg"]);
    for read in warm {
        relay.feed(read.clone()).unwrap();
        drop(relay.output());
    }
    let events_before = relay.events();
    let before = counting_alloc::this_thread();
    for read in measured {
        relay.feed(read.clone()).unwrap();
        drop(relay.output());
    }
    let allocations = counting_alloc::this_thread() - before;
    let events = relay.events() - events_before;
    println!("{allocations} allocations over {events} events");
    assert!(events > 3000, "{events}");
    // The arguments and content strings double as they grow: a handful of
    // allocations over thousands of events, none per event.
    assert!(
        allocations <= 4,
        "{allocations} allocations over {events} events"
    );
    relay.finish().unwrap();
    assert!(relay.summary().tool_calls[0].error.is_none());
    let first = relay.summary().clone();

    // A second stream after reset reuses everything the first one grew.
    relay.reset();
    let before = counting_alloc::this_thread();
    for read in &reads {
        relay.feed(read.clone()).unwrap();
        drop(relay.output());
    }
    relay.finish().unwrap();
    drop(relay.output());
    let allocations = counting_alloc::this_thread() - before;
    println!("{allocations} allocations relaying a whole stream after reset");
    assert_eq!(allocations, 0);
    assert_eq!(relay.summary(), &first);
}

/// A relay made for each stream allocates its keys' table (their text and
/// the shared handle) and its chat renderer's frame and list of choices,
/// nothing for its choice 0 or its other buffers, which wait for the first
/// event.
#[test]
fn a_new_relay_makes_four_allocations() {
    let keys: Vec<String> = (0..10).map(|i| format!("key_{i}")).collect();
    counting_alloc::watch_this_thread();
    let before = counting_alloc::this_thread();
    let relay = Relay::new(&keys);
    let allocations = counting_alloc::this_thread() - before;
    drop(relay);
    println!("Relay::new with 10 keys: {allocations} allocations");
    assert!(allocations <= 4, "{allocations} allocations");
}
