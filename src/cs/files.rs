//! The file endpoints on a Central System's port (`filesPath`, `filesDir`):
//! where stations upload diagnostics and logs (GetDiagnostics, GetLog) and
//! fetch firmware (UpdateFirmware), so an operator needs no FTP or web server
//! of their own.
//!
//! - `PUT <filesPath>/<name>`: the body is the file.
//! - `POST <filesPath>/` or `<filesPath>/<name>` with `multipart/form-data`:
//!   every part with a filename is a file, stored under that filename (a
//!   GetDiagnostics location is a directory, and stations post under their own
//!   name), or under the path's name when it gives one; at most
//!   `filesPerRequest` files. A POST that is not multipart is taken like a PUT.
//! - `GET`/`HEAD <filesPath>/<name>`: `<filesDir>/firmware/<name>`, streamed.
//!
//! Uploads and downloads never meet: a named station's uploads go to
//! `<filesDir>/uploads/<station>/`, an unnamed one's to `<filesDir>/anonymous/`,
//! downloads come from `<filesDir>/firmware/` only, so no upload can replace the
//! firmware stations fetch, and no station can read another's diagnostics. An
//! upload never replaces a file (409). A name is one plain path segment (no
//! separators, `..`, leading dot, drive letters or control characters), so
//! nothing is read or written outside those folders. An upload is streamed to
//! `.<name>.<uuid>.part` and linked to its name once complete: an interrupted
//! or refused one leaves nothing that looks like a file. Uploads are bounded by
//! `filesMaxMB` (413), by `uploadTimeout` and `minBodyRate` (408), and what the
//! upload folders hold by `filesDirMaxFiles` and `filesDirMaxMB` (507). The
//! station is the Basic-auth user; when any station has a password every
//! request needs valid credentials (401), as the server learns the station
//! from them alone. Without passwords an upload may also name its station in
//! the path (`<filesPath>/<station>/<name>`, or `<filesPath>/<station>/` for a
//! multipart POST: a GetDiagnostics location the Central System gives each
//! station) or in an `X-Charge-Box-Identity` header; nothing proves that name,
//! as nothing proves an unauthenticated Basic user. Two names that disagree
//! are refused (403). Each stored file is an event for the node's first output.

use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::{Body as _, Frame, Incoming};
use hyper::header::{HeaderMap, HeaderValue};
use hyper::{Method, Request, Response};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::auth;
use super::connection::ServerContext;
use super::options::{FilesConfig, ANONYMOUS_FOLDER, FIRMWARE_FOLDER, UPLOADS_FOLDER};
use super::refusals::Refusals;
use crate::basic_auth;
use crate::listener::{full, linger, text_response, Body};
use crate::msgs;
use crate::pace::{BodyTooSlow, Paced};
use crate::station_id::{self, IdError};
use crate::sync::lock;

/// The header an upload may name its station in, when no password is needed.
const STATION_HEADER: &str = "x-charge-box-identity";

/// The longest name, in bytes: with the temporary name's `.` + `.<uuid>.part`
/// (43 bytes) it stays within the 255 bytes file systems allow.
pub const MAX_NAME_BYTES: usize = 200;

/// What a multipart body may hold besides its parts' contents (preamble,
/// boundaries, part headers): the parser keeps it in memory.
const MAX_MULTIPART_OVERHEAD: u64 = 1 << 20;

/// Chunks read from disk for a download, and buffered for an upload.
const CHUNK: usize = 64 * 1024;

/// Why a file name is refused (HTTP 400).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("the file name is empty")]
    Empty,
    #[error("the file name is longer than {MAX_NAME_BYTES} bytes")]
    TooLong,
    #[error("the file name is not UTF-8 once percent-decoded")]
    NotUtf8,
    #[error("the file name must be one path segment, without / or \\")]
    Separator,
    #[error("the file name must not start with a dot (., .. and hidden names are refused)")]
    Dot,
    #[error("the file name must not contain : (drive letters, alternate streams)")]
    Colon,
    #[error("the file name must not contain control characters")]
    Control,
}

