/**
 * Cost of the code-level egress decision per URL (the raw-text checks and the exact host match): raw-text
 * checks, WHATWG parsing, normalization and set lookups. Run:
 * `deno bench bench/egress_policy_bench.ts`; each iteration decides one URL.
 */
import {
  checkEgressUrl,
  type EgressPolicy,
  fetchUrl,
  parseEgressPolicy,
} from "../lib/egress/mod.ts";

function policyOf(allowHosts: string): EgressPolicy {
  const parsed = parseEgressPolicy({ EGRESS_ALLOW_HOSTS: allowHosts });
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
}

const SMALL = policyOf("api.github.com,api.weather.gov");
// A large list costs the same: membership is a set lookup, not a scan.
const LARGE = policyOf(
  [
    ...Array.from({ length: 1000 }, (_, i) => `api${i}.example.org`),
    "api.github.com",
    "*.githubusercontent.com",
  ].join(","),
);

const ALLOWED = "https://api.github.com/repos/denoland/deno/commits?per_page=5";
const WILDCARD = "https://raw.githubusercontent.com/denoland/deno/main/README.md";
const DENIED = "https://evil.example.com/steal?data=abc";
const TRICK = "https://api.github.com@evil.com/";
const IP = "https://0x7f.1/";

for (
  const [name, url, policy] of [
    ["allowed, 2 entries", ALLOWED, SMALL],
    ["allowed, 1002 entries", ALLOWED, LARGE],
    ["wildcard subdomain, 1002 entries", WILDCARD, LARGE],
    ["denied host", DENIED, SMALL],
    ["denied userinfo trick", TRICK, SMALL],
    ["denied IP literal", IP, SMALL],
  ] as const
) {
  Deno.bench(
    `checkEgressUrl(): ${name}`,
    { group: "checkEgressUrl", baseline: name === "allowed, 2 entries" },
    () => {
      const verdict = checkEgressUrl(url, policy);
      if (verdict.allowed !== (url === ALLOWED || url === WILDCARD)) {
        throw new Error("wrong verdict");
      }
    },
  );
}

// What the sandbox costs: one whole fetchUrl() (policy, Worker with a net permission, request)
// against a loopback server, next to a bare fetch() of the same URL.
const server = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen() {} },
  () => new Response("ok"),
);
const LOCAL = `http://localhost:${server.addr.port}/`;
const LOCAL_POLICY = (() => {
  const parsed = parseEgressPolicy({
    EGRESS_ALLOW_HOSTS: `http://localhost:${server.addr.port}`,
    EGRESS_ALLOW_PRIVATE: "localhost",
  });
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
})();

Deno.bench("bare fetch() of a loopback URL", { group: "hop", baseline: true }, async () => {
  await (await fetch(LOCAL)).text();
});

Deno.bench("fetchUrl(): checks + sandboxed Worker hop", { group: "hop" }, async () => {
  const result = await fetchUrl(LOCAL, { policy: LOCAL_POLICY });
  if (!result.ok) throw new Error(result.error ?? "failed");
});

globalThis.addEventListener("unload", () => void server.shutdown());
