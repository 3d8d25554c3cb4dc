//! The transactions running on each station, per EVSE, for OCPP 1.6 and 2.x
//! alike, whether the server's `unified` option is on or off: the charge-limit
//! work (a TxProfile needs the running transaction) and the unified events (a
//! 1.6 StopTransaction names no connector) read them.
//!
//! Fed from what passes through the engine: a 1.6 StartTransaction's answer
//! (the id the flow gave or the engine minted, when `idTagInfo.status` is
//! Accepted), a 1.6 StopTransaction, 2.x TransactionEvent Started / Updated /
//! Ended, and a MeterValues naming a transaction the tracker does not know (a
//! station that was mid-transaction when Node-RED started).
//!
//! Transactions outlive connections: a station that drops its link mid-charge
//! still charges, and its StopTransaction comes after it reconnects. The table
//! is bounded instead: at most [`MAX_EVSES_PER_STATION`] EVSEs per station and
//! [`MAX_TRANSACTIONS`] transactions in the process; past either, the entry
//! touched least recently goes (a transaction whose end was never seen). Its
//! bytes are bounded too: an id longer than the schemas allow
//! ([`MAX_TRANSACTION_ID_LEN`]) is never held, and a station id is at most 255
//! bytes, so the table holds at most 200,000 x 291 bytes of ids (about 58 MB).

use std::collections::{BTreeMap, HashMap};
use std::sync::{LazyLock, Mutex};

use serde_json::Value;

use crate::sync::lock;
use crate::version::OcppVersion;

/// EVSEs tracked per station: more than any real station has.
pub const MAX_EVSES_PER_STATION: usize = 64;
/// Transactions tracked in the process: a fleet of this many charging EVSEs.
pub const MAX_TRANSACTIONS: usize = 200_000;
/// The longest transaction id tracked, in bytes: 2.0.1's and 2.1's schemas
/// allow 36 characters (`transactionId` maxLength), and a 1.6 id is an
/// integer. A longer id (strict mode off) is passed on as sent, never held,
/// so the table's bytes are bounded with its count.
pub const MAX_TRANSACTION_ID_LEN: usize = 36;

/// The transaction running on EVSE `evse_id` of station `cb_id`, as text
/// (1.6 ids are integers written in decimal).
pub fn running(cb_id: &str, evse_id: u32) -> Option<String> {
    lock(&TABLE).running(cb_id, evse_id)
}

/// Every transaction running on station `cb_id`: (evseId, transactionId), by EVSE.
pub fn running_all(cb_id: &str) -> Vec<(u32, String)> {
    lock(&TABLE).running_all(cb_id)
}

/// What a station's CALL says about its transactions, after the table took
/// it in: the EVSE it concerns when the message does not say (a 1.6
/// StopTransaction, a 2.x TransactionEvent without `evse`), and its
/// transaction id as text.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Observed {
    pub evse_id: Option<u32>,
    pub transaction_id: Option<String>,
}

/// Takes in a station's CALL (1.6 StopTransaction and MeterValues, 2.x
/// TransactionEvent and MeterValues); other actions change nothing.
pub fn observe(cb_id: &str, version: OcppVersion, action: &str, payload: &Value) -> Observed {
    lock(&TABLE).observe(cb_id, version, action, payload)
}

/// Whether [`observe`] has anything to read in this action: the others need
/// not be parsed.
pub fn concerns(version: OcppVersion, action: &str) -> bool {
    match version {
        OcppVersion::V16 => matches!(action, "StartTransaction" | "StopTransaction" | "MeterValues"),
        _ => matches!(action, "TransactionEvent" | "MeterValues"),
    }
}

/// Takes in the answer to a 1.6 StartTransaction sent on connector
/// `connector_id` (1.6 connector N is EVSE N): the transaction runs when
/// `idTagInfo.status` is Accepted. Returns its id when it does.
pub fn start_answered(cb_id: &str, connector_id: u32, answer: &Value) -> Option<String> {
    let accepted = answer.pointer("/idTagInfo/status").and_then(Value::as_str) == Some("Accepted");
    let id = answer.get("transactionId").and_then(Value::as_i64)?;
    if !accepted {
        return None;
    }
    let id = id.to_string();
    lock(&TABLE).set(cb_id, connector_id, id.clone());
    Some(id)
}

static TABLE: LazyLock<Mutex<Table>> = LazyLock::new(Default::default);

struct Entry {
    id: String,
    /// When it was last set or seen, in the table's own ticks.
    touched: u64,
}

