// openai-node reads relayed outputs: chat chunks through
// `client.chat.completions.stream(...)` and `finalChatCompletion()`, Responses
// events through `client.responses.stream(...)` and `finalResponse()`.
//
// usage: node node_read.mjs SDK_NODE_DIR MANIFEST
//
// SDK_NODE_DIR holds node_modules/openai; MANIFEST is a JSON list of
// {"format": "openai-chat" | "openai-responses", "body": PATH}. A local
// server on 127.0.0.1 answers each request with the next body, and one JSON
// line a body goes to stdout: {"read": {...}} in the shape of harness.Read,
// or {"raised": "Name: message"}. sdk_check.py --node compares them with
// what the relay's summary says; nothing is judged here.

import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { pathToFileURL } from "node:url";

const [dir, manifest] = process.argv.slice(2);
const { default: OpenAI } = await import(pathToFileURL(`${dir}/node_modules/openai/index.mjs`).href);

let body = Buffer.alloc(0);
const server = createServer((request, response) => {
  request.resume();
  request.on("end", () => {
    response.writeHead(200, { "content-type": "text/event-stream", "content-length": body.length });
    response.end(body);
  });
});
await new Promise((listening) => server.listen(0, "127.0.0.1", listening));
const client = new OpenAI({
  baseURL: `http://127.0.0.1:${server.address().port}/v1`,
  apiKey: "not-a-key",
  maxRetries: 0,
  timeout: 30_000,
});

const usage = (counts, prompt, completion) =>
  counts ? [counts[prompt], counts[completion], counts.total_tokens ?? null] : null;

async function chat() {
  const stream = client.chat.completions.stream({ model: "m", messages: [{ role: "user", content: "hi" }] });
  const final = await stream.finalChatCompletion();
  const choice = final.choices[0];
  const message = choice.message;
  return {
    text: message.content ?? "",
    refusal: message.refusal ?? "",
    calls: (message.tool_calls ?? []).map((call) => [call.id, call.function.name, call.function.arguments]),
    finish: choice.finish_reason,
    usage: usage(final.usage, "prompt_tokens", "completion_tokens"),
    reasoning: null,
  };
}

async function responses() {
  const stream = client.responses.stream({ model: "m", input: "hi" });
  const final = await stream.finalResponse();
  const read = { text: "", refusal: "", calls: [], reasoning: "" };
  for (const item of final.output) {
    if (item.type === "message") {
      for (const part of item.content) {
        if (part.type === "output_text") read.text += part.text;
        if (part.type === "refusal") read.refusal += part.refusal;
      }
    } else if (item.type === "function_call") {
      read.calls.push([item.call_id, item.name, item.arguments]);
    } else if (item.type === "reasoning") {
      read.reasoning += (item.summary ?? []).map((part) => part.text).join("");
    }
  }
  read.finish = final.status === "incomplete" ? `incomplete:${final.incomplete_details?.reason}` : final.status;
  read.usage = usage(final.usage, "input_tokens", "output_tokens");
  return read;
}

const readers = { "openai-chat": chat, "openai-responses": responses };
for (const entry of JSON.parse(readFileSync(manifest, "utf8"))) {
  body = readFileSync(entry.body);
  let line;
  try {
    line = { read: await readers[entry.format]() };
  } catch (error) {
    line = { raised: `${error?.constructor?.name ?? "Error"}: ${String(error?.message ?? error).slice(0, 300)}` };
  }
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
server.close();
