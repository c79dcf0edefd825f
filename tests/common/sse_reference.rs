//! The WHATWG "interpreting an event stream" rules, read off the spec one
//! step at a time over the whole input, for clarity rather than speed: the
//! reference the SSE decoder is tested against, shared by `tests/sse/main.rs` and
//! the fuzz crate's `sse_split` target (each includes this file with
//! `#[path]`). Not every includer uses every item.

#![allow(dead_code)]

use argstream::SseEvent;

/// One event as both decoders report it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// The data lines joined with `\n`.
    pub data: Vec<u8>,
    /// The `event` field, `None` when absent or empty.
    pub event: Option<Vec<u8>>,
    /// The last event ID as of this event.
    pub id: Vec<u8>,
    /// The event's own valid `retry` field.
    pub retry: Option<u64>,
    /// The stream offset of the event's first field line.
    pub offset: u64,
}

/// Everything a whole stream decodes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The dispatched events.
    pub events: Vec<Event>,
    /// The last event ID buffer at the end.
    pub last_event_id: Vec<u8>,
    /// The stream's reconnection time at the end.
    pub retry: Option<u64>,
    /// The stream ended inside an event (WHATWG discards it).
    pub partial: bool,
}

impl From<SseEvent> for Event {
    fn from(event: SseEvent) -> Event {
        Event {
            data: event.data().to_vec(),
            event: event.event().map(|event| event.to_vec()),
            id: event.id().to_vec(),
            retry: event.retry(),
            offset: event.offset(),
        }
    }
}

pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The WHATWG "interpreting an event stream" rules, read off the spec one
/// step at a time over the whole input. Bytes stay bytes (the crate does not
/// decode UTF-8); an unterminated last line and an undispatched last event
/// are discarded; `retry` must be a non-empty run of digits that fits a u64.
pub fn reference(stream: &[u8]) -> Outcome {
    let bom_prefix = !stream.is_empty() && stream.len() < BOM.len() && BOM.starts_with(stream);
    // "One leading U+FEFF BYTE ORDER MARK character must be ignored if any are present."
    let mut pos = if stream.starts_with(BOM) {
        BOM.len()
    } else {
        0
    };

    let mut data_buffer: Vec<u8> = Vec::new();
    let mut event_type_buffer: Vec<u8> = Vec::new();
    let mut last_event_id_buffer: Vec<u8> = Vec::new();
    let mut reconnection_time: Option<u64> = None;
    let mut event_retry: Option<u64> = None;
    let mut first_field_line: Option<u64> = None;
    let mut events = Vec::new();

    loop {
        // "Lines must be separated by either a U+000D CARRIAGE RETURN U+000A
        // LINE FEED (CRLF) character pair, a single U+000A LINE FEED (LF)
        // character, or a single U+000D CARRIAGE RETURN (CR) character."
        let Some(end) = stream[pos..]
            .iter()
            .position(|&b| b == b'\r' || b == b'\n')
            .map(|i| pos + i)
        else {
            // "Once the end of the file is reached, any pending data must be discarded."
            let partial = pos < stream.len() || first_field_line.is_some() || bom_prefix;
            return Outcome {
                events,
                last_event_id: last_event_id_buffer,
                retry: reconnection_time,
                partial,
            };
        };
        let line = &stream[pos..end];
        let line_start = pos as u64;
        pos = if stream[end] == b'\r' && stream.get(end + 1) == Some(&b'\n') {
            end + 2
        } else {
            end + 1
        };

        if line.is_empty() {
            // "If the line is empty (a blank line): Dispatch the event."
            let offset = first_field_line.take();
            let retry = event_retry.take();
            // "If the data buffer is an empty string, set the data buffer and
            // the event type buffer to the empty string and return."
            if data_buffer.is_empty() {
                event_type_buffer.clear();
                continue;
            }
            // "If the data buffer's last character is a U+000A LINE FEED (LF)
            // character, then remove the last character from the data buffer."
            if data_buffer.last() == Some(&b'\n') {
                data_buffer.pop();
            }
            events.push(Event {
                data: std::mem::take(&mut data_buffer),
                event: Some(std::mem::take(&mut event_type_buffer)).filter(|t| !t.is_empty()),
                id: last_event_id_buffer.clone(),
                retry,
                offset: offset.expect("an event with data has a field line"),
            });
            continue;
        }
        // "If the line starts with a U+003A COLON character (:) Ignore the line."
        if line[0] == b':' {
            continue;
        }
        first_field_line.get_or_insert(line_start);
        // "If the line contains a U+003A COLON character (:) Collect the
        // characters on the line before the first U+003A COLON character (:),
        // and let field be that string. Collect the characters on the line
        // after the first U+003A COLON character (:), and let value be that
        // string. If value starts with a U+0020 SPACE character, remove it
        // from value." "Otherwise, the string is not empty but does not
        // contain a U+003A COLON character (:) Process the field using the
        // whole line as the field name, and the empty string as the field
        // value."
        let (field, value) = match line.iter().position(|&b| b == b':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        match field {
            // "Set the event type buffer to field value."
            b"event" => event_type_buffer = value.to_vec(),
            // "Append the field value to the data buffer, then append a
            // single U+000A LINE FEED (LF) character to the data buffer."
            b"data" => {
                data_buffer.extend_from_slice(value);
                data_buffer.push(b'\n');
            }
            // "If the field value does not contain U+0000 NULL, then set the
            // last event ID buffer to the field value. Otherwise, ignore the field."
            b"id" if !value.contains(&0) => last_event_id_buffer = value.to_vec(),
            // "If the field value consists of only ASCII digits, then interpret
            // the field value as an integer in base ten, and set the event
            // stream's reconnection time to that integer. Otherwise, ignore the field."
            // (Digits past u64::MAX are ignored too.)
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                if let Ok(millis) = String::from_utf8_lossy(value).parse::<u64>() {
                    reconnection_time = Some(millis);
                    event_retry = Some(millis);
                }
            }
            // "Otherwise The field is ignored."
            _ => {}
        }
    }
}
