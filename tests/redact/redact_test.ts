import assert from "node:assert/strict";
import {
  createRedactor,
  MIN_SECRET_CHARS,
  REDACTED,
  secretValuesFromEnv,
  stringifyRedacted,
  stringifyRedactedLines,
} from "../../lib/redact/mod.ts";
import { CANARY, GH, JWT, MUST_DISAPPEAR, MUST_SURVIVE, pem } from "../support/redaction_table.ts";
import { toBase64, toHex } from "../../lib/util/mod.ts";

const redactor = createRedactor();

for (const row of MUST_DISAPPEAR) {
  Deno.test(`redactor.text() removes ${row.name}`, () => {
    const out = redactor.text(row.input);
    for (const gone of row.gone) assert.ok(!out.includes(gone), `'${gone}' survived in: ${out}`);
    assert.ok(out.includes(REDACTED), `no marker in: ${out}`);
    for (const kept of row.kept ?? []) assert.ok(out.includes(kept), `'${kept}' was eaten: ${out}`);
  });
}

for (const row of MUST_SURVIVE) {
  Deno.test(`redactor.text() leaves ${row.name} alone`, () => {
    assert.equal(redactor.text(row.input), row.input);
  });
}

Deno.test("the tables are as large as the issue asks", () => {
  assert.ok(MUST_DISAPPEAR.length >= 60, `${MUST_DISAPPEAR.length} inputs`);
  assert.ok(MUST_SURVIVE.length >= 15, `${MUST_SURVIVE.length} look-alikes`);
});

Deno.test("redactor.text() is idempotent on every table input", () => {
  for (const row of [...MUST_DISAPPEAR, ...MUST_SURVIVE]) {
    const once = redactor.text(row.input);
    assert.equal(redactor.text(once), once, row.name);
  }
});

Deno.test("redactor.text() keeps a JSON line valid JSON", () => {
  const line = JSON.stringify({
    headers: { authorization: `Bearer ${JWT}`, cookie: "a=b; c=d" },
    password: 'x"y\\z',
    pin_secret: 1234567,
    note: `key ${GH("ghp_")} and https://u:p4ssw0rd@h/x?token=abc`,
    key: pem("PRIVATE KEY").slice(0, 60),
  });
  const out = redactor.text(line);
  assert.doesNotThrow(() => JSON.parse(out), out);
  assert.ok(!out.includes("p4ssw0rd") && !out.includes("1234567") && !out.includes(JWT));
});

// --- exact values ---------------------------------------------------------------------

Deno.test("createRedactor() removes an exact secret value wherever it appears", () => {
  const r = createRedactor({ secrets: [CANARY] });
  const out = r.text(`a${CANARY}b and (${CANARY})`);
  assert.ok(!out.includes(CANARY));
  assert.equal(out, `a${REDACTED}b and (${REDACTED})`);
});

Deno.test("createRedactor() removes a secret's URL-encoded and JSON-escaped forms", () => {
  const secret = 'p@ss w/rd+"quote"\\';
  const r = createRedactor({ secrets: [secret] });
  const forms = [
    encodeURIComponent(secret),
    encodeURIComponent(secret).toLowerCase(),
    encodeURIComponent(secret).replace(/%20/g, "+"),
    JSON.stringify(secret).slice(1, -1),
  ];
  for (const form of forms) {
    const out = r.text(`value=[${form}]`);
    assert.ok(!out.includes(form), `${form} survived: ${out}`);
  }
});

Deno.test("createRedactor() removes a whsec_ secret with and without its prefix", () => {
  const r = createRedactor({ secrets: ["whsec_c2VjcmV0LWtleS1ieXRlcy0xMjM0"] });
  const out = r.text("key c2VjcmV0LWtleS1ieXRlcy0xMjM0 used");
  assert.ok(!out.includes("c2VjcmV0LWtleS1ieXRlcy0xMjM0"));
});

