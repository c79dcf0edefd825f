//! JSON Schema between the standard (OpenAI's and Anthropic's tools and
//! structured output) and Gemini's `Schema`, an OpenAPI 3.0 subset.
//!
//! Toward Gemini, a schema keeps `type` (in capitals), `format` where Gemini
//! has it (`date-time` and `enum` for strings, `int32`/`int64`,
//! `float`/`double`), `title`, `description`, `nullable`, `enum` (of
//! strings), `properties`, `required`, `items`, `anyOf`, `minItems`,
//! `maxItems`, `minProperties`, `maxProperties`, `minLength`, `maxLength`,
//! `pattern`, `minimum`, `maximum`, `default` and `example`, which the
//! Gemini API documents. The rest is rewritten or left out, each with a
//! warning at its path:
//! - a type list (`["string","null"]`) becomes the type and
//!   `nullable: true`; a list of several types an `anyOf`;
//! - `oneOf` becomes `anyOf` (Gemini has no exclusive choice);
//! - `const` a one-value `enum` (of a string; another value is left out);
//! - `exclusiveMinimum`/`exclusiveMaximum` (numbers) become `minimum`/
//!   `maximum`, a bound that lets the bound itself through;
//! - `$ref` into `$defs` or `definitions` is inlined, to a depth of
//!   [`MAX_REF_DEPTH`] and [`MAX_REF_INLINES`] in all (past them a
//!   reference is cut, as an object);
//! - `allOf` of objects is merged into one object;
//! - `required` keeps only the properties the schema has, and an object
//!   with no properties loses its empty `properties` (Gemini refuses both);
//! - `additionalProperties`, `patternProperties`, `not`, `if`/`then`/`else`,
//!   `dependentRequired`, `uniqueItems`, `multipleOf`, `examples` and any
//!   other keyword are left out; `$schema`, `$id`, `$comment` and the
//!   `$defs` themselves silently, since they say nothing about a value.
//!
//! The walk recurses once per nesting level of the schema, which serde_json
//! has already bounded (it refuses JSON nested deeper than 128).

use serde_json::{Map, Value};

use crate::error::Notes;
use crate::json::{at, index};

/// How deep `$ref`s are inlined toward Gemini.
pub const MAX_REF_DEPTH: usize = 8;

/// How many `$ref`s one schema inlines toward Gemini in all, so that a
/// schema of a few bytes cannot become millions of nodes.
pub const MAX_REF_INLINES: usize = 256;

/// `schema` in Gemini's subset.
pub(crate) fn to_gemini(
    schema: &Map<String, Value>,
    path: &str,
    notes: &mut Notes,
) -> Map<String, Value> {
    let defs = Defs {
        defs: schema.get("$defs").and_then(Value::as_object),
        definitions: schema.get("definitions").and_then(Value::as_object),
        inlines_left: std::cell::Cell::new(MAX_REF_INLINES),
    };
    gemini_node(schema, &defs, 0, path, notes)
}

struct Defs<'a> {
    defs: Option<&'a Map<String, Value>>,
    definitions: Option<&'a Map<String, Value>>,
    /// How many more `$ref`s may be inlined: a definition that refers to
    /// itself twice would otherwise double at every level of the depth.
    inlines_left: std::cell::Cell<usize>,
}

impl<'a> Defs<'a> {
    /// Takes one inlining from the budget, if any is left.
    fn take_inline(&self) -> bool {
        let left = self.inlines_left.get();
        self.inlines_left.set(left.saturating_sub(1));
        left > 0
    }

    fn resolve(&self, reference: &str) -> Option<&'a Map<String, Value>> {
        let (table, name) = if let Some(name) = reference.strip_prefix("#/$defs/") {
            (self.defs?, name)
        } else {
            (self.definitions?, reference.strip_prefix("#/definitions/")?)
        };
        table.get(name)?.as_object()
    }
}

fn gemini_type(word: &str) -> Option<&'static str> {
    Some(match word {
        "string" => "STRING",
        "number" => "NUMBER",
        "integer" => "INTEGER",
        "boolean" => "BOOLEAN",
        "array" => "ARRAY",
        "object" => "OBJECT",
        _ => return None,
    })
}

