/*
 * The relay and extract examples (examples/relay.rs, examples/extract.rs)
 * written in C against include/argstream.h, with the same flags and the
 * same output, so that capi/tests/c_test.sh can compare them byte for byte:
 *
 *   examples relay [--from F] [--to T] [--key KEY]... [--tool-calls hide|forward]
 *                  [--no-values] [--no-finish] [--chunk-bytes N] [--summary] FILE
 *   examples extract --key KEY [--chunk-bytes N] FILE
 *
 * Exits 0 on a stream relayed in full, 1 with the Rust examples' one-line
 * error when the input was refused, 2 on a usage error, 3 when the library
 * answered a status other than OK or INPUT_ERROR (a bug either side).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argstream.h"

#define MAX_KEYS 16

static argstream_str text_of(const char *s) {
    argstream_str text = {s, s == NULL ? 0 : strlen(s)};
    return text;
}

static void write_bytes(argstream_bytes bytes) {
    if (bytes.len > 0 && fwrite(bytes.ptr, 1, bytes.len, stdout) != bytes.len) {
        perror("write error");
        exit(1);
    }
}

static void unexpected(const char *call, argstream_status status) {
    fprintf(stderr, "%s: unexpected status %d\n", call, (int)status);
    exit(3);
}

/* The relay example's error line, "error: <kind's text> at byte N (upstream
 * event E)", into `line`. */
static int relay_failed(argstream_relay *relay, const argstream_error *error, char *line,
                        size_t capacity) {
    argstream_relay_state state;
    argstream_status status = argstream_relay_get_state(relay, &state);
    if (status != ARGSTREAM_STATUS_OK) unexpected("argstream_relay_get_state", status);
    snprintf(line, capacity, "error: %.*s at byte %llu (upstream event %llu)\n",
             (int)error->message.len, error->message.ptr, (unsigned long long)error->offset,
             (unsigned long long)state.events);
    return 1;
}

static int relay_file(FILE *in, const argstream_relay_options *options, size_t chunk_bytes,
                      int summary) {
    char message[256];
    argstream_relay *relay = NULL;
    argstream_status status = argstream_relay_new(options, &relay, message, sizeof message);
    if (status != ARGSTREAM_STATUS_OK) {
        fprintf(stderr, "argstream_relay_new: %s\n", message);
        return 2;
    }
    static unsigned char read[64 * 1024];
    argstream_bytes output;
    argstream_error error;
    char failed[256] = "";
    int result = 0;
    size_t n;
    while (result == 0 && (n = fread(read, 1, sizeof read, in)) > 0) {
        for (size_t at = 0; at < n; at += chunk_bytes) {
            size_t len = n - at < chunk_bytes ? n - at : chunk_bytes;
            status = argstream_relay_feed(relay, read + at, len, &output, &error);
            if (status != ARGSTREAM_STATUS_OK && status != ARGSTREAM_STATUS_INPUT_ERROR)
                unexpected("argstream_relay_feed", status);
            /* Frames relayed before a bad event are written even then. */
            write_bytes(output);
            if (status == ARGSTREAM_STATUS_INPUT_ERROR) {
                result = relay_failed(relay, &error, failed, sizeof failed);
                break;
            }
        }
    }
    if (result == 0) {
        status = argstream_relay_finish(relay, &output, &error);
        if (status != ARGSTREAM_STATUS_OK && status != ARGSTREAM_STATUS_INPUT_ERROR)
            unexpected("argstream_relay_finish", status);
        write_bytes(output);
        if (status == ARGSTREAM_STATUS_INPUT_ERROR) result = relay_failed(relay, &error, failed, sizeof failed);
    }
    fflush(stdout);
    if (summary) {
        argstream_str json;
        status = argstream_relay_summary(relay, &json);
        if (status != ARGSTREAM_STATUS_OK) unexpected("argstream_relay_summary", status);
        fprintf(stderr, "%.*s\n", (int)json.len, json.ptr);
    }
    /* After the summary, as the relay example prints them. */
    fputs(failed, stderr);
    status = argstream_relay_free(relay);
    if (status != ARGSTREAM_STATUS_OK) unexpected("argstream_relay_free", status);
    return result;
}

