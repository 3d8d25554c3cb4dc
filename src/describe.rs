//! How JSON values are named in the error messages a user reads
//! ("… is a string, not a JSON object"), the same wording everywhere.

use serde_json::Value;

/// "null", "a boolean", "a number", "a string", "an array" or "an object".
pub fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
