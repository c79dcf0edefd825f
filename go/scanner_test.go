package argstream

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func newScanner(t *testing.T, keys ...string) *Scanner {
	t.Helper()
	s, err := NewScanner(keys)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func feedAll(t *testing.T, s *Scanner, fragments ...[]byte) string {
	t.Helper()
	spoken := ""
	for _, fragment := range fragments {
		text, err := s.Feed(fragment)
		if err != nil {
			t.Fatalf("Feed(%q): %v", fragment, err)
		}
		spoken += text
	}
	if err := s.Finish(); err != nil {
		t.Fatal(err)
	}
	return spoken
}

// encoding/json's reading of the bundled arguments is the reference.
func TestScannerDecodesAsEncodingJSONUnderEverySplit(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "examples", "data", "voice_agent_args.json"))
	if err != nil {
		t.Fatal(err)
	}
	var args struct {
		PreExecMsg string `json:"pre_exec_msg"`
	}
	if err := json.Unmarshal(doc, &args); err != nil || args.PreExecMsg == "" {
		t.Fatalf("the reference: %v", err)
	}
	s := newScanner(t, "pre_exec_msg")
	for at := 0; at <= len(doc); at++ {
		if got := feedAll(t, s, doc[:at], doc[at:]); got != args.PreExecMsg {
			t.Fatalf("split at %d: %q, want %q", at, got, args.PreExecMsg)
		}
		s.Reset()
	}
	var bytewise [][]byte
	for i := range doc {
		bytewise = append(bytewise, doc[i:i+1])
	}
	if got := feedAll(t, s, bytewise...); got != args.PreExecMsg {
		t.Fatalf("one byte at a time: %q", got)
	}
}

func TestScannerKeysInDocumentOrder(t *testing.T) {
	s := newScanner(t, "b", "a")
	got := feedAll(t, s, []byte(`{"a":"one, `), []byte(`then","n":{"b":"nested"},"b":"two"}`))
	if got != "one, thentwo" {
		t.Fatalf("%q", got)
	}
}

func TestScannerErrorsHaveKindAndOffset(t *testing.T) {
	s := newScanner(t, "pre_exec_msg")
	if text, err := s.Feed([]byte(`{"pre_exec_msg":"ok `)); err != nil || text != "ok " {
		t.Fatalf("%q %v", text, err)
	}
	want := &Error{Kind: "invalid_escape", Offset: 21, Message: "invalid escape sequence"}
	for _, call := range []func() error{
		func() error { _, err := s.Feed([]byte(`\q"}`)); return err },
		func() error { _, err := s.Feed([]byte(`more`)); return err },
		s.Finish,
	} {
		var e *Error
		if err := call(); !errors.As(err, &e) || *e != *want {
			t.Fatalf("got %v, want %v", err, want)
		}
	}
	s.Reset()
	if _, err := s.Feed([]byte(`{"pre_exec_msg":"cut`)); err != nil {
		t.Fatal(err)
	}
	var e *Error
	if err := s.Finish(); !errors.As(err, &e) || e.Kind != "truncated" || e.Offset != 20 {
		t.Fatalf("a cut-off document: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Feed([]byte(`{}`)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Feed after Close: %v", err)
	}
	if err := s.Finish(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Finish after Close: %v", err)
	}
}

func TestScannerRefusesKeysThatAreNotUTF8(t *testing.T) {
	if _, err := NewScanner([]string{"\xff"}); err == nil {
		t.Fatal("a key that is not UTF-8 was accepted")
	}
}
