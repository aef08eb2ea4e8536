/**
 * End to end through the real `hookgate serve` with `--route`: each provider's
 * own library signs, hookgate answers over HTTP; and `hookgate send --scheme`
 * output is checked by the provider's own verifier.
 */
import assert from "node:assert/strict";
import { sign as octokitSign } from "npm:@octokit/webhooks-methods@6.0.0";
import { Webhook } from "npm:standardwebhooks@1.1.1";
import Stripe from "npm:stripe@23.1.0";
import { runCli } from "../support/cli.ts";
import { startRecordingServer } from "../support/recording_server.ts";
import { startServe } from "../support/serve_process.ts";
import { tempDir } from "../support/temp_dir.ts";

const GITHUB_SECRET = "e2e-github-" + crypto.randomUUID();
const STANDARD_SECRET = "whsec_" + btoa(crypto.randomUUID().slice(0, 32));
const STRIPE_SECRET = "whsec_e2e_stripe_" + crypto.randomUUID();
const ENV = {
  GITHUB_WEBHOOK_SECRET: GITHUB_SECRET,
  STANDARD_SECRET,
  STRIPE_WEBHOOK_SECRET: STRIPE_SECRET,
};
const ROUTES = [
  "--route",
  "/github=github:GITHUB_WEBHOOK_SECRET",
  "--route",
  "/standard=standard:STANDARD_SECRET",
  "--route",
  "/stripe=stripe:STRIPE_WEBHOOK_SECRET",
];
const ACCEPTED = { status: 200, text: '{"status":"accepted"}' };
const DUPLICATE = { status: 200, text: '{"status":"duplicate-ignored"}' };

async function post(url: string, body: string, headers: Record<string, string>) {
  const response = await fetch(url, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", ...headers },
  });
  return { status: response.status, text: await response.text() };
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

Deno.test("serve --route: each provider's own signature is accepted on its route, replays are not", async (t) => {
  await using dir = await tempDir("hookgate-routes-");
  const dataDir = `${dir.path}/data`;
  await using server = await startServe({ env: ENV, args: ["--data-dir", dataDir, ...ROUTES] });
  const push = JSON.stringify({ ref: "refs/heads/main", after: "abc123" });
  const delivery = crypto.randomUUID();
  const github = {
    "x-hub-signature-256": await octokitSign(GITHUB_SECRET, push),
    "x-github-delivery": delivery,
  };
  await t.step(
    "octokit-signed push → accepted; the same delivery again → duplicate",
    async () => {
      assert.deepEqual(await post(`${server.url}/github`, push, github), ACCEPTED);
      assert.deepEqual(await post(`${server.url}/github`, push, github), DUPLICATE);
    },
  );
  await t.step("a GitHub signature made with another secret → 401 bad signature", async () => {
    const forged = {
      ...github,
      "x-hub-signature-256": await octokitSign("not the secret", push),
    };
    assert.deepEqual(await post(`${server.url}/github`, push, forged), {
      status: 401,
      text: '{"error":"bad signature"}',
    });
  });

  const body = JSON.stringify({ type: "invoice.paid", n: 1 });
  const ts = nowSeconds();
  const standard = {
    "webhook-id": "msg_e2e_1",
    "webhook-timestamp": String(ts),
    "webhook-signature": new Webhook(STANDARD_SECRET).sign(
      "msg_e2e_1",
      new Date(ts * 1000),
      body,
    ),
  };
  await t.step(
    "standardwebhooks-signed → accepted; the same webhook-id again → duplicate",
    async () => {
      assert.deepEqual(await post(`${server.url}/standard`, body, standard), ACCEPTED);
      assert.deepEqual(await post(`${server.url}/standard`, body, standard), DUPLICATE);
    },
  );
  await t.step("svix-* disagreeing with webhook-* → 401 bad signature", async () => {
    const headers = { ...standard, "webhook-id": "msg_e2e_2", "svix-id": "msg_e2e_3" };
    assert.deepEqual(await post(`${server.url}/standard`, body, headers), {
      status: 401,
      text: '{"error":"bad signature"}',
    });
  });

  await t.step("stripe's test header → accepted; a future timestamp → 401", async () => {
    const stripe = new Stripe("sk_test_e2e_not_a_key");
    const event = JSON.stringify({ id: "evt_e2e_1", object: "event" });
    const header = await stripe.webhooks.generateTestHeaderStringAsync({
      payload: event,
      secret: STRIPE_SECRET,
      timestamp: nowSeconds(),
    });
    assert.deepEqual(
      await post(`${server.url}/stripe`, event, { "stripe-signature": header }),
      ACCEPTED,
    );
    const future = await stripe.webhooks.generateTestHeaderStringAsync({
      payload: event,
      secret: STRIPE_SECRET,
      timestamp: nowSeconds() + 3600,
    });
    assert.deepEqual(await post(`${server.url}/stripe`, event, { "stripe-signature": future }), {
      status: 401,
      text: '{"error":"timestamp outside allowed window"}',
    });
  });

  await t.step("malformed headers are 4xx, never 5xx", async () => {
    const cases: Array<[string, Record<string, string>]> = [
      ["/github", { "x-hub-signature-256": "sha256=zz", "x-github-delivery": "d" }],
      ["/standard", { ...standard, "webhook-signature": "v1,,,  v1," }],
      ["/standard", { ...standard, "webhook-timestamp": `${ts}abc` }],
      ["/stripe", { "stripe-signature": "t=1,t=2,v1=" }],
      ["/stripe", { "stripe-signature": ",,,=,=" }],
    ];
    for (const [path, headers] of cases) {
      const response = await post(`${server.url}${path}`, body, headers);
      assert.equal(response.status, 401, `${path} ${JSON.stringify(headers)}`);
    }
  });

  await t.step("the default /webhook route is not served when --route is given", async () => {
    const response = await post(`${server.url}/webhook`, body, {});
    assert.equal(response.status, 404);
  });
});

