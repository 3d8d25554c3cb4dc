//! The Lua scripts that make each cluster step atomic in Redis.
//!
//! A presence entry is `"<instance> <boot> <token>"`: the instance id, the id
//! of that instance's current run (a restarted instance is a new run, so its
//! old entries count as dead at once), and the fencing token of the claim.
//! An entry counts only while `<prefix>:alive:<instance>` holds that boot id.

use redis::aio::ConnectionLike;
use redis::{Cmd, ErrorKind, Pipeline, RedisResult, ServerErrorKind, Value};
use std::sync::LazyLock;

/// Claims (`c`), releases (`r`) and re-assertions after an outage (`a`), in
/// one batch. KEYS: stations, token counter, details. ARGV: `"<instance> <boot>"`,
/// channel prefix, alive prefix, then quadruples of op, station, token, details
/// (what other instances show of the station: version, server node, since).
///
/// A claim always wins: the newest connection of a station is the one it
/// uses. The previous holder, if another instance, is told to close (a kick
/// naming its token). A release deletes the entry only if it still carries
/// the releasing claim's token, so a late release cannot erase a newer claim.
/// A re-assertion takes the station back unless another live instance holds
/// it (then -1: the local connection is the stale one).
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
      redis.call('HDEL', KEYS[3], cb)
    end
    out[#out + 1] = 0
  elseif op == 'a' and old == mine then
    out[#out + 1] = tonumber(tk)
  else
    local take = true
    if op == 'a' and old then
      local inst, boot = string.match(old, '^(%S+) (%S+) ')
      if inst and inst ~= my_inst and redis.call('GET', ARGV[3] .. inst) == boot then take = false end
    end
    if take then
      local token = redis.call('INCR', KEYS[2])
      redis.call('HSET', KEYS[1], cb, me .. ' ' .. token)
      redis.call('HSET', KEYS[3], cb, about)
      if old then
        local inst, boot, t = string.match(old, '^(%S+) (%S+) (%d+)$')
        if inst and inst ~= my_inst then
          redis.call('PUBLISH', ARGV[2] .. inst, cjson.encode({t = 'kick', c = {cb = cb, token = t, by = my_inst}}))
        end
      end
      out[#out + 1] = token
    else
      out[#out + 1] = -1
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

/// Stores a SOAP station's address and tells the other instances, unless the
/// table is full and the station new to it. KEYS: addresses. ARGV: station,
/// address, the most entries, broadcast channel, message.
pub static SOAP_ADDRESS: LazyLock<Lua> = LazyLock::new(|| {
    Lua::new(
        r#"
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1
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

/// Runs many invocations of one script in one pipeline: one round trip for a
/// batch. After a Redis restart the script cache is empty: then every
/// invocation failed with NOSCRIPT before running, so loading the script and
/// sending the batch again runs nothing twice.
pub async fn run_batch<C: ConnectionLike>(conn: &mut C, script: &Lua, calls: &[Invocation]) -> RedisResult<Vec<Value>> {
    let mut pipe = Pipeline::with_capacity(calls.len());
    for call in calls {
        pipe.add_command(evalsha(script, call));
    }
    match pipe.query_async::<Vec<Value>>(conn).await {
        Err(e) if e.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
            redis::cmd("SCRIPT").arg("LOAD").arg(script.code).query_async::<String>(conn).await?;
            pipe.query_async(conn).await
        }
        other => other,
    }
}

/// Runs one invocation.
pub async fn run_one<C: ConnectionLike>(conn: &mut C, script: &Lua, call: Invocation) -> RedisResult<Value> {
    let mut values = run_batch(conn, script, std::slice::from_ref(&call)).await?;
    values.pop().ok_or_else(|| (ErrorKind::Client, "Redis returned no reply").into())
}
