//! The gateway's command line.

use std::fmt;
use std::time::Duration;

use argstream::{Output, ToolCallMode};

/// The default `--listen` address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The default `--idle-timeout-ms`: how long upstream may stay silent.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_millis(60_000);
/// The default `--max-stream-ms`: the longest a response may go on.
pub const DEFAULT_MAX_STREAM: Duration = Duration::from_millis(600_000);
/// The default `--max-body-bytes`: the largest request body forwarded.
pub const DEFAULT_MAX_BODY_BYTES: usize = 4 << 20;
/// The default `--min-body-bytes-per-sec`: the least rate a request body
/// must average after its first second.
pub const DEFAULT_MIN_BODY_RATE: u64 = 1024;
/// The default `--client-timeout-ms`: how long a client may take to send
/// its request or leave its answer unread, and how long a connection may
/// stay idle.
pub const DEFAULT_CLIENT_TIMEOUT: Duration = Duration::from_millis(30_000);
/// The default `--max-connections`: client connections served at once.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

/// The format each route answers in (`--to`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum To {
    /// Each route in its own client's format (the default): chat chunks on
    /// `/v1/chat/completions`, Anthropic events on `/v1/messages`,
    /// Responses events on `/v1/responses`.
    #[default]
    Route,
    /// Every route in this one format.
    Every(Output),
}

/// What the gateway was asked to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The address to listen on.
    pub listen: String,
    /// The upstream's base URL; `None` starts the embedded mock upstream.
    pub upstream: Option<String>,
    /// The tool-call argument keys streamed to the client as content.
    pub keys: Vec<String>,
    /// Whether tool calls reach the client.
    pub tool_calls: ToolCallMode,
    /// The format the routes answer in.
    pub to: To,
    /// Whether the target values stream to the client as answer text;
    /// `false` (`--no-values`) is a pure translation.
    pub values: bool,
    /// How long upstream may stay silent, before the response or within it.
    pub idle_timeout: Duration,
    /// The longest a response may go on, counted from its request; a
    /// stream past it ends with the route's error event.
    pub max_stream: Duration,
    /// The largest upstream event the relay accepts; `None` keeps the
    /// relay's default.
    pub max_event_bytes: Option<usize>,
    /// The largest request body forwarded; a larger one gets 413.
    pub max_body_bytes: usize,
    /// The least bytes a second a request body must average once its first
    /// second has passed (a slower one gets 408); 0 for no rate.
    pub min_body_rate: u64,
    /// How long a client may take to send its request headers and body (a
    /// slower one gets 408), how long an idle connection stays open, and how
    /// long a client may leave its answer unread.
    pub client_timeout: Duration,
    /// Client connections served at once; more wait to be accepted.
    pub max_connections: usize,
    /// Forward event streams byte for byte, without the relay: the load
    /// tool's baseline.
    pub passthrough: bool,
    /// The upstream's format: each route's own (requests forwarded as they
    /// came), or one every request is translated into.
    pub upstream_format: UpstreamFormat,
    /// The model the upstream is asked for, whatever the client named.
    pub upstream_model: Option<String>,
    /// Client model names mapped one by one (`--model-map FROM=TO`).
    pub model_map: Vec<(String, String)>,
    /// The gateway's own upstream key (`--upstream-key-env`); then the
    /// client's is never forwarded.
    pub upstream_key: Option<Secret>,
    /// A field the upstream's format cannot carry fails the request (400)
    /// instead of being left out with a warning.
    pub strict_translation: bool,
    /// Ask a Gemini upstream to stream call arguments (Vertex only).
    pub vertex_stream_arguments: bool,
    /// `max_tokens` toward Anthropic when the client named no limit.
    pub default_max_tokens: u64,
    /// The most output tokens a translated request asks for, whatever the
    /// client asked (Claude Code asks 128000, which most other models
    /// refuse).
    pub max_output_tokens: Option<u64>,
}

/// `--upstream-format`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UpstreamFormat {
    /// Each route forwarded to the same path, its request as it came.
    #[default]
    Route,
    /// Every request translated into this format.
    Format(argstream::Format),
}

/// A key, never shown: its `Debug` says only that there is one.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The key itself, for the one header it goes in.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: DEFAULT_LISTEN.to_owned(),
            upstream: None,
            keys: Vec::new(),
            tool_calls: ToolCallMode::Hide,
            to: To::Route,
            values: true,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_stream: DEFAULT_MAX_STREAM,
            max_event_bytes: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            min_body_rate: DEFAULT_MIN_BODY_RATE,
            client_timeout: DEFAULT_CLIENT_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            passthrough: false,
            upstream_format: UpstreamFormat::Route,
            upstream_model: None,
            model_map: Vec::new(),
            upstream_key: None,
            strict_translation: false,
            vertex_stream_arguments: false,
            default_max_tokens: argstream_translate::DEFAULT_MAX_TOKENS,
            max_output_tokens: None,
        }
    }
}

