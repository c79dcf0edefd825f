package argstream

// The voice agent's loop, argstream against the Go way of doing it today
// (encoding/json re-parsing the accumulated arguments, made complete, at
// every fragment), side by side on the same fragments; and the cost of one
// Feed. Run from go/:
//
//	go test -run '^$' -bench . -benchmem
//
// TestBaselinesAgree checks that both sides of each pair do the same work.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// A tool call's arguments and the size of the fragments they arrive in.
type voiceInput struct {
	name     string
	doc      []byte
	fragment int
}

func voiceInputs(tb testing.TB) []voiceInput {
	doc, err := os.ReadFile(filepath.Join("..", "examples", "data", "voice_agent_args.json"))
	if err != nil {
		tb.Fatal(err)
	}
	// A call that writes a file: the spoken preamble first, then 16 KiB of
	// content with escapes, as a coding agent's write_file sends it.
	var long bytes.Buffer
	long.WriteString(`{"pre_exec_msg":"I'll write the new config now \u2014 this takes a moment, \"hang on\".",`)
	long.WriteString(`"path":"config/app.yaml","content":"`)
	for long.Len() < 16<<10 {
		long.WriteString(`server:\n  port: 8080\n  host: \"0.0.0.0\"\n  tls: {cert: \"/etc/tls/cert.pem\"}\n`)
	}
	long.WriteString(`"}`)
	return []voiceInput{
		{"bundled-args-4B", doc, 4},
		{"write-file-16KiB-8B", long.Bytes(), 8},
	}
}

func fragmentsOf(doc []byte, size int) [][]byte {
	var fragments [][]byte
	for at := 0; at < len(doc); at += size {
		end := at + size
		if end > len(doc) {
			end = len(doc)
		}
		fragments = append(fragments, doc[at:end])
	}
	return fragments
}

// speakArgstream is the loop with a Scanner: each fragment in, the new text
// out.
func speakArgstream(tb testing.TB, s *Scanner, fragments [][]byte, spoken *strings.Builder) {
	s.Reset()
	for _, fragment := range fragments {
		text, err := s.Feed(fragment)
		if err != nil {
			tb.Fatal(err)
		}
		spoken.WriteString(text)
	}
	if err := s.Finish(); err != nil {
		tb.Fatal(err)
	}
}

// speakReparse is the loop without argstream: append the fragment, make the
// partial document complete, unmarshal it whole, and speak what the value
// gained since the last fragment.
func speakReparse(tb testing.TB, fragments [][]byte, spoken *strings.Builder) {
	var arguments, closed []byte
	said := 0
	for _, fragment := range fragments {
		arguments = append(arguments, fragment...)
		closed = closePartial(arguments, closed[:0])
		var args struct {
			PreExecMsg string `json:"pre_exec_msg"`
		}
		if json.Unmarshal(closed, &args) == nil && len(args.PreExecMsg) > said {
			spoken.WriteString(args.PreExecMsg[said:])
			said = len(args.PreExecMsg)
		}
	}
	var args struct{}
	if err := json.Unmarshal(arguments, &args); err != nil {
		tb.Fatal(err)
	}
}

// closePartial appends to out the partial JSON document doc made complete,
// the way partial-JSON helpers do it: a cut string closed (less an escape, a
// surrogate pair's first half or a UTF-8 character that the cut leaves
// incomplete), a cut number or literal dropped, a key without a value given
// null, a trailing comma dropped, open containers closed.
func closePartial(doc, out []byte) []byte {
	var open []byte // the open containers, '{' or '['
	inString, escaped, isKey, lastWasKey := false, false, false, false
	// The last two escapes of the open string: a cut one, and a pair's
	// first half before it.
	stringStart, escapeStart, escapeBefore := 0, -1, -1
	for i, c := range doc {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped, escapeStart, escapeBefore = true, i, escapeStart
			case c == '"':
				inString, lastWasKey = false, isKey
			}
			continue
		}
		switch c {
		case '"':
			inString, stringStart, escapeStart, escapeBefore = true, i, -1, -1
			prev := lastSignificant(doc[:i])
			isKey = len(open) > 0 && open[len(open)-1] == '{' && (prev == '{' || prev == ',')
		case '{', '[':
			open = append(open, c)
		case '}', ']':
			open = open[:len(open)-1]
		}
		if c != '"' && c != ' ' && c != '\n' && c != '\t' && c != '\r' {
			lastWasKey = false
		}
	}
	if inString {
		end := len(doc)
		for _, e := range []int{escapeStart, escapeBefore} {
			if e < 0 || e >= end {
				break
			}
			tail := doc[e:end]
			highSurrogate := len(tail) == 6 && tail[1] == 'u' && (tail[2] == 'd' || tail[2] == 'D') &&
				strings.IndexByte("89abAB", tail[3]) >= 0
			if len(tail) < 2 || (tail[1] == 'u' && len(tail) < 6) || highSurrogate {
				end = e
			}
		}
		for i := end - 1; i > stringStart && i >= end-3; i-- {
			if utf8.RuneStart(doc[i]) {
				if !utf8.FullRune(doc[i:end]) {
					end = i
				}
				break
			}
		}
		out = append(out, doc[:end]...)
		out = append(out, '"')
		lastWasKey = isKey
	} else {
		end := len(bytes.TrimRight(doc, " \t\r\n"))
		for end > 0 && strings.IndexByte("0123456789.eE+-truefalsn", doc[end-1]) >= 0 {
			end-- // a number or literal that may go on
		}
		out = append(out, doc[:end]...)
	}
	switch last := lastSignificant(out); {
	case last == ',':
		out = bytes.TrimRight(out, " \t\r\n")
		out = out[:len(out)-1]
	case last == ':':
		out = append(out, "null"...)
	case lastWasKey:
		out = append(out, ":null"...)
	}
	for i := len(open) - 1; i >= 0; i-- {
		out = append(out, open[i]+2) // '{'+2 is '}', '['+2 is ']'
	}
	return out
}

