import assert from "node:assert/strict";
import {
  checkEgressRedirect,
  checkEgressUrl,
  denoNetPermissions,
  type EgressPolicy,
  parseEgressPolicy,
  reasonWithRemedy,
} from "../../lib/egress/mod.ts";
import { runCli } from "../support/cli.ts";

const ALLOW_HOSTS = [
  "api.github.com",
  "api.weather.gov",
  "*.githubusercontent.com",
  "secure.example.org:8443",
  "http://plain.example.net",
].join(",");

function policyOf(env: Record<string, string>): EgressPolicy {
  const parsed = parseEgressPolicy(env);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
}

const POLICY = policyOf({ EGRESS_ALLOW_HOSTS: ALLOW_HOSTS });

/** [url, expected normalized host when allowed, or null when denied, what the row is about]. */
const TABLE: [string, string | null, string][] = [
  // Allowed, including the normalizations the parser makes: a guard that denies everything fails here.
  ["https://api.github.com/zen", "api.github.com", "exact host"],
  ["https://api.github.com", "api.github.com", "no path"],
  ["https://API.GITHUB.COM/zen", "api.github.com", "upper case"],
  ["HTTPS://Api.GitHub.Com/", "api.github.com", "mixed case, upper-case scheme"],
  ["https://api.github.com./zen", "api.github.com", "one trailing dot"],
  ["https://api.github.com:443/zen", "api.github.com", "explicit default port"],
  ["https://api.github.com/zen?x=1#frag", "api.github.com", "query and fragment"],
  ["https://api.github.com/repos/a/b?next=evil.com", "api.github.com", "other host in query"],
  ["https://api.github.com/@evil.com", "api.github.com", "@ in the path, not the authority"],
  ["https://api.github.com/?u=https://evil.com/", "api.github.com", "URL in the query"],
  ["https://ａｐｉ.ｇｉｔｈｕｂ.ｃｏｍ/", "api.github.com", "IDN: fullwidth letters map to ASCII"],
  ["https://api。github。com/", "api.github.com", "IDN: ideographic full stops"],
  ["https://api%2egithub%2ecom/", "api.github.com", "percent-encoded dots decode in the host"],
  ["https://api.weather.gov/points/39.7,-104.9", "api.weather.gov", "second host"],
  ["https://raw.githubusercontent.com/a/b", "raw.githubusercontent.com", "wildcard subdomain"],
  ["https://a.b.githubusercontent.com/", "a.b.githubusercontent.com", "wildcard, deeper"],
  ["https://RAW.GitHubUserContent.com./", "raw.githubusercontent.com", "wildcard, case, dot"],
  ["https://secure.example.org:8443/", "secure.example.org", "the port the entry names"],
  ["http://plain.example.net/", "plain.example.net", "http where the entry says http://"],
  ["http://plain.example.net:80/x", "plain.example.net", "http with explicit port 80"],
  // Denied: not on the list.
  ["https://evil.example.com/steal", null, "an unlisted host"],
  ["https://api.github.com.evil.com/", null, "allowed name as a prefix"],
  ["https://evilapi.github.com/", null, "sibling of an exact entry"],
  ["https://x.api.github.com/", null, "subdomain of an exact entry"],
  ["https://api.github.co/", null, "look-alike TLD"],
  ["https://apixgithub.com/", null, "dot replaced"],
  ["https://аpi.github.com/", null, "Cyrillic a (homograph) becomes punycode"],
  ["https://api.github.com../", null, "two trailing dots"],
  ["https://api..github.com/", null, "empty label"],
  ["https://x..githubusercontent.com/", null, "empty label under a wildcard"],
  ["https://..githubusercontent.com/", null, "empty labels first, under a wildcard"],
  ["https://githubusercontent.com/", null, "wildcard never matches the apex"],
  ["https://evilgithubusercontent.com/", null, "wildcard is not a text suffix"],
  ["https://githubusercontent.com.evil.com/", null, "wildcard parent as a prefix"],
  // Denied: user-info and authority tricks.
  ["https://api.github.com@evil.com", null, "allowed host as userinfo"],
  ["https://api.github.com:443@evil.com/", null, "allowed host:port as userinfo"],
  ["https://user:pass@api.github.com/", null, "credentials for an allowed host"],
  ["https://user@api.github.com/", null, "user for an allowed host"],
  ["https://@api.github.com/", null, "empty userinfo"],
  ["https://evil.com#@api.github.com", null, "fragment hides the real host"],
  ["https://evil.com?@api.github.com", null, "query hides the real host"],
  ["https://evil.com/@api.github.com", null, "path hides the real host"],
  ["https://api.github.com%2f.evil.com/", null, "encoded slash in the host"],
  // Denied: raw-text checks.
  ["https://api.github.com\\@evil.com", null, "backslash before @"],
  ["https:\\\\api.github.com\\zen", null, "backslashes as slashes"],
  [" https://api.github.com/", null, "leading space"],
  ["https://api.github.com/ x", null, "space inside"],
  ["https://api.github.com/\n", null, "newline"],
  ["https://api.github.com\t/", null, "tab"],
  ["https://api.git\u200bhub.com/", null, "zero-width space"],
  ["https://api.github.com\u0000.evil.com/", null, "NUL"],
  ["https://api.github.com/\u202e", null, "bidi override"],
  [`https://api.github.com/${"a".repeat(9000)}`, null, "over the length limit"],
  // Denied: IP literals in every notation.
  ["https://127.0.0.1/", null, "dotted IPv4 loopback"],
  ["https://8.8.8.8/", null, "public IPv4 literal"],
  ["https://2130706433/", null, "decimal IPv4"],
  ["https://0177.0.0.1/", null, "octal IPv4"],
  ["https://0x7f.1/", null, "hex IPv4, short form"],
  ["https://0x7f000001/", null, "hex IPv4, one number"],
  ["https://127.1/", null, "short IPv4"],
  ["https://0/", null, "zero"],
  ["https://169.254.169.254/latest/meta-data/", null, "cloud metadata"],
  ["https://[::1]/", null, "IPv6 loopback"],
  ["https://[::ffff:127.0.0.1]/", null, "IPv4-mapped IPv6"],
  ["https://[0:0:0:0:0:ffff:7f00:1]/", null, "IPv4-mapped IPv6, long form"],
  ["https://[fe80::1%25eth0]/", null, "zone id"],
  ["https://[64:ff9b::7f00:1]/", null, "NAT64"],
  ["https://[2606:4700::1111]/", null, "public IPv6 literal"],
  // Denied: schemes.
  ["http://api.github.com/", null, "plain http for an https entry"],
  ["https://plain.example.net/", null, "https for an http-only entry"],
  ["file:///etc/passwd", null, "file"],
  ["file://api.github.com/etc/passwd", null, "file with an allowed host"],
  ["data:text/plain,hello", null, "data"],
  ["ftp://api.github.com/", null, "ftp"],
  ["gopher://api.github.com:70/", null, "gopher"],
  ["javascript:alert(1)", null, "javascript"],
  ["wss://api.github.com/", null, "websocket"],
  ["blob:https://api.github.com/0b8e", null, "blob"],
  ["//api.github.com/zen", null, "scheme-relative"],
  ["api.github.com/zen", null, "no scheme"],
  ["", null, "empty"],
  ["https://", null, "no host"],
  // Denied: ports.
  ["https://api.github.com:8443/", null, "unlisted port"],
  ["https://api.github.com:80/", null, "http port over https"],
  ["https://api.github.com:0/", null, "port zero"],
  ["https://secure.example.org/", null, "default port where the entry names another"],
  ["http://plain.example.net:8080/", null, "unlisted port on an http entry"],
  ["https://raw.githubusercontent.com:8443/", null, "unlisted port on a wildcard"],
];