fn gemini_node(
    schema: &Map<String, Value>,
    defs: &Defs<'_>,
    refs: usize,
    path: &str,
    notes: &mut Notes,
) -> Map<String, Value> {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        return match defs.resolve(reference) {
            Some(target) if refs < MAX_REF_DEPTH && defs.take_inline() => {
                let mut out = gemini_node(target, defs, refs + 1, path, notes);
                if let Some(description) = schema.get("description") {
                    out.insert("description".into(), description.clone());
                }
                out
            }
            Some(_) => {
                notes.warn(
                    at(path, "$ref"),
                    "a recursive or much-repeated reference is cut here, as an object",
                );
                object_of("OBJECT")
            }
            None => {
                notes.warn(
                    at(path, "$ref"),
                    "a reference outside the schema's $defs is left out",
                );
                Map::new()
            }
        };
    }
    if let Some(Value::Array(parts)) = schema.get("allOf") {
        let merged = merge_all_of(schema, parts, defs);
        if let Some(merged) = merged {
            return gemini_node(&merged, defs, refs, path, notes);
        }
        notes.warn(
            at(path, "allOf"),
            "an allOf of other than objects is left out",
        );
    }
    let mut out = Map::new();
    for (name, value) in schema {
        let here = at(path, name);
        match name.as_str() {
            "type" => match value {
                Value::String(word) => match gemini_type(word) {
                    Some(kind) => {
                        out.insert("type".into(), kind.into());
                    }
                    None if word == "null" => {
                        out.insert("nullable".into(), true.into());
                    }
                    None => notes.warn(here, "an unknown type is left out"),
                },
                Value::Array(words) => {
                    let kinds: Vec<&str> = words
                        .iter()
                        .filter_map(Value::as_str)
                        .filter_map(gemini_type)
                        .collect();
                    if words.iter().any(|w| w == "null") {
                        out.insert("nullable".into(), true.into());
                    }
                    match kinds.as_slice() {
                        [] => {}
                        [one] => {
                            out.insert("type".into(), (*one).into());
                        }
                        many => {
                            let any: Vec<Value> =
                                many.iter().map(|k| Value::Object(object_of(k))).collect();
                            out.insert("anyOf".into(), Value::Array(any));
                        }
                    }
                }
                _ => notes.warn(here, "a type that is not a string or a list is left out"),
            },
            "format" => {
                let kind = schema.get("type").and_then(Value::as_str).unwrap_or("");
                let kept = matches!(
                    (kind, value.as_str().unwrap_or("")),
                    ("string", "date-time" | "enum")
                        | ("integer", "int32" | "int64")
                        | ("number", "float" | "double")
                );
                if kept {
                    out.insert(name.clone(), value.clone());
                } else {
                    notes.warn(here, "Gemini has no such format; left out");
                }
            }
            "properties" => {
                let Some(properties) = value.as_object() else {
                    notes.warn(here, "properties that are not an object are left out");
                    continue;
                };
                let mut converted = Map::new();
                for (property, sub) in properties {
                    let sub_path = at(&here, property);
                    match sub.as_object() {
                        Some(sub) => {
                            converted.insert(
                                property.clone(),
                                Value::Object(gemini_node(sub, defs, refs, &sub_path, notes)),
                            );
                        }
                        None => {
                            // `true` (anything) and `false` (nothing) schemas.
                            converted.insert(property.clone(), Value::Object(object_of("STRING")));
                            notes.warn(sub_path, "a boolean schema is sent as a string");
                        }
                    }
                }
                if !converted.is_empty() {
                    out.insert(name.clone(), Value::Object(converted));
                }
            }
            "items" => match value.as_object() {
                Some(items) => {
                    out.insert(
                        name.clone(),
                        Value::Object(gemini_node(items, defs, refs, &here, notes)),
                    );
                }
                None => notes.warn(here, "items that are not one schema are left out"),
            },
            "anyOf" | "oneOf" => {
                let Some(choices) = value.as_array() else {
                    notes.warn(here, "a choice that is not a list is left out");
                    continue;
                };
                if name == "oneOf" {
                    notes.warn(&here, "Gemini has no oneOf; sent as anyOf");
                }
                let converted: Vec<Value> = choices
                    .iter()
                    .enumerate()
                    .filter_map(|(i, choice)| {
                        let choice = choice.as_object()?;
                        Some(Value::Object(gemini_node(
                            choice,
                            defs,
                            refs,
                            &index(&here, i),
                            notes,
                        )))
                    })
                    .collect();
                out.insert("anyOf".into(), Value::Array(converted));
            }
            "const" => match value {
                Value::String(_) => {
                    out.insert("enum".into(), Value::Array(vec![value.clone()]));
                    out.entry("type").or_insert_with(|| "STRING".into());
                }
                _ => notes.warn(
                    here,
                    "Gemini's enum holds strings only; a const of another type is left out",
                ),
            },
            "enum" => {
                if value
                    .as_array()
                    .is_some_and(|values| values.iter().all(Value::is_string))
                {
                    out.insert(name.clone(), value.clone());
                } else {
                    notes.warn(here, "Gemini's enum holds strings only; left out");
                }
            }
            "exclusiveMinimum" | "exclusiveMaximum" if value.is_number() => {
                let bound = if name == "exclusiveMinimum" {
                    "minimum"
                } else {
                    "maximum"
                };
                out.entry(bound).or_insert_with(|| value.clone());
                notes.warn(
                    here,
                    format!(
                        "Gemini has no exclusive bounds; sent as {bound}, which admits the bound"
                    ),
                );
            }
            "title" | "description" | "nullable" | "minItems" | "maxItems" | "minProperties"
            | "maxProperties" | "minLength" | "maxLength" | "pattern" | "minimum" | "maximum"
            | "default" | "example" | "propertyOrdering" => {
                out.insert(name.clone(), value.clone());
            }
            "required" => {}
            "$schema" | "$id" | "$comment" | "$defs" | "definitions" | "allOf" => {}
            _ => notes.warn(here, "Gemini's schema has no such keyword; left out"),
        }
    }
    if let Some(Value::Array(required)) = schema.get("required") {
        let properties = out.get("properties").and_then(Value::as_object);
        let kept: Vec<Value> = required
            .iter()
            .filter(|name| {
                name.as_str()
                    .is_some_and(|name| properties.is_some_and(|p| p.contains_key(name)))
            })
            .cloned()
            .collect();
        if !kept.is_empty() {
            out.insert("required".into(), Value::Array(kept));
        }
    }
    out
}