/// Why a request to the file endpoints is refused.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error(transparent)]
    Name(#[from] NameError),
    #[error("this server's stations have passwords: send HTTP Basic auth with the charge box id as user")]
    Unauthorised,
    #[error("the upload is larger than filesMaxMB ({0} MB)")]
    TooLarge(u64),
    #[error("name the file: {0} <filesPath>/<name>")]
    NoName(&'static str),
    #[error("no file named {0} to download (downloads are the firmware folder's files)")]
    NotFound(String),
    #[error("the multipart body has no file (a part with a filename)")]
    NoFilePart,
    #[error("a POST to <filesPath>/<name> takes one file; post several to <filesPath>/")]
    SeveralFiles,
    #[error("the multipart body's headers and boundaries take more than 1 MiB")]
    Overhead,
    #[error("the multipart body cannot be read: {0}")]
    Multipart(String),
    #[error("the upload ended before all of it came: {0}")]
    Interrupted(String),
    #[error(transparent)]
    TooSlow(#[from] BodyTooSlow),
    #[error("{0} exists already: uploads never replace a file; upload under another name")]
    Exists(String),
    #[error("one request may store at most filesPerRequest ({0}) files")]
    TooManyFiles(usize),
    #[error("the upload folders hold filesDirMaxFiles ({0}) files already: try later")]
    DirFiles(usize),
    #[error("the upload folders would hold more than filesDirMaxMB ({0} MB): try later")]
    DirBytes(u64),
    #[error("the station id cannot name a folder (it is longer than {MAX_NAME_BYTES} bytes once encoded)")]
    StationFolder,
    #[error("the station named in the path or the X-Charge-Box-Identity header is not a charge box id: {0}")]
    NamedStation(IdError),
    #[error("the upload names station {named} but the request comes from {from}: upload under your own id")]
    OtherStation { named: String, from: String },
    #[error("{0} failed in filesDir: {1}")]
    Disk(&'static str, std::io::Error),
}

impl FileError {
    fn status(&self) -> u16 {
        match self {
            Self::Unauthorised => 401,
            Self::OtherStation { .. } => 403,
            Self::TooLarge(_) | Self::TooManyFiles(_) => 413,
            Self::NotFound(_) => 404,
            Self::TooSlow(_) => 408,
            Self::Exists(_) => 409,
            Self::DirFiles(_) | Self::DirBytes(_) => 507,
            Self::Disk(..) => 500,
            _ => 400,
        }
    }

    fn disk(what: &'static str) -> impl FnOnce(std::io::Error) -> Self {
        move |e| Self::Disk(what, e)
    }
}

/// Checks a name for use in `filesDir`: one plain path segment.
pub fn check_name(name: &str) -> Result<&str, NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(NameError::TooLong);
    }
    if name.contains(['/', '\\']) {
        return Err(NameError::Separator);
    }
    if name.starts_with('.') {
        return Err(NameError::Dot);
    }
    if name.contains(':') {
        return Err(NameError::Colon);
    }
    if name.chars().any(char::is_control) {
        return Err(NameError::Control);
    }
    Ok(name)
}

/// The name in what follows `<filesPath>/` in a request path (still
/// percent-encoded): `None` for the directory itself.
pub fn path_name(rest: &str) -> Result<Option<String>, NameError> {
    if rest.is_empty() {
        return Ok(None);
    }
    if rest.contains('/') {
        return Err(NameError::Separator);
    }
    let decoded = percent_encoding::percent_decode_str(rest).decode_utf8().map_err(|_| NameError::NotUtf8)?;
    check_name(&decoded)?;
    Ok(Some(decoded.into_owned()))
}

/// What follows `<filesPath>/` in an upload's path, split into the station
/// it names (`<station>/<name>` or `<station>/`, the id percent-encoded as in
/// a WebSocket path) and what remains for [`path_name`].
pub fn path_station(rest: &str) -> Result<(Option<String>, &str), FileError> {
    let Some((first, tail)) = rest.split_once('/') else {
        return Ok((None, rest));
    };
    let decoded = percent_encoding::percent_decode_str(first).decode_utf8().map_err(|_| NameError::NotUtf8)?;
    station_id::check(&decoded).map_err(FileError::NamedStation)?;
    // Also a plain name: `..`, `.x`, `a:b` or `a\b` are no one's folder here.
    check_name(&decoded)?;
    Ok((Some(decoded.into_owned()), tail))
}

/// The station an upload names in its path or, failing that, its
/// `X-Charge-Box-Identity` header; both given must agree.
fn named_station(headers: &HeaderMap, in_path: Option<String>) -> Result<Option<String>, FileError> {
    let Some(value) = headers.get(STATION_HEADER) else {
        return Ok(in_path);
    };
    let header = value.to_str().map_err(|_| FileError::NamedStation(IdError::Empty))?.trim().to_owned();
    station_id::check(&header).map_err(FileError::NamedStation)?;
    match in_path {
        Some(path) if path != header => Err(FileError::OtherStation { named: path, from: header }),
        _ => Ok(Some(header)),
    }
}

/// The folder of `<filesDir>/uploads/` a station's uploads go to: its id,
/// percent-encoded where it is not a plain name (so two ids never share a
/// folder, and none climbs out).
pub fn station_folder(cb: &str) -> Result<String, FileError> {
    const KEEP: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
    let mut folder = percent_encoding::utf8_percent_encode(cb, KEEP).to_string();
    if folder.starts_with('.') {
        folder.replace_range(..1, "%2E");
    }
    check_name(&folder).map_err(|_| FileError::StationFolder)?;
    Ok(folder)
}

/// What the upload folders hold: files, and their bytes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Usage {
    files: usize,
    bytes: u64,
}

