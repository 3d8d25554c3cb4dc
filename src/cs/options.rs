//! A server's options as the node passes them, and the checked settings
//! every part of the server reads. Defaults are the original package's where
//! it had the option; each is documented in the node's help.

use serde::Deserialize;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::auth::Passwords;
use crate::pace::BodyLimits;
use crate::pending::PendingLimits;
use crate::version::OcppVersion;

/// Options as the node passes them (JSON, camelCase). Each is documented,
/// with its default, in the node's help and the README's limits table.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ServerOptions {
    pub port: u16,
    /// What the metrics call this server (their `server` label): the node's
    /// name, or its id. Without one, "port <port>".
    pub name: Option<String>,
    /// Address to bind; all interfaces (IPv6 and IPv4) when absent.
    pub host: Option<IpAddr>,
    /// Path prefix of the OCPP-J service; `None` disables it.
    pub json_path: Option<String>,
    /// Paths of the SOAP 1.5 and 1.6 services on the same port; `None` disables each.
    pub soap15_path: Option<String>,
    pub soap16_path: Option<String>,
    /// Serve the charge point's SOAP services (`CP server SOAP`) instead of the Central System's.
    pub charge_point: bool,
    pub answer_timeout_s: f64,
    /// 0 turns pings off.
    pub ping_interval_s: f64,
    pub max_frame_kb: usize,
    pub max_queued: usize,
    /// CALLs a station may have waiting for the flow's answer; more are
    /// refused with a CALLERROR (OCPP-J allows one at a time).
    pub max_station_calls: usize,
    /// OCPP-J stations connected at once; more are refused before the upgrade with 503.
    pub max_connections: usize,
    /// Megabytes of events that may wait for the flow before the server stops
    /// reading from its stations (TCP backpressure).
    pub event_backlog_mb: usize,
    pub require_subprotocol: bool,
    /// The OCPP-J versions served on the JSON path (1.6 by default).
    pub versions: Vec<OcppVersion>,
    /// Check every OCPP-J payload, both ways, against the OCA schemas.
    pub strict: bool,
    /// Emit every frame for the node's second output.
    pub raw_log: bool,
    /// `wss://` and `https://` with this certificate (profiles 2 and 3).
    pub tls: Option<crate::tls::TlsOptions>,
    /// Security profile 3: a station's client certificate must name its
    /// charge box id (subject CN or a SAN DNS name). On by default; off, any
    /// certificate the CA signed serves any id, as before.
    pub tls_check_id: bool,
    /// Basic-auth passwords per charge box id (the node's credentials).
    pub passwords: Passwords,
    /// Refuse stations that have no password (a closed list).
    pub require_auth: bool,
    /// Join this cluster: one Central System with the other instances on its Redis.
    pub cluster: Option<super::cluster::ClusterOptions>,
    /// URL path of the file endpoints (`/files`): uploads from stations,
    /// downloads of firmware. Off when absent; needs `files_dir`.
    pub files_path: Option<String>,
    /// The directory the file endpoints write to and serve from.
    pub files_dir: Option<String>,
    /// The largest upload body, in megabytes.
    pub files_max_mb: u64,
    /// Seconds an upload's whole body may take (`uploadTimeout`).
    pub upload_timeout_s: f64,
    /// Files one multipart request may store.
    pub files_per_request: usize,
    /// What the upload folders of `files_dir` may hold, in megabytes and in files.
    pub files_dir_max_mb: u64,
    pub files_dir_max_files: usize,
    /// Connections not (yet) upgraded to a WebSocket, overall and per client
    /// address (an IPv6 /64 counts as one).
    pub max_http_connections: usize,
    pub max_http_connections_per_ip: usize,
    /// Seconds a SOAP request's whole body may take.
    pub body_timeout_s: f64,
    /// Bytes per second every request body (SOAP, uploads) must at least
    /// come at, over 10 s windows; 0 turns the check off.
    pub min_body_rate: u64,
    /// The Node-RED node's id, which the OCPP sidebar names a station's server by.
    pub node_id: Option<String>,
    /// Unified messages (docs/UNIFIED.md): `msg.unified` on every station msg,
    /// answers written once. Off when absent, as in the original's flows.
    pub unified: bool,
    /// The BootNotification `interval` a unified answer gets unless it gives one.
    pub boot_interval: u32,
    /// Unified events the engine answers itself with `{status: "Accepted"}` completed.
    pub auto_answer: Vec<String>,
    /// Where minted 1.6 transaction ids are reserved (`<userDir>/ocpp-rs/transaction-ids`, shared by every server of the process);
    /// none keeps them in memory (unique only while the process runs).
    pub transaction_ids_file: Option<String>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            port: 0,
            name: None,
            host: None,
            json_path: Some("/ocpp".into()),
            soap15_path: None,
            soap16_path: None,
            charge_point: false,
            answer_timeout_s: 60.0,
            ping_interval_s: 30.0,
            max_frame_kb: 1024,
            max_queued: 100,
            max_station_calls: 10,
            max_connections: 50_000,
            event_backlog_mb: 16,
            require_subprotocol: false,
            versions: vec![OcppVersion::V16],
            strict: false,
            raw_log: false,
            tls: None,
            tls_check_id: true,
            passwords: Passwords::default(),
            require_auth: false,
            cluster: None,
            files_path: None,
            files_dir: None,
            files_max_mb: DEFAULT_FILES_MAX_MB,
            upload_timeout_s: 600.0,
            files_per_request: 10,
            files_dir_max_mb: 2048,
            files_dir_max_files: 10_000,
            max_http_connections: 1000,
            max_http_connections_per_ip: 100,
            body_timeout_s: 30.0,
            min_body_rate: 1024,
            node_id: None,
            unified: false,
            boot_interval: 300,
            auto_answer: Vec::new(),
            transaction_ids_file: None,
        }
    }
}

