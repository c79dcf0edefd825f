//! JSON Schema between the standard and Gemini's subset.