/// Counts the files in `dirs` and below, two levels deep (`uploads/<station>/`),
/// leaving out hidden ones: uploads in progress are counted by [`Reserved`].
fn usage(dirs: &[PathBuf]) -> Usage {
    fn walk(dir: &Path, depth: u8, into: &mut Usage) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_file() {
                into.files += 1;
                into.bytes = into.bytes.saturating_add(meta.len());
            } else if meta.is_dir() && depth > 0 {
                walk(&entry.path(), depth - 1, into);
            }
        }
    }
    let mut total = Usage::default();
    for dir in dirs {
        walk(dir, 1, &mut total);
    }
    total
}

/// Uploads in progress: counted against the folders' caps, so two at once
/// cannot both take the last place.
#[derive(Debug, Default)]
struct Reserved {
    files: usize,
    bytes: u64,
}

/// An upload's share of [`Reserved`], given back when it ends either way
/// (once stored, the file on disk counts instead).
struct Reservation<'a> {
    reserved: &'a Mutex<Reserved>,
    bytes: u64,
}

impl Reservation<'_> {
    /// `n` more bytes, unless the folders would then hold more than `max`.
    fn grow(&mut self, n: u64, on_disk: u64, max: u64) -> Result<(), ()> {
        let mut reserved = lock(self.reserved);
        if on_disk.saturating_add(reserved.bytes).saturating_add(n) > max {
            return Err(());
        }
        reserved.bytes += n;
        self.bytes += n;
        Ok(())
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        let mut reserved = lock(self.reserved);
        reserved.files -= 1;
        reserved.bytes -= self.bytes;
    }
}

/// A server's file endpoints.
pub struct Files {
    config: FilesConfig,
    /// Refused uploads, warned about once per client and minute.
    refusals: Refusals,
    reserved: Mutex<Reserved>,
}

/// A file stored in `filesDir`.
struct Stored {
    name: String,
    path: PathBuf,
    size: u64,
}

impl Files {
    pub fn new(config: FilesConfig) -> Self {
        Self { config, refusals: Refusals::default(), reserved: Mutex::default() }
    }

    /// What follows `<filesPath>/` in `path` (empty for `<filesPath>` and
    /// `<filesPath>/`), or `None` when the path is not the file endpoints'.
    /// The path matches case-insensitively, as the other services' do.
    pub fn route(&self, path: &str) -> Option<String> {
        let prefix = &self.config.path;
        let head = path.get(..prefix.len())?;
        if !head.eq_ignore_ascii_case(prefix) {
            return None;
        }
        let rest = &path[prefix.len()..];
        match rest.strip_prefix('/') {
            Some(name) => Some(name.to_owned()),
            None => rest.is_empty().then(String::new),
        }
    }

    /// Answers one request; `rest` is what [`route`](Self::route) returned.
    pub async fn serve(&self, req: Request<Incoming>, rest: &str, server: &ServerContext) -> Response<Body> {
        let method = req.method().clone();
        let claimed = claimed_station(req.headers());
        let outcome = match method {
            Method::GET | Method::HEAD => self.download(req, rest, server).await,
            Method::PUT | Method::POST => self.upload(req, rest, server).await,
            _ => {
                let mut resp = text_response(405, "the file endpoints take GET, HEAD, PUT and POST\n");
                resp.headers_mut().insert("allow", HeaderValue::from_static("GET, HEAD, PUT, POST"));
                return resp;
            }
        };
        let error = match outcome {
            Ok(resp) => return resp,
            Err(error) => error,
        };
        let status = error.status();
        let text = format!("{error}\n");
        if method == Method::PUT || method == Method::POST || status == 500 {
            let who = match claimed.as_deref() {
                // As the client wrote it, cut short: it is not checked yet.
                Some(cb) if cb.chars().count() > 64 => {
                    format!("a file request ({method}) from station {}…", cb.chars().take(64).collect::<String>())
                }
                Some(cb) => format!("a file request ({method}) from station {cb}"),
                None => format!("a file request ({method}) from a client that gave no station id"),
            };
            if let Some(warning) = self.refusals.note(&who, status, &text, tokio::time::Instant::now()) {
                server.sink.emit(|out| msgs::warn(out, claimed.as_deref().unwrap_or(""), &warning));
            }
        }
        let mut resp = text_response(status, &text);
        match status {
            401 => {
                drop(resp.headers_mut().insert("www-authenticate", HeaderValue::from_static("Basic realm=\"OCPP\"")))
            }
            408 => drop(resp.headers_mut().insert("connection", HeaderValue::from_static("close"))),
            _ => {}
        }
        resp
    }

