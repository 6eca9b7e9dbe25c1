//! GeoReport v2 XML from the same tree as the JSON answer.
//!
//! The spec's JSON is a programmatic mapping of its XML (the "Spark convention"): a list becomes
//! a JSON array whose XML element holds one child per item, named by [`item_name`]; an object
//! becomes an element with one child per field; `null` becomes an empty element. Each answer is
//! built once as a `serde_json::Value` and written in either format, so the two cannot drift.

use serde_json::Value;

/// The XML declaration every document starts with.
pub const DECLARATION: &str = r#"<?xml version="1.0" encoding="utf-8"?>"#;

/// The element name of one item of the list element `list`.
pub fn item_name(list: &str) -> &str {
    match list {
        "services" => "service",
        "service_requests" => "request",
        "errors" => "error",
        "attributes" => "attribute",
        "values" => "value",
        "endpoints" => "endpoint",
        "formats" => "format",
        other => other.strip_suffix('s').unwrap_or("item"),
    }
}

/// `value` as an XML document whose root element is `root`.
pub fn document(root: &str, value: &Value) -> String {
    let mut out = String::with_capacity(256);
    out.push_str(DECLARATION);
    element(&mut out, root, value);
    out
}

fn element(out: &mut String, name: &str, value: &Value) {
    match value {
        Value::Null => {
            out.push('<');
            out.push_str(name);
            out.push_str("/>");
        }
        Value::Array(items) => {
            open(out, name);
            let child = item_name(name);
            for item in items {
                element(out, child, item);
            }
            close(out, name);
        }
        Value::Object(fields) => {
            open(out, name);
            for (k, v) in fields {
                element(out, k, v);
            }
            close(out, name);
        }
        Value::String(s) => {
            open(out, name);
            escape_into(out, s);
            close(out, name);
        }
        Value::Bool(b) => {
            open(out, name);
            out.push_str(if *b { "true" } else { "false" });
            close(out, name);
        }
        Value::Number(n) => {
            open(out, name);
            out.push_str(&n.to_string());
            close(out, name);
        }
    }
}

fn open(out: &mut String, name: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
}

fn close(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// Appends `text` with `& < > " '` escaped, and with characters XML 1.0 cannot carry at all
/// (control characters other than tab, newline and carriage return) dropped.
pub fn escape_into(out: &mut String, text: &str) {
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(ch),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_objects_nulls_and_scalars_follow_the_spark_convention() {
        let v = json!([{"code": 404, "description": "no <such> & \"thing\""}]);
        assert_eq!(
            document("errors", &v),
            r#"<?xml version="1.0" encoding="utf-8"?><errors><error><code>404</code><description>no &lt;such&gt; &amp; &quot;thing&quot;</description></error></errors>"#
        );
        // Fields written in alphabetical order, so the test holds with or without serde_json's
        // `preserve_order`.
        let v = json!({"attributes": [{"required": false, "values": [{"key": "1", "name": "甲"}], "x": null}], "service_code": "06010"});
        assert_eq!(
            document("service_definition", &v),
            r#"<?xml version="1.0" encoding="utf-8"?><service_definition><attributes><attribute><required>false</required><values><value><key>1</key><name>甲</name></value></values><x/></attribute></attributes><service_code>06010</service_code></service_definition>"#
        );
        assert_eq!(
            document("services", &json!([])),
            r#"<?xml version="1.0" encoding="utf-8"?><services></services>"#
        );
    }

    #[test]
    fn control_characters_are_dropped_line_breaks_kept() {
        let mut s = String::new();
        escape_into(&mut s, "a\u{0}b\u{1b}c\nd\te");
        assert_eq!(s, "abc\nd\te");
    }
}
