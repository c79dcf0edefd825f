package argstream

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The reference is the Rust relay itself: the relay example, run with the
// same options on the same file. Its path comes from ARGSTREAM_RELAY, or it
// is built here (quick when cargo has built it already).
var rustRelay struct {
	once sync.Once
	path string
	err  error
}

func rustRelayPath(t *testing.T) string {
	t.Helper()
	rustRelay.once.Do(func() {
		if path := os.Getenv("ARGSTREAM_RELAY"); path != "" {
			rustRelay.path = path
			return
		}
		build := exec.Command("cargo", "build", "--release", "--quiet", "--example", "relay")
		build.Dir = ".."
		if out, err := build.CombinedOutput(); err != nil {
			rustRelay.err = fmt.Errorf("building the Rust relay example (cargo build --release --example relay): %v\n%s", err, out)
			return
		}
		rustRelay.path = filepath.Join("..", "target", "release", "examples", "relay")
	})
	if rustRelay.err != nil {
		t.Fatal(rustRelay.err)
	}
	return rustRelay.path
}

// relayed is what relaying one stream gave: the client's bytes, the summary
// line, and the refusal ("" when none), as the relay example prints it.
type relayed struct {
	output  []byte
	summary string
	refusal string
}

func relayRust(t *testing.T, flags []string, file string) relayed {
	t.Helper()
	args := append(append([]string{}, flags...), "--summary", file)
	cmd := exec.Command(rustRelayPath(t), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) {
		t.Fatalf("relay %v: %v\n%s", args, err, stderr.String())
	}
	lines := strings.SplitN(strings.TrimSuffix(stderr.String(), "\n"), "\n", 2)
	got := relayed{output: stdout.Bytes(), summary: lines[0]}
	if len(lines) == 2 {
		got.refusal = lines[1]
	}
	return got
}

// relayGo relays `upstream` in reads of `size` bytes, as the relay example
// does: frames before a refused event are kept, and no finish follows it.
func relayGo(t *testing.T, options Options, upstream []byte, size int) relayed {
	t.Helper()
	r, err := NewRelay(options)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var got relayed
	for at := 0; at < len(upstream) && got.refusal == ""; at += size {
		end := at + size
		if end > len(upstream) {
			end = len(upstream)
		}
		out, err := r.Feed(upstream[at:end])
		got.output = append(got.output, out...)
		got.refusal = refusalOf(t, err)
	}
	if got.refusal == "" {
		out, err := r.Finish()
		got.output = append(got.output, out...)
		got.refusal = refusalOf(t, err)
	}
	got.summary = r.Summary()
	return got
}

// refusalOf is the part of the relay example's error line that the Go
// error carries: "<message> at byte N".
func refusalOf(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("not an *argstream.Error: %v", err)
	}
	return fmt.Sprintf("%s at byte %d", e.Message, e.Offset)
}

func sameAsRust(t *testing.T, want, got relayed, what string) {
	t.Helper()
	if !bytes.Equal(got.output, want.output) {
		t.Fatalf("%s: output differs from the Rust relay's (%d bytes vs %d)\nGo:   %.300q\nRust: %.300q",
			what, len(got.output), len(want.output), got.output, want.output)
	}
	if got.summary != want.summary {
		t.Fatalf("%s: summary differs\nGo:   %s\nRust: %s", what, got.summary, want.summary)
	}
	if (got.refusal == "") != (want.refusal == "") || !strings.Contains(want.refusal, got.refusal) {
		t.Fatalf("%s: refusal differs\nGo:   %q\nRust: %q", what, got.refusal, want.refusal)
	}
}

// A set of options, as Options and as the relay example's flags.
type config struct {
	name    string
	options Options
	flags   []string
}

var configs = []config{
	{"defaults", Options{}, nil},
	{"forward", Options{ForwardToolCalls: true}, []string{"--tool-calls", "forward"}},
	{"to-anthropic", Options{To: "anthropic"}, []string{"--to", "anthropic"}},
	{"to-responses-forward", Options{To: "openai-responses", ForwardToolCalls: true},
		[]string{"--to", "openai-responses", "--tool-calls", "forward"}},
	{"same-forward-no-values", Options{To: "same", ForwardToolCalls: true, NoValues: true},
		[]string{"--to", "same", "--tool-calls", "forward", "--no-values"}},
	{"keys-from-no-finish", Options{Keys: []string{"city", "pre_exec_msg"}, From: "auto", NoFinish: true},
		[]string{"--key", "city", "--key", "pre_exec_msg", "--from", "auto", "--no-finish"}},
	{"to-gemini-forward", Options{To: "gemini", ForwardToolCalls: true},
		[]string{"--to", "gemini", "--tool-calls", "forward"}},
}

func bundledExamples(t *testing.T) []string {
	files, err := filepath.Glob(filepath.Join("..", "examples", "data", "*.sse"))
	if err != nil || len(files) < 3 {
		t.Fatalf("the bundled examples (../examples/data/*.sse): %v %v", files, err)
	}
	return files
}

