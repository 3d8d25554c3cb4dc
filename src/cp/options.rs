//! A charge point's options as the node passes them, checked into the
//! settings its task uses, and the Central System it connects to.

use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;
use tokio_tungstenite::tungstenite::http::Uri;

use crate::version::OcppVersion;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ClientOptions {
    /// The Central System's OCPP-J URL without the id, e.g. `ws://cs:8834/ocpp`.
    pub url: String,
    pub cb_id: String,
    /// Basic auth password (user = charge box id); user info in the URL works too.
    pub password: Option<String>,
    /// PEM file of extra CA certificates for `wss://`.
    pub ca_file: Option<String>,
    /// CA, client certificate and verification for `wss://` (from a `tls-config` node).
    pub tls: crate::tls::TlsOptions,
    /// The version to offer as subprotocol ("1.6j", "2.0.1", "2.1").
    pub ocpp_version: OcppVersion,
    /// Check every payload, both ways, against the version's OCA schemas.
    pub strict: bool,
    pub delay_connect: bool,
    pub reconnect_min_s: f64,
    pub reconnect_inc_s: f64,
    pub reconnect_max_s: f64,
    pub ping_interval_s: f64,
    pub handshake_timeout_s: f64,
    pub offline_queue: bool,
    pub queue_actions: Vec<String>,
    pub queue_max: usize,
    pub max_frame_kb: usize,
    pub raw_log: bool,
    /// The durable offline queue's file (`persistQueue`); none keeps the queue in memory only.
    pub queue_file: Option<String>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            url: String::new(),
            cb_id: String::new(),
            password: None,
            ca_file: None,
            tls: Default::default(),
            ocpp_version: OcppVersion::V16,
            strict: false,
            delay_connect: false,
            reconnect_min_s: 5.0,
            reconnect_inc_s: 5.0,
            reconnect_max_s: 360.0,
            ping_interval_s: 30.0,
            handshake_timeout_s: 10.0,
            offline_queue: true,
            queue_actions: Vec::new(),
            queue_max: 1000,
            max_frame_kb: 1024,
            raw_log: false,
            queue_file: None,
        }
    }
}

/// Why a client's options or target cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum OptionsError {
    #[error("invalid option: {0}")]
    Option(String),
    #[error("invalid Central System URL {url:?}: {why}")]
    Url { url: String, why: String },
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
}

/// The options, checked and in the units the task uses.
pub(super) struct Settings {
    pub reconnect_min: f64,
    pub reconnect_inc: f64,
    pub reconnect_max: f64,
    pub ping_interval: Option<Duration>,
    pub handshake_timeout: Duration,
    pub offline_queue: bool,
    pub queue_actions: Vec<String>,
    pub queue_max: usize,
    pub max_frame_bytes: usize,
    pub password: Option<String>,
    pub tls: Option<Arc<rustls::ClientConfig>>,
    pub raw_log: bool,
}

impl ClientOptions {
    pub(super) fn settings(&self) -> Result<Settings, OptionsError> {
        let secs = |name: &str, v: f64, min: f64| {
            if v.is_finite() && v >= min && v <= 86_400.0 {
                Ok(v)
            } else {
                Err(OptionsError::Option(format!("{name} must be from {min} to 86400 seconds, got {v}")))
            }
        };
        let reconnect_min = secs("wstomin", self.reconnect_min_s, 0.1)?;
        let reconnect_max = secs("wstomax", self.reconnect_max_s, 0.1)?.max(reconnect_min);
        let ping = secs("pingInterval", self.ping_interval_s, 0.0)?;
        if !(1..=1_000_000).contains(&self.queue_max) {
            return Err(OptionsError::Option(format!("queueMax must be from 1 to 1000000, got {}", self.queue_max)));
        }
        if !(1..=65_536).contains(&self.max_frame_kb) {
            return Err(OptionsError::Option(format!("maxFrameKB must be from 1 to 65536, got {}", self.max_frame_kb)));
        }
        let tls = if self.url.trim().starts_with("wss:") { Some(self.tls_config()?) } else { None };
        Ok(Settings {
            reconnect_min,
            reconnect_inc: secs("wstoinc", self.reconnect_inc_s, 0.0)?,
            reconnect_max,
            ping_interval: (ping > 0.0).then(|| Duration::from_secs_f64(ping)),
            handshake_timeout: Duration::from_secs_f64(secs("handshakeTimeout", self.handshake_timeout_s, 0.1)?),
            offline_queue: self.offline_queue,
            queue_actions: self.queue_actions.iter().map(|a| a.trim().to_owned()).filter(|a| !a.is_empty()).collect(),
            queue_max: self.queue_max,
            max_frame_bytes: self.max_frame_kb * 1024,
            password: self.password.clone().filter(|p| !p.is_empty()),
            tls,
            raw_log: self.raw_log,
        })
    }

