/*
 * Layout in Redis. P = `{prefix}`: the braces are a hash tag, so every key lands in one slot
 * and the scripts stay valid on Redis Cluster (on one shard). M = member =
 * encodeURIComponent(route) + ":" + key; R = encodeURIComponent(route) (it holds no ':').
 *
 *   P:c:M            claim string            SET NX PX retentionMs
 *   P:a:M            alias claim string      SET PX retentionMs, in the accept of the event whose
 *                                            IncomingEvent.aliasKeys named it (M built from the alias)
 *   P:e:M            event hash              route,key,id,payload,attempt,status,lease,leaseUntil,…
 *                                            done: PEXPIRE retentionMs; pending/dead: kept
 *   P:q, P:q:R       zset M → ms             pending events: when each may next be handed out
 *                                            (its retry is due, or its lease runs out)
 *   P:s:S, P:s:S:R   zset M → receivedAtMs   list() indexes per status S (pending, done, dead)
 *   P:done-expiry    zset M → ms             when a done record expires (prunes the done index)
 *   P:dead-letters   stream {m, error, attempts}  one entry per dead letter (for monitoring)
 *   P:bell           stream {m}              rung by every change that makes an event due: a
 *                                            waiting consumer blocks on it instead of polling
 *   P:revoked-token:T  string               a revoked inspection-API token id T: SET PX the
 *                                            longest a token lives; every instance checks it
 *
 * A hand-off is a lease: the event hash records the lease id and its end, and its score in
 * P:q becomes that end. Whoever holds it (a push consumer, which extends it while its handler
 * runs, or a pull client) settles it; a lease that runs out makes the event due again, for
 * any instance. Every state change is one Lua script; times inside scripts come from Redis's
 * TIME, the one clock a fleet shares.
 */

/** The key prefix with its hash tag, as every script receives it. */
export function tagOf(prefix: string): string {
  return `{${prefix}}`;
}

export function memberOf(route: string, key: string): string {
  return `${encodeURIComponent(route)}:${key}`;
}

export interface RedisKeys {
  /** `{prefix}`: scripts build every other key from it. */
  tag: string;
  record(member: string): string;
  /** The list() index of one status, across routes or for one route. */
  statusIndex(status: string, route?: string): string;
  /** The queue every hand-off script is routed by (its first key). */
  queue: string;
  bell: string;
  revokedToken(tokenId: string): string;
}

export function keysFor(prefix: string): RedisKeys {
  const tag = tagOf(prefix);
  return {
    tag,
    record: (member) => `${tag}:e:${member}`,
    statusIndex: (status, route) =>
      route === undefined
        ? `${tag}:s:${status}`
        : `${tag}:s:${status}:${encodeURIComponent(route)}`,
    queue: `${tag}:q`,
    bell: `${tag}:bell`,
    revokedToken: (tokenId) => `${tag}:revoked-token:${tokenId}`,
  };
}
