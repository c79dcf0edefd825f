//! `--upstream-format`: each client route's request translated into the
//! upstream's format, and its answer, streamed or whole, back into the
//! route's.
//!
//! The URL is always the configured upstream's base and the upstream
//! format's own path: the client names a model, never an address. The key
//! goes in the header the upstream's format reads; with `--upstream-key-env`
//! it is the gateway's own and the client's is never forwarded.

use argstream::Format;
use argstream_translate::{Options, Translated, translate_request};
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};

use crate::config::{Config, UpstreamFormat};
use crate::route::{GEMINI_PREFIXES, Route};

/// The `anthropic-version` sent to an Anthropic upstream when the client
/// gave none (it is not an Anthropic client, or did not say).
pub const DEFAULT_ANTHROPIC_VERSION: &str = "2023-06-01";

/// The headers every request's authentication may come in, each format's
/// own: none of them is forwarded as it came when the request is
/// translated.
const KEY_HEADERS: [&str; 3] = ["authorization", "x-api-key", "x-goog-api-key"];

/// The format of the requests a route takes.
pub fn client_format(route: Route) -> Format {
    match route {
        Route::Chat => Format::OpenAiChat,
        Route::Responses => Format::OpenAiResponses,
        Route::Messages => Format::Anthropic,
        Route::GeminiStream | Route::GeminiGenerate => Format::Gemini,
    }
}

/// The model a Gemini path names (`/v1beta/models/{model}:method`).
pub fn gemini_model(path: &str) -> Option<&str> {
    let rest = GEMINI_PREFIXES
        .iter()
        .find_map(|prefix| path.strip_prefix(prefix))?;
    Some(rest.rsplit_once(':')?.0)
}

/// The model the upstream is asked for: the client's name as `--model-map`
/// maps it, else `--upstream-model`, else the client's own.
pub fn upstream_model(config: &Config, client_model: Option<&str>) -> Option<String> {
    if let Some(client) = client_model
        && let Some((_, to)) = config.model_map.iter().find(|(from, _)| from == client)
    {
        return Some(to.clone());
    }
    config.upstream_model.clone()
}

/// The client's key, from whichever place it put it: `authorization:
/// Bearer`, `x-api-key`, `x-goog-api-key`, or Gemini's `?key=`.
pub fn client_key(headers: &HeaderMap, query: Option<&str>) -> Option<String> {
    if let Some(bearer) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
    {
        return Some(bearer.trim().to_owned());
    }
    for name in ["x-api-key", "x-goog-api-key"] {
        if let Some(key) = headers.get(name).and_then(|v| v.to_str().ok()) {
            return Some(key.trim().to_owned());
        }
    }
    query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("key="))
        .map(str::to_owned)
}

/// A query without the client's `key=` (Gemini's key in the URL), for
/// when the gateway sends its own.
pub fn without_key(query: Option<&str>) -> Option<String> {
    let kept: Vec<&str> = query?
        .split('&')
        .filter(|pair| !pair.starts_with("key="))
        .collect();
    (!kept.is_empty()).then(|| kept.join("&"))
}

/// What a translated request becomes.
pub struct Prepared {
    /// The upstream URL: the configured base and the format's path.
    pub url: String,
    /// The translated body.
    pub body: Vec<u8>,
    /// The headers that go with it, the key in the format's own header.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Whether the answer streams.
    pub stream: bool,
    /// What could not be carried.
    pub warnings: Vec<argstream_translate::Warning>,
    /// The model the client named, to name it back in a whole answer.
    pub client_model: Option<String>,
}

/// A client's request as it came.
pub struct Incoming<'a> {
    /// Its route.
    pub route: Route,
    /// Its path, without the query.
    pub path: &'a str,
    /// Its query (a Gemini client's key may be there).
    pub query: Option<&'a str>,
    /// Its headers.
    pub headers: &'a HeaderMap,
    /// Its body.
    pub body: &'a [u8],
}

/// Translates a client's request for an upstream of format `to` at `base`.
///
/// # Errors
/// The translation's error, for the client's 400.
pub fn prepare(
    config: &Config,
    base: &str,
    to: Format,
    incoming: &Incoming<'_>,
) -> Result<Prepared, argstream_translate::Error> {
    let Incoming {
        route,
        path,
        query,
        headers,
        body,
    } = *incoming;
    let from = client_format(route);
    let client_model = match route {
        Route::GeminiStream | Route::GeminiGenerate => gemini_model(path).map(str::to_owned),
        _ => serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v.get("model").and_then(|m| m.as_str()).map(str::to_owned)),
    };
    let options = Options {
        model: upstream_model(config, client_model.as_deref()),
        client_model: client_model.clone(),
        client_stream: route == Route::GeminiStream,
        strict: config.strict_translation,
        vertex_stream_arguments: config.vertex_stream_arguments,
        default_max_tokens: config.default_max_tokens,
        max_tokens_cap: config.max_output_tokens,
        ..Options::default()
    };
    let Translated {
        body,
        path: upstream_path,
        stream,
        warnings,
        ..
    } = translate_request(body, from, to, &options)?;
    let key = match &config.upstream_key {
        Some(own) => Some(own.expose().to_owned()),
        None => client_key(headers, query),
    };
    Ok(Prepared {
        url: format!("{base}{upstream_path}"),
        body,
        headers: with_key(headers, from, to, key.as_deref()),
        stream,
        warnings,
        client_model,
    })
}