    /// System roots plus the node's CA file and `tls-config`, if any.
    fn tls_config(&self) -> Result<Arc<rustls::ClientConfig>, OptionsError> {
        let mut tls = self.tls.clone();
        if tls.ca_file.is_none() {
            tls.ca_file = self.ca_file.clone();
        }
        Ok(tls.client_config()?)
    }
}

/// Where to connect: the part `connect` may change at run time.
#[derive(Debug, Clone)]
pub(super) struct Target {
    pub url: String,
    pub cb_id: String,
}

impl Target {
    /// `<url>/<percent-encoded id>`, without user info (that becomes a header).
    pub fn endpoint(&self) -> Result<(Uri, Option<String>), OptionsError> {
        let bad = |why: &str| OptionsError::Url { url: self.url.clone(), why: why.into() };
        let base: Uri = self.url.trim().trim_end_matches('/').parse().map_err(|_| bad("not a URL"))?;
        match base.scheme_str() {
            Some("ws") | Some("wss") => {}
            _ => return Err(bad("the scheme must be ws:// or wss://")),
        }
        let authority = base.authority().ok_or_else(|| bad("no host"))?;
        let (userinfo, host) = match authority.as_str().rsplit_once('@') {
            Some((user, host)) => (Some(user.to_owned()), host.to_owned()),
            None => (None, authority.as_str().to_owned()),
        };
        if self.cb_id.is_empty() {
            return Err(OptionsError::Option("the charge box id (cbId) is empty".into()));
        }
        let id = percent_encoding::utf8_percent_encode(&self.cb_id, ID_ESCAPES);
        let path = base.path().trim_end_matches('/');
        let uri = format!("{}://{host}{path}/{id}", base.scheme_str().unwrap_or("ws"))
            .parse()
            .map_err(|_| bad("cannot add the charge box id to it"))?;
        Ok((uri, userinfo))
    }

    /// The URL shown to the flow (`ws_state`): never with a password.
    pub fn public_url(&self) -> String {
        match self.endpoint() {
            Ok((uri, _)) => uri.to_string(),
            Err(_) => self.url.clone(),
        }
    }
}

/// Characters escaped in the id's path segment (RFC 3986 pchar is allowed as is).
const ID_ESCAPES: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'\\')
    .add(b'^')
    .add(b'|');

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str, cb: &str) -> Target {
        Target { url: url.into(), cb_id: cb.into() }
    }

    #[test]
    fn endpoints_append_the_encoded_id_and_strip_user_info() {
        let (uri, user) = target("ws://localhost:8834/ocpp/", "EV 1").endpoint().unwrap();
        assert_eq!(uri.to_string(), "ws://localhost:8834/ocpp/EV%201");
        assert_eq!(user, None);
        let (uri, user) = target("wss://cp7:s3cret@cs.example:443/ocpp", "CP7").endpoint().unwrap();
        assert_eq!(uri.to_string(), "wss://cs.example:443/ocpp/CP7");
        assert_eq!(user.as_deref(), Some("cp7:s3cret"));
        assert_eq!(target("wss://a:b@cs/x", "C").public_url(), "wss://cs/x/C");
        assert!(target("http://cs/ocpp", "C").endpoint().is_err());
        assert!(target("ws://cs/ocpp", "").endpoint().is_err());
    }

    #[test]
    fn options_are_checked() {
        let bad =
            ClientOptions { url: "ws://x/ocpp".into(), cb_id: "A".into(), reconnect_min_s: -1.0, ..Default::default() };
        assert!(bad.settings().is_err());
        let bad = ClientOptions { queue_max: 0, ..Default::default() };
        assert!(bad.settings().err().unwrap().to_string().contains("queueMax"));
    }
}