fn object_of(kind: &str) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("type".into(), kind.into());
    out
}

/// An `allOf` whose members are objects (after their references), merged
/// with the schema around it into one.
fn merge_all_of(
    schema: &Map<String, Value>,
    parts: &[Value],
    defs: &Defs<'_>,
) -> Option<Map<String, Value>> {
    let mut merged: Map<String, Value> = schema
        .iter()
        .filter(|(k, _)| *k != "allOf")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut properties = merged
        .remove("properties")
        .and_then(|p| p.as_object().cloned())
        .unwrap_or_default();
    let mut required: Vec<Value> = merged
        .remove("required")
        .and_then(|r| r.as_array().cloned())
        .unwrap_or_default();
    for part in parts {
        let part = part.as_object()?;
        let part = match part.get("$ref").and_then(Value::as_str) {
            Some(reference) => defs.resolve(reference)?,
            None => part,
        };
        if part.get("type").is_some_and(|t| t != "object") {
            return None;
        }
        if let Some(Value::Object(more)) = part.get("properties") {
            properties.extend(more.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        if let Some(Value::Array(more)) = part.get("required") {
            required.extend(more.iter().cloned());
        }
        for (name, value) in part {
            if !matches!(name.as_str(), "properties" | "required" | "type") {
                merged.entry(name.clone()).or_insert_with(|| value.clone());
            }
        }
    }
    merged.insert("type".into(), "object".into());
    merged.insert("properties".into(), Value::Object(properties));
    merged.insert("required".into(), Value::Array(required));
    Some(merged)
}

/// A Gemini `Schema` as standard JSON Schema: types in lower case,
/// `nullable` as a type list; `propertyOrdering` is left out, since JSON
/// Schema's members keep their order anyway.
pub(crate) fn from_gemini(schema: &Map<String, Value>) -> Map<String, Value> {
    let nullable = schema.get("nullable").and_then(Value::as_bool) == Some(true);
    let mut out = Map::new();
    for (name, value) in schema {
        match name.as_str() {
            "type" => {
                let word = value.as_str().unwrap_or("").to_ascii_lowercase();
                let kind = if word == "type_unspecified" {
                    None
                } else {
                    Some(word)
                };
                match (kind, nullable) {
                    (Some(kind), true) => {
                        out.insert(
                            "type".into(),
                            Value::Array(vec![kind.into(), "null".into()]),
                        );
                    }
                    (Some(kind), false) => {
                        out.insert("type".into(), kind.into());
                    }
                    (None, _) => {}
                }
            }
            "nullable" | "propertyOrdering" => {}
            "properties" => {
                let converted = value
                    .as_object()
                    .map(|properties| {
                        properties
                            .iter()
                            .map(|(k, v)| {
                                (
                                    k.clone(),
                                    v.as_object()
                                        .map_or(v.clone(), |v| Value::Object(from_gemini(v))),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                out.insert(name.clone(), Value::Object(converted));
            }
            "items" => {
                let converted = value
                    .as_object()
                    .map_or(value.clone(), |v| Value::Object(from_gemini(v)));
                out.insert(name.clone(), converted);
            }
            "anyOf" => {
                let converted = value
                    .as_array()
                    .map(|choices| {
                        choices
                            .iter()
                            .map(|c| {
                                c.as_object()
                                    .map_or(c.clone(), |c| Value::Object(from_gemini(c)))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                out.insert(name.clone(), Value::Array(converted));
            }
            _ => {
                out.insert(name.clone(), value.clone());
            }
        }
    }
    out
}