    /// Stores what a PUT or POST carries. A refused upload's body is read
    /// away (bounded, see [`linger`]) so the client gets its answer, not a
    /// broken pipe; a too slow one is not: the connection closes after the 408.
    async fn upload(
        &self,
        req: Request<Incoming>,
        rest: &str,
        server: &ServerContext,
    ) -> Result<Response<Body>, FileError> {
        let (parts, body) = req.into_parts();
        let body = BodySlot::new(body);
        let outcome = self.receive(&parts, body.clone(), rest, server).await;
        if matches!(outcome, Err(ref e) if !matches!(e, FileError::TooSlow(_))) {
            body.linger();
        }
        let stored = outcome?;
        let listing: String = stored.iter().map(|s| format!("stored {} ({} bytes)\n", s.name, s.size)).collect();
        Ok(text_response(201, &listing))
    }

    async fn receive(
        &self,
        parts: &hyper::http::request::Parts,
        body: BodySlot,
        rest: &str,
        server: &ServerContext,
    ) -> Result<Vec<Stored>, FileError> {
        let (in_path, rest) = path_station(rest)?;
        let named = named_station(&parts.headers, in_path)?;
        let station = station(&parts.headers, server, named)?;
        let name = path_name(rest)?;
        let folder = match station.as_str() {
            "" => self.config.dir.join(ANONYMOUS_FOLDER),
            cb => self.config.dir.join(UPLOADS_FOLDER).join(station_folder(cb)?),
        };
        let declared = parts.headers.get("content-length").and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        if declared.is_some_and(|n| n > self.config.max_bytes) {
            return Err(FileError::TooLarge(self.config.max_bytes >> 20));
        }
        // A flow that lags holds uploads here, unread, as it holds OCPP-J
        // frames in the sockets: every stored file is an event.
        server.sink.room().await;
        let report = |stored: &Stored| {
            let path = stored.path.to_string_lossy();
            let upload = msgs::Upload {
                cb: &station,
                method: parts.method.as_str(),
                name: &stored.name,
                path: &path,
                size: stored.size,
            };
            server.sink.emit(|out| msgs::upload(out, &upload));
        };
        let boundary = parts.headers.get("content-type").and_then(|v| v.to_str().ok()).and_then(multipart_boundary);
        // The deadline and rate run from here, after any wait for the flow.
        let data = Paced::new(body.data(), self.config.upload);
        match (parts.method == Method::POST, boundary) {
            (true, Some(boundary)) => self.receive_multipart(data, &folder, &boundary, name, report).await,
            _ => {
                let name = name.ok_or(FileError::NoName("PUT (or POST a multipart form) to"))?;
                let stored = self.store(&folder, name, data).await?;
                report(&stored);
                Ok(vec![stored])
            }
        }
    }