Deno.test("the URL table has at least 60 rows with both verdicts", () => {
  assert.ok(TABLE.length >= 60);
  assert.ok(TABLE.filter(([, host]) => host !== null).length >= 15);
});

for (const [url, host, about] of TABLE) {
  Deno.test(`checkEgressUrl() ${host ? "allows" : "denies"} ${about}: ${JSON.stringify(url).slice(0, 70)}`, () => {
    const verdict = checkEgressUrl(url, POLICY);
    if (host === null) {
      assert.equal(verdict.allowed, false, `expected a denial for ${JSON.stringify(url)}`);
    } else {
      assert.ok(verdict.allowed, `expected ${url} allowed, got ${JSON.stringify(verdict)}`);
      assert.equal(verdict.host, host);
      assert.equal(new URL(verdict.url).hostname, host);
    }
  });
}

Deno.test("checkEgressUrl() denies with the denial message listing the configured entries", () => {
  const verdict = checkEgressUrl(
    "https://evil.example.com/steal",
    policyOf({
      EGRESS_ALLOW_HOSTS: "api.github.com,api.weather.gov",
    }),
  );
  assert.equal(verdict.allowed, false);
  assert.equal(
    !verdict.allowed && verdict.message,
    `egress to 'evil.example.com' denied; allowed: ["api.github.com","api.weather.gov"]`,
  );
});

