package argstream

// #include "argstream.h"
//
// // The handle goes through these as void*: cgo (Go 1.19) allocates on
// // every call that passes a pointer to an incomplete struct type.
// static argstream_status relay_feed(void *r, const uint8_t *data, size_t len,
//                                    argstream_bytes *output, argstream_error *error) {
//     return argstream_relay_feed(r, data, len, output, error);
// }
// static argstream_status relay_finish(void *r, argstream_bytes *output, argstream_error *error) {
//     return argstream_relay_finish(r, output, error);
// }
// static argstream_status relay_write_error(void *r, argstream_str type, argstream_str message,
//                                           argstream_bytes *output) {
//     return argstream_relay_write_error(r, type, message, output);
// }
// static argstream_status relay_summary(void *r, argstream_str *json) {
//     return argstream_relay_summary(r, json);
// }
// static argstream_status relay_get_state(void *r, argstream_relay_state *state) {
//     return argstream_relay_get_state(r, state);
// }
// static argstream_status relay_reset(void *r) { return argstream_relay_reset(r); }
// static argstream_status relay_free(void *r) { return argstream_relay_free(r); }
import "C"

import "unsafe"

// Options says how a Relay reads and writes. The zero Options detects the
// upstream format, answers in OpenAI chat chunks, hides the tool calls and
// streams the values of the key "pre_exec_msg".
type Options struct {
	// Keys are the top-level keys of each tool call's arguments whose string
	// values stream to the client as answer text. None: "pre_exec_msg".
	Keys []string
	// From is the upstream format: "openai-chat", "openai-responses",
	// "anthropic", "gemini", "bedrock", or "" or "auto" to detect it from
	// the first events.
	From string
	// To is the client's format: "openai-chat" (also ""),
	// "openai-responses", "anthropic", "gemini", or "same" (the upstream's
	// own).
	To string
	// ForwardToolCalls sends the calls to the client too, instead of hiding
	// them (a hidden call's finish reads as a plain stop).
	ForwardToolCalls bool
	// NoValues leaves the values of Keys out of the client's stream (the
	// summary keeps them): a pure translation.
	NoValues bool
	// NoFinish leaves out the finish, the usage and the stream's end, to
	// chain several upstream responses into one client stream.
	NoFinish bool
	// Created is the `created` time (Unix seconds) written for a format that
	// carries none; 0 keeps the output a function of the input.
	Created uint64
	// MaxEventSize (default 16 MiB), MaxArguments (per call, default 16 MiB),
	// MaxCalls (default 1024), MaxStreamArguments (all calls together,
	// default 256 MiB), MaxDepth (default 128), MaxChoices (default 128),
	// MaxContent (the summary's text, default 16 MiB) and MaxKept (what the
	// Responses output keeps for its end, default 256 MiB) are the limits;
	// 0 means the default.
	MaxEventSize, MaxArguments, MaxCalls int
	MaxStreamArguments, MaxDepth, MaxChoices, MaxContent, MaxKept int
}

// Relay relays one upstream response stream at a time. Make it with
// NewRelay, feed it the upstream reads, Finish it, Close it.
type Relay struct {
	handle unsafe.Pointer // an argstream_relay
	// The out-parameters of every call, kept here so that a call allocates
	// nothing on the Go side.
	output C.argstream_bytes
	err    C.argstream_error
	json   C.argstream_str
	state  C.argstream_relay_state
}

// NewRelay makes a relay. It fails only for options it does not know (an
// unknown format name, say), with an error that names them.
func NewRelay(o Options) (*Relay, error) {
	n := len(o.Keys)
	texts := newCTexts(append(append(make([]string, 0, n+2), o.Keys...), o.From, o.To))
	defer texts.free()
	var flags C.uint32_t
	if o.ForwardToolCalls {
		flags |= C.ARGSTREAM_FORWARD_TOOL_CALLS
	}
	if o.NoValues {
		flags |= C.ARGSTREAM_NO_VALUES
	}
	if o.NoFinish {
		flags |= C.ARGSTREAM_NO_FINISH
	}
	options := C.argstream_relay_options{
		keys:           &texts.texts[0],
		keys_len:       C.size_t(n),
		from:           texts.texts[n],
		to:             texts.texts[n+1],
		flags:          flags,
		created:        C.uint64_t(o.Created),
		max_event_size: C.size_t(o.MaxEventSize),
		max_arguments:  C.size_t(o.MaxArguments),
		max_calls:      C.size_t(o.MaxCalls),

		max_stream_arguments: C.size_t(o.MaxStreamArguments),
		max_depth:            C.size_t(o.MaxDepth),
		max_choices:          C.size_t(o.MaxChoices),
		max_content:          C.size_t(o.MaxContent),
		max_kept:             C.size_t(o.MaxKept),
	}
	r := &Relay{}
	var message [256]C.char
	handle := (**C.argstream_relay)(unsafe.Pointer(&r.handle))
	status := C.argstream_status(C.argstream_relay_new(&options, handle, &message[0], C.size_t(len(message))))
	if status != C.ARGSTREAM_STATUS_OK {
		return nil, refusal("NewRelay", status, message[:])
	}
	return r, nil
}

