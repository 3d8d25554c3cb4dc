//! The Lua scripts that make each cluster step atomic in Redis.
//!
//! A presence entry is `"<instance> <boot> <token>"`: the instance id, the id
//! of that instance's current run (a restarted instance is a new run, so its
//! old entries count as dead at once), and the fencing token of the claim.
//! An entry counts only while `<prefix>:alive:<instance>` holds that boot id.

use redis::aio::ConnectionLike;
use redis::{Cmd, ErrorKind, Pipeline, RedisResult, ServerErrorKind, Value};
use std::sync::LazyLock;

/// Claims (`c`), releases (`r`) and re-assertions (`a`), in one batch.
/// KEYS: stations, details. ARGV: `"<instance> <boot>"`, channel prefix,
/// alive prefix, then quadruples of op, station, token, details (what other
/// instances show of the station: version, server node, since).
///
/// The token is the claiming connection's id: unique within a run, and the
/// entry names the run, so tokens never repeat, even after Redis restarted
/// without persistence (a Redis counter would start again at 1, and a release
/// queued during the outage would then match, and delete, the new claim).
///
/// A claim always wins: the newest connection of a station is the one it
/// uses. The previous holder, if another live instance, is told to close (a
/// kick naming its token). A release deletes the entry only if it still
/// carries the releasing claim's token. A re-assertion (after an outage, or
/// when this run's entries may have been reaped) takes the station back
/// unless another live instance holds it (then -1: the local connection is
/// the stale one). Each op answers 1 (held), 0 (released) or -1.
pub static PRESENCE: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        r#"
local me = ARGV[1]
local my_inst = string.match(me, '^(%S+)')
local out = {}
for i = 4, #ARGV, 4 do
  local op, cb, tk, about = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local old = redis.call('HGET', KEYS[1], cb)
  local mine = me .. ' ' .. tk
  if op == 'r' then
    if old == mine then
      redis.call('HDEL', KEYS[1], cb)
      redis.call('HDEL', KEYS[2], cb)
    end
    out[#out + 1] = 0
  elseif op == 'a' and old == mine then
    out[#out + 1] = 1
  else
    local live_other = false
    local inst, boot, t
    if old then
      inst, boot, t = string.match(old, '^(%S+) (%S+) (%d+)$')
      live_other = inst ~= nil and inst ~= my_inst and redis.call('GET', ARGV[3] .. inst) == boot
    end
    if op == 'a' and live_other then
      out[#out + 1] = -1
    else
      redis.call('HSET', KEYS[1], cb, mine)
      redis.call('HSET', KEYS[2], cb, about)
      if live_other then
        redis.call('PUBLISH', ARGV[2] .. inst, cjson.encode({t = 'kick', c = {cb = cb, token = t, by = my_inst}}))
      end
      out[#out + 1] = 1
    end
  end
end
return out
"#,
    )
});

/// Hands a message to the instance holding a station. KEYS: stations. ARGV:
/// station, alive prefix, channel prefix, message. Returns `{code, instance}`:
/// 0 held by nobody, 1 handed over, 2 the holder stopped, 3 the holder is not listening.
pub static ROUTE: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        r#"
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return {0, ''} end
local inst, boot = string.match(v, '^(%S+) (%S+) ')
if not inst then return {0, ''} end
if redis.call('GET', ARGV[2] .. inst) ~= boot then return {2, inst} end
if redis.call('PUBLISH', ARGV[3] .. inst, ARGV[4]) == 0 then return {3, inst} end
return {1, inst}
"#,
    )
});

/// The stations held by live instances, as a flat list of station, instance,
/// details. KEYS: stations, details. ARGV: alive prefix. One liveness read
/// per instance, not per station.
pub static ONLINE: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        r#"
local all = redis.call('HGETALL', KEYS[1])
local alive = {}
local out = {}
for i = 1, #all, 2 do
  local inst, boot = string.match(all[i + 1], '^(%S+) (%S+) ')
  if inst then
    local run = inst .. ' ' .. boot
    local a = alive[run]
    if a == nil then
      a = redis.call('GET', ARGV[1] .. inst) == boot
      alive[run] = a
    end
    if a then
      out[#out + 1] = all[i]
      out[#out + 1] = inst
      out[#out + 1] = redis.call('HGET', KEYS[2], all[i]) or ''
    end
  end
end
return out
"#,
    )
});

/// Forgets the runs whose liveness key expired or names another run, and
/// the presence entries they left. KEYS: instances, stations. ARGV: alive
/// prefix. Reads every entry only when some run died: the idle cost does not
/// grow with the stations. KEYS: instances, stations, details. Returns the entries removed.
pub static REAP: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        r#"
local dead = {}
local any = false
for _, run in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local inst, boot = string.match(run, '^(%S+) (%S+)$')
  if not inst or redis.call('GET', ARGV[1] .. inst) ~= boot then
    dead[run] = true
    any = true
    redis.call('SREM', KEYS[1], run)
  end