/// The headers toward an upstream of `to`: the content type, the key in
/// the format's header, and the format's required headers; Anthropic's
/// version and betas only from an Anthropic client.
pub fn with_key(
    client: &HeaderMap,
    from: Format,
    to: Format,
    key: Option<&str>,
) -> Vec<(HeaderName, HeaderValue)> {
    let mut out = vec![(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    )];
    for (name, value) in crate::headers::forwarded(client) {
        let name_str = name.as_str();
        let keep = !KEY_HEADERS.contains(&name_str)
            && name != header::CONTENT_TYPE
            && (!name_str.starts_with("anthropic-")
                || (from == Format::Anthropic && to == Format::Anthropic))
            && (name_str != "openai-organization"
                || matches!(to, Format::OpenAiChat | Format::OpenAiResponses));
        if keep {
            out.push((name.clone(), value.clone()));
        }
    }
    if let Some(key) = key.and_then(|key| HeaderValue::from_str(key).ok()) {
        let mut key = key;
        key.set_sensitive(true);
        match to {
            Format::Anthropic => out.push((HeaderName::from_static("x-api-key"), key)),
            Format::Gemini => out.push((HeaderName::from_static("x-goog-api-key"), key)),
            _ => {
                if let Ok(mut bearer) =
                    HeaderValue::from_str(&format!("Bearer {}", key.to_str().unwrap_or("")))
                {
                    bearer.set_sensitive(true);
                    out.push((header::AUTHORIZATION, bearer));
                }
            }
        }
    }
    if to == Format::Anthropic && !out.iter().any(|(name, _)| name == "anthropic-version") {
        out.push((
            HeaderName::from_static("anthropic-version"),
            HeaderValue::from_static(DEFAULT_ANTHROPIC_VERSION),
        ));
    }
    out
}

/// The format a whole answer goes to the client in: the relay's output
/// for the route, or for `--to same` the upstream's own.
pub fn answer_format(output: argstream::Output, upstream: Format) -> Format {
    output.name().parse().unwrap_or(upstream)
}

/// The format an `--upstream-format` names, when it names one.
pub fn named(format: UpstreamFormat) -> Option<Format> {
    match format {
        UpstreamFormat::Route => None,
        UpstreamFormat::Format(format) => Some(format),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn the_clients_key_is_read_wherever_it_put_it() {
        assert_eq!(
            client_key(&headers(&[("authorization", "Bearer sk-1")]), None).as_deref(),
            Some("sk-1")
        );
        assert_eq!(
            client_key(&headers(&[("x-api-key", "sk-2")]), None).as_deref(),
            Some("sk-2")
        );
        assert_eq!(
            client_key(&headers(&[("x-goog-api-key", "g-3")]), None).as_deref(),
            Some("g-3")
        );
        assert_eq!(
            client_key(&HeaderMap::new(), Some("alt=sse&key=g-4")).as_deref(),
            Some("g-4")
        );
        assert_eq!(client_key(&HeaderMap::new(), Some("alt=sse")), None);
    }

    #[test]
    fn the_key_goes_in_the_upstream_formats_header() {
        let client = headers(&[
            ("authorization", "Bearer sk-1"),
            ("anthropic-beta", "x"),
            ("content-type", "application/json"),
        ]);
        let sent = with_key(&client, Format::Anthropic, Format::Gemini, Some("sk-1"));
        let names: Vec<&str> = sent.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["content-type", "x-goog-api-key"]);
        let sent = with_key(&client, Format::OpenAiChat, Format::Anthropic, Some("sk-1"));
        let names: Vec<&str> = sent.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["content-type", "x-api-key", "anthropic-version"]);
        let sent = with_key(
            &client,
            Format::Anthropic,
            Format::OpenAiResponses,
            Some("sk-1"),
        );
        assert_eq!(sent[1].1, "Bearer sk-1");
        assert!(sent[1].1.is_sensitive());
    }

    #[test]
    fn the_clients_key_leaves_the_query() {
        assert_eq!(
            without_key(Some("alt=sse&key=g-1")).as_deref(),
            Some("alt=sse")
        );
        assert_eq!(without_key(Some("key=g-1")), None);
        assert_eq!(without_key(None), None);
    }

    #[test]
    fn gemini_paths_name_their_model() {
        assert_eq!(
            gemini_model("/v1beta/models/gemini-2.5-pro:streamGenerateContent"),
            Some("gemini-2.5-pro")
        );
        assert_eq!(gemini_model("/v1/models/g:generateContent"), Some("g"));
        assert_eq!(gemini_model("/v1/chat/completions"), None);
    }
}