Deno.test("checkEgressUrl() names the decoded host, not the userinfo, in a denial", () => {
  const verdict = checkEgressUrl("https://api.github.com@evil.com", POLICY);
  assert.equal(!verdict.allowed && verdict.host, "evil.com");
});

Deno.test("checkEgressUrl() with an empty allowlist denies everything and says how to allow a host", () => {
  const verdict = checkEgressUrl("https://api.github.com/zen", policyOf({}));
  assert.equal(verdict.allowed, false);
  assert.match(
    !verdict.allowed ? reasonWithRemedy(verdict) : "",
    /EGRESS_ALLOW_HOSTS=api\.github\.com/,
  );
  // How to widen the allowlist is the operator's: it is not part of the reason an agent gets.
  assert.doesNotMatch(!verdict.allowed ? verdict.reason : "", /EGRESS_ALLOW_HOSTS=/);
  assert.match(!verdict.allowed ? verdict.message : "", /allowed: \[\]$/);
});

Deno.test("a denial says whether EGRESS_ALLOW_HOSTS is unset or set empty", () => {
  const unset = checkEgressUrl("https://api.github.com/zen", policyOf({}));
  const empty = checkEgressUrl("https://api.github.com/zen", policyOf({ EGRESS_ALLOW_HOSTS: "" }));
  assert.match(!unset.allowed ? unset.reason : "", /EGRESS_ALLOW_HOSTS is not set/);
  assert.match(!unset.allowed ? reasonWithRemedy(unset) : "", /hookgate init/);
  assert.match(!empty.allowed ? empty.reason : "", /EGRESS_ALLOW_HOSTS is empty/);
  assert.doesNotMatch(!empty.allowed ? reasonWithRemedy(empty) : "", /hookgate init/);
});

Deno.test("checkEgressUrl() returns a URL without the fragment and the trailing dot", () => {
  const verdict = checkEgressUrl("https://API.github.com.:443/a?b=1#secret", POLICY);
  assert.equal(verdict.allowed && verdict.url, "https://api.github.com/a?b=1");
});

Deno.test("parseEgressPolicy() canonicalizes entries", () => {
  const policy = policyOf({
    EGRESS_ALLOW_HOSTS:
      " API.GitHub.com. , https://api.weather.gov/, HTTP://LocalHost:8080,x.org:443,",
  });
  assert.deepEqual(policy.entries.map((e) => e.text), [
    "api.github.com",
    "api.weather.gov",
    "http://localhost:8080",
    "x.org",
  ]);
});

