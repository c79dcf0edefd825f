//! A generator of upstream event streams for the relay, in each of its five
//! formats (chat completions, Anthropic Messages, OpenAI Responses, Gemini
//! with Vertex's streamed `partialArgs`, Bedrock's binary frames): content,
//! reasoning, tool calls whose arguments are generated documents (see
//! [`crate::json`]) cut into fragments and interleaved, finish reasons,
//! usage, the format's end, comments, errors, and some damage.

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
    /// The wire format: chat completions, Anthropic, Responses, Gemini or
    /// Bedrock.
    pub format: u8,
}

/// One piece of a tool call.
enum Piece {
    Start { index: usize, name: String },
    Arguments { index: usize, fragment: String },
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
        // Every call's pieces, in order per call.
        let mut queues: Vec<Vec<Piece>> = self
            .calls
            .iter()
            .enumerate()
            .map(|(index, call)| {
                let text = String::from_utf8_lossy(&call.arguments.to_bytes()).into_owned();
                let mut pieces: Vec<Piece> = char_pieces(&text, &call.cuts)
                    .into_iter()
                    .map(|fragment| Piece::Arguments { index, fragment })
                    .collect();
                pieces.insert(
                    0,
                    Piece::Start {
                        index,
                        name: call.name.clone(),
                    },
                );
                pieces.reverse();
                pieces
            })
            .collect();
        let mut extras = self.extras.iter();
        let mut state = self.order | 1;
        let mut out = Vec::new();
        self.start(end, &mut out);
        loop {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let live: Vec<usize> = (0..queues.len())
                .filter(|&i| !queues[i].is_empty())
                .collect();
            if state.is_multiple_of(5) || live.is_empty() {
                match extras.next() {
                    Some(extra) => self.extra(extra, end, &mut out),
                    None if live.is_empty() => break,
                    None => {}
                }
                continue;
            }
            let call = live[(state >> 8) as usize % live.len()];
            let piece = queues[call].pop().expect("live queues are not empty");
            self.piece(piece, end, &mut out);
        }
        if self.done {
            self.end(end, &mut out);
        }
        out
    }

    fn start(&self, end: &[u8], out: &mut Vec<u8>) {
        match self.format % 5 {
            0 | 3 => {}
            4 => bedrock(out, "messageStart", &json!({"role": "assistant"})),
            1 => self.event(
                &json!({"type": "message_start", "message": {"id": self.id, "model": self.model,
                    "usage": {"input_tokens": 3, "output_tokens": 1}}}),
                end,
                out,
            ),
            _ => self.event(
                &json!({"type": "response.created", "response": {"id": self.id, "model": self.model,
                    "created_at": 7}}),
                end,
                out,
            ),
        }
    }

    fn end(&self, end: &[u8], out: &mut Vec<u8>) {
        match self.format % 5 {
            0 => frame_bytes(b"[DONE]", end, out),
            3 => self.gemini(json!([{"functionCall": {}}]), json!("STOP"), end, out),
            4 => bedrock(
                out,
                "metadata",
                &json!({"usage": {"inputTokens": 3, "outputTokens": 5}}),
            ),
            1 => self.event(&json!({"type": "message_stop"}), end, out),
            _ => self.event(
                &json!({"type": "response.completed", "response": {"id": self.id,
                    "usage": {"input_tokens": 3, "output_tokens": 5, "total_tokens": 8}}}),
                end,
                out,
            ),
        }
    }

    fn piece(&self, piece: Piece, end: &[u8], out: &mut Vec<u8>) {
        let event = match (self.format % 5, piece) {
            // Every fragment a piece of one streamed string: Gemini streams
            // one call at a time, so pieces of another call join the open one.
            (3, Piece::Start { name, .. }) => {
                let call = json!([{"functionCall": {"name": name, "willContinue": true}}]);
                return self.gemini(call, Value::Null, end, out);
            }
            (3, Piece::Arguments { fragment, .. }) => {
                let piece = json!({"jsonPath": "$.pre_exec_msg", "stringValue": fragment,
                    "willContinue": true});
                let call =
                    json!([{"functionCall": {"partialArgs": [piece], "willContinue": true}}]);
                return self.gemini(call, Value::Null, end, out);
            }
            (4, Piece::Start { index, name }) => {
                let start = json!({"contentBlockIndex": index, "start": {"toolUse":
                    {"toolUseId": format!("tooluse_{index}"), "name": name}}});
                return bedrock(out, "contentBlockStart", &start);
            }
            (4, Piece::Arguments { index, fragment }) => {
                let delta =
                    json!({"contentBlockIndex": index, "delta": {"toolUse": {"input": fragment}}});
                return bedrock(out, "contentBlockDelta", &delta);
            }
            (0, Piece::Start { index, name }) => self.chunk(
                json!({"tool_calls": [{"index": index, "id": format!("call_{index}"),
                    "type": "function", "function": {"name": name, "arguments": ""}}]}),
                Value::Null,
            ),
            (0, Piece::Arguments { index, fragment }) => self.chunk(
                json!({"tool_calls": [{"index": index, "function": {"arguments": fragment}}]}),
                Value::Null,
            ),
            (1, Piece::Start { index, name }) => json!({"type": "content_block_start",
                "index": index, "content_block": {"type": "tool_use",
                "id": format!("toolu_{index}"), "name": name, "input": {}}}),
            (1, Piece::Arguments { index, fragment }) => json!({"type": "content_block_delta",
                "index": index, "delta": {"type": "input_json_delta", "partial_json": fragment}}),
            (_, Piece::Start { index, name }) => json!({"type": "response.output_item.added",
                "output_index": index + 1, "item": {"type": "function_call",
                "id": format!("fc_{index}"), "call_id": format!("call_{index}"), "name": name,
                "arguments": ""}}),
            (_, Piece::Arguments { index, fragment }) => json!({
                "type": "response.function_call_arguments.delta", "output_index": index + 1,
                "item_id": format!("fc_{index}"), "delta": fragment}),
        };
        self.event(&event, end, out);
    }

    /// Writes an event, named by its `type` where the format names events.
    fn event(&self, event: &Value, end: &[u8], out: &mut Vec<u8>) {
        if let Some(kind) = event["type"].as_str() {
            out.extend_from_slice(b"event: ");
            out.extend_from_slice(kind.as_bytes());
            out.extend_from_slice(end);
        }
        self.frame(event, end, out);
    }

    fn chunk(&self, delta: Value, finish: Value) -> Value {
        json!({"id": self.id, "object": "chat.completion.chunk", "created": 7, "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
    }

    fn frame(&self, chunk: &Value, end: &[u8], out: &mut Vec<u8>) {
        frame_bytes(chunk.to_string().as_bytes(), end, out);
    }

    /// A Gemini event of candidate 0's `parts` and `finishReason`.
    fn gemini(&self, parts: Value, finish: Value, end: &[u8], out: &mut Vec<u8>) {
        let event = json!({"candidates": [{"content": {"role": "model", "parts": parts},
            "finishReason": finish, "index": 0}], "modelVersion": self.model, "responseId": self.id});
        self.frame(&event, end, out);
    }

    fn extra(&self, extra: &Extra, end: &[u8], out: &mut Vec<u8>) {
        if self.format % 5 == 3 {
            return self.gemini_extra(extra, end, out);
        }
        if self.format % 5 == 4 {
            return bedrock_extra(extra, out);
        }
        let event = match (self.format % 3, extra) {
            (_, Extra::Comment) => {
                out.extend_from_slice(b": keep-alive");
                out.extend_from_slice(end);
                return;
            }
            (_, Extra::Garbage(bytes)) => return frame_bytes(bytes, end, out),
            (0, Extra::Content(text)) => self.chunk(json!({"content": text}), Value::Null),
            (0, Extra::Reasoning(text)) => {
                self.chunk(json!({"reasoning_content": text}), Value::Null)
            }
            (0, Extra::Finish(tools)) => {
                let reason = if *tools { "tool_calls" } else { "stop" };
                self.chunk(json!({}), json!(reason))
            }
            (0, Extra::Usage(prompt, completion)) => {
                json!({"id": self.id, "object": "chat.completion.chunk", "created": 7,
                    "model": self.model, "choices": [],
                    "usage": {"prompt_tokens": prompt, "completion_tokens": completion}})
            }
            (0, Extra::Error(message)) => json!({"error": {"message": message}}),
            (1, Extra::Content(text)) => json!({"type": "content_block_delta", "index": 999,
                "delta": {"type": "text_delta", "text": text}}),
            (1, Extra::Reasoning(text)) => json!({"type": "content_block_delta", "index": 998,
                "delta": {"type": "thinking_delta", "thinking": text}}),
            (1, Extra::Finish(tools)) => {
                let reason = if *tools { "tool_use" } else { "end_turn" };
                json!({"type": "message_delta", "delta": {"stop_reason": reason},
                    "usage": {"output_tokens": 9}})
            }
            (1, Extra::Usage(_, completion)) => json!({"type": "message_delta", "delta": {},
                "usage": {"output_tokens": completion}}),
            (1, Extra::Error(message)) => json!({"type": "error",
                "error": {"type": "overloaded_error", "message": message}}),
            (_, Extra::Content(text)) => json!({"type": "response.output_text.delta",
                "output_index": 0, "item_id": "msg", "delta": text}),
            (_, Extra::Reasoning(text)) => json!({"type": "response.reasoning_summary_text.delta",
                "output_index": 0, "item_id": "rs", "delta": text}),
            (_, Extra::Finish(_)) => json!({"type": "response.incomplete",
                "response": {"incomplete_details": {"reason": "max_output_tokens"}}}),
            (_, Extra::Usage(..)) => json!({"type": "response.in_progress",
                "response": {"id": self.id, "model": self.model}}),
            (_, Extra::Error(message)) => json!({"type": "error", "code": "server_error",
                "message": message}),
        };
        self.event(&event, end, out);
    }
}

impl ChatStream {
    fn gemini_extra(&self, extra: &Extra, end: &[u8], out: &mut Vec<u8>) {
        let finish = Value::Null;
        match extra {
            Extra::Comment => out.extend_from_slice(b": keep-alive\n\n"),
            Extra::Garbage(bytes) => frame_bytes(bytes, end, out),
            Extra::Content(text) => self.gemini(json!([{"text": text}]), finish, end, out),
            Extra::Reasoning(text) => {
                self.gemini(json!([{"text": text, "thought": true}]), finish, end, out)
            }
            Extra::Finish(tools) => {
                let reason = if *tools { "MAX_TOKENS" } else { "STOP" };
                self.gemini(json!([]), json!(reason), end, out)
            }
            Extra::Usage(prompt, completion) => {
                let event = json!({"usageMetadata": {"promptTokenCount": prompt,
                    "candidatesTokenCount": completion}, "responseId": self.id});
                self.frame(&event, end, out)
            }
            Extra::Error(message) => {
                let event =
                    json!({"error": {"code": 503, "message": message, "status": "UNAVAILABLE"}});
                self.frame(&event, end, out)
            }
        }
    }
}

/// One Bedrock event frame.
fn bedrock(out: &mut Vec<u8>, event_type: &str, payload: &Value) {
    argstream::eventstream::encode_frame(out, event_type, payload.to_string().as_bytes());
}

fn bedrock_extra(extra: &Extra, out: &mut Vec<u8>) {
    match extra {
        // An event type yet to come.
        Extra::Comment => bedrock(out, "futureEvent", &json!({"p": "abc"})),
        // Raw bytes between frames: damage the frame decoder must name.
        Extra::Garbage(bytes) => out.extend_from_slice(bytes),
        Extra::Content(text) => bedrock(
            out,
            "contentBlockDelta",
            &json!({"contentBlockIndex": 999, "delta": {"text": text}}),
        ),
        Extra::Reasoning(text) => bedrock(
            out,
            "contentBlockDelta",
            &json!({"contentBlockIndex": 998, "delta": {"reasoningContent": {"text": text}}}),
        ),
        Extra::Finish(tools) => {
            let reason = if *tools { "tool_use" } else { "end_turn" };
            bedrock(out, "messageStop", &json!({"stopReason": reason}))
        }
        Extra::Usage(prompt, completion) => bedrock(
            out,
            "metadata",
            &json!({"usage": {"inputTokens": prompt, "outputTokens": completion}}),
        ),
        Extra::Error(message) => argstream::eventstream::encode_frame_with_headers(
            out,
            &[
                (":exception-type", "modelStreamErrorException"),
                (":message-type", "exception"),
            ],
            json!({"message": message}).to_string().as_bytes(),
        ),
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