func TestRelayBundledExamplesAsRust(t *testing.T) {
	for _, file := range bundledExamples(t) {
		upstream, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range configs {
			want := relayRust(t, c.flags, file)
			if len(want.output) == 0 {
				t.Fatalf("%s %s: the Rust relay wrote nothing", file, c.name)
			}
			for _, size := range []int{1, 7, 4096, len(upstream)} {
				got := relayGo(t, c.options, upstream, size)
				sameAsRust(t, want, got, fmt.Sprintf("%s %s reads of %d", filepath.Base(file), c.name, size))
			}
		}
	}
}

func TestRelayRefusesAsRust(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("..", "examples", "data", "voice_agent.sse"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	streams := map[string][]byte{
		"malformed.sse": append(append([]byte{}, good[:600]...), "\n\ndata: {\"choices\":[}\n\n"...),
		"cut_off.sse":   good[:len(good)/2],
	}
	for name, upstream := range streams {
		file := filepath.Join(dir, name)
		if err := os.WriteFile(file, upstream, 0o644); err != nil {
			t.Fatal(err)
		}
		want := relayRust(t, nil, file)
		for _, size := range []int{1, 7, 4096} {
			sameAsRust(t, want, relayGo(t, Options{}, upstream, size), fmt.Sprintf("%s reads of %d", name, size))
		}
	}
}

// testData is ARGSTREAM_TESTDATA, or the repository's default beside it.
func testData() string {
	if dir := os.Getenv("ARGSTREAM_TESTDATA"); dir != "" {
		return dir
	}
	return filepath.Join("..", "..", "shared", "data")
}

func TestRelayRecordedCorporaAsRust(t *testing.T) {
	data := testData()
	streams := 0
	for _, corpus := range []string{"openai-compatible", "anthropic", "openai-responses", "gemini"} {
		files, _ := filepath.Glob(filepath.Join(data, "streams", corpus, "*.sse"))
		for _, file := range files {
			upstream, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []config{configs[0], configs[4]} {
				want := relayRust(t, c.flags, file)
				got := relayGo(t, c.options, upstream, 512)
				sameAsRust(t, want, got, fmt.Sprintf("%s/%s %s", corpus, filepath.Base(file), c.name))
			}
			streams++
		}
	}
	if streams == 0 {
		// Under CI a run that read no corpus must not pass as green.
		if os.Getenv("CI") != "" {
			t.Fatalf("no recorded corpora under %s/streams, and CI is set (set ARGSTREAM_TESTDATA)", data)
		}
		t.Skipf("no recorded corpora under %s/streams (set ARGSTREAM_TESTDATA): skipped", data)
	}
	t.Logf("%d recorded streams relayed as the Rust relay does", streams)
}

func TestRelayErrors(t *testing.T) {
	if _, err := NewRelay(Options{From: "gopher"}); err == nil || !strings.Contains(err.Error(), "unknown format") {
		t.Fatalf("an unknown From: %v", err)
	}
	if _, err := NewRelay(Options{To: "gopher"}); err == nil || !strings.Contains(err.Error(), "unknown output format") {
		t.Fatalf("an unknown To: %v", err)
	}

	r, err := NewRelay(Options{MaxEventSize: 16})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Feed([]byte("data: {\"choices\":[{\"index\":0,\"delta\":{}}]}\n\n"))
	var e *Error
	if !errors.As(err, &e) || e.Kind != "event_too_large" {
		t.Fatalf("past the event size limit: %v", err)
	}
	if _, again := r.Feed([]byte("data: [DONE]\n\n")); again == nil || again.Error() != err.Error() {
		t.Fatalf("a failed relay answers its error again, got %v", again)
	}
	end := string(r.WriteError("upstream_error", "the upstream broke"))
	if !strings.HasPrefix(end, "data: {\"error\":") || !strings.Contains(end, "the upstream broke") || !r.Ended() {
		t.Fatalf("WriteError: %q", end)
	}
	r.Reset()
	if out, err := r.Feed([]byte(": ping\n\n")); err != nil || r.Ended() {
		t.Fatalf("after Reset: %q %v", out, err)
	}

	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("a second Close: %v", err)
	}
	if _, err := r.Feed([]byte("data: x\n\n")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Feed after Close: %v", err)
	}
	if _, err := r.Finish(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Finish after Close: %v", err)
	}
	if r.Summary() != "" || r.Format() != "" || r.WriteError("t", "m") != nil {
		t.Fatal("a closed relay has nothing to say")
	}
}

func TestRelayFormat(t *testing.T) {
	r, err := NewRelay(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Format() != "" {
		t.Fatalf("format before any event: %q", r.Format())
	}
	if _, err := r.Feed([]byte("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"c\",\"usage\":{}}}\n\n")); err != nil {
		t.Fatal(err)
	}
	if r.Format() != "anthropic" {
		t.Fatalf("detected format: %q", r.Format())
	}
}