const INVALID_ENTRIES: [string, string][] = [
  ["1.2.3.4", "IPv4 literal"],
  ["[::1]", "IPv6 literal"],
  ["2130706433", "decimal IPv4"],
  ["ftp://files.example.com", "other scheme"],
  ["api.github.com/zen", "a path"],
  ["user@api.github.com", "userinfo"],
  ["api.*.com", "inner wildcard"],
  ["*", "bare wildcard"],
  ["*.com", "wildcard on a TLD"],
  ["**.example.com", "double wildcard"],
  ["api.github.com:99999", "port out of range"],
  ["api.github.com:abc", "port not a number"],
  ["bad_host.example.com", "underscore"],
  ["-bad.example.com", "leading hyphen"],
  ["api github.com", "space"],
];

for (const [entry, about] of INVALID_ENTRIES) {
  Deno.test(`parseEgressPolicy() rejects an entry with ${about}: ${entry}`, () => {
    const parsed = parseEgressPolicy({ EGRESS_ALLOW_HOSTS: `api.github.com,${entry}` });
    assert.equal(parsed.ok, false);
    assert.match(!parsed.ok ? parsed.reason : "", /^EGRESS_ALLOW_HOSTS entry '.*' is invalid: /);
  });
}

Deno.test("parseEgressPolicy() rejects an EGRESS_ALLOW_PRIVATE entry that is not a host name", () => {
  for (const bad of ["127.0.0.1", "*.local", "localhost:8080", "http://localhost"]) {
    const parsed = parseEgressPolicy({ EGRESS_ALLOW_PRIVATE: bad });
    assert.equal(parsed.ok, false, bad);
    assert.match(!parsed.ok ? parsed.reason : "", /^EGRESS_ALLOW_PRIVATE entry/);
  }
  const good = policyOf({ EGRESS_ALLOW_PRIVATE: "LocalHost, dev.internal." });
  assert.deepEqual([...good.allowPrivateHosts], ["localhost", "dev.internal"]);
});

Deno.test("denoNetPermissions() is exactly the allowlist's host:port pairs", () => {
  assert.deepEqual(denoNetPermissions(POLICY), [
    "api.github.com:443",
    "api.weather.gov:443",
    "*.githubusercontent.com:443",
    "secure.example.org:8443",
    "plain.example.net:80",
  ]);
});

Deno.test("checkEgressRedirect() follows a relative Location on an allowed host", () => {
  const verdict = checkEgressRedirect("https://api.github.com/a/b", "../zen", POLICY);
  assert.equal(verdict.allowed && verdict.url, "https://api.github.com/zen");
});

Deno.test("checkEgressRedirect() allows a hop to another listed host", () => {
  const verdict = checkEgressRedirect(
    "https://api.github.com/x",
    "https://raw.githubusercontent.com/y",
    POLICY,
  );
  assert.equal(verdict.allowed, true);
});

Deno.test("checkEgressRedirect() refuses a hop to an unlisted host", () => {
  const verdict = checkEgressRedirect("https://api.github.com/x", "https://evil.com/", POLICY);
  assert.equal(!verdict.allowed && verdict.host, "evil.com");
});

Deno.test("checkEgressRedirect() refuses an https to http downgrade even to a listed http host", () => {
  const both = policyOf({ EGRESS_ALLOW_HOSTS: "dual.example.org,http://dual.example.org" });
  assert.equal(checkEgressUrl("http://dual.example.org/", both).allowed, true);
  const verdict = checkEgressRedirect(
    "https://dual.example.org/a",
    "http://dual.example.org/b",
    both,
  );
  assert.equal(verdict.allowed, false);
  assert.match(!verdict.allowed ? verdict.reason : "", /downgrade/);
});

Deno.test("checkEgressRedirect() refuses a Location with a backslash or whitespace", () => {
  for (const location of ["https://api.github.com\\@evil.com/", "/zen\r\nX: y", " /zen"]) {
    assert.equal(checkEgressRedirect("https://api.github.com/", location, POLICY).allowed, false);
  }
});