/// The unified events a CS server may answer itself (`autoAnswer`): those
/// where `{status: "Accepted"}` (or `{}`) is the answer a flow would give anyway.
pub const AUTO_ANSWERABLE: [&str; 6] =
    ["Heartbeat", "StatusChanged", "MeterValues", "TransactionUpdated", "BootNotification", "Authorize"];

/// The unified-messages settings of a server with `unified` on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnifiedConfig {
    pub boot_interval: u32,
    /// A subset of [`AUTO_ANSWERABLE`].
    pub auto_answer: Vec<&'static str>,
    pub ids_file: Option<PathBuf>,
}

impl UnifiedConfig {
    pub fn answers_itself(&self, event: &str) -> bool {
        self.auto_answer.contains(&event)
    }
}

/// `filesMaxMB` unless the node sets it: a diagnostics archive or a firmware
/// image fits, a runaway upload does not fill the disk.
pub const DEFAULT_FILES_MAX_MB: u64 = 100;
const MAX_FILES_MAX_MB: u64 = 102_400;
const MAX_FILES_DIR_MB: u64 = 10 << 20;
/// 100 MB/s: a higher minimum would refuse any real client.
const MAX_MIN_BODY_RATE: u64 = 100 << 20;

/// The file endpoints' settings (`cs/files.rs`).
#[derive(Debug, Clone)]
pub struct FilesConfig {
    /// `/files`: no trailing slash, never empty.
    pub path: String,
    /// Absolute (canonical), existing directory.
    pub dir: PathBuf,
    pub max_bytes: u64,
    /// How fast an upload's body must come.
    pub upload: BodyLimits,
    pub per_request: usize,
    /// Caps on what the upload folders hold.
    pub dir_max_bytes: u64,
    pub dir_max_files: usize,
}

/// Validated, ready-to-use settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub json_prefix: Option<String>,
    pub soap15_path: Option<String>,
    pub soap16_path: Option<String>,
    pub charge_point: bool,
    pub answer_timeout: Duration,
    pub ping_interval: Option<Duration>,
    pub max_frame_bytes: usize,
    pub max_queued: usize,
    pub max_station_calls: usize,
    pub max_connections: usize,
    pub event_backlog_bytes: usize,
    pub require_subprotocol: bool,
    pub versions: Vec<OcppVersion>,
    pub strict: bool,
    pub raw_log: bool,
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Security profile 3's id check: only where client certificates are
    /// required (with optional ones, a certificate that names another station
    /// proves nothing, and the station's password rules apply).
    pub tls_check_id: bool,
    pub passwords: Passwords,
    pub require_auth: bool,
    pub files: Option<FilesConfig>,
    /// Connections not yet upgraded (`maxHttpConnections`, `maxHttpConnectionsPerIp`).
    pub pending: PendingLimits,
    /// How fast a SOAP request's body must come (`bodyTimeout`, `minBodyRate`).
    pub body: BodyLimits,
    pub node_id: Arc<str>,
    /// Unified messages, when on.
    pub unified: Option<UnifiedConfig>,
}

