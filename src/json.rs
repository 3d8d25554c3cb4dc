//! JSON text as users read it and as the engine writes it: the one wording
//! for value kinds in error messages ("… is a string, not a JSON object"), and
//! string literals written straight into event and frame text.

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

/// Appends `s` as a JSON string literal.
/// On the hot path for every id, action and station name: most need no
/// escaping and are copied as they are.
pub fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    push_escaped(out, s);
    out.push('"');
}

/// Appends the concatenation of `parts` as one JSON string literal.
pub fn push_json_str_parts(out: &mut String, parts: &[&str]) {
    out.push('"');
    for part in parts {
        push_escaped(out, part);
    }
    out.push('"');
}

/// The inside of a JSON string literal for `s`.
fn push_escaped(out: &mut String, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push_str(s);
        return;
    }
    // serde_json's escaping is exact; writing into a String cannot fail.
    let quoted = serde_json::Value::from(s).to_string();
    out.push_str(&quoted[1..quoted.len() - 1]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_only_when_they_need_it() {
        let mut out = String::new();
        push_json_str(&mut out, "CP-1");
        push_json_str(&mut out, "a\"b\n");
        assert_eq!(out, r#""CP-1""a\"b\n""#);
        assert_eq!(kind_of(&serde_json::json!([1])), "an array");
        let mut out = String::new();
        push_json_str_parts(&mut out, &["CP \"1\"", "/", "Heartbeat"]);
        assert_eq!(out, r#""CP \"1\"/Heartbeat""#);
    }
}