func lastSignificant(doc []byte) byte {
	doc = bytes.TrimRight(doc, " \t\r\n")
	if len(doc) == 0 {
		return 0
	}
	return doc[len(doc)-1]
}

// cutPrefix is bytes.CutPrefix, which Go 1.19 does not have.
func cutPrefix(s []byte, prefix string) ([]byte, bool) {
	if !bytes.HasPrefix(s, []byte(prefix)) {
		return s, false
	}
	return s[len(prefix):], true
}

func BenchmarkVoiceLoop(b *testing.B) {
	for _, input := range voiceInputs(b) {
		fragments := fragmentsOf(input.doc, input.fragment)
		b.Run(input.name+"/argstream", func(b *testing.B) {
			s, err := NewScanner([]string{"pre_exec_msg"})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			b.SetBytes(int64(len(input.doc)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				var spoken strings.Builder
				speakArgstream(b, s, fragments, &spoken)
			}
		})
		b.Run(input.name+"/encoding-json-reparse", func(b *testing.B) {
			b.SetBytes(int64(len(input.doc)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				var spoken strings.Builder
				speakReparse(b, fragments, &spoken)
			}
		})
	}
}

// relayReparse is a gateway's relay loop without argstream, for chat
// completions: cut the reads into events, unmarshal each chunk, collect each
// call's arguments and re-parse them at every fragment, and send the new
// text of pre_exec_msg as a content chunk of its own.
func relayReparse(tb testing.TB, reads [][]byte) []byte {
	type chunk struct {
		Choices []struct {
			Delta struct {
				ToolCalls []struct {
					Index    int `json:"index"`
					Function struct {
						Arguments string `json:"arguments"`
					} `json:"function"`
				} `json:"tool_calls"`
			} `json:"delta"`
		} `json:"choices"`
	}
	type content struct {
		Choices [1]struct {
			Index int `json:"index"`
			Delta struct {
				Content string `json:"content"`
			} `json:"delta"`
		} `json:"choices"`
	}
	var pending, out, closed []byte
	arguments := map[int][]byte{}
	said := map[int]int{}
	for _, read := range reads {
		pending = append(pending, read...)
		for {
			end := bytes.Index(pending, []byte("\n\n"))
			if end < 0 {
				break
			}
			event := pending[:end+2]
			pending = pending[end+2:]
			data, ok := cutPrefix(bytes.TrimSpace(event), "data: ")
			if !ok || bytes.Equal(data, []byte("[DONE]")) {
				out = append(out, event...)
				continue
			}
			var c chunk
			if err := json.Unmarshal(data, &c); err != nil {
				tb.Fatal(err)
			}
			forwarded := true
			for _, choice := range c.Choices {
				for _, call := range choice.Delta.ToolCalls {
					forwarded = false
					arguments[call.Index] = append(arguments[call.Index], call.Function.Arguments...)
					closed = closePartial(arguments[call.Index], closed[:0])
					var args struct {
						PreExecMsg string `json:"pre_exec_msg"`
					}
					if json.Unmarshal(closed, &args) != nil || len(args.PreExecMsg) <= said[call.Index] {
						continue
					}
					var delta content
					delta.Choices[0].Delta.Content = args.PreExecMsg[said[call.Index]:]
					said[call.Index] = len(args.PreExecMsg)
					frame, _ := json.Marshal(delta)
					out = append(append(append(out, "data: "...), frame...), "\n\n"...)
				}
			}
			if forwarded {
				out = append(out, event...)
			}
		}
	}
	return out
}

func BenchmarkRelay(b *testing.B) {
	upstream, err := os.ReadFile(filepath.Join("..", "examples", "data", "voice_agent.sse"))
	if err != nil {
		b.Fatal(err)
	}
	for _, size := range []int{64, 4096} {
		reads := fragmentsOf(upstream, size)
		b.Run(fmt.Sprintf("voice_agent.sse-%dB-reads/argstream", size), func(b *testing.B) {
			r, err := NewRelay(Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			b.SetBytes(int64(len(upstream)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				r.Reset()
				for _, read := range reads {
					if _, err := r.Feed(read); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := r.Finish(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("voice_agent.sse-%dB-reads/encoding-json-reparse", size), func(b *testing.B) {
			b.SetBytes(int64(len(upstream)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				relayReparse(b, reads)
			}
		})
	}
}

// BenchmarkFeed is the cost of one Feed: the cgo call alone (an empty
// read), a small read, and one whole event.
func BenchmarkFeed(b *testing.B) {
	upstream, err := os.ReadFile(filepath.Join("..", "examples", "data", "voice_agent.sse"))
	if err != nil {
		b.Fatal(err)
	}
	relay := func(b *testing.B) *Relay {
		r, err := NewRelay(Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { r.Close() })
		b.ReportAllocs()
		return r
	}
	b.Run("relay/empty-read", func(b *testing.B) {
		r := relay(b)
		for i := 0; i < b.N; i++ {
			if _, err := r.Feed(nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("relay/7B-read", func(b *testing.B) {
		r := relay(b)
		reads := fragmentsOf(upstream, 7)
		b.SetBytes(7)
		for i := 0; i < b.N; i++ {
			n := i % len(reads)
			if n == 0 {
				r.Reset()
			}
			if _, err := r.Feed(reads[n]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("relay/one-content-event", func(b *testing.B) {
		r := relay(b)
		event := []byte("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1764140000,\"model\":\"demo-model\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" checking\"},\"finish_reason\":null}]}\n\n")
		b.SetBytes(int64(len(event)))
		for i := 0; i < b.N; i++ {
			if i%1024 == 0 {
				r.Reset() // the summary collects the content: keep it small
			}
			if out, err := r.Feed(event); err != nil || len(out) == 0 {
				b.Fatal(err)
			}
		}
	})
	b.Run("scanner/4B-fragment", func(b *testing.B) {
		doc := voiceInputs(b)[0].doc
		fragments := fragmentsOf(doc, 4)
		s, err := NewScanner([]string{"pre_exec_msg"})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		b.SetBytes(4)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			n := i % len(fragments)
			if n == 0 {
				s.Reset()
			}
			if _, err := s.Feed(fragments[n]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// Both sides of each benchmark pair speak the same text, so that the
// numbers compare the same work.
func TestBaselinesAgree(t *testing.T) {
	for _, input := range voiceInputs(t) {
		var args struct {
			PreExecMsg string `json:"pre_exec_msg"`
		}
		if err := json.Unmarshal(input.doc, &args); err != nil {
			t.Fatalf("%s: %v", input.name, err)
		}
		s := newScanner(t, "pre_exec_msg")
		for _, size := range []int{1, 2, 3, 4, 5, 8, 13} {
			fragments := fragmentsOf(input.doc, size)
			var fast, slow strings.Builder
			speakArgstream(t, s, fragments, &fast)
			speakReparse(t, fragments, &slow)
			if fast.String() != args.PreExecMsg || slow.String() != args.PreExecMsg {
				t.Fatalf("%s in %d-byte fragments:\nargstream %q\nreparse   %q\nwant      %q",
					input.name, size, fast.String(), slow.String(), args.PreExecMsg)
			}
		}
	}

	// The relay baseline speaks what the Relay streams as content, and the
	// Relay's summary confirms the value it streamed.
	upstream, err := os.ReadFile(filepath.Join("..", "examples", "data", "voice_agent.sse"))
	if err != nil {
		t.Fatal(err)
	}
	spoken := func(out []byte) string {
		var text strings.Builder
		for _, event := range bytes.Split(out, []byte("\n\n")) {
			data, ok := cutPrefix(event, "data: ")
			if !ok || bytes.Equal(data, []byte("[DONE]")) {
				continue
			}
			var c struct {
				Choices []struct {
					Delta struct {
						Content string `json:"content"`
					} `json:"delta"`
				} `json:"choices"`
			}
			if err := json.Unmarshal(data, &c); err != nil {
				t.Fatalf("%v: %s", err, data)
			}
			for _, choice := range c.Choices {
				text.WriteString(choice.Delta.Content)
			}
		}
		return text.String()
	}
	want := spoken(relayGo(t, Options{}, upstream, 64).output)
	if got := spoken(relayReparse(t, fragmentsOf(upstream, 64))); got != want || !strings.Contains(want, "Lisbon") {
		t.Fatalf("the relay baseline speaks %q, the Relay %q", got, want)
	}
}