/// Why a server's options cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum OptionsError {
    #[error("invalid option: {0}")]
    Option(String),
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
}

impl ServerOptions {
    pub fn validate(&self) -> Result<ServerConfig, OptionsError> {
        let seconds = |name: &str, v: f64, min: f64| {
            if v.is_finite() && v >= min && v <= 86_400.0 {
                Ok(Duration::from_secs_f64(v))
            } else {
                Err(OptionsError::Option(format!("{name} must be a number of seconds from {min} to 86400, got {v}")))
            }
        };
        let answer_timeout = seconds("answerTimeout", self.answer_timeout_s, 0.1)?;
        let ping = seconds("pingInterval", self.ping_interval_s, 0.0)?;
        if !(1..=65_536).contains(&self.max_frame_kb) {
            return Err(OptionsError::Option(format!("maxFrameKB must be from 1 to 65536, got {}", self.max_frame_kb)));
        }
        if !(1..=100_000).contains(&self.max_queued) {
            return Err(OptionsError::Option(format!("maxQueued must be from 1 to 100000, got {}", self.max_queued)));
        }
        if !(1..=10_000).contains(&self.max_station_calls) {
            return Err(OptionsError::Option(format!(
                "maxStationCalls must be from 1 to 10000, got {}",
                self.max_station_calls
            )));
        }
        if !(1..=1_000_000).contains(&self.max_connections) {
            return Err(OptionsError::Option(format!(
                "maxConnections must be from 1 to 1000000, got {}",
                self.max_connections
            )));
        }
        if !(1..=4096).contains(&self.event_backlog_mb) {
            return Err(OptionsError::Option(format!(
                "eventBacklogMB must be from 1 to 4096, got {}",
                self.event_backlog_mb
            )));
        }
        if self.json_path.is_some() && self.versions.is_empty() {
            return Err(OptionsError::Option("the JSON service is on but no OCPP version is enabled".into()));
        }
        let count = |name: &str, v: usize, max: usize| {
            if (1..=max).contains(&v) {
                Ok(v)
            } else {
                Err(OptionsError::Option(format!("{name} must be from 1 to {max}, got {v}")))
            }
        };
        let pending = PendingLimits {
            overall: count("maxHttpConnections", self.max_http_connections, 1_000_000)?,
            per_address: count("maxHttpConnectionsPerIp", self.max_http_connections_per_ip, 1_000_000)?,
        };
        let body = BodyLimits {
            deadline: seconds("bodyTimeout", self.body_timeout_s, 1.0)?,
            min_rate: self.min_body_rate()?,
            deadline_option: "bodyTimeout",
        };
        let files = self.files()?;
        let unified = self.unified()?;
        Ok(ServerConfig {
            json_prefix: self.json_path.as_deref().map(normalise_prefix),
            soap15_path: self.soap15_path.as_deref().map(normalise_prefix),
            soap16_path: self.soap16_path.as_deref().map(normalise_prefix),
            charge_point: self.charge_point,
            answer_timeout,
            ping_interval: (!ping.is_zero()).then_some(ping),
            max_frame_bytes: self.max_frame_kb * 1024,
            max_queued: self.max_queued,
            max_station_calls: self.max_station_calls,
            max_connections: self.max_connections,
            event_backlog_bytes: self.event_backlog_mb << 20,
            require_subprotocol: self.require_subprotocol,
            versions: self.versions.clone(),
            strict: self.strict,
            raw_log: self.raw_log,
            tls: self.tls.as_ref().map(|t| t.server_config()).transpose()?,
            tls_check_id: self.tls_check_id && self.tls.as_ref().is_some_and(|t| t.require_client_cert),
            passwords: self.passwords.clone(),
            require_auth: self.require_auth,
            files,
            pending,
            body,
            node_id: self.node_id.as_deref().unwrap_or_default().into(),
            unified,
        })
    }