Deno.test("checkEgressRedirect() refuses a Location with an IP literal or another scheme", () => {
  for (const location of ["https://169.254.169.254/", "file:///etc/passwd", "//2130706433/"]) {
    assert.equal(checkEgressRedirect("https://api.github.com/", location, POLICY).allowed, false);
  }
});

// The same decisions through the real command, as users test their allowlist.
const CLI_SAMPLE: [string, boolean][] = [
  ["https://api.github.com/zen", true],
  ["https://API.GITHUB.COM./zen", true],
  ["https://ａｐｉ.ｇｉｔｈｕｂ.ｃｏｍ/", true],
  ["https://raw.githubusercontent.com/x", true],
  ["https://evil.example.com/steal", false],
  ["https://api.github.com@evil.com", false],
  ["https://evil.com#@api.github.com", false],
  ["https://api.github.com.evil.com/", false],
  ["https://api.github.com\\@evil.com", false],
  ["https://0x7f.1/", false],
  ["https://[::ffff:127.0.0.1]/", false],
  ["file:///etc/passwd", false],
  ["http://api.github.com/", false],
  ["https://api.github.com:8443/", false],
];

Deno.test("hookgate fetch --dry-run gives the same verdicts, exit 0 or 77", async () => {
  // Two at a time: the machine is shared.
  for (let i = 0; i < CLI_SAMPLE.length; i += 2) {
    await Promise.all(
      CLI_SAMPLE.slice(i, i + 2).map(async ([url, allowed]) => {
        const result = await runCli(["fetch", "--dry-run", url], {
          env: { EGRESS_ALLOW_HOSTS: ALLOW_HOSTS },
        });
        assert.equal(result.code, allowed ? 0 : 77, `${url}: ${result.stdout}${result.stderr}`);
        assert.match(result.stdout, allowed ? /^allowed host=/ : /^denied host=/);
        assert.equal(checkEgressUrl(url, POLICY).allowed, allowed);
      }),
    );
  }
});

Deno.test("hookgate fetch --dry-run prints the normalized host and the denial", async () => {
  const env = { EGRESS_ALLOW_HOSTS: "api.github.com,api.weather.gov" };
  const allowed = await runCli(["fetch", "--dry-run", "https://API.GitHub.com.:443/zen"], { env });
  assert.equal(allowed.code, 0);
  assert.match(allowed.stdout, /^allowed host=api\.github\.com port=443 /);
  const denied = await runCli(["fetch", "--dry-run", "https://evil.example.com/steal"], { env });
  assert.equal(denied.code, 77);
  assert.match(
    denied.stderr,
    /egress to 'evil\.example\.com' denied; allowed: \["api\.github\.com","api\.weather\.gov"\]/,
  );
});

Deno.test("hookgate fetch --dry-run needs no net permission (no DNS, no request)", async () => {
  const result = await runCli(["fetch", "--dry-run", "https://api.github.com/zen"], {
    env: { EGRESS_ALLOW_HOSTS: "api.github.com" },
    permissions: ["--allow-read", "--allow-env"],
  });
  assert.equal(result.code, 0, result.stderr);
});

Deno.test("hookgate fetch --dry-run with an invalid entry exits 78 naming the variable", async () => {
  const result = await runCli(["fetch", "--dry-run", "https://api.github.com/zen"], {
    env: { EGRESS_ALLOW_HOSTS: "api.github.com,10.0.0.1" },
  });
  assert.equal(result.code, 78);
  assert.match(result.stderr, /EGRESS_ALLOW_HOSTS entry '10\.0\.0\.1' is invalid/);
});

Deno.test("checkEgressUrl() names the entry with its port when only plain http is missing", () => {
  const verdict = checkEgressUrl(
    "http://localhost:18433/",
    policyOf({ EGRESS_ALLOW_HOSTS: "localhost:18433", EGRESS_ALLOW_PRIVATE: "localhost" }),
  );
  assert.equal(verdict.allowed, false);
  assert.match(verdict.allowed ? "" : verdict.reason, /entries written http:\/\/localhost:18433/);
});