/// The table behind the functions above; pure, so its rules are unit-tested.
#[derive(Default)]
struct Table {
    stations: HashMap<String, BTreeMap<u32, Entry>>,
    count: usize,
    clock: u64,
}

impl Table {
    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    /// The bytes of ids the table holds (station ids and transaction ids).
    #[cfg(test)]
    fn held_bytes(&self) -> usize {
        self.stations.iter().map(|(cb, evses)| cb.len() + evses.values().map(|e| e.id.len()).sum::<usize>()).sum()
    }

    fn running(&self, cb: &str, evse: u32) -> Option<String> {
        self.stations.get(cb)?.get(&evse).map(|e| e.id.clone())
    }

    fn running_all(&self, cb: &str) -> Vec<(u32, String)> {
        let Some(evses) = self.stations.get(cb) else { return Vec::new() };
        evses.iter().map(|(evse, e)| (*evse, e.id.clone())).collect()
    }

    /// The EVSE transaction `id` runs on, if the table knows it.
    fn evse_of(&self, cb: &str, id: &str) -> Option<u32> {
        self.stations.get(cb)?.iter().find(|(_, e)| e.id == id).map(|(evse, _)| *evse)
    }

    /// Transaction `id` runs on `evse`, and nowhere else on the station; an id
    /// longer than [`MAX_TRANSACTION_ID_LEN`] is no id a schema allows and is
    /// not held (nor does it replace what runs there).
    fn set(&mut self, cb: &str, evse: u32, id: String) {
        if id.len() > MAX_TRANSACTION_ID_LEN {
            return;
        }
        let touched = self.tick();
        if let Some(old) = self.evse_of(cb, &id).filter(|e| *e != evse) {
            self.remove(cb, old);
        }
        let evses = self.stations.entry(cb.to_owned()).or_default();
        if let Some(entry) = evses.get_mut(&evse) {
            *entry = Entry { id, touched };
            return;
        }
        if evses.len() >= MAX_EVSES_PER_STATION {
            if let Some(oldest) = evses.iter().min_by_key(|(_, e)| e.touched).map(|(k, _)| *k) {
                evses.remove(&oldest);
                self.count -= 1;
            }
        }
        evses.insert(evse, Entry { id, touched });
        self.count += 1;
        if self.count > MAX_TRANSACTIONS {
            self.evict_oldest();
        }
    }

    fn evict_oldest(&mut self) {
        let oldest = self
            .stations
            .iter()
            .flat_map(|(cb, evses)| evses.iter().map(move |(evse, e)| (e.touched, cb, *evse)))
            .min_by_key(|(touched, ..)| *touched)
            .map(|(_, cb, evse)| (cb.clone(), evse));
        if let Some((cb, evse)) = oldest {
            self.remove(&cb, evse);
        }
    }

    fn remove(&mut self, cb: &str, evse: u32) -> Option<String> {
        let evses = self.stations.get_mut(cb)?;
        let entry = evses.remove(&evse)?;
        self.count -= 1;
        if evses.is_empty() {
            self.stations.remove(cb);
        }
        Some(entry.id)
    }

    /// A transaction seen running (an Updated event, meter values): known, it
    /// keeps its EVSE unless the message names another; unknown, it is taken
    /// in when the message names its EVSE. Returns its EVSE.
    fn seen(&mut self, cb: &str, evse: Option<u32>, id: &str) -> Option<u32> {
        let known = self.evse_of(cb, id);
        match (known, evse) {
            (Some(k), Some(e)) if k == e => {
                let touched = self.tick();
                if let Some(entry) = self.stations.get_mut(cb).and_then(|s| s.get_mut(&k)) {
                    entry.touched = touched;
                }
                Some(k)
            }
            (_, Some(e)) => {
                self.set(cb, e, id.to_owned());
                Some(e)
            }
            (Some(k), None) => {
                let touched = self.tick();
                if let Some(entry) = self.stations.get_mut(cb).and_then(|s| s.get_mut(&k)) {
                    entry.touched = touched;
                }
                Some(k)
            }
            (None, None) => None,
        }
    }

    /// A transaction that ended: removed; returns the EVSE it ran on.
    fn ended(&mut self, cb: &str, evse: Option<u32>, id: &str) -> Option<u32> {
        let known = self.evse_of(cb, id);
        if let Some(k) = known {
            self.remove(cb, k);
        }
        known.or(evse)
    }

