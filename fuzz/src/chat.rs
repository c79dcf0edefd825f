//! A generator of chat-completion event streams for the relay: content,
//! tool calls whose arguments are generated documents (see [`crate::json`])
//! cut into fragments and interleaved, finish reasons, usage, `[DONE]`,
//! comments, and some damage.

use arbitrary::Arbitrary;
use serde_json::{Value, json};

use crate::json::Document;
use crate::plan::pieces;

/// One generated upstream stream.
#[derive(Arbitrary, Debug)]
pub struct ChatStream {
    /// The chunks' `id` and `model`; long ones test output growth.
    pub id: String,
    /// The model name.
    pub model: String,
    /// Tool calls: arguments and how they are cut.
    pub calls: Vec<Call>,
    /// Other events, interleaved with the argument fragments.
    pub extras: Vec<Extra>,
    /// Decides the interleaving.
    pub order: u64,
    /// Whether `[DONE]` ends the stream.
    pub done: bool,
    /// `\n`, `\r\n` or `\r` line ends.
    pub line_end: u8,
}

/// One tool call.
#[derive(Arbitrary, Debug)]
pub struct Call {
    /// The call's arguments document.
    pub arguments: Document,
    /// The fragment sizes, as a plan.
    pub cuts: Vec<u8>,
    /// The function's name.
    pub name: String,
}

/// An event other than an argument fragment.
#[derive(Arbitrary, Debug)]
pub enum Extra {
    /// A content delta.
    Content(String),
    /// A reasoning delta.
    Reasoning(String),
    /// A finish reason.
    Finish(bool),
    /// A usage chunk with no choices.
    Usage(u16, u16),
    /// An SSE comment line.
    Comment,
    /// An in-stream error object.
    Error(String),
    /// A payload that is not a chunk.
    Garbage(Vec<u8>),
}

impl ChatStream {
    /// The stream's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let end: &[u8] = match self.line_end % 3 {
            0 => b"\n",
            1 => b"\r\n",
            _ => b"\r",
        };
        // Every call's fragments, in order per call.
        let mut queues: Vec<Vec<Value>> = self
            .calls
            .iter()
            .enumerate()
            .map(|(index, call)| {
                let text = String::from_utf8_lossy(&call.arguments.to_bytes()).into_owned();
                let fragments = char_pieces(&text, &call.cuts);
                let mut deltas: Vec<Value> = fragments
                    .iter()
                    .map(|fragment| {
                        json!({"tool_calls": [{"index": index, "function": {"arguments": fragment}}]})
                    })
                    .collect();
                deltas.insert(
                    0,
                    json!({"tool_calls": [{"index": index, "id": format!("call_{index}"),
                        "type": "function", "function": {"name": call.name, "arguments": ""}}]}),
                );
                deltas.reverse();
                deltas
            })
            .collect();
        let mut extras = self.extras.iter();
        let mut state = self.order | 1;
        let mut out = Vec::new();
        loop {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let live: Vec<usize> = (0..queues.len())
                .filter(|&i| !queues[i].is_empty())
                .collect();
            if state % 5 == 0 || live.is_empty() {
                match extras.next() {
                    Some(extra) => self.extra(extra, end, &mut out),
                    None if live.is_empty() => break,
                    None => {}
                }
                continue;
            }
            let call = live[(state >> 8) as usize % live.len()];
            let delta = queues[call].pop().expect("live queues are not empty");
            self.frame(&self.chunk(delta, Value::Null), end, &mut out);
        }
        if self.done {
            frame_bytes(b"[DONE]", end, &mut out);
        }
        out
    }

    fn chunk(&self, delta: Value, finish: Value) -> Value {
        json!({"id": self.id, "object": "chat.completion.chunk", "created": 7, "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
    }

    fn frame(&self, chunk: &Value, end: &[u8], out: &mut Vec<u8>) {
        frame_bytes(chunk.to_string().as_bytes(), end, out);
    }

    fn extra(&self, extra: &Extra, end: &[u8], out: &mut Vec<u8>) {
        match extra {
            Extra::Content(text) => {
                self.frame(&self.chunk(json!({"content": text}), Value::Null), end, out)
            }
            Extra::Reasoning(text) => self.frame(
                &self.chunk(json!({"reasoning_content": text}), Value::Null),
                end,
                out,
            ),
            Extra::Finish(tools) => {
                let reason = if *tools { "tool_calls" } else { "stop" };
                self.frame(&self.chunk(json!({}), json!(reason)), end, out);
            }
            Extra::Usage(prompt, completion) => self.frame(
                &json!({"id": self.id, "object": "chat.completion.chunk", "created": 7,
                    "model": self.model, "choices": [],
                    "usage": {"prompt_tokens": prompt, "completion_tokens": completion}}),
                end,
                out,
            ),
            Extra::Comment => {
                out.extend_from_slice(b": keep-alive");
                out.extend_from_slice(end);
            }
            Extra::Error(message) => self.frame(&json!({"error": {"message": message}}), end, out),
            Extra::Garbage(bytes) => frame_bytes(bytes, end, out),
        }
    }
}

/// `data: PAYLOAD` and a blank line. Line ends in the payload would split it
/// into more lines, which is fine: the decoder joins `data` lines only.
fn frame_bytes(payload: &[u8], end: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(b"data: ");
    out.extend_from_slice(payload);
    out.extend_from_slice(end);
    out.extend_from_slice(end);
}

/// `text` cut into pieces by `plan`, each cut moved forward to a character
/// boundary (a fragment is a JSON string, so it holds whole characters).
fn char_pieces(text: &str, plan: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = 0;
    for range in pieces(text.len(), plan) {
        let mut end = range.end;
        while !text.is_char_boundary(end) {
            end += 1;
        }
        if end > start {
            out.push(text[start..end].to_owned());
            start = end;
        }
    }
    out
}