    /// `unified`, `bootInterval` and `autoAnswer`, checked: an interval from 1 s
    /// to a day, auto-answered events from [`AUTO_ANSWERABLE`].
    fn unified(&self) -> Result<Option<UnifiedConfig>, OptionsError> {
        if !(1..=86_400).contains(&self.boot_interval) {
            return Err(OptionsError::Option(format!(
                "bootInterval must be from 1 to 86400 seconds, got {}",
                self.boot_interval
            )));
        }
        let mut auto_answer = Vec::new();
        for event in &self.auto_answer {
            let Some(known) = AUTO_ANSWERABLE.iter().find(|e| **e == event.as_str()) else {
                return Err(OptionsError::Option(format!(
                    "autoAnswer: {event:?} is not an event the server can answer itself; use some of {}",
                    AUTO_ANSWERABLE.join(", ")
                )));
            };
            if !auto_answer.contains(known) {
                auto_answer.push(*known);
            }
        }
        if !self.unified {
            return Ok(None);
        }
        let ids_file = self.transaction_ids_file.as_deref().filter(|f| !f.is_empty()).map(PathBuf::from);
        Ok(Some(UnifiedConfig { boot_interval: self.boot_interval, auto_answer, ids_file }))
    }

    /// The file endpoints: both `filesPath` and `filesDir`, or neither; a path
    /// no other service of the port uses; a directory that exists (created if
    /// need be).
    fn files(&self) -> Result<Option<FilesConfig>, OptionsError> {
        fn set(v: &Option<String>) -> Option<&str> {
            v.as_deref().map(str::trim).filter(|v| !v.is_empty())
        }
        let (path, dir) = match (set(&self.files_path), set(&self.files_dir)) {
            (None, None) => return Ok(None),
            (Some(path), Some(dir)) => (path, dir),
            (Some(_), None) => {
                return Err(OptionsError::Option(
                    "filesPath is set but filesDir is not: name the directory files go to".into(),
                ))
            }
            (None, Some(_)) => {
                return Err(OptionsError::Option(
                    "filesDir is set but filesPath is not: name the URL path, e.g. /files".into(),
                ))
            }
        };
        if !(1..=MAX_FILES_MAX_MB).contains(&self.files_max_mb) {
            return Err(OptionsError::Option(format!(
                "filesMaxMB must be from 1 to {MAX_FILES_MAX_MB}, got {}",
                self.files_max_mb
            )));
        }
        let path = check_files_path(path)?;
        let json = self.json_path.as_deref().map(normalise_prefix).filter(|p| !p.is_empty());
        let soap =
            [&self.soap15_path, &self.soap16_path].into_iter().filter_map(|p| p.as_deref().map(normalise_prefix));
        // Stations at `/<id>` (an empty OCPP-J path) do not clash: WebSocket
        // upgrades are routed before the file endpoints.
        for (service, other) in json.map(|p| ("OCPP-J", p)).into_iter().chain(soap.map(|p| ("SOAP", p))) {
            if !other.is_empty() && (nested(&path, &other) || nested(&other, &path)) {
                return Err(OptionsError::Option(format!(
                    "filesPath {path} clashes with the {service} path {other}: choose a path outside it, e.g. /files"
                )));
            }
        }
        if !(1..=10_000).contains(&self.files_per_request) {
            return Err(OptionsError::Option(format!(
                "filesPerRequest must be from 1 to 10000, got {}",
                self.files_per_request
            )));
        }
        if !(1..=MAX_FILES_DIR_MB).contains(&self.files_dir_max_mb) {
            return Err(OptionsError::Option(format!(
                "filesDirMaxMB must be from 1 to {MAX_FILES_DIR_MB}, got {}",
                self.files_dir_max_mb
            )));
        }
        if !(1..=10_000_000).contains(&self.files_dir_max_files) {
            return Err(OptionsError::Option(format!(
                "filesDirMaxFiles must be from 1 to 10000000, got {}",
                self.files_dir_max_files
            )));
        }
        let t = self.upload_timeout_s;
        if !(t.is_finite() && (1.0..=86_400.0).contains(&t)) {
            return Err(OptionsError::Option(format!(
                "uploadTimeout must be a number of seconds from 1 to 86400, got {t}"
            )));
        }
        let upload = BodyLimits {
            deadline: Duration::from_secs_f64(t),
            min_rate: self.min_body_rate()?,
            deadline_option: "uploadTimeout",
        };
        let dir = files_dir(dir)?;
        Ok(Some(FilesConfig {
            path,
            dir,
            max_bytes: self.files_max_mb << 20,
            upload,
            per_request: self.files_per_request,
            dir_max_bytes: self.files_dir_max_mb << 20,
            dir_max_files: self.files_dir_max_files,
        }))
    }

