import assert from "node:assert/strict";
import { parseRedisUrl, redisSecretValues } from "../../../lib/store/redis/mod.ts";

const PASSWORD = "s3cr3t-P@ss/word";

Deno.test("parseRedisUrl() reads host, port and db", () => {
  const parsed = parseRedisUrl("redis://10.1.2.3:6380/2");
  assert.ok(parsed.ok);
  assert.equal(parsed.value.host, "10.1.2.3");
  assert.equal(parsed.value.port, 6380);
  assert.equal(parsed.value.db, 2);
  assert.equal(parsed.value.tls, false);
  assert.equal(parsed.value.password, null);
  assert.equal(parsed.value.display, "redis://10.1.2.3:6380/2");
});

Deno.test("parseRedisUrl() defaults to port 6379 and db 0, and rediss:// means TLS", () => {
  const parsed = parseRedisUrl("rediss://cache.example.com");
  assert.ok(parsed.ok);
  assert.equal(parsed.value.port, 6379);
  assert.equal(parsed.value.db, 0);
  assert.equal(parsed.value.tls, true);
});

Deno.test("parseRedisUrl() unwraps an IPv6 literal", () => {
  const parsed = parseRedisUrl("redis://[::1]:7000");
  assert.ok(parsed.ok);
  assert.equal(parsed.value.host, "::1");
  assert.equal(parsed.value.display, "redis://[::1]:7000/0");
});

Deno.test("parseRedisUrl() decodes user and password and keeps them out of display", () => {
  const spec = `redis://app:${encodeURIComponent(PASSWORD)}@db:6379/1`;
  const parsed = parseRedisUrl(spec);
  assert.ok(parsed.ok);
  assert.equal(parsed.value.username, "app");
  assert.equal(parsed.value.password, PASSWORD);
  assert.ok(!parsed.value.display.includes("app"));
  assert.ok(!parsed.value.display.includes("s3cr3t"));
});

Deno.test("parseRedisUrl() takes the password from REDIS_PASSWORD", () => {
  const parsed = parseRedisUrl("redis://db:6379", { password: PASSWORD });
  assert.ok(parsed.ok);
  assert.equal(parsed.value.password, PASSWORD);
});

Deno.test("parseRedisUrl() refuses a password given twice, without echoing either", () => {
  const parsed = parseRedisUrl("redis://:other-pass-1@db:6379", { password: PASSWORD });
  assert.ok(!parsed.ok);
  assert.match(parsed.reason, /REDIS_PASSWORD/);
  assert.ok(!parsed.reason.includes("other-pass-1"));
  assert.ok(!parsed.reason.includes(PASSWORD));
});

Deno.test("parseRedisUrl() errors never contain the password", () => {
  const bad = [
    `redis://u:${PASSWORD}@db:99999`,
    `redis://u:hunter2-secret@db:6379/x`,
    `redis://u:hunter2-secret@db:6379/0?bogus=1`,
    `redis://u:hunter2-secret@db:6379/0#frag`,
  ];
  for (const spec of bad) {
    const parsed = parseRedisUrl(spec);
    assert.ok(!parsed.ok, spec);
    assert.ok(!parsed.reason.includes("hunter2"), parsed.reason);
    assert.ok(!parsed.reason.includes("s3cr3t"), parsed.reason);
  }
});

Deno.test("parseRedisUrl() rejects other schemes, a bad port, a bad db, unknown options", () => {
  for (
    const spec of [
      "http://db:6379",
      "redis:db:6379",
      "redis://db:0",
      "redis://db:6379/zero",
      "redis://db:6379/0?pool=3",
      "redis://db:6379/0?prefix=has space",
      "redis://db :6379",
    ]
  ) {
    assert.equal(parseRedisUrl(spec).ok, false, spec);
  }
});

Deno.test("parseRedisUrl() reads the prefix and visibility_timeout options", () => {
  const parsed = parseRedisUrl("redis://db/0?prefix=gw-eu&visibility_timeout=90s");
  assert.ok(parsed.ok);
  assert.equal(parsed.value.keyPrefix, "gw-eu");
  assert.equal(parsed.value.visibilityTimeoutMs, 90_000);
  const plain = parseRedisUrl("redis://db");
  assert.ok(plain.ok);
  assert.equal(plain.value.keyPrefix, "hookgate");
  assert.equal(plain.value.visibilityTimeoutMs, null);
});

Deno.test("parseRedisUrl() reads the store deadline from timeout and refuses a bad one", () => {
  const parsed = parseRedisUrl("redis://db/0?timeout=1500ms");
  assert.ok(parsed.ok);
  assert.equal(parsed.value.commandTimeoutMs, 1_500);
  const plain = parseRedisUrl("redis://db");
  assert.ok(plain.ok);
  assert.equal(plain.value.commandTimeoutMs, null);
  const bad = parseRedisUrl("redis://db/0?timeout=soon");
  assert.ok(!bad.ok);
  assert.match(bad.reason, /timeout must be a duration/);
});

Deno.test("redisSecretValues() lists the password as given and as spelled in the URL", () => {
  const spec = `redis://app:${encodeURIComponent(PASSWORD)}@db:6379`;
  const parsed = parseRedisUrl(spec);
  assert.ok(parsed.ok);
  const values = redisSecretValues(parsed.value, spec);
  assert.ok(values.includes(PASSWORD));
  assert.ok(values.includes(encodeURIComponent(PASSWORD)));
  const none = parseRedisUrl("redis://db:6379");
  assert.ok(none.ok);
  assert.deepEqual(redisSecretValues(none.value), []);
});
