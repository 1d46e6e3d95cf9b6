import Foundation

/// The Lua scripts that make lease changes and fenced writes atomic in Redis.
///
/// Fencing: every acquisition of a session's lease increments `epoch`; every owner write (journal append, event,
/// snapshot) carries the epoch it holds and the script refuses it (`FENCED`) unless it is still current. A paused
/// owner that lost its lease therefore cannot write, even if it has not noticed yet.
enum ClusterScripts {
    /// KEYS: lease, epoch. ARGV: node, ttl ms. → {1, epoch} when taken, {0, "node epoch"} when held by someone.
    static let acquire = RedisScript("""
        local cur = redis.call('GET', KEYS[1])
        if cur then return {0, cur} end
        local e = redis.call('INCR', KEYS[2])
        redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. e, 'PX', ARGV[2])
        return {1, e}
        """)

    /// KEYS: lease, epoch. ARGV: node, epoch, ttl ms. → 1 when still held (re-set if it had just expired and nobody
    /// took it since), 0 when lost.
    static let renew = RedisScript("""
        local mine = ARGV[1] .. ' ' .. ARGV[2]
        local cur = redis.call('GET', KEYS[1])
        if cur == mine then redis.call('PEXPIRE', KEYS[1], ARGV[3]) return 1 end
        if not cur and redis.call('GET', KEYS[2]) == ARGV[2] then
          redis.call('SET', KEYS[1], mine, 'PX', ARGV[3]) return 1
        end
        return 0
        """)

    /// KEYS: lease. ARGV: "node epoch". Deletes the lease only when it is ours.
    static let release = RedisScript("""
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """)

    /// KEYS: epoch, journal. ARGV: epoch, seq, update bytes. → the entry id.
    static let append = RedisScript("""
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then
          return redis.error_reply('FENCED lease epoch ' .. ARGV[1] .. ' is no longer current')
        end
        return redis.call('XADD', KEYS[2], ARGV[2] .. '-0', 'e', ARGV[1], 'u', ARGV[3])
        """)

    /// KEYS: epoch, events, channel. ARGV: epoch, seq, type, json, maxlen.
    static let event = RedisScript("""
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then
          return redis.error_reply('FENCED lease epoch ' .. ARGV[1] .. ' is no longer current')
        end
        redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], ARGV[2] .. '-0', 't', ARGV[3], 'j', ARGV[4])
        return redis.call('PUBLISH', KEYS[3], ARGV[2] .. ' ' .. ARGV[3] .. ' ' .. ARGV[4])
        """)

    /// KEYS: epoch, snapshot, journal. ARGV: epoch, blob, ttl ms, first seq to keep in the journal.
    static let snapshot = RedisScript("""
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then
          return redis.error_reply('FENCED lease epoch ' .. ARGV[1] .. ' is no longer current')
        end
        redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
        redis.call('XTRIM', KEYS[3], 'MINID', ARGV[4] .. '-0')
        return 1
        """)

    static let all = [acquire, renew, release, append, event, snapshot]
}

extension RESPValue {
    /// A `FENCED` error reply: this node's epoch is stale.
    var isFenced: Bool {
        if case .error(let message) = self { return message.hasPrefix("FENCED") }
        return false
    }
}