    /// Stores every file part of a multipart body, reporting each as it is
    /// stored (a later part's failure does not undo an earlier one).
    async fn receive_multipart(
        &self,
        data: impl Stream<Item = Result<Bytes, FileError>> + Send + 'static,
        folder: &Path,
        boundary: &str,
        name: Option<String>,
        report: impl Fn(&Stored),
    ) -> Result<Vec<Stored>, FileError> {
        let taken = Arc::new(AtomicU64::new(0));
        let limits = multer::SizeLimit::new().whole_stream(self.config.max_bytes);
        let metered = Metered { data: Box::pin(data), read: 0, taken: taken.clone(), pause: false };
        let mut form =
            multer::Multipart::with_constraints(metered, boundary, multer::Constraints::new().size_limit(limits));
        let mut stored = Vec::new();
        while let Some(mut field) = form.next_field().await.map_err(multipart_error)? {
            let count = |chunk: &Bytes| {
                taken.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            };
            let Some(file_name) = field.file_name() else {
                // A form field beside the file: read through, not kept.
                while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                    count(&chunk);
                }
                continue;
            };
            let target = match &name {
                Some(_) if !stored.is_empty() => return Err(FileError::SeveralFiles),
                Some(name) => name.clone(),
                None => check_name(file_name)?.to_owned(),
            };
            if stored.len() >= self.config.per_request {
                return Err(FileError::TooManyFiles(self.config.per_request));
            }
            let data = field.inspect_ok(count).map_err(multipart_error);
            let file = self.store(folder, target, data).await?;
            report(&file);
            stored.push(file);
        }
        if stored.is_empty() {
            return Err(FileError::NoFilePart);
        }
        Ok(stored)
    }

    /// Counts the upload folders and reserves a place for one more file, or
    /// says which cap is reached; also returns the bytes on disk.
    async fn reserve(&self) -> Result<(Reservation<'_>, u64), FileError> {
        let dirs = vec![self.config.dir.join(UPLOADS_FOLDER), self.config.dir.join(ANONYMOUS_FOLDER)];
        let on_disk = tokio::task::spawn_blocking(move || usage(&dirs)).await.unwrap_or_default();
        let mut reserved = lock(&self.reserved);
        if on_disk.files + reserved.files >= self.config.dir_max_files {
            return Err(FileError::DirFiles(self.config.dir_max_files));
        }
        if on_disk.bytes.saturating_add(reserved.bytes) >= self.config.dir_max_bytes {
            return Err(FileError::DirBytes(self.config.dir_max_bytes >> 20));
        }
        reserved.files += 1;
        Ok((Reservation { reserved: &self.reserved, bytes: 0 }, on_disk.bytes))
    }

    /// Writes `data` to a temporary file in `folder`, then links it to `name`
    /// unless that exists; the temporary file is removed however this ends
    /// (an error, a client gone, the server closing).
    async fn store(
        &self,
        folder: &Path,
        name: String,
        data: impl Stream<Item = Result<Bytes, FileError>>,
    ) -> Result<Stored, FileError> {
        let path = folder.join(&name);
        if tokio::fs::symlink_metadata(&path).await.is_ok() {
            return Err(FileError::Exists(name));
        }
        let (mut reservation, on_disk) = self.reserve().await?;
        tokio::fs::create_dir_all(folder).await.map_err(FileError::disk("creating a folder"))?;
        let temp = Temp::new(folder.join(format!(".{name}.{}.part", uuid::Uuid::new_v4())));
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp.0)
            .await
            .map_err(FileError::disk("creating a file"))?;
        let mut out = tokio::io::BufWriter::with_capacity(CHUNK, file);
        let mut size = 0u64;
        tokio::pin!(data);
        while let Some(chunk) = data.next().await {
            let chunk = chunk?;
            size += chunk.len() as u64;
            if size > self.config.max_bytes {
                return Err(FileError::TooLarge(self.config.max_bytes >> 20));
            }
            let max = self.config.dir_max_bytes;
            reservation.grow(chunk.len() as u64, on_disk, max).map_err(|_| FileError::DirBytes(max >> 20))?;
            out.write_all(&chunk).await.map_err(FileError::disk("writing"))?;
        }
        out.flush().await.map_err(FileError::disk("writing"))?;
        // On disk before it gets its name: a crash leaves a .part, never a short file.
        out.get_ref().sync_all().await.map_err(FileError::disk("syncing"))?;
        drop(out);
        // A link fails if the name exists, where a rename would replace it.
        match tokio::fs::hard_link(&temp.0, &path).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(FileError::Exists(name)),
            // A file system without hard links: rename, having looked first.
            Err(_) if tokio::fs::symlink_metadata(&path).await.is_err() => {
                tokio::fs::rename(&temp.0, &path).await.map_err(FileError::disk("renaming"))?;
                temp.keep();
                return Ok(Stored { name, path, size });
            }
            Err(_) => return Err(FileError::Exists(name)),
        }
        drop(temp);
        Ok(Stored { name, path, size })
    }

    async fn download(
        &self,
        req: Request<Incoming>,
        rest: &str,
        server: &ServerContext,
    ) -> Result<Response<Body>, FileError> {
        station(req.headers(), server, None)?;
        let name = path_name(rest)?.ok_or(FileError::NoName("GET"))?;
        let path = self.config.dir.join(FIRMWARE_FOLDER).join(&name);
        let not_found = |_| FileError::NotFound(name.clone());
        let file = tokio::fs::File::open(&path).await.map_err(not_found)?;
        let meta = file.metadata().await.map_err(not_found)?;
        if !meta.is_file() {
            return Err(FileError::NotFound(name));
        }
        let len = meta.len();
        let body = if req.method() == Method::HEAD {
            full(Bytes::new())
        } else {
            // At most the length announced, should the file grow meanwhile.
            let chunks = tokio_util::io::ReaderStream::with_capacity(file.take(len), CHUNK);
            StreamBody::new(chunks.map_ok(Frame::data)).boxed_unsync()
        };
        Ok(Response::builder()
            .status(200)
            .header("content-type", "application/octet-stream")
            .header("content-length", len)
            .body(body)
            .unwrap_or_default())
    }
}

