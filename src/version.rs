//! The OCPP-J versions this engine speaks, chosen per connection by the
//! WebSocket subprotocol (OCPP-J 1.6 §3.1.2; OCPP 2.0.1 and 2.1 Part 4 §3.1.2).

/// One OCPP-J version; they compare oldest to newest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OcppVersion {
    V16,
    V201,
    V21,
}

impl OcppVersion {
    pub const ALL: [OcppVersion; 3] = [Self::V16, Self::V201, Self::V21];

    /// Newest first: the order a server prefers when a station offers several.
    pub const NEWEST_FIRST: [OcppVersion; 3] = [Self::V21, Self::V201, Self::V16];

    /// The WebSocket subprotocol that names it.
    pub fn subprotocol(self) -> &'static str {
        match self {
            Self::V16 => "ocpp1.6",
            Self::V201 => "ocpp2.0.1",
            Self::V21 => "ocpp2.1",
        }
    }

    /// `msg.ocpp.ocppVersion`: "1.6j" as the original package wrote it, "2.0.1", "2.1".
    pub fn label(self) -> &'static str {
        match self {
            Self::V16 => "1.6j",
            Self::V201 => "2.0.1",
            Self::V21 => "2.1",
        }
    }

    pub fn from_subprotocol(s: &str) -> Option<Self> {
        Self::NEWEST_FIRST.into_iter().find(|v| v.subprotocol() == s)
    }

    /// Reads a version as a user writes it in a config or msg: "1.6j", "1.6",
    /// "ocpp1.6", "2.0.1", "ocpp2.0.1", "2.1", "ocpp2.1".
    pub fn from_label(s: &str) -> Option<Self> {
        let s = s.trim().trim_start_matches("ocpp");
        match s {
            "1.6j" | "1.6J" | "1.6" => Some(Self::V16),
            "2.0.1" => Some(Self::V201),
            "2.1" => Some(Self::V21),
            _ => None,
        }
    }

    /// OCPP 2.x RPC rules (RpcFrameworkError, the 2.x error code spellings).
    pub fn is_2x(self) -> bool {
        self != Self::V16
    }
}

impl serde::Serialize for OcppVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.label())
    }
}

impl<'de> serde::Deserialize<'de> for OcppVersion {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::from_label(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown OCPP version {text:?}: use 1.6j, 2.0.1 or 2.1")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for v in OcppVersion::NEWEST_FIRST {
            assert_eq!(OcppVersion::from_subprotocol(v.subprotocol()), Some(v));
            assert_eq!(OcppVersion::from_label(v.label()), Some(v));
            assert_eq!(OcppVersion::from_label(v.subprotocol()), Some(v));
        }
        assert_eq!(OcppVersion::from_label("1.6"), Some(OcppVersion::V16));
        assert_eq!(OcppVersion::from_label("2.0"), None);
        assert_eq!(OcppVersion::from_subprotocol("ocpp2.0"), None);
    }
}
