//! The shape of the generated message tables (`tables.rs`).

/// A value's type, as the WSDL declares it.
#[derive(Debug)]
pub enum Ty {
    /// A string, with its maximum length when the schema sets one.
    Str(Option<u32>),
    Int,
    Decimal,
    Bool,
    DateTime,
    Enum(&'static [&'static str]),
    Complex(&'static [Field]),
}

/// Where a field's value sits in the XML.
#[derive(Debug, PartialEq, Eq)]
pub enum Place {
    Element,
    Attribute,
    /// The element's own text (1.5's meter value, which also has attributes).
    Text,
}

#[derive(Debug)]
pub struct Field {
    pub name: &'static str,
    pub ty: Ty,
    pub min: u32,
    pub many: bool,
    pub place: Place,
}

#[derive(Debug)]
pub struct Operation {
    pub name: &'static str,
    pub request: &'static str,
    pub request_fields: &'static [Field],
    pub response: &'static str,
    pub response_fields: &'static [Field],
}

#[derive(Debug)]
pub struct Table {
    pub namespace: &'static str,
    pub operations: &'static [Operation],
}

impl Table {
    pub fn operation(&self, name: &str) -> Option<&'static Operation> {
        self.operations.iter().find(|op| op.name == name)
    }

    pub fn by_request(&self, element: &str) -> Option<&'static Operation> {
        self.operations.iter().find(|op| op.request == element)
    }

    pub fn by_response(&self, element: &str) -> Option<&'static Operation> {
        self.operations.iter().find(|op| op.response == element)
    }
}
