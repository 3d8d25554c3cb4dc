//! A small element tree read with quick-xml: namespaces resolved, text
//! collected, and the hostile parts of XML refused (DTDs, entities other than
//! the five predefined ones, depth, size).

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use super::SoapError;

/// Deepest element nesting accepted: SOAP envelopes of OCPP nest about eight.
pub const MAX_DEPTH: usize = 32;

#[derive(Debug, Default, Clone)]
pub struct Element {
    /// The resolved namespace URI, empty when unbound.
    pub ns: String,
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The element's text with surrounding white space removed.
    pub fn value(&self) -> &str {
        self.text.trim()
    }
}

/// Parses a whole document into its root element.
pub fn parse(text: &str) -> Result<Element, SoapError> {
    let mut reader = NsReader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    loop {
        let (ns, event) = reader.read_resolved_event().map_err(|e| SoapError::Malformed(e.to_string()))?;
        match event {
            Event::Start(start) | Event::Empty(start) if stack.len() >= MAX_DEPTH => {
                let _ = start;
                return Err(SoapError::Malformed(format!("elements nested deeper than {MAX_DEPTH} levels")));
            }
            Event::Start(ref start) | Event::Empty(ref start) => {
                let mut element = Element {
                    ns: match ns {
                        ResolveResult::Bound(ns) => ns.as_ref().to_owned(),
                        ResolveResult::Unbound => String::new(),
                        ResolveResult::Unknown(prefix) => {
                            return Err(SoapError::Malformed(format!("undeclared namespace prefix {prefix:?}")))
                        }
                    },
                    name: start.local_name().as_ref().to_owned(),
                    ..Default::default()
                };
                for attr in start.attributes() {
                    let attr = attr.map_err(|e| SoapError::Malformed(e.to_string()))?;
                    let key = attr.key.local_name();
                    let key = key.as_ref().to_owned();
                    let value = attr
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| SoapError::Malformed(e.to_string()))?;
                    element.attrs.push((key, value.into_owned()));
                }
                if matches!(event, Event::Empty(_)) {
                    close(&mut stack, element)?;
                } else {
                    stack.push(element);
                }
            }
            Event::End(_) => {
                let element = stack.pop().ok_or_else(|| SoapError::Malformed("unexpected end tag".into()))?;
                if let Some(root) = close(&mut stack, element)? {
                    return Ok(root);
                }
            }
            Event::Text(text) => {
                if let Some(open) = stack.last_mut() {
                    let raw: &str = &text;
                    open.text.push_str(raw);
                }
            }
            Event::CData(data) => {
                if let Some(open) = stack.last_mut() {
                    let raw: &str = &data;
                    open.text.push_str(raw);
                }
            }
            Event::GeneralRef(reference) => {
                let ch = if reference.is_char_ref() {
                    reference
                        .resolve_char_ref()
                        .map_err(|e| SoapError::Malformed(e.to_string()))?
                        .ok_or_else(|| SoapError::Malformed("invalid character reference".into()))?
                } else {
                    match &*reference {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "apos" => '\'',
                        "quot" => '"',
                        other => {
                            return Err(SoapError::Refused(format!(
                                "entity &{};: only the five predefined XML entities are allowed",
                                other
                            )))
                        }
                    }
                };
                if let Some(open) = stack.last_mut() {
                    open.text.push(ch);
                }
            }
            Event::DocType(_) => return Err(SoapError::Refused("DTDs (<!DOCTYPE>) are not accepted".into())),
            Event::Eof => return Err(SoapError::Malformed("the document ends before its root element does".into())),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
}

/// Attaches a finished element to its parent; returns it when it is the root.
fn close(stack: &mut [Element], element: Element) -> Result<Option<Element>, SoapError> {
    match stack.last_mut() {
        Some(parent) => {
            parent.children.push(element);
            Ok(None)
        }
        None => Ok(Some(element)),
    }
}

/// Appends `text` escaped for element content or a quoted attribute value.
pub fn push_escaped(out: &mut String, text: &str) {
    for ch in text.chars() {
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_namespaces_attributes_text_and_references() {
        let doc =
            parse(r#"<?xml version="1.0"?><a:x xmlns:a="urn:a" k="v&amp;w"><b>1 &lt; 2 &#65;</b><c/></a:x>"#).unwrap();
        assert_eq!((doc.ns.as_str(), doc.name.as_str()), ("urn:a", "x"));
        assert_eq!(doc.attr("k"), Some("v&w"));
        assert_eq!(doc.child("b").unwrap().value(), "1 < 2 A");
        assert!(doc.child("c").is_some());
    }

    #[test]
    fn refuses_dtds_custom_entities_and_malformed_input() {
        let bomb =
            r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><a>&lol2;</a>"#;
        assert!(matches!(parse(bomb), Err(SoapError::Refused(_))));
        assert!(matches!(parse("<a>&ext;</a>"), Err(SoapError::Refused(_))));
        assert!(matches!(parse("<a><b></a>"), Err(SoapError::Malformed(_))));
        assert!(matches!(parse("<a>"), Err(SoapError::Malformed(_))));
        assert!(matches!(parse("<p:a/>"), Err(SoapError::Malformed(_))));
        let deep = format!("{}{}", "<a>".repeat(100), "</a>".repeat(100));
        assert!(matches!(parse(&deep), Err(SoapError::Malformed(_))));
    }
}