    fn min_body_rate(&self) -> Result<u64, OptionsError> {
        if self.min_body_rate > MAX_MIN_BODY_RATE {
            return Err(OptionsError::Option(format!(
                "minBodyRate must be from 0 to {MAX_MIN_BODY_RATE} bytes/s, got {}",
                self.min_body_rate
            )));
        }
        Ok(self.min_body_rate)
    }
}

/// `/files/` becomes `/files`. A path of plain URL characters, no empty,
/// `.` or `..` segment: it is matched against request paths as they come.
fn check_files_path(path: &str) -> Result<String, OptionsError> {
    let trimmed = path.trim_end_matches('/');
    let plain = |c: char| c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@/".contains(c);
    let segments_ok = trimmed.split('/').skip(1).all(|s| !s.is_empty() && s != "." && s != "..");
    if !trimmed.starts_with('/') || !trimmed.chars().all(plain) || !segments_ok {
        return Err(OptionsError::Option(format!(
            "filesPath must be a URL path such as /files (starting with /, not / alone, no spaces, %, ? or #, \
             no empty, . or .. segment), got {path:?}"
        )));
    }
    Ok(trimmed.to_owned())
}

/// Whether `inner` is `outer` or below it, ignoring case (the SOAP and
/// OCPP-J paths match case-insensitively).
fn nested(inner: &str, outer: &str) -> bool {
    let (inner, outer) = (inner.to_ascii_lowercase(), outer.to_ascii_lowercase());
    inner == outer || inner.strip_prefix(&outer).is_some_and(|rest| rest.starts_with('/'))
}

/// The folder of `filesDir` downloads are served from: uploads never write there.
pub const FIRMWARE_FOLDER: &str = "firmware";
/// The folder of `filesDir` a named station's uploads go to, one folder per station.
pub const UPLOADS_FOLDER: &str = "uploads";
/// The folder of `filesDir` uploads without a station name go to (no station has a password).
pub const ANONYMOUS_FOLDER: &str = "anonymous";

/// The directory and its firmware folder, created if missing, as an absolute path.
fn files_dir(dir: &str) -> Result<PathBuf, OptionsError> {
    let fail = |what: &str, e: std::io::Error| OptionsError::Option(format!("filesDir {dir} {what}: {e}"));
    std::fs::create_dir_all(std::path::Path::new(dir).join(FIRMWARE_FOLDER))
        .map_err(|e| fail("cannot be created", e))?;
    let dir_path = std::fs::canonicalize(dir).map_err(|e| fail("cannot be resolved", e))?;
    if !dir_path.is_dir() {
        return Err(OptionsError::Option(format!("filesDir {dir} is not a directory")));
    }
    Ok(dir_path)
}