/// The Basic-auth user, if the request names one.
fn claimed_station(headers: &HeaderMap) -> Option<String> {
    headers.get("authorization").and_then(|v| basic_auth::decode(v.as_bytes())).map(|(user, _)| user)
}

/// The station a request comes from: its Basic-auth user, checked against
/// the passwords as a WebSocket handshake's is. When any station has a
/// password (or the server takes only stations with one), a request without
/// valid credentials is refused; otherwise the user is taken as it comes,
/// and a request without one is from the station the upload names (`named`,
/// see [`named_station`]), else from an unnamed station (`""`). A name that
/// disagrees with the Basic-auth user is refused.
fn station(headers: &HeaderMap, server: &ServerContext, named: Option<String>) -> Result<String, FileError> {
    let config = &server.config;
    let claimed = claimed_station(headers);
    let open = !config.require_auth
        && !auth::any_passwords(&config.passwords)
        && !claimed.as_deref().is_some_and(auth::protected)
        && !named.as_deref().is_some_and(auth::protected);
    if open {
        return match claimed {
            Some(cb) => agree(named, cb),
            None => Ok(named.unwrap_or_default()),
        };
    }
    let authorization = headers.get("authorization").map(HeaderValue::as_bytes);
    match claimed {
        Some(cb) if auth::authorised(&cb, authorization, &config.passwords, true) => agree(named, cb),
        _ => Err(FileError::Unauthorised),
    }
}

/// The Basic-auth user `from`, unless the upload names another station.
fn agree(named: Option<String>, from: String) -> Result<String, FileError> {
    match named {
        Some(named) if named != from => Err(FileError::OtherStation { named, from }),
        _ => Ok(from),
    }
}

/// The boundary of a `multipart/form-data` content type.
fn multipart_boundary(content_type: &str) -> Option<String> {
    let essence = content_type.split(';').next()?.trim();
    essence.eq_ignore_ascii_case("multipart/form-data").then(|| multer::parse_boundary(content_type).ok())?
}

fn multipart_error(error: multer::Error) -> FileError {
    match error {
        multer::Error::StreamSizeExceeded { limit } | multer::Error::FieldSizeExceeded { limit, .. } => {
            FileError::TooLarge(limit >> 20)
        }
        multer::Error::StreamReadFailed(inner) => match inner.downcast::<FileError>() {
            Ok(error) => *error,
            Err(inner) => FileError::Interrupted(inner.to_string()),
        },
        other => FileError::Multipart(other.to_string()),
    }
}

/// A request body that can be taken back after a reader that owns it (the
/// multipart parser) has given up, to [`linger`] on it.
#[derive(Clone)]
struct BodySlot(Arc<Mutex<Option<Incoming>>>);

impl BodySlot {
    fn new(body: Incoming) -> Self {
        Self(Arc::new(Mutex::new(Some(body))))
    }

    /// The body's data, chunk by chunk (trailers skipped).
    fn data(&self) -> impl Stream<Item = Result<Bytes, FileError>> + Send + 'static {
        let slot = self.clone();
        futures_util::stream::poll_fn(move |cx| loop {
            let mut body = lock(&slot.0);
            let Some(body) = body.as_mut() else { return Poll::Ready(None) };
            match Pin::new(body).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) => return Poll::Ready(Some(Ok(data))),
                    Err(_) => continue,
                },
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(FileError::Interrupted(e.to_string())))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        })
    }

    /// Reads the rest of a refused body away, so the client gets its answer.
    fn linger(&self) {
        if let Some(body) = lock(&self.0).take() {
            linger(body);
        }
    }
}

/// A multipart body on its way into the parser, which keeps in memory
/// whatever is not part of a file: past [`MAX_MULTIPART_OVERHEAD`] of that,
/// the body is refused. It hands over one chunk per poll, so the parser's
/// buffer holds one chunk besides what it must keep.
struct Metered<S> {
    data: Pin<Box<S>>,
    /// Bytes handed to the parser.
    read: u64,
    /// Bytes of parts' contents the parser handed back.
    taken: Arc<AtomicU64>,
    /// Set after a chunk: the next poll yields, so the parser works on it
    /// before it reads more.
    pause: bool,
}

