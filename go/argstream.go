// Package argstream streams the arguments of an LLM's tool calls as they
// arrive, for gateways written in Go. It is a thin cgo binding of the Rust
// crate argstream through its C ABI (capi/ in the repository).
//
// A Relay turns a provider's event stream (OpenAI chat completions, OpenAI
// Responses or Anthropic Messages) into a client's, in the format the client
// reads, with the chosen string arguments of every tool call streamed as
// answer text while they arrive:
//
//	r, err := argstream.NewRelay(argstream.Options{Keys: []string{"pre_exec_msg"}})
//	if err != nil { ... }
//	defer r.Close()
//	for each read of the upstream body {
//		out, err := r.Feed(read) // valid until the next call on r
//		client.Write(out)
//		if err != nil { client.Write(r.WriteError("upstream_error", "bad upstream")); break }
//	}
//	out, err := r.Finish()
//	client.Write(out)
//	log.Println(r.Summary())
//
// A Scanner does the same for one tool call's arguments given as fragments:
// it returns the decoded new text of the chosen keys' string values.
//
// Each Feed is one call into the library, whatever the size of the read. The
// library copies what it keeps of the input; the bytes a Relay returns are
// its own, lent until the next call on it. Build the library first:
//
//	cargo build --release -p argstream-capi
//
// (cgo links target/release/libargstream_capi.a.) A Relay or Scanner is used
// by one goroutine at a time, and must be closed: Close frees its memory.
package argstream

// #cgo CFLAGS: -I${SRCDIR}/../capi/include
// #cgo LDFLAGS: ${SRCDIR}/../target/release/libargstream_capi.a -lm -ldl -lpthread -lrt -lutil
// #include <stdlib.h>
// #include "argstream.h"
import "C"

import (
	"errors"
	"fmt"
	"unsafe"
)

// Error is bad input: a malformed upstream event, a document cut off or
// invalid, a limit passed. The Relay or Scanner stays failed until Reset.
type Error struct {
	// Kind names what went wrong, as the Python binding names it:
	// "malformed_chunk", "event_too_large", "too_many_calls", "truncated",
	// "invalid_escape", "too_deep", ...
	Kind string
	// Offset is the byte offset of the first bad byte, counted from the
	// first byte fed since the Relay or Scanner was made or reset (for
	// "truncated", the length of the input).
	Offset uint64
	// Message describes the kind in a few English words.
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("argstream: %s at byte %d", e.Message, e.Offset)
}

var (
	// ErrClosed is returned by a call on a closed Relay or Scanner.
	ErrClosed = errors.New("argstream: use of a closed Relay or Scanner")
	// ErrBusy is returned when another goroutine is in a call on the same
	// Relay or Scanner.
	ErrBusy = errors.New("argstream: Relay or Scanner in use by another goroutine")
	// ErrInternal is a bug in argstream (a panic caught at the boundary);
	// the Relay or Scanner accepts only Close from then on.
	ErrInternal = errors.New("argstream: internal error (a bug in argstream)")
)

// statusError is the Go error of a status, with the library's error for an
// input error.
func statusError(status C.argstream_status, e *C.argstream_error) error {
	switch status {
	case C.ARGSTREAM_STATUS_OK:
		return nil
	case C.ARGSTREAM_STATUS_INPUT_ERROR:
		return &Error{Kind: goString(e.kind), Offset: uint64(e.offset), Message: goString(e.message)}
	case C.ARGSTREAM_STATUS_INVALID_HANDLE:
		return ErrClosed
	case C.ARGSTREAM_STATUS_BUSY:
		return ErrBusy
	case C.ARGSTREAM_STATUS_PANIC:
		return ErrInternal
	default:
		// INVALID_ARGUMENT: the binding passed something the header forbids.
		return fmt.Errorf("argstream: the binding made an invalid call (status %d)", int(status))
	}
}

// goString copies text the library lent.
func goString(text C.argstream_str) string {
	if text.len == 0 {
		return ""
	}
	return C.GoStringN(text.ptr, C.int(text.len))
}

// lentBytes is the library's bytes as a slice of its memory, not copied.
func lentBytes(bytes C.argstream_bytes) []byte {
	if bytes.len == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(bytes.ptr)), int(bytes.len))
}

// bytesIn is the pointer and length of a Go slice for one call: the library
// reads it during the call only, and it holds no Go pointers.
func bytesIn(data []byte) (*C.uint8_t, C.size_t) {
	if len(data) == 0 {
		return nil, 0
	}
	return (*C.uint8_t)(unsafe.Pointer(&data[0])), C.size_t(len(data))
}

// cTexts holds Go strings copied into C memory for a constructor call: the
// options structs it fills point to C memory only, as cgo requires of
// memory that C reads pointers from.
type cTexts struct {
	bytes unsafe.Pointer
	array unsafe.Pointer
	texts []C.argstream_str
}

func newCTexts(strs []string) *cTexts {
	total := 1
	for _, s := range strs {
		total += len(s)
	}
	t := &cTexts{bytes: C.malloc(C.size_t(total))}
	t.array = C.malloc(C.size_t(len(strs)+1) * C.size_t(unsafe.Sizeof(C.argstream_str{})))
	t.texts = unsafe.Slice((*C.argstream_str)(t.array), len(strs)+1)
	buf := unsafe.Slice((*byte)(t.bytes), total)
	at := 0
	for i, s := range strs {
		copy(buf[at:], s)
		t.texts[i] = C.argstream_str{ptr: (*C.char)(unsafe.Pointer(&buf[at])), len: C.size_t(len(s))}
		at += len(s)
	}
	return t
}

func (t *cTexts) free() {
	C.free(t.bytes)
	C.free(t.array)
}

// refusal is a constructor's refusal, from the message the library wrote.
func refusal(what string, status C.argstream_status, message []C.char) error {
	if status != C.ARGSTREAM_STATUS_INVALID_ARGUMENT {
		return statusError(status, nil)
	}
	return fmt.Errorf("argstream: %s: %s", what, C.GoString(&message[0]))
}