    fn observe(&mut self, cb: &str, version: OcppVersion, action: &str, payload: &Value) -> Observed {
        let u32_at = |p: &str| payload.pointer(p).and_then(Value::as_u64).and_then(|n| u32::try_from(n).ok());
        match (version, action) {
            (OcppVersion::V16, "StartTransaction") => {
                Observed { evse_id: u32_at("/connectorId"), transaction_id: None }
            }
            (OcppVersion::V16, "StopTransaction") => {
                let Some(id) = payload.get("transactionId").and_then(Value::as_i64).map(|n| n.to_string()) else {
                    return Observed::default();
                };
                Observed { evse_id: self.ended(cb, None, &id), transaction_id: Some(id) }
            }
            (OcppVersion::V16, "MeterValues") => {
                let connector = u32_at("/connectorId");
                let Some(id) = payload.get("transactionId").and_then(Value::as_i64).map(|n| n.to_string()) else {
                    return Observed { evse_id: connector, transaction_id: None };
                };
                // Connector 0 is the whole station: it names no EVSE to run on.
                let evse = self.seen(cb, connector.filter(|c| *c > 0), &id).or(connector);
                Observed { evse_id: evse, transaction_id: Some(id) }
            }
            (_, "TransactionEvent") => {
                let Some(id) = payload.pointer("/transactionInfo/transactionId").and_then(Value::as_str) else {
                    return Observed::default();
                };
                let evse = u32_at("/evse/id");
                let evse = match payload.get("eventType").and_then(Value::as_str) {
                    Some("Ended") => self.ended(cb, evse, id),
                    _ => self.seen(cb, evse.filter(|e| *e > 0), id).or(evse),
                };
                Observed { evse_id: evse, transaction_id: Some(id.to_owned()) }
            }
            (_, "MeterValues") => Observed { evse_id: u32_at("/evseId"), transaction_id: None },
            _ => Observed::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_1_6_transaction_runs_from_its_accepted_answer_to_its_stop() {
        let mut t = Table::default();
        let start = json!({"connectorId": 2, "idTag": "T", "meterStart": 0, "timestamp": "2026-01-01T00:00:00Z"});
        assert_eq!(t.observe("A", OcppVersion::V16, "StartTransaction", &start).evse_id, Some(2));
        t.set("A", 2, "42".into());
        assert_eq!(t.running("A", 2).as_deref(), Some("42"));
        let meter = json!({"connectorId": 2, "transactionId": 42, "meterValue": []});
        assert_eq!(
            t.observe("A", OcppVersion::V16, "MeterValues", &meter),
            Observed { evse_id: Some(2), transaction_id: Some("42".into()) }
        );
        let stop = json!({"transactionId": 42, "meterStop": 10, "timestamp": "2026-01-01T01:00:00Z"});
        assert_eq!(
            t.observe("A", OcppVersion::V16, "StopTransaction", &stop),
            Observed { evse_id: Some(2), transaction_id: Some("42".into()) },
            "the stop's EVSE comes from the table"
        );
        assert_eq!(t.running("A", 2), None);
        assert_eq!(t.count, 0);
        assert!(t.stations.is_empty(), "nothing left behind");
    }

    #[test]
    fn only_an_accepted_start_runs() {
        let cb = "only-accepted-test";
        assert_eq!(start_answered(cb, 1, &json!({"transactionId": 5, "idTagInfo": {"status": "Blocked"}})), None);
        assert_eq!(running(cb, 1), None);
        let ok = json!({"transactionId": 6, "idTagInfo": {"status": "Accepted"}});
        assert_eq!(start_answered(cb, 1, &ok).as_deref(), Some("6"));
        assert_eq!(running_all(cb), vec![(1, "6".to_string())]);
        observe(cb, OcppVersion::V16, "StopTransaction", &json!({"transactionId": 6}));
        assert!(running_all(cb).is_empty());
    }

    #[test]
    fn a_2_x_transaction_runs_from_started_to_ended_and_updates_without_evse_find_it() {
        let mut t = Table::default();
        let ev = |kind: &str, evse: Option<u32>| {
            let mut v = json!({"eventType": kind, "transactionInfo": {"transactionId": "tx-1"}, "seqNo": 0});
            if let Some(e) = evse {
                v["evse"] = json!({"id": e, "connectorId": 1});
            }
            v
        };
        assert_eq!(t.observe("B", OcppVersion::V201, "TransactionEvent", &ev("Started", Some(3))).evse_id, Some(3));
        assert_eq!(t.running("B", 3).as_deref(), Some("tx-1"));
        assert_eq!(t.observe("B", OcppVersion::V21, "TransactionEvent", &ev("Updated", None)).evse_id, Some(3));
        assert_eq!(t.observe("B", OcppVersion::V201, "TransactionEvent", &ev("Ended", None)).evse_id, Some(3));
        assert!(t.running_all("B").is_empty());
    }

    #[test]
    fn a_transaction_seen_mid_way_is_taken_in() {
        let mut t = Table::default();
        let meter = json!({"connectorId": 1, "transactionId": 7, "meterValue": []});
        t.observe("C", OcppVersion::V16, "MeterValues", &meter);
        assert_eq!(t.running("C", 1).as_deref(), Some("7"), "a station mid-transaction when Node-RED started");
        let upd = json!({"eventType": "Updated", "transactionInfo": {"transactionId": "x"}, "evse": {"id": 2}});
        t.observe("D", OcppVersion::V201, "TransactionEvent", &upd);
        assert_eq!(t.running_all("D"), vec![(2, "x".to_string())]);
        let no_evse = json!({"eventType": "Updated", "transactionInfo": {"transactionId": "y"}});
        assert_eq!(t.observe("E", OcppVersion::V201, "TransactionEvent", &no_evse).evse_id, None);
        assert!(t.running_all("E").is_empty(), "an EVSE is needed to take one in");
    }

    #[test]
    fn a_new_transaction_on_an_evse_replaces_the_old_and_an_id_lives_on_one_evse() {
        let mut t = Table::default();
        t.set("F", 1, "1".into());
        t.set("F", 1, "2".into());
        assert_eq!(t.running_all("F"), vec![(1, "2".to_string())]);
        t.set("F", 2, "2".into());
        assert_eq!(t.running_all("F"), vec![(2, "2".to_string())]);
        assert_eq!(t.count, 1);
    }

    /// Attacker finding (issue 21): 2.x ids of 256 KB (strict off) were
    /// tracked, 200,000 of them grew the process to 1.5 GB. An id longer than
    /// the schemas allow is passed on as sent but never held.
    #[test]
    fn ids_longer_than_the_schemas_allow_are_not_held() {
        let mut t = Table::default();
        let huge = "x".repeat(256 * 1024);
        for (n, evse) in (1..=40u32).enumerate() {
            let id = format!("{n}{huge}");
            let started =
                json!({"eventType": "Started", "transactionInfo": {"transactionId": id}, "evse": {"id": evse}});
            let seen = t.observe("H", OcppVersion::V201, "TransactionEvent", &started);
            assert_eq!(seen, Observed { evse_id: Some(evse), transaction_id: Some(id) }, "passed on as sent");
        }
        assert!(t.running_all("H").is_empty(), "no over-long id is tracked");
        assert!(t.held_bytes() < 1024, "the table holds {} bytes", t.held_bytes());
        let longest = "y".repeat(MAX_TRANSACTION_ID_LEN);
        t.set("H", 1, longest.clone());
        assert_eq!(t.running("H", 1), Some(longest), "an id of the schemas' maximum length is tracked");
        t.set("H", 1, "z".repeat(MAX_TRANSACTION_ID_LEN + 1));
        assert_eq!(
            t.running("H", 1).map(|id| id.len()),
            Some(MAX_TRANSACTION_ID_LEN),
            "an over-long id replaces nothing"
        );
        // The whole table's bytes are bounded: count x (station id + transaction id).
        const _: () = assert!(MAX_TRANSACTIONS * (crate::station_id::MAX_CHARS + MAX_TRANSACTION_ID_LEN) < 64 << 20);
    }

    #[test]
    fn the_table_is_bounded_per_station_and_overall() {
        let mut t = Table::default();
        for evse in 0..(MAX_EVSES_PER_STATION as u32 + 5) {
            t.set("G", evse, format!("t{evse}"));
        }
        assert_eq!(t.running_all("G").len(), MAX_EVSES_PER_STATION);
        assert_eq!(t.running("G", 0), None, "the least recently touched went first");
        assert_eq!(t.running("G", MAX_EVSES_PER_STATION as u32 + 4).as_deref(), Some("t68"));
        let mut t = Table::default();
        for n in 0..MAX_TRANSACTIONS + 3 {
            t.set(&format!("S{n}"), 1, n.to_string());
        }
        assert_eq!(t.count, MAX_TRANSACTIONS);
        assert_eq!(t.running("S0", 1), None);
        assert_eq!(
            t.running(&format!("S{}", MAX_TRANSACTIONS + 2), 1).as_deref(),
            Some(&*format!("{}", MAX_TRANSACTIONS + 2))
        );
    }
}