impl<S: Stream<Item = Result<Bytes, FileError>>> Stream for Metered<S> {
    type Item = Result<Bytes, FileError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if std::mem::take(&mut self.pause) {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        if self.read.saturating_sub(self.taken.load(Ordering::Relaxed)) > MAX_MULTIPART_OVERHEAD {
            return Poll::Ready(Some(Err(FileError::Overhead)));
        }
        let next = self.data.as_mut().poll_next(cx);
        if let Poll::Ready(Some(Ok(chunk))) = &next {
            self.read += chunk.len() as u64;
            self.pause = true;
        }
        next
    }
}

/// A temporary file, removed when dropped unless kept.
struct Temp(PathBuf);

impl Temp {
    fn new(path: PathBuf) -> Self {
        Self(path)
    }

    /// It has been renamed: nothing to remove.
    fn keep(self) {
        std::mem::forget(self);
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        remove_quietly(&self.0);
    }
}

fn remove_quietly(path: &Path) {
    let _ = std::fs::remove_file(path);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_one_plain_segment() {
        for ok in ["diag.zip", "CP-1_2024-01-01T00 00 00Z.tar.gz", "firmware v1.2.bin", "é.log", "a..b"] {
            assert_eq!(check_name(ok), Ok(ok), "{ok}");
        }
        assert_eq!(check_name(""), Err(NameError::Empty));
        assert_eq!(check_name(".."), Err(NameError::Dot));
        assert_eq!(check_name("."), Err(NameError::Dot));
        assert_eq!(check_name(".hidden"), Err(NameError::Dot));
        assert_eq!(check_name("../x"), Err(NameError::Separator));
        assert_eq!(check_name("/etc/passwd"), Err(NameError::Separator));
        assert_eq!(check_name("a\\b"), Err(NameError::Separator));
        assert_eq!(check_name("..\\..\\x"), Err(NameError::Separator));
        assert_eq!(check_name("C:x"), Err(NameError::Colon));
        assert_eq!(check_name("x.bin:stream"), Err(NameError::Colon));
        assert_eq!(check_name("a\0b"), Err(NameError::Control));
        assert_eq!(check_name("a\nb"), Err(NameError::Control));
        assert_eq!(check_name(&"x".repeat(MAX_NAME_BYTES)), Ok(&*"x".repeat(MAX_NAME_BYTES)));
        assert_eq!(check_name(&"x".repeat(MAX_NAME_BYTES + 1)), Err(NameError::TooLong));
        // Bytes, not characters: a name of 101 two-byte characters is too long.
        assert_eq!(check_name(&"é".repeat(101)), Err(NameError::TooLong));
    }

    #[test]
    fn a_path_may_name_the_uploading_station_first() {
        let named = |rest: &str| path_station(rest).map(|(cb, tail)| (cb, tail.to_owned())).map_err(|e| e.to_string());
        assert_eq!(named("diag.zip"), Ok((None, "diag.zip".into())));
        assert_eq!(named("CP-1/diag.zip"), Ok((Some("CP-1".into()), "diag.zip".into())));
        assert_eq!(named("CP%201/"), Ok((Some("CP 1".into()), String::new())));
        // What follows is still checked by path_name: one segment.
        assert_eq!(named("CP-1/a/b"), Ok((Some("CP-1".into()), "a/b".into())));
        assert_eq!(path_name("a/b"), Err(NameError::Separator));
        for bad in ["../x", "./x", "%2e%2e/x", "/x", "a%00/x", "a%7F/x", "a:b/x", "%ff/x"] {
            assert!(named(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn path_names_are_decoded_once_then_checked() {
        assert_eq!(path_name(""), Ok(None));
        assert_eq!(path_name("diag.zip"), Ok(Some("diag.zip".into())));
        assert_eq!(path_name("diag%20one.zip"), Ok(Some("diag one.zip".into())));
        assert_eq!(path_name("../x"), Err(NameError::Separator));
        assert_eq!(path_name("a/b"), Err(NameError::Separator));
        assert_eq!(path_name("%2e%2e%2fx"), Err(NameError::Separator));
        assert_eq!(path_name("%2e%2e"), Err(NameError::Dot));
        assert_eq!(path_name("..%2fx"), Err(NameError::Separator));
        assert_eq!(path_name("%2Fetc%2Fpasswd"), Err(NameError::Separator));
        assert_eq!(path_name("..%5cx"), Err(NameError::Separator));
        assert_eq!(path_name("a%00b"), Err(NameError::Control));
        assert_eq!(path_name("%ff"), Err(NameError::NotUtf8));
        // Decoded once: %252e stays the literal "%2e", a plain name.
        assert_eq!(path_name("%252e%252e"), Ok(Some("%2e%2e".into())));
    }

    fn files(path: &str) -> Files {
        let upload = crate::pace::BodyLimits {
            deadline: std::time::Duration::from_secs(60),
            min_rate: 0,
            deadline_option: "uploadTimeout",
        };
        Files::new(FilesConfig {
            path: path.into(),
            dir: std::env::temp_dir(),
            max_bytes: 1 << 20,
            upload,
            per_request: 10,
            dir_max_bytes: 1 << 30,
            dir_max_files: 100,
        })
    }

    #[test]
    fn each_station_has_a_folder_of_its_own_that_stays_inside() {
        assert_eq!(station_folder("CP-1").unwrap(), "CP-1");
        assert_eq!(station_folder("CP_1.a~b").unwrap(), "CP_1.a~b");
        assert_eq!(station_folder("../x").unwrap(), "%2E.%2Fx");
        assert_eq!(station_folder("..").unwrap(), "%2E.");
        assert_eq!(station_folder("a/b").unwrap(), "a%2Fb");
        assert_eq!(station_folder("a\\b:c").unwrap(), "a%5Cb%3Ac");
        // Injective: the encoded spelling of one id is not another's folder.
        assert_ne!(station_folder("a%2Fb").unwrap(), station_folder("a/b").unwrap());
        assert!(matches!(station_folder(&"x".repeat(201)), Err(FileError::StationFolder)));
    }

    #[test]
    fn usage_counts_visible_files_two_levels_deep() {
        let root = std::env::temp_dir().join(format!("ocpp-usage-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(root.join("uploads/CP-1/deeper")).unwrap();
        std::fs::create_dir_all(root.join("anonymous")).unwrap();
        std::fs::write(root.join("uploads/CP-1/a.bin"), b"12345").unwrap();
        std::fs::write(root.join("uploads/CP-1/.a.bin.x.part"), b"in progress").unwrap();
        std::fs::write(root.join("uploads/CP-1/deeper/not-counted"), b"x").unwrap();
        std::fs::write(root.join("anonymous/b.bin"), b"123").unwrap();
        let got = usage(&[root.join("uploads"), root.join("anonymous"), root.join("missing")]);
        assert_eq!(got, Usage { files: 2, bytes: 8 });
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn routes_take_the_files_path_and_what_follows() {
        let f = files("/files");
        let some = |s: &str| Some(s.to_owned());
        assert_eq!(f.route("/files"), some(""));
        assert_eq!(f.route("/files/"), some(""));
        assert_eq!(f.route("/FILES/a.bin"), some("a.bin"));
        assert_eq!(f.route("/files/../x"), some("../x"), "refused later, by path_name");
        assert_eq!(f.route("/filesx"), None);
        assert_eq!(f.route("/file"), None);
        assert_eq!(f.route("/ocpp/CP1"), None);
    }

    #[test]
    fn multipart_boundaries_are_read_from_form_data_only() {
        assert_eq!(multipart_boundary("multipart/form-data; boundary=abc"), Some("abc".into()));
        assert_eq!(multipart_boundary("Multipart/Form-Data; boundary=\"a b\""), Some("a b".into()));
        assert_eq!(multipart_boundary("multipart/form-data"), None);
        assert_eq!(multipart_boundary("application/octet-stream"), None);
        assert_eq!(multipart_boundary("multipart/mixed; boundary=abc"), None);
    }

    #[test]
    fn errors_map_to_their_status() {
        assert_eq!(FileError::from(NameError::Dot).status(), 400);
        assert_eq!(FileError::TooLarge(1).status(), 413);
        assert_eq!(FileError::Unauthorised.status(), 401);
        assert_eq!(multipart_error(multer::Error::StreamSizeExceeded { limit: 1 << 20 }).status(), 413);
        let overhead = multer::Error::StreamReadFailed(Box::new(FileError::Overhead));
        assert!(matches!(multipart_error(overhead), FileError::Overhead));
    }

    #[test]
    fn a_temporary_file_is_removed_unless_kept() {
        let dir = std::env::temp_dir();
        let dropped = dir.join(format!(".t.{}.part", uuid::Uuid::new_v4()));
        std::fs::write(&dropped, b"half").unwrap();
        drop(Temp::new(dropped.clone()));
        assert!(!dropped.exists());
        let kept = dir.join(format!(".t.{}.part", uuid::Uuid::new_v4()));
        std::fs::write(&kept, b"all").unwrap();
        Temp::new(kept.clone()).keep();
        assert!(kept.exists());
        std::fs::remove_file(kept).unwrap();
    }
}
