/**
 * A proxy named in the environment would take every egress request past both layers (the
 * address checks and the Worker's net permission): the proxy resolves and connects on its
 * own. Egress ignores the proxy variables.
 */
import assert from "node:assert/strict";
import { fetchUrl, parseEgressPolicy } from "../../lib/egress/mod.ts";

Deno.test("fetchUrl() never sends a request to a proxy named by HTTPS_PROXY or HTTP_PROXY", async () => {
  const proxy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const seen: string[] = [];
  const accepting = (async () => {
    for await (const conn of proxy) {
      const buffer = new Uint8Array(256);
      const n = await conn.read(buffer).catch(() => null);
      seen.push(new TextDecoder().decode(buffer.subarray(0, n ?? 0)).split("\r\n")[0] ?? "");
      conn.close();
    }
  })();
  const proxyUrl = `http://127.0.0.1:${(proxy.addr as Deno.NetAddr).port}`;
  const saved = ["HTTPS_PROXY", "HTTP_PROXY"].map((name) => [name, Deno.env.get(name)] as const);
  try {
    for (const [name] of saved) Deno.env.set(name, proxyUrl);
    const policy = parseEgressPolicy({ EGRESS_ALLOW_HOSTS: "hooks.example.invalid" });
    assert.ok(policy.ok);
    const result = await fetchUrl("https://hooks.example.invalid/", {
      policy: policy.value,
      timeoutMs: 5_000,
      // A public address stands in for DNS, so the code-level check lets the request go.
      resolveAddresses: () => Promise.resolve(["93.184.215.14"]),
    });
    assert.equal(result.ok, false, "a .invalid name cannot be reached directly");
    assert.deepEqual(seen, [], "the proxy got no connection");
    assert.equal(Deno.env.get("HTTPS_PROXY"), undefined);
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) Deno.env.delete(name);
      else Deno.env.set(name, value);
    }
    proxy.close();
    await accepting.catch(() => {});
  }
});