Deno.test("serve --route with a bad spec exits 78 naming the fix", async () => {
  const result = await runCli([
    "serve",
    "--port",
    "0",
    "--route",
    "/gh=gitlab:GITHUB_WEBHOOK_SECRET",
  ], {
    env: ENV,
  });
  assert.equal(result.code, 78);
  assert.match(
    result.stderr,
    /unknown scheme 'gitlab' .*; use one of hookgate, standard, github, stripe/,
  );
});

Deno.test("serve --route with a missing secret exits 78 naming the variable", async () => {
  const result = await runCli(["serve", "--port", "0", "--route", "/gh=github:NOT_SET_SECRET"], {
    env: ENV,
  });
  assert.equal(result.code, 78);
  assert.match(result.stderr, /NOT_SET_SECRET is not set/);
});

Deno.test("serve refuses to start with two routes on one secret, so no delivery counts twice", async () => {
  const shared = "e2e-shared-" + crypto.randomUUID();
  const result = await runCli([
    "serve",
    "--port",
    "0",
    "--route",
    "/a=hookgate:SHARED_SECRET",
    "--route",
    "/b=stripe:SHARED_SECRET",
  ], { env: { SHARED_SECRET: shared } });
  assert.equal(result.code, 78);
  assert.match(result.stderr, /routes \/a and \/b share a secret \(SHARED_SECRET\)/);
  assert.ok(!result.stderr.includes(shared) && !result.stdout.includes(shared));
  assert.doesNotMatch(result.stderr, /listening on/);
});

Deno.test("serve accepts a delivery signed with an unexpired WEBHOOK_SECRET_PREVIOUS", async () => {
  const current = "e2e-current-" + crypto.randomUUID();
  const old = "e2e-old-" + crypto.randomUUID();
  await using dir = await tempDir("hookgate-routes-");
  const dataDir = `${dir.path}/data`;
  const env = { WEBHOOK_SECRET: current, WEBHOOK_SECRET_PREVIOUS: `${old}@2999-01-01T00:00:00Z` };
  await using server = await startServe({ env, args: ["--data-dir", dataDir] });
  const stripeLike = (await import("node:crypto")).createHmac;
  const body = JSON.stringify({ id: "e-rotated" });
  const ts = String(nowSeconds());
  const signature = stripeLike("sha256", old).update(`${ts}.${body}`).digest("hex");
  assert.deepEqual(
    await post(`${server.url}/webhook`, body, { "x-timestamp": ts, "x-signature": signature }),
    ACCEPTED,
  );
});

Deno.test("hookgate send --scheme standard → standardwebhooks verify() accepts", async () => {
  await using receiver = startRecordingServer(() => Response.json({ status: "accepted" }));
  const result = await runCli(
    [
      "send",
      "--scheme",
      "standard",
      "--secret-var",
      "STANDARD_SECRET",
      "--data",
      '{"n":1}',
      receiver.url,
    ],
    { env: ENV },
  );
  assert.equal(result.code, 0, result.stderr);
  const request = receiver.requests[0];
  assert.ok(request);
  const body = new TextDecoder().decode(request.body);
  const headers = Object.fromEntries(request.headers);
  assert.deepEqual(new Webhook(STANDARD_SECRET).verify(body, headers), JSON.parse(body));
});