Deno.test("createRedactor() removes a whsec_ secret's key bytes as hex and base64url", () => {
  // The key bytes of this secret encode with both '+' and '/' in base64.
  const key = Uint8Array.from([
    0xfb,
    0xef,
    0xbe,
    0xff,
    0xff,
    0xfe,
    0x10,
    0x20,
    0x30,
    0x40,
    0x50,
    0x60,
  ]);
  const base64 = toBase64(key);
  assert.match(base64, /\+/);
  assert.match(base64, /\//);
  const r = createRedactor({ secrets: [`whsec_${base64}`] });
  const hex = toHex(key);
  for (const form of [hex, hex.toUpperCase(), base64.replace(/\+/g, "-").replace(/\//g, "_")]) {
    const out = r.text(`signing key bytes: ${form} (debug)`);
    assert.ok(!out.includes(form), `${form} survived: ${out}`);
    assert.ok(out.includes(REDACTED));
  }
});

Deno.test("createRedactor() removes each line of a multi-line secret", () => {
  const secret = "first-line-of-secret\nsecond-line-of-secret";
  const out = createRedactor({ secrets: [secret] }).text("only second-line-of-secret here");
  assert.ok(!out.includes("second-line-of-secret"));
});

Deno.test("createRedactor() ignores values too short or too common to be secrets", () => {
  const r = createRedactor({
    secrets: ["abc", "true", "x".repeat(MIN_SECRET_CHARS - 1)],
  });
  const text = `{"ok":true,"id":"abc","bytes":12345678,"pad":"${
    "x".repeat(MIN_SECRET_CHARS - 1)
  }"}`;
  assert.equal(r.text(text), text);
});

Deno.test("withSecrets() adds values and leaves the original redactor unchanged", () => {
  const base = createRedactor();
  const more = base.withSecrets([CANARY]);
  assert.ok(!more.text(CANARY).includes(CANARY));
  assert.equal(base.text(CANARY), CANARY);
});

// --- structured values ----------------------------------------------------------------

Deno.test("redactor.value() removes values under secret keys at any depth", () => {
  const out = redactor.value({
    a: { b: [{ client_secret: "cs-1", Password: "pw-2", "X-API-KEY": "k-3", db_token: 99 }] },
  }) as { a: { b: Record<string, unknown>[] } };
  assert.deepEqual(out.a.b[0], {
    client_secret: REDACTED,
    Password: REDACTED,
    "X-API-KEY": REDACTED,
    db_token: REDACTED,
  });
});

Deno.test("redactor.value() keeps max_tokens, token_count, token_type, client_id, public_key", () => {
  const input = {
    max_tokens: 1024,
    token_count: 7,
    token_type: "bearer",
    client_id: "app-1",
    public_key: "ssh-ed25519 AAAA",
  };
  assert.deepEqual(redactor.value(input), input);
});

Deno.test("redactor.value() redacts [name, value] header pairs by name", () => {
  const out = redactor.value([["Authorization", "Bearer abc"], ["Cookie", "sid=a1; theme=b"], [
    "accept",
    "*/*",
  ]]);
  assert.deepEqual(out, [
    ["Authorization", `Bearer ${REDACTED}`],
    ["Cookie", `sid=${REDACTED}; theme=b`],
    ["accept", "*/*"],
  ]);
});

Deno.test("redactor.value() redacts {name, value} header entries (HAR)", () => {
  const out = redactor.value({
    headers: [{ name: "x-auth-token", value: "t-1" }, { name: "host", value: "h" }],
  });
  assert.deepEqual(out, {
    headers: [{ name: "x-auth-token", value: REDACTED }, { name: "host", value: "h" }],
  });
});

Deno.test("redactor.value() keeps null and booleans under secret keys, and does not mutate", () => {
  const input = {
    password: null,
    token: true,
    secret: { nested: "x" },
    url: "https://u:pw123456@h",
  };
  const copy = structuredClone(input);
  const out = redactor.value(input);
  assert.deepEqual(out, {
    password: null,
    token: true,
    secret: REDACTED,
    url: `https://u:${REDACTED}@h`,
  });
  assert.deepEqual(input, copy);
});

Deno.test("redactor.value() redacts Headers, Errors and cycles without throwing", () => {
  const cyclic: Record<string, unknown> = { token: "t-123456" };
  cyclic.self = cyclic;
  const out = redactor.value({
    headers: new Headers({ authorization: "Basic dXNlcjpwYXNz" }),
    error: new Error(`failed with ${GH("ghp_")}`),
    cyclic,
  });
  const text = JSON.stringify(out);
  assert.ok(
    !text.includes("dXNlcjpwYXNz") && !text.includes(GH("ghp_")) && !text.includes("t-123456"),
  );
  assert.ok(text.includes("[circular]"));
});

Deno.test("redactor.value() walks Maps and Sets and summarises raw bytes", () => {
  const out = redactor.value({
    map: new Map([["api_key", "k-123456"], ["ok", "yes"]]),
    set: new Set([`token=${"t".repeat(10)}`]),
    body: new TextEncoder().encode("secret bytes"),
  });
  assert.deepEqual(out, {
    map: [["api_key", REDACTED], ["ok", "yes"]],
    set: [`token=${REDACTED}`],
    body: "[12 bytes]",
  });
});

Deno.test("redactor.value() cuts off a very deep structure instead of overflowing the stack", () => {
  let deep: unknown = { token: "deep-secret-value" };
  for (let i = 0; i < 100_000; i++) deep = [deep];
  const text = JSON.stringify(redactor.value(deep));
  assert.ok(text.includes("[too deep]") && !text.includes("deep-secret-value"));
});

Deno.test("redactor.value() also redacts exact secrets in keys and strings", () => {
  const r = createRedactor({ secrets: [CANARY] });
  const text = JSON.stringify(r.value({ [CANARY]: `x${CANARY}y`, list: [CANARY] }));
  assert.ok(!text.includes(CANARY));
});

Deno.test("stringifyRedacted() gives one valid JSON line without the secret", () => {
  const r = createRedactor({ secrets: [CANARY, "31415926535"] });
  for (const value of [{ a: CANARY }, { n: 31415926535 }, { nested: [{ token: CANARY }] }]) {
    const line = stringifyRedacted(r, value);
    assert.ok(!line.includes("\n"));
    assert.doesNotThrow(() => JSON.parse(line));
    assert.ok(!line.includes(CANARY));
  }
});

Deno.test("stringifyRedacted() keeps a line valid JSON with its time when text redaction breaks it", () => {
  // This "secret" spans serialized members, so only the text pass after JSON.stringify sees it.
  const r = createRedactor({ secrets: ['"a":1,"b'] });
  const line = stringifyRedacted(r, { time: "2026-11-30T18:00:00.000Z", type: "t", a: 1, b: 2 });
  const parsed = JSON.parse(line);
  assert.equal(parsed.time, "2026-11-30T18:00:00.000Z");
  assert.equal(parsed.type, "t");
  assert.ok(!line.includes('"a":1,"b'));
});

Deno.test("stringifyRedactedLines() gives exactly the lines of stringifyRedacted, record by record", () => {
  const r = createRedactor({ secrets: [CANARY, '"a":1,"b'] });
  const privateKey =
    "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----";
  const records: unknown[] = [
    { time: "2026-11-30T18:00:00.000Z", type: "request", path: "/webhook", id: "evt_1" },
    { type: "request", id: CANARY, note: `x${CANARY}y` },
    { type: "t", a: 1, b: 2 }, // the text pass breaks this one: it becomes a string record
    { type: "key", privateKey, begin: "-----BEGIN PRIVATE KEY-----" },
    { type: "auth", authorization: "Bearer abcdefgh12345678", url: "https://u:pw12345678@h/x" },
    { type: "request", path: "/webhook", id: "evt_2" },
  ];
  const lines = stringifyRedactedLines(r, records);
  assert.deepEqual(lines, records.map((record) => stringifyRedacted(r, record)));
  for (const line of lines) {
    assert.doesNotThrow(() => JSON.parse(line));
    assert.ok(!line.includes(CANARY) && !line.includes("MIIEvQ") && !line.includes("pw12345678"));
  }
  // Nothing to redact: the lines are the plain serializations.
  const clean = [{ a: "x" }, { b: 2 }];
  assert.deepEqual(stringifyRedactedLines(r, clean), clean.map((c) => JSON.stringify(c)));
});

Deno.test("stringifyRedactedLines() with times gives the lines of the records with time first", () => {
  // The stamp is not seen by the tree pass, but every secret around it still goes.
  const spansTheStamp = '.000Z","type":"sp';
  const r = createRedactor({ secrets: [CANARY, '"a":1,"b', spansTheStamp] });
  class Described {
    toJSON() {
      return { type: "described", id: CANARY };
    }
  }
  const records: object[] = [
    { type: "request", path: "/webhook", id: "evt_1", key: "id:evt_1" },
    { type: "request", id: CANARY, note: `x${CANARY}y` },
    { time: "its own time", type: "own" }, // a record's own time wins, as with a spread
    {},
    { type: "t", a: 1, b: 2 }, // the text pass breaks this one: it becomes a string record
    { type: "sp", n: 1 }, // a secret across the stamp and the record: the text pass finds it
    { type: "auth", authorization: "Bearer abcdefgh12345678" },
    new Described(),
    [1, 2],
    { "2": "two", type: "numbered", "1": "one" }, // number-like keys come first in a spread too
    Object.assign(Object.create(null), { type: "bare", id: "evt_3" }),
    {
      type: "getter",
      get id() {
        return CANARY;
      },
    },
  ];
  const times = records.map((_, i) => new Date(Date.UTC(2026, 11, 5, 20, 0, i)).toISOString());
  const lines = stringifyRedactedLines(r, records, times);
  const expected = stringifyRedactedLines(
    r,
    records.map((record, i) => ({ time: times[i], ...record })),
  );
  assert.deepEqual(lines, expected);
  for (const line of lines) {
    const parsed = JSON.parse(line);
    assert.equal(typeof parsed.time, "string");
    assert.ok(!line.includes(CANARY) && !line.includes("abcdefgh12345678"));
    assert.ok(!line.includes(spansTheStamp));
  }
  assert.ok(lines[0]?.startsWith(`{"time":"${times[0]}","type":"request"`));
  assert.equal(JSON.parse(lines[2] as string).time, "its own time");
  assert.equal(lines[3], `{"time":"${times[3]}"}`);
});

Deno.test("the redactor's memory of short strings never answers for a redactor with more secrets", () => {
  const r = createRedactor();
  const secret = "short-secret-1234";
  assert.equal(r.text(secret), secret); // remembered as clean by r
  const withIt = r.withSecrets([secret]);
  assert.ok(!withIt.text(secret).includes(secret));
  assert.ok(!withIt.text(secret).includes(secret), "the second (remembered) answer redacts too");
  assert.ok(!JSON.stringify(withIt.value({ a: secret, b: [secret] })).includes(secret));
  // Many distinct short strings (past the memo's bound) still come out redacted.
  const many = createRedactor({ secrets: [CANARY] });
  for (let i = 0; i < 10_000; i++) assert.equal(many.text(`v${i}`), `v${i}`);
  assert.ok(!many.text(`k ${CANARY}`).includes(CANARY));
});

// --- the environment ------------------------------------------------------------------

Deno.test("secretValuesFromEnv() takes the password of a URL in any variable", () => {
  const values = secretValuesFromEnv({ HOOKGATE_STORE: "redis://:p%40ss-w0rd-9@cache:6379/0" });
  assert.ok(values.includes("p%40ss-w0rd-9") && values.includes("p@ss-w0rd-9"), values.join());
});

Deno.test("secretValuesFromEnv() takes secret variables, including each rotated entry", () => {
  const values = secretValuesFromEnv({
    WEBHOOK_SECRET: "current-secret-value",
    WEBHOOK_SECRET_PREVIOUS:
      "old-secret-one@2026-12-01T19:00:00Z,old-secret-two@2026-12-02T08:30:00Z",
    GITHUB_WEBHOOK_SECRET_PREVIOUS: "only-old-secret@2026-12-03T00:00:00Z",
    HOOKGATE_TOKEN_SECRET: "token-key-value",
    PATH: "/usr/bin:/bin",
    PWD: "/home/agent/project",
    HOOKGATE_EVENT_KEY: "webhook:e42",
    EGRESS_ALLOW_HOSTS: "api.github.com",
    GITHUB_TOKEN: "",
  });
  for (
    const v of [
      "current-secret-value",
      "old-secret-one",
      "old-secret-two",
      "only-old-secret",
      "token-key-value",
    ]
  ) {
    assert.ok(values.includes(v), v);
  }
  const notSecrets = ["/usr/bin:/bin", "/home/agent/project", "webhook:e42", "api.github.com"];
  // An expiry is not a secret: rotate prints it, and it must stay readable.
  notSecrets.push("2026-12-01T19:00:00Z", "2026-12-03T00:00:00Z");
  for (const v of notSecrets) {
    assert.ok(!values.includes(v), v);
  }
});