// Feed relays one upstream read, cut anywhere, and returns the client's
// frames that it completed (often none). The bytes are the relay's, valid
// until the next call on r: write them out or copy them before.
//
// The error is an *Error for an event the relay refuses ("malformed_chunk",
// "event_too_large", "too_many_calls"), with the upstream byte offset; the
// frames before that event are returned with it. Write them, then end the
// client's stream with WriteError. Bad arguments inside one tool call are not
// an error: they are in the Summary.
func (r *Relay) Feed(read []byte) ([]byte, error) {
	if r.handle == nil {
		return nil, ErrClosed
	}
	data, size := bytesIn(read)
	status := C.relay_feed(r.handle, data, size, &r.output, &r.err)
	return r.lent(status)
}

// Finish marks the end of the upstream body and returns the last frames:
// the finish, the usage and the stream's end, or an error event when the
// upstream was cut off (recorded in the Summary, not returned as an error).
// Valid until the next call on r.
func (r *Relay) Finish() ([]byte, error) {
	if r.handle == nil {
		return nil, ErrClosed
	}
	status := C.relay_finish(r.handle, &r.output, &r.err)
	return r.lent(status)
}

func (r *Relay) lent(status C.argstream_status) ([]byte, error) {
	if status != C.ARGSTREAM_STATUS_OK && status != C.ARGSTREAM_STATUS_INPUT_ERROR {
		return nil, statusError(status, nil)
	}
	return lentBytes(r.output), statusError(status, &r.err)
}

// WriteError ends the client's stream with one error event in its format
// (unless it has ended) and returns the frames not yet taken, that event
// included, valid until the next call on r. For the gateway's own faults: the
// upstream broke, went silent, or sent what Feed refused. The message goes to
// the client: keep payloads and secrets out of it.
func (r *Relay) WriteError(errorType, message string) []byte {
	if r.handle == nil {
		return nil
	}
	texts := newCTexts([]string{errorType, message})
	defer texts.free()
	status := C.relay_write_error(r.handle, texts.texts[0], texts.texts[1], &r.output)
	if status != C.ARGSTREAM_STATUS_OK {
		return nil
	}
	return lentBytes(r.output)
}

// Summary is what the relay collected so far, as the one JSON line of the
// relay example's --summary: content, finish_reason, tool_calls (index, id,
// name, arguments, error), usage, error. "" once closed.
func (r *Relay) Summary() string {
	if r.handle == nil || C.relay_summary(r.handle, &r.json) != C.ARGSTREAM_STATUS_OK {
		return ""
	}
	return goString(r.json)
}

// Format is the upstream format, given or detected: "openai-chat",
// "openai-responses", "anthropic", "gemini", "bedrock", or "" until known.
func (r *Relay) Format() string {
	if !r.getState() {
		return ""
	}
	return goString(r.state.format)
}

// Ended tells whether the client's stream has ended (its end or an error
// event was written): nothing more goes out until Reset.
func (r *Relay) Ended() bool {
	return r.getState() && bool(r.state.ended)
}

func (r *Relay) getState() bool {
	return r.handle != nil && C.relay_get_state(r.handle, &r.state) == C.ARGSTREAM_STATUS_OK
}

// Reset forgets the stream, keeping the options and the allocations, to
// relay a new one (after an error too).
func (r *Relay) Reset() {
	if r.handle != nil {
		C.relay_reset(r.handle)
	}
}

// Close frees the relay and the bytes it lent. Closing twice is a no-op.
func (r *Relay) Close() error {
	if r.handle == nil {
		return nil
	}
	status := C.relay_free(r.handle)
	if status != C.ARGSTREAM_STATUS_OK {
		return statusError(status, nil)
	}
	r.handle = nil
	return nil
}
