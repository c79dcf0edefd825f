package argstream

// #include "argstream.h"
//
// // The handle goes through these as void*, as in relay.go.
// static argstream_status scanner_feed(void *s, const uint8_t *data, size_t len,
//                                      argstream_str *text, argstream_error *error) {
//     return argstream_scanner_feed(s, data, len, text, error);
// }
// static argstream_status scanner_finish(void *s, argstream_error *error) {
//     return argstream_scanner_finish(s, error);
// }
// static argstream_status scanner_reset(void *s) { return argstream_scanner_reset(s); }
// static argstream_status scanner_free(void *s) { return argstream_scanner_free(s); }
import "C"

import "unsafe"

// Scanner streams the string values of chosen keys out of one tool call's
// arguments, a JSON object that arrives in fragments, as decoded text: escapes
// resolved, surrogate pairs joined, never cut inside an escape, a pair or a
// UTF-8 character. Keys match at the top level of the object only. Each byte
// is read once; memory is the arguments fed so far.
type Scanner struct {
	handle unsafe.Pointer // an argstream_scanner
	text   C.argstream_str
	err    C.argstream_error
}

// NewScanner makes a scanner for the string values of keys.
func NewScanner(keys []string) (*Scanner, error) {
	texts := newCTexts(keys)
	defer texts.free()
	options := C.argstream_scanner_options{keys: &texts.texts[0], keys_len: C.size_t(len(keys))}
	s := &Scanner{}
	var message [256]C.char
	handle := (**C.argstream_scanner)(unsafe.Pointer(&s.handle))
	status := C.argstream_status(C.argstream_scanner_new(&options, handle, &message[0], C.size_t(len(message))))
	if status != C.ARGSTREAM_STATUS_OK {
		return nil, refusal("NewScanner", status, message[:])
	}
	return s, nil
}

// Feed reads the next fragment (cut anywhere) and returns the new decoded
// text of the keys' values, all of them in document order, or "".
//
// The error is an *Error for a fragment that makes the document invalid
// ("invalid_escape", "unexpected_byte", "too_deep", ...), with the offset in
// the arguments; no text of that fragment is returned, and the scanner stays
// failed until Reset.
func (s *Scanner) Feed(fragment []byte) (string, error) {
	if s.handle == nil {
		return "", ErrClosed
	}
	data, size := bytesIn(fragment)
	status := C.scanner_feed(s.handle, data, size, &s.text, &s.err)
	if err := statusError(status, &s.err); err != nil {
		return "", err
	}
	return goString(s.text), nil
}

// Finish marks the end of the arguments: an *Error with Kind "truncated"
// when they are not a complete document (a cut-off call), or the scanner's
// earlier error.
func (s *Scanner) Finish() error {
	if s.handle == nil {
		return ErrClosed
	}
	return statusError(C.scanner_finish(s.handle, &s.err), &s.err)
}

// Reset forgets the arguments, keeping the keys, to scan a new call's.
func (s *Scanner) Reset() {
	if s.handle != nil {
		C.scanner_reset(s.handle)
	}
}

// Close frees the scanner. Closing twice is a no-op.
func (s *Scanner) Close() error {
	if s.handle == nil {
		return nil
	}
	status := C.scanner_free(s.handle)
	if status != C.ARGSTREAM_STATUS_OK {
		return statusError(status, nil)
	}
	s.handle = nil
	return nil
}