/// The usage text, printed for `--help` and with a bad command line.
pub const USAGE: &str = "\
argstream-gateway: relays chat, Responses, Messages and Gemini event streams,
each route answering in its own client's format, with tool-call arguments
streamed as content.

Usage: argstream-gateway [OPTIONS]

Options:
  --listen ADDR          address to listen on [default: 127.0.0.1:8080]
  --upstream URL         upstream base URL; without it an embedded mock
                         upstream replays the bundled example streams
  --key KEY              tool-call argument key streamed as content;
                         repeatable [default: pre_exec_msg]
  --tool-calls MODE      hide | forward [default: hide]
  --to FORMAT            route | openai-chat | openai-responses | anthropic | gemini:
                         route answers each route in its own format,
                         another name answers every route in that one
                         [default: route]
  --no-values            leave the values out of the answer text (a pure
                         translation)
  --idle-timeout-ms N    longest upstream silence; heartbeats (comments,
                         pings) do not break it [default: 60000]
  --max-stream-ms N      longest a response may go on, from its request;
                         a stream past it ends with an error event
                         [default: 600000]
  --max-event-bytes N    largest upstream event the relay accepts
  --max-body-bytes N     largest request body forwarded [default: 4194304]
  --min-body-bytes-per-sec N
                         least rate a request body must average after its
                         first second; 0 for none [default: 1024]
  --client-timeout-ms N  longest a client may take to send its request,
                         leave its answer unread, or keep a connection idle
                         [default: 30000]
  --max-connections N    client connections served at once; more wait to
                         be accepted [default: 10000]
  --passthrough          forward event streams byte for byte (a baseline)
  --upstream-format F    route | openai-chat | openai-responses | anthropic | gemini:
                         route forwards each route to its own path as it
                         came; a format translates every request into it
                         and every answer back [default: route]
  --upstream-model NAME  the model the upstream is asked for
  --model-map FROM=TO    maps a client's model name; repeatable
  --upstream-key-env VAR send the gateway's own key, read from VAR, never
                         the client's
  --strict-translation   refuse (400) a request with a field the upstream's
                         format cannot carry, instead of leaving it out
  --vertex-stream-arguments
                         ask a Gemini upstream to stream call arguments
                         (Vertex only; the Gemini API refuses it)
  --default-max-tokens N max_tokens toward Anthropic when the client gave
                         none [default: 8192]
  --max-output-tokens N  the most output tokens a translated request asks
                         for, whatever the client asked
  -h, --help             print this help
";

