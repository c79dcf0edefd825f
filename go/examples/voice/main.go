// Command voice is a voice agent's gateway loop over a recorded model
// stream: it relays the stream in small reads, as they come off the network,
// and speaks (prints) the answer text the moment the relay writes it; the
// tool call's pre_exec_msg is spoken while the call's arguments are still
// arriving, long before the call can run. At the end it prints the calls to
// run, from the relay's summary.
//
// From go/, once the library is built (cargo build --release -p argstream-capi):
//
//	go run ./examples/voice [-key pre_exec_msg] [-read-bytes 16] [FILE]
//
// FILE defaults to ../examples/data/voice_agent.sse; any of the three
// upstream formats is detected.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"

	"argstream"
)

func main() {
	key := flag.String("key", "pre_exec_msg", "the tool-call argument to speak")
	readBytes := flag.Int("read-bytes", 16, "the size of each upstream read")
	flag.Parse()
	path := filepath("../examples/data/voice_agent.sse")
	if flag.NArg() > 0 {
		path = flag.Arg(0)
	}
	upstream, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer upstream.Close()

	relay, err := argstream.NewRelay(argstream.Options{Keys: []string{*key}})
	if err != nil {
		log.Fatal(err)
	}
	defer relay.Close()

	read := make([]byte, *readBytes)
	offset := 0
	for {
		n, err := upstream.Read(read)
		offset += n
		out, ferr := relay.Feed(read[:n])
		speak(out, offset)
		if ferr != nil {
			log.Fatalf("the relay refused the stream: %v", ferr)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
	}
	out, err := relay.Finish()
	speak(out, offset)
	if err != nil {
		log.Fatal(err)
	}

	fmt.Printf("after %5d bytes, the stream ends\n", offset)

	var summary struct {
		ToolCalls []struct {
			Name      string `json:"name"`
			Arguments string `json:"arguments"`
		} `json:"tool_calls"`
	}
	if err := json.Unmarshal([]byte(relay.Summary()), &summary); err != nil {
		log.Fatal(err)
	}
	for _, call := range summary.ToolCalls {
		fmt.Printf("run %s(%s)\n", call.Name, call.Arguments)
	}
}

// speak prints the answer text of the chat chunks in out, with the upstream
// byte count at which it became known.
func speak(out []byte, offset int) {
	for _, frame := range bytes.Split(out, []byte("\n\n")) {
		data := bytes.TrimPrefix(frame, []byte("data: "))
		if len(data) == len(frame) || bytes.Equal(data, []byte("[DONE]")) {
			continue
		}
		var chunk struct {
			Choices []struct {
				Delta struct {
					Content string `json:"content"`
				} `json:"delta"`
			} `json:"choices"`
		}
		if err := json.Unmarshal(data, &chunk); err != nil {
			log.Fatalf("a chunk the relay wrote: %v", err)
		}
		for _, choice := range chunk.Choices {
			if choice.Delta.Content != "" {
				fmt.Printf("after %5d bytes, say %q\n", offset, choice.Delta.Content)
			}
		}
	}
}

// filepath is the default input, found from go/ or from the repository root.
func filepath(fromGo string) string {
	if _, err := os.Stat(fromGo); err == nil {
		return fromGo
	}
	return fromGo[len("../"):]
}
