"""Checks translated whole answers and error bodies against the official
SDKs' own types: what `translate_response` and `translate_error` write for
every documented example in `answers.rs`, toward every format, must be
accepted by

- openai: `ChatCompletion.model_validate`, `Response.model_validate`;
- anthropic: `Message.model_validate`, `ErrorResponse.model_validate`;
- google-genai: `GenerateContentResponse.model_validate`.

Run from the repository, in an environment with `openai`, `anthropic` and
`google-genai` installed:

    python translate/tests/sdk_shapes.py

It runs the ignored test `write_samples_for_the_sdks`, which writes the
samples into a temporary directory, then validates each one, and exits
non-zero naming every sample an SDK refused.
"""

import json
import os
import pathlib
import subprocess
import sys
import tempfile

import anthropic.types
import anthropic.types.shared
import openai.types.chat
import openai.types.responses
from google.genai import types as genai

VALIDATORS = {
    "openai-chat": openai.types.chat.ChatCompletion.model_validate,
    "openai-responses": openai.types.responses.Response.model_validate,
    "anthropic": anthropic.types.Message.model_validate,
    "gemini": genai.GenerateContentResponse.model_validate,
}


def check_error(to, body):
    """Each format's error shape, as its SDK reads it."""
    if to == "anthropic":
        anthropic.types.shared.ErrorResponse.model_validate(body)
        return
    error = body["error"]
    assert isinstance(error["message"], str), "message"
    if to == "gemini":
        assert isinstance(error["code"], int) and isinstance(error["status"], str), "code, status"
    else:
        assert isinstance(error["type"], str) and "code" in error, "type, code"


def main():
    with tempfile.TemporaryDirectory() as samples:
        env = dict(os.environ, ARGSTREAM_ANSWER_SAMPLES=samples)
        subprocess.run(
            [
                "cargo", "test", "-q", "-p", "argstream-translate", "--test", "answers",
                "--", "--ignored", "--exact", "write_samples_for_the_sdks",
            ],
            check=True,
            env=env,
        )
        refused = []
        files = []
        for path in sorted(pathlib.Path(samples).glob("*.json")):
            kind, _, rest = path.stem.partition("-")
            to = next(name for name in VALIDATORS if rest.endswith(name))
            # The same format on both sides is the upstream's own body,
            # passed through: the examples are abridged, and the check is
            # of what the crate writes.
            if rest[3:] == f"{to}-{to}":
                continue
            files.append(path)
            body = json.loads(path.read_text())
            try:
                if kind == "answer":
                    VALIDATORS[to](body)
                else:
                    check_error(to, body)
            except Exception as error:  # noqa: BLE001 - every refusal is reported
                refused.append(f"{path.name}: {error}")
        for line in refused:
            print(line)
        print(f"{len(files) - len(refused)} of {len(files)} samples accepted")
        sys.exit(1 if refused or not files else 0)


if __name__ == "__main__":
    main()