end
if not any then return 0 end
local all = redis.call('HGETALL', KEYS[2])
local n = 0
for i = 1, #all, 2 do
  local run = string.match(all[i + 1], '^(%S+ %S+) ')
  if not run or dead[run] then
    redis.call('HDEL', KEYS[2], all[i])
    redis.call('HDEL', KEYS[3], all[i])
    n = n + 1
  end
end
return n
"#,
    )
});

/// Ends this run's liveness, if it still is this run's. KEYS: alive key. ARGV: boot.
pub static LEAVE: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"#,
    )
});

/// Stores a SOAP station's address and tells the other instances; past the
/// most entries, forgets the addresses heard of longest ago, so new stations
/// keep being shared. KEYS: addresses, their last-seen times (a sorted set).
/// ARGV: station, address, the most entries, broadcast channel, message, now (ms).
pub static SOAP_ADDRESS: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        r#"
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], tonumber(ARGV[6]), ARGV[1])
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[3])
if over > 0 then
  local popped = redis.call('ZPOPMIN', KEYS[2], over)
  for i = 1, #popped, 2 do redis.call('HDEL', KEYS[1], popped[i]) end
end
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1
"#,
    )
});

/// Takes or renews this instance's liveness key, unless another process
/// holds it: two processes with one instance id would receive each other's
/// requests and reap each other's stations. KEYS: alive key, instances set.
/// ARGV: boot, the boot of this process's previous run under the id (or ""),
/// TTL in ms, `"<instance> <boot>"`, the instance's channel, a ping for it
/// (which the instance's subscription watches for). Returns `{1, previous}`
/// (previous: the value it replaced, "" if none) or `{0, holder}`.
pub static ALIVE: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        r#"
redis.call('PUBLISH', ARGV[5], ARGV[6])
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[1] and cur ~= ARGV[2] then return {0, cur} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
redis.call('SADD', KEYS[2], ARGV[4])
return {1, cur or ''}
"#,
    )
});

/// A script and its SHA1, by which Redis runs it without the text being resent.
pub struct Lua {
    code: &'static str,
    hash: String,
}

impl Lua {
    fn new(code: &'static str) -> Self {
        Self { code, hash: redis::Script::new(code).get_hash().to_owned() }
    }
}

/// One script invocation: its keys and arguments.
pub struct Invocation {
    pub keys: Vec<String>,
    pub args: Vec<String>,
}

fn evalsha(script: &Lua, call: &Invocation) -> Cmd {
    let mut cmd = redis::cmd("EVALSHA");
    cmd.arg(&script.hash).arg(call.keys.len()).arg(&call.keys).arg(&call.args);
    cmd
}

/// How often a batch's items that found the script missing are sent again
/// after loading it (another client may flush it meanwhile).
const MAX_RELOADS: usize = 3;

/// Runs many invocations of one script in one pipeline: one round trip for a
/// batch, one result per invocation. Err: the pipeline itself failed (the
/// connection broke or timed out), so any of its invocations may have run.
///
/// After a Redis restart the script cache is empty, and another instance may
/// load the script while this pipeline runs: then some invocations ran and
/// others failed with NOSCRIPT. Only those are sent again, after loading the
/// script, so nothing runs twice; one still refused after [`MAX_RELOADS`]
/// loads keeps its error (it did not run).
pub async fn run_batch<C: ConnectionLike>(
    conn: &mut C,
    script: &Lua,
    calls: &[Invocation],
) -> RedisResult<Vec<RedisResult<Value>>> {
    let mut results: Vec<Option<RedisResult<Value>>> = (0..calls.len()).map(|_| None).collect();
    let mut todo: Vec<usize> = (0..calls.len()).collect();
    for attempt in 0..=MAX_RELOADS {
        if attempt > 0 {
            redis::cmd("SCRIPT").arg("LOAD").arg(script.code).query_async::<String>(conn).await?;
        }
        let mut pipe = Pipeline::with_capacity(todo.len());
        pipe.ignore_errors();
        for &i in &todo {
            pipe.add_command(evalsha(script, &calls[i]));
        }
        let values: Vec<Value> = pipe.query_async(conn).await?;
        let mut again = Vec::new();
        for (&i, value) in todo.iter().zip(values) {
            let result = value.extract_error();
            let missing = matches!(&result, Err(e) if e.kind() == ErrorKind::Server(ServerErrorKind::NoScript));
            if missing && attempt < MAX_RELOADS {
                again.push(i);
            } else {
                results[i] = Some(result);
            }
        }
        todo = again;
        if todo.is_empty() {
            break;
        }
    }
    Ok(results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err((ErrorKind::Client, "Redis returned no reply").into())))
        .collect())
}

/// Runs one invocation.
pub async fn run_one<C: ConnectionLike>(conn: &mut C, script: &Lua, call: Invocation) -> RedisResult<Value> {
    let mut values = run_batch(conn, script, std::slice::from_ref(&call)).await?;
    values.pop().unwrap_or_else(|| Err((ErrorKind::Client, "Redis returned no reply").into()))
}
