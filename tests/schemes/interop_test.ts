/**
 * Both directions against the providers' own libraries: what they sign,
 * hookgate verifies; what hookgate signs, they verify. Test-only dependencies.
 */
import assert from "node:assert/strict";
import { sign as octokitSign, verify as octokitVerify } from "npm:@octokit/webhooks-methods@6.0.0";
import { Webhook } from "npm:standardwebhooks@1.1.1";
import Stripe from "npm:stripe@23.1.0";
import { type HmacKey, importHmacKey, utf8 } from "../../lib/util/mod.ts";
import { githubScheme, type Scheme, standardScheme, stripeScheme } from "../../lib/schemes/mod.ts";
import { verifyDelivery } from "../../lib/receive/mod.ts";

const STANDARD_SECRET = "whsec_" + btoa("interop secret, 32 bytes long!!!");
const STRIPE_SECRET = "whsec_interop_stripe_secret_0123456789";
const GITHUB_SECRET = "interop github secret 0123456789";
const PAYLOAD = '{"id":"evt_interop","type":"push","data":{"n":1}}';
const stripe = new Stripe("sk_test_interop_not_a_real_key");
// Under Deno, stripe-node selects its WebCrypto provider, which only works through the
// *Async twins of generateTestHeaderString/constructEvent (same checks, awaited HMAC).

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function keyFor(scheme: Scheme, secret: string): HmacKey {
  const bytes = scheme.secretBytes(secret);
  assert.ok(bytes.ok);
  return importHmacKey(bytes.value);
}

function hookgateVerifies(scheme: Scheme, secret: string, headers: Record<string, string>) {
  return verifyDelivery(
    {
      scheme,
      keys: [keyFor(scheme, secret)],
      headers: new Headers(headers),
      body: utf8(PAYLOAD),
    },
    { nowSeconds: nowSeconds(), toleranceSeconds: 300 },
  );
}

Deno.test("standardwebhooks sign() → hookgate's standard scheme accepts", () => {
  const ts = nowSeconds();
  const signature = new Webhook(STANDARD_SECRET).sign("msg_interop", new Date(ts * 1000), PAYLOAD);
  const result = hookgateVerifies(standardScheme, STANDARD_SECRET, {
    "webhook-id": "msg_interop",
    "webhook-timestamp": String(ts),
    "webhook-signature": signature,
  });
  assert.equal(result.ok, true);
});

Deno.test("hookgate's standard sign() → standardwebhooks verify() accepts, with two keys", () => {
  const previous = "whsec_" + btoa("the previous secret, 32 bytes!!!");
  const headers = standardScheme.sign(utf8(PAYLOAD), {
    keys: [keyFor(standardScheme, STANDARD_SECRET), keyFor(standardScheme, previous)],
    timestampSeconds: nowSeconds(),
    id: "msg_interop",
  });
  // Throws on failure; returns the parsed payload on success.
  assert.deepEqual(new Webhook(STANDARD_SECRET).verify(PAYLOAD, headers), JSON.parse(PAYLOAD));
  assert.deepEqual(new Webhook(previous).verify(PAYLOAD, headers), JSON.parse(PAYLOAD));
});

Deno.test("standardwebhooks verify() refuses what another secret signed (the peer is not lax)", () => {
  const headers = standardScheme.sign(utf8(PAYLOAD), {
    keys: [keyFor(standardScheme, STANDARD_SECRET)],
    timestampSeconds: nowSeconds(),
    id: "msg_interop",
  });
  const other = "whsec_" + btoa("a totally different 32-byte key!");
  assert.throws(() => new Webhook(other).verify(PAYLOAD, headers));
});

Deno.test("stripe generateTestHeaderStringAsync() → hookgate's stripe scheme accepts", async () => {
  const header = await stripe.webhooks.generateTestHeaderStringAsync({
    payload: PAYLOAD,
    secret: STRIPE_SECRET,
    timestamp: nowSeconds(),
  });
  const result = hookgateVerifies(stripeScheme, STRIPE_SECRET, {
    "stripe-signature": header,
  });
  assert.equal(result.ok, true);
});

Deno.test("hookgate's stripe sign() → stripe constructEventAsync() accepts, with two keys", async () => {
  const previous = "whsec_previous_stripe_secret_0123456789";
  const headers = stripeScheme.sign(utf8(PAYLOAD), {
    keys: [keyFor(stripeScheme, STRIPE_SECRET), keyFor(stripeScheme, previous)],
    timestampSeconds: nowSeconds(),
    id: "evt_interop",
  });
  for (const secret of [STRIPE_SECRET, previous]) {
    const event = await stripe.webhooks.constructEventAsync(
      PAYLOAD,
      headers["stripe-signature"] as string,
      secret,
    );
    assert.equal(event.id, "evt_interop");
  }
});

Deno.test("stripe constructEventAsync() refuses what another secret signed (the peer is not lax)", async () => {
  const headers = stripeScheme.sign(utf8(PAYLOAD), {
    keys: [keyFor(stripeScheme, STRIPE_SECRET)],
    timestampSeconds: nowSeconds(),
    id: "evt_interop",
  });
  await assert.rejects(
    stripe.webhooks.constructEventAsync(
      PAYLOAD,
      headers["stripe-signature"] as string,
      "whsec_wrong",
    ),
  );
});

Deno.test("octokit sign() → hookgate's github scheme accepts", async () => {
  const signature = await octokitSign(GITHUB_SECRET, PAYLOAD);
  const result = hookgateVerifies(githubScheme, GITHUB_SECRET, {
    "x-hub-signature-256": signature,
    "x-github-delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
  });
  assert.equal(result.ok, true);
});

Deno.test("hookgate's github sign() → octokit verify() returns true, and false for another secret", async () => {
  const headers = githubScheme.sign(utf8(PAYLOAD), {
    keys: [keyFor(githubScheme, GITHUB_SECRET)],
    timestampSeconds: nowSeconds(),
    id: "72d3162e-cc78-11e3-81ab-4c9367dc0958",
  });
  const signature = headers["x-hub-signature-256"] as string;
  assert.equal(await octokitVerify(GITHUB_SECRET, PAYLOAD, signature), true);
  assert.equal(await octokitVerify("another secret", PAYLOAD, signature), false);
});