/// A command line the gateway cannot run with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// `--help` was asked for.
    Help,
    /// The message says what was wrong.
    Invalid(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Help => f.write_str("help requested"),
            ConfigError::Invalid(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads the command line's arguments (without the program name).
    /// Each flag takes its value as the next argument or after `=`.
    ///
    /// # Errors
    /// [`ConfigError::Help`] for `-h`/`--help`, [`ConfigError::Invalid`] for
    /// an unknown flag, a missing value, or a value that does not parse.
    pub fn from_args<I, A>(args: I) -> Result<Config, ConfigError>
    where
        I: IntoIterator<Item = A>,
        A: Into<String>,
    {
        let mut config = Config::default();
        let mut args = args.into_iter().map(Into::into);
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => {
                    (flag.to_owned(), Some(value.to_owned()))
                }
                _ => (arg, None),
            };
            let mut value = || {
                inline
                    .clone()
                    .or_else(|| args.next())
                    .ok_or_else(|| ConfigError::Invalid(format!("{flag} needs a value")))
            };
            match flag.as_str() {
                "-h" | "--help" => return Err(ConfigError::Help),
                "--listen" => config.listen = value()?,
                "--upstream" => config.upstream = Some(parse_upstream(&value()?)?),
                "--key" => config.keys.push(value()?),
                "--tool-calls" => config.tool_calls = parse(&flag, &value()?)?,
                "--to" => config.to = parse_to(&value()?)?,
                "--no-values" => config.values = false,
                "--idle-timeout-ms" => {
                    config.idle_timeout = Duration::from_millis(parse(&flag, &value()?)?)
                }
                "--max-stream-ms" => {
                    config.max_stream = Duration::from_millis(parse(&flag, &value()?)?)
                }
                "--max-event-bytes" => config.max_event_bytes = Some(parse(&flag, &value()?)?),
                "--max-body-bytes" => config.max_body_bytes = parse(&flag, &value()?)?,
                "--min-body-bytes-per-sec" => config.min_body_rate = parse(&flag, &value()?)?,
                "--client-timeout-ms" => {
                    config.client_timeout = Duration::from_millis(parse(&flag, &value()?)?)
                }
                "--max-connections" => config.max_connections = parse(&flag, &value()?)?,
                "--passthrough" => config.passthrough = true,
                "--upstream-format" => config.upstream_format = parse_upstream_format(&value()?)?,
                "--upstream-model" => config.upstream_model = Some(nonempty(&flag, value()?)?),
                "--model-map" => {
                    let pair = value()?;
                    let Some((from, to)) = pair
                        .split_once('=')
                        .filter(|(f, t)| !f.is_empty() && !t.is_empty())
                    else {
                        return Err(ConfigError::Invalid(format!(
                            "--model-map takes FROM=TO, not {pair:?}"
                        )));
                    };
                    config.model_map.push((from.to_owned(), to.to_owned()));
                }
                "--upstream-key-env" => {
                    let name = value()?;
                    match std::env::var(&name) {
                        Ok(key) if !key.trim().is_empty() => {
                            config.upstream_key = Some(Secret(key.trim().to_owned()))
                        }
                        _ => {
                            return Err(ConfigError::Invalid(format!(
                                "--upstream-key-env: the variable {name} is not set or empty"
                            )));
                        }
                    }
                }
                "--strict-translation" => config.strict_translation = true,
                "--vertex-stream-arguments" => config.vertex_stream_arguments = true,
                "--default-max-tokens" => config.default_max_tokens = parse(&flag, &value()?)?,
                "--max-output-tokens" => config.max_output_tokens = Some(parse(&flag, &value()?)?),
                _ => return Err(ConfigError::Invalid(format!("unknown argument {flag:?}"))),
            }
        }
        if config.keys.is_empty() {
            config.keys.push(argstream::relay::DEFAULT_KEY.to_owned());
        }
        if config.idle_timeout.is_zero() {
            return Err(ConfigError::Invalid(
                "--idle-timeout-ms must be above 0".to_owned(),
            ));
        }
        if config.max_stream.is_zero() {
            return Err(ConfigError::Invalid(
                "--max-stream-ms must be above 0".to_owned(),
            ));
        }
        if config.client_timeout.is_zero() {
            return Err(ConfigError::Invalid(
                "--client-timeout-ms must be above 0".to_owned(),
            ));
        }
        if !(1..=MAX_CONNECTIONS).contains(&config.max_connections) {
            return Err(ConfigError::Invalid(format!(
                "--max-connections must be from 1 to {MAX_CONNECTIONS}"
            )));
        }
        Ok(config)
    }
}

/// The most `--max-connections` can be: far more than a process has file
/// descriptors for, and within what a semaphore counts.
const MAX_CONNECTIONS: usize = 1 << 24;

fn parse<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, ConfigError> {
    value
        .parse()
        .map_err(|_| ConfigError::Invalid(format!("{flag}: cannot read {value:?}")))
}

/// `route`, or an output format by its own name. `same` is refused: a
/// route's format is already the one its upstream speaks, and `same` would
/// leave the fault events' format to the upstream's first event.
fn parse_to(name: &str) -> Result<To, ConfigError> {
    if name == "route" {
        return Ok(To::Route);
    }
    // `Output`'s parser also reads upstream format names, as chat for a
    // format it cannot write: only an output's own name is taken here.
    match name.parse::<Output>() {
        Ok(output) if output != Output::Same && output.name() == name => Ok(To::Every(output)),
        _ => Err(ConfigError::Invalid(format!(
            "--to {name:?}: expected route, openai-chat, openai-responses, anthropic or gemini"
        ))),
    }
}

/// An `http` or `https` base URL, kept without its trailing slash so that a
/// route's path is appended as it is.
fn parse_upstream(url: &str) -> Result<String, ConfigError> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|error| ConfigError::Invalid(format!("--upstream {url:?}: {error}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(ConfigError::Invalid(format!(
            "--upstream {url:?}: not an http or https URL"
        )));
    }
    // A route's path is appended to the URL as it is written: after a query
    // or a fragment it would be part of them. User information would send
    // the upstream a second `authorization` beside the client's.
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(ConfigError::Invalid(
            "--upstream: a URL with user information (user:password@) is not taken; \
             the client's own key goes with each request"
                .to_owned(),
        ));
    }
    let why = if parsed.query().is_some() {
        "a query (?…)"
    } else if parsed.fragment().is_some() {
        "a fragment (#…)"
    } else {
        return Ok(url.trim_end_matches('/').to_owned());
    };
    Err(ConfigError::Invalid(format!(
        "--upstream {url:?}: a base URL with {why} is not taken: each route's path goes after it"
    )))
}