/* The extract example: the decoded text of KEY's value to stdout. */
static int scan_file(FILE *in, argstream_str key, size_t chunk_bytes) {
    argstream_str keys[1] = {key};
    argstream_scanner_options options = {keys, 1, 0};
    argstream_scanner *scanner = NULL;
    char message[256];
    argstream_status status = argstream_scanner_new(&options, &scanner, message, sizeof message);
    if (status != ARGSTREAM_STATUS_OK) {
        fprintf(stderr, "argstream_scanner_new: %s\n", message);
        return 2;
    }
    static unsigned char read[64 * 1024];
    argstream_str text;
    argstream_error error;
    size_t n;
    status = ARGSTREAM_STATUS_OK;
    while (status == ARGSTREAM_STATUS_OK && (n = fread(read, 1, sizeof read, in)) > 0) {
        for (size_t at = 0; at < n && status == ARGSTREAM_STATUS_OK; at += chunk_bytes) {
            size_t len = n - at < chunk_bytes ? n - at : chunk_bytes;
            status = argstream_scanner_feed(scanner, read + at, len, &text, &error);
            if (status == ARGSTREAM_STATUS_OK && text.len > 0) {
                argstream_bytes bytes = {(const uint8_t *)text.ptr, text.len};
                write_bytes(bytes);
            }
        }
    }
    if (status == ARGSTREAM_STATUS_OK) status = argstream_scanner_finish(scanner, &error);
    fflush(stdout);
    int result = 0;
    if (status == ARGSTREAM_STATUS_INPUT_ERROR) {
        fprintf(stderr, "error: %.*s at byte %llu\n", (int)error.message.len, error.message.ptr,
                (unsigned long long)error.offset);
        result = 1;
    } else if (status != ARGSTREAM_STATUS_OK) {
        unexpected("argstream_scanner_feed", status);
    }
    status = argstream_scanner_free(scanner);
    if (status != ARGSTREAM_STATUS_OK) unexpected("argstream_scanner_free", status);
    return result;
}

static int usage(void) {
    fputs("usage: examples relay [--from F] [--to T] [--key KEY]... [--tool-calls hide|forward]\n"
          "                      [--no-values] [--no-finish] [--chunk-bytes N] [--summary] FILE\n"
          "       examples extract --key KEY [--chunk-bytes N] FILE\n",
          stderr);
    return 2;
}

int main(int argc, char **argv) {
    argstream_str keys[MAX_KEYS];
    argstream_relay_options options;
    memset(&options, 0, sizeof options);
    options.keys = keys;
    size_t chunk_bytes = 8192;
    int summary = 0;
    const char *path = NULL;
    if (argc < 2) return usage();
    int extract = strcmp(argv[1], "extract") == 0;
    if (!extract && strcmp(argv[1], "relay") != 0) return usage();
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(arg, "--summary") == 0) {
            summary = 1;
        } else if (strcmp(arg, "--no-values") == 0) {
            options.flags |= ARGSTREAM_NO_VALUES;
        } else if (strcmp(arg, "--no-finish") == 0) {
            options.flags |= ARGSTREAM_NO_FINISH;
        } else if (value != NULL && strcmp(arg, "--key") == 0 && options.keys_len < MAX_KEYS) {
            keys[options.keys_len++] = text_of(argv[++i]);
        } else if (value != NULL && strcmp(arg, "--from") == 0) {
            options.from = text_of(argv[++i]);
        } else if (value != NULL && strcmp(arg, "--to") == 0) {
            options.to = text_of(argv[++i]);
        } else if (value != NULL && strcmp(arg, "--tool-calls") == 0) {
            if (strcmp(value, "forward") == 0) options.flags |= ARGSTREAM_FORWARD_TOOL_CALLS;
            else if (strcmp(value, "hide") != 0) return usage();
            i++;
        } else if (value != NULL && strcmp(arg, "--chunk-bytes") == 0) {
            chunk_bytes = strtoul(argv[++i], NULL, 10);
            if (chunk_bytes == 0) return usage();
        } else if (path == NULL && strncmp(arg, "--", 2) != 0) {
            path = arg;
        } else {
            return usage();
        }
    }
    if (path == NULL) return usage();
    FILE *in = fopen(path, "rb");
    if (in == NULL) {
        perror(path);
        return 1;
    }
    int result;
    if (extract) {
        result = options.keys_len == 1 ? scan_file(in, keys[0], chunk_bytes) : usage();
    } else {
        result = relay_file(in, &options, chunk_bytes, summary);
    }
    fclose(in);
    return result;
}
