import assert from "node:assert/strict";
import { classifyIpAddress, type IpCategory, isIpAddress } from "../../lib/egress/mod.ts";

const TABLE: [string, IpCategory][] = [
  // Public: a classifier that refuses everything fails here.
  ["8.8.8.8", "public"],
  ["1.1.1.1", "public"],
  ["140.82.112.6", "public"],
  ["172.15.255.255", "public"],
  ["172.32.0.1", "public"],
  ["100.63.255.255", "public"],
  ["100.128.0.0", "public"],
  ["169.253.255.255", "public"],
  ["2606:4700:4700::1111", "public"],
  ["2a00:1450:4001:80e::200e", "public"],
  ["2002:0808:0808::1", "public"], // 6to4 around a public IPv4
  ["64:ff9b::808:808", "public"], // NAT64 around a public IPv4
  // IPv4 special ranges.
  ["0.0.0.0", "unspecified"],
  ["0.1.2.3", "unspecified"],
  ["127.0.0.1", "loopback"],
  ["127.255.255.254", "loopback"],
  ["10.0.0.1", "private"],
  ["172.16.0.1", "private"],
  ["172.31.255.255", "private"],
  ["192.168.1.1", "private"],
  ["100.64.0.1", "cgnat"],
  ["100.127.255.255", "cgnat"],
  ["169.254.169.254", "link-local"],
  ["169.254.0.1", "link-local"],
  ["192.0.0.8", "reserved"],
  ["192.0.2.1", "documentation"],
  ["198.51.100.7", "documentation"],
  ["203.0.113.9", "documentation"],
  ["198.18.0.1", "benchmarking"],
  ["224.0.0.1", "multicast"],
  ["239.255.255.250", "multicast"],
  ["240.0.0.1", "reserved"],
  ["255.255.255.255", "broadcast"],
  // IPv6 special ranges.
  ["::", "unspecified"],
  ["::1", "loopback"],
  ["0:0:0:0:0:0:0:1", "loopback"],
  ["[::1]", "loopback"],
  ["::ffff:127.0.0.1", "ipv4-mapped"],
  ["::ffff:8.8.8.8", "ipv4-mapped"],
  ["::ffff:7f00:1", "ipv4-mapped"],
  ["fc00::1", "unique-local"],
  ["fd00:ec2::254", "unique-local"],
  ["fe80::1", "link-local"],
  ["fe80::1%eth0", "link-local"],
  ["febf::1", "link-local"],
  ["fec0::1", "private"],
  ["ff02::1", "multicast"],
  ["2001:db8::1", "documentation"],
  ["3fff::1", "documentation"],
  ["2001::1", "reserved"],
  ["100::1", "reserved"],
  ["64:ff9b:1::a00:1", "nat64-local"],
  ["::127.0.0.1", "reserved"], // deprecated IPv4-compatible
  ["4000::1", "reserved"], // outside 2000::/3
  // Translations that embed a private IPv4 take its category.
  ["64:ff9b::7f00:1", "loopback"],
  ["64:ff9b::127.0.0.1", "loopback"],
  ["64:ff9b::a9fe:a9fe", "link-local"],
  ["2002:7f00:1::1", "loopback"],
  ["2002:c0a8:101::1", "private"],
  ["2002:a9fe:a9fe::", "link-local"],
];

for (const [address, category] of TABLE) {
  Deno.test(`classifyIpAddress() puts ${address} in ${category}`, () => {
    const result = classifyIpAddress(address);
    assert.equal(result.category, category);
    assert.equal(result.public, category === "public");
  });
}

Deno.test("classifyIpAddress() reports the IPv4 address inside a translated form", () => {
  assert.equal(classifyIpAddress("64:ff9b::a9fe:a9fe").embeddedIpv4, "169.254.169.254");
  assert.equal(classifyIpAddress("2002:c0a8:101::1").embeddedIpv4, "192.168.1.1");
  assert.equal(classifyIpAddress("::ffff:10.1.2.3").embeddedIpv4, "10.1.2.3");
});

const INVALID = [
  "",
  "localhost",
  "1.2.3",
  "1.2.3.4.5",
  "256.1.1.1",
  "01.2.3.4",
  "0x7f.0.0.1",
  "2130706433",
  "1:2:3:4:5:6:7:8:9",
  "1::2::3",
  "12345::1",
  "1.2.3.4::",
  "::g",
  ":::",
];

for (const text of INVALID) {
  Deno.test(`classifyIpAddress() calls ${JSON.stringify(text)} invalid and not public`, () => {
    assert.deepEqual(classifyIpAddress(text), { public: false, category: "invalid" });
    assert.equal(isIpAddress(text), false);
  });
}

Deno.test("isIpAddress() recognises both families and not host names", () => {
  assert.equal(isIpAddress("127.0.0.1"), true);
  assert.equal(isIpAddress("::1"), true);
  assert.equal(isIpAddress("[2001:db8::1]"), true);
  assert.equal(isIpAddress("api.github.com"), false);
  assert.equal(isIpAddress("cafe"), false);
});