/// Reads `--upstream-format`.
fn parse_upstream_format(value: &str) -> Result<UpstreamFormat, ConfigError> {
    match value {
        "route" => Ok(UpstreamFormat::Route),
        "openai-chat" => Ok(UpstreamFormat::Format(argstream::Format::OpenAiChat)),
        "openai-responses" => Ok(UpstreamFormat::Format(argstream::Format::OpenAiResponses)),
        "anthropic" => Ok(UpstreamFormat::Format(argstream::Format::Anthropic)),
        "gemini" => Ok(UpstreamFormat::Format(argstream::Format::Gemini)),
        _ => Err(ConfigError::Invalid(format!(
            "--upstream-format takes route, openai-chat, openai-responses, anthropic or gemini, not {value:?}"
        ))),
    }
}

fn nonempty(flag: &str, value: String) -> Result<String, ConfigError> {
    if value.is_empty() {
        Err(ConfigError::Invalid(format!("{flag} needs a value")))
    } else {
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let config = Config::from_args(Vec::<String>::new()).unwrap();
        assert_eq!(config.listen, "127.0.0.1:8080");
        assert_eq!(config.keys, ["pre_exec_msg"]);
        assert_eq!(config.idle_timeout, Duration::from_secs(60));
        assert_eq!(config.max_stream, Duration::from_secs(600));
        assert_eq!(config.upstream, None);
        assert_eq!(config.tool_calls, ToolCallMode::Hide);
        assert_eq!(config.client_timeout, Duration::from_secs(30));
        assert_eq!(config.max_connections, 10_000);
        assert_eq!(config.min_body_rate, 1024);
        assert_eq!(config.to, To::Route);
        assert!(config.values);
    }

    #[test]
    fn every_flag() {
        let config = Config::from_args([
            "--listen",
            "127.0.0.1:0",
            "--upstream=http://127.0.0.1:9/base/",
            "--key",
            "a",
            "--key=b",
            "--tool-calls",
            "forward",
            "--to",
            "anthropic",
            "--no-values",
            "--idle-timeout-ms",
            "250",
            "--max-stream-ms",
            "5000",
            "--max-event-bytes",
            "1000",
            "--min-body-bytes-per-sec",
            "0",
            "--client-timeout-ms=300",
            "--max-connections",
            "2",
            "--passthrough",
        ])
        .unwrap();
        assert_eq!(config.listen, "127.0.0.1:0");
        assert_eq!(config.upstream.as_deref(), Some("http://127.0.0.1:9/base"));
        assert_eq!(config.keys, ["a", "b"]);
        assert_eq!(config.tool_calls, ToolCallMode::Forward);
        assert_eq!(config.to, To::Every(Output::Anthropic));
        assert!(!config.values);
        assert_eq!(config.idle_timeout, Duration::from_millis(250));
        assert_eq!(config.max_stream, Duration::from_secs(5));
        assert_eq!(config.max_event_bytes, Some(1000));
        assert_eq!(config.min_body_rate, 0);
        assert_eq!(config.client_timeout, Duration::from_millis(300));
        assert_eq!(config.max_connections, 2);
        assert!(config.passthrough);
    }

    #[test]
    fn bad_command_lines() {
        for args in [
            &["--listen"][..],
            &["--bogus"],
            &["--tool-calls", "sometimes"],
            &["--to", "same"],
            &["--to", "bedrock"],
            &["--to", "xml"],
            &["--idle-timeout-ms", "x"],
            &["--idle-timeout-ms", "0"],
            &["--client-timeout-ms", "0"],
            &["--max-stream-ms", "0"],
            &["--max-connections", "0"],
            &["--max-connections", "-1"],
            &["--upstream", "ftp://host"],
            &["--upstream", "not a url"],
        ] {
            assert!(
                matches!(
                    Config::from_args(args.iter().copied()),
                    Err(ConfigError::Invalid(_))
                ),
                "{args:?}"
            );
        }
        assert_eq!(Config::from_args(["--help"]), Err(ConfigError::Help));
    }

    #[test]
    fn to_names_each_output() {
        for (name, to) in [
            ("route", To::Route),
            ("openai-chat", To::Every(Output::OpenAiChat)),
            ("openai-responses", To::Every(Output::OpenAiResponses)),
            ("anthropic", To::Every(Output::Anthropic)),
        ] {
            assert_eq!(Config::from_args(["--to", name]).unwrap().to, to, "{name}");
        }
    }
}