/// `"/"`, `""` and `"/ocpp/"` become `""`, `""` and `"/ocpp"`: the prefix the
/// id's segment follows. (The original's default `"/"` made JSON unreachable.)
fn normalise_prefix(path: &str) -> String {
    let trimmed = path.trim().trim_end_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else if trimmed.starts_with('/') {
        trimmed.to_owned()
    } else {
        format!("/{trimmed}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_normalised() {
        assert_eq!(normalise_prefix("/"), "");
        assert_eq!(normalise_prefix(""), "");
        assert_eq!(normalise_prefix("/ocpp/"), "/ocpp");
        assert_eq!(normalise_prefix("ocpp"), "/ocpp");
    }

    #[test]
    fn unified_options_are_checked_and_off_unless_asked_for() {
        let config = ServerOptions::default().validate().unwrap();
        assert_eq!(config.unified, None, "a flow without the key behaves as before");
        let on = ServerOptions {
            unified: true,
            auto_answer: vec!["Heartbeat".into(), "Heartbeat".into(), "StatusChanged".into()],
            ..Default::default()
        };
        let unified = on.validate().unwrap().unified.unwrap();
        assert_eq!(unified.auto_answer, ["Heartbeat", "StatusChanged"]);
        assert_eq!(unified.boot_interval, 300);
        let bad = ServerOptions { unified: true, auto_answer: vec!["StartTransaction".into()], ..Default::default() };
        assert!(bad.validate().unwrap_err().to_string().contains("autoAnswer: \"StartTransaction\""));
        let bad = ServerOptions { unified: true, boot_interval: 0, ..Default::default() };
        assert!(bad.validate().unwrap_err().to_string().contains("bootInterval"));
    }

    #[test]
    fn options_are_checked() {
        let bad = ServerOptions { max_frame_kb: 0, ..Default::default() };
        assert!(bad.validate().unwrap_err().to_string().contains("maxFrameKB"));
        let bad = ServerOptions { answer_timeout_s: -1.0, ..Default::default() };
        assert!(bad.validate().is_err());
        let off = ServerOptions { ping_interval_s: 0.0, ..Default::default() }.validate().unwrap();
        assert_eq!(off.ping_interval, None);
    }

    fn with_files(path: &str, dir: &str) -> ServerOptions {
        ServerOptions { files_path: Some(path.into()), files_dir: Some(dir.into()), ..Default::default() }
    }

    #[test]
    fn file_endpoints_are_checked() {
        let tmp = std::env::temp_dir().join(format!("ocpp-files-opt-{}", uuid::Uuid::new_v4()));
        let dir = tmp.join("new/sub");
        let dir = dir.to_str().unwrap();
        let files = with_files("/files/", dir).validate().unwrap().files.unwrap();
        assert_eq!(files.path, "/files");
        assert!(files.dir.is_absolute() && files.dir.is_dir(), "created");
        assert_eq!(files.max_bytes, DEFAULT_FILES_MAX_MB << 20);
        assert!(ServerOptions::default().validate().unwrap().files.is_none());
        let err = |o: ServerOptions| o.validate().unwrap_err().to_string();
        let only_path = ServerOptions { files_path: Some("/files".into()), ..Default::default() };
        assert!(err(only_path).contains("filesDir is not"));
        let only_dir = ServerOptions { files_dir: Some(dir.into()), ..Default::default() };
        assert!(err(only_dir).contains("filesPath is not"));
        for bad in ["files", "/", "/a b", "/a%2f", "/a/../b", "/a//b", "/f?x"] {
            assert!(err(with_files(bad, dir)).contains("filesPath must be"), "{bad}");
        }
        // The default OCPP-J path is /ocpp: the files cannot be in it, nor it in them.
        assert!(err(with_files("/ocpp", dir)).contains("clashes with the OCPP-J path /ocpp"));
        assert!(err(with_files("/OCPP/files", dir)).contains("clashes"));
        let json_below = ServerOptions { json_path: Some("/files/ocpp".into()), ..with_files("/files", dir) };
        assert!(err(json_below).contains("clashes"));
        let soap = ServerOptions { soap16_path: Some("/ocpp16s".into()), ..with_files("/ocpp16s/", dir) };
        assert!(err(soap).contains("clashes with the SOAP path /ocpp16s"));
        // Stations at /<id>: upgrades go first, so /files is fine; so is a mere shared prefix.
        assert!(ServerOptions { json_path: Some("/".into()), ..with_files("/files", dir) }.validate().is_ok());
        assert!(with_files("/ocppfiles", dir).validate().is_ok());
        assert!(err(ServerOptions { files_max_mb: 0, ..with_files("/files", dir) }).contains("filesMaxMB"));
        std::fs::write(tmp.join("plain"), b"x").unwrap();
        assert!(err(with_files("/files", tmp.join("plain").to_str().unwrap())).contains("cannot be created"));
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
