/**
 * Classifies an IP address as public or as one of the ranges an egress guard
 * must never reach (RFC 6890 special-purpose registries, plus the cloud metadata
 * address). Pure: strings in, values out.
 */

export type IpCategory =
  | "public"
  | "unspecified"
  | "loopback"
  | "private"
  | "link-local"
  | "cgnat"
  | "unique-local"
  | "multicast"
  | "broadcast"
  | "documentation"
  | "benchmarking"
  | "reserved"
  | "ipv4-mapped"
  | "nat64-local"
  | "invalid";

export interface IpClassification {
  /** True only for globally routable unicast addresses. */
  public: boolean;
  category: IpCategory;
  /** For translated forms (NAT64, 6to4, IPv4-compatible): the IPv4 address inside. */
  embeddedIpv4?: string;
}

interface Range {
  base: bigint;
  prefixBits: number;
  category: Exclude<IpCategory, "public" | "invalid">;
}

const V4_RANGES: Range[] = [
  v4Range("0.0.0.0", 8, "unspecified"),
  v4Range("10.0.0.0", 8, "private"),
  v4Range("100.64.0.0", 10, "cgnat"),
  v4Range("127.0.0.0", 8, "loopback"),
  v4Range("169.254.0.0", 16, "link-local"),
  v4Range("172.16.0.0", 12, "private"),
  v4Range("192.0.0.0", 24, "reserved"),
  v4Range("192.0.2.0", 24, "documentation"),
  v4Range("192.88.99.0", 24, "reserved"),
  v4Range("192.168.0.0", 16, "private"),
  v4Range("198.18.0.0", 15, "benchmarking"),
  v4Range("198.51.100.0", 24, "documentation"),
  v4Range("203.0.113.0", 24, "documentation"),
  v4Range("224.0.0.0", 4, "multicast"),
  v4Range("255.255.255.255", 32, "broadcast"),
  v4Range("240.0.0.0", 4, "reserved"),
];

const V6_RANGES: Range[] = [
  v6Range("::", 128, "unspecified"),
  v6Range("::1", 128, "loopback"),
  v6Range("::ffff:0:0", 96, "ipv4-mapped"),
  v6Range("64:ff9b:1::", 48, "nat64-local"),
  v6Range("100::", 64, "reserved"),
  v6Range("2001::", 32, "reserved"), // Teredo: the client address inside is obfuscated
  v6Range("2001:2::", 48, "benchmarking"),
  v6Range("2001:10::", 28, "reserved"),
  v6Range("2001:20::", 28, "reserved"),
  v6Range("2001:db8::", 32, "documentation"),
  v6Range("3fff::", 20, "documentation"),
  v6Range("fc00::", 7, "unique-local"),
  v6Range("fe80::", 10, "link-local"),
  v6Range("fec0::", 10, "private"), // deprecated site-local, still routed inside some networks
  v6Range("ff00::", 8, "multicast"),
];

const NAT64 = v6Range("64:ff9b::", 96, "reserved");
const SIX_TO_FOUR = v6Range("2002::", 16, "reserved");
const V4_COMPATIBLE = v6Range("::", 96, "reserved");
/** Only 2000::/3 is allocated as global unicast; everything else is not public. */
const GLOBAL_UNICAST = v6Range("2000::", 3, "reserved");

/**
 * Classifies a textual IPv4 (dotted decimal, four parts) or IPv6 address
 * (with or without brackets and a zone id). Anything unparsable is "invalid",
 * which is not public.
 */
export function classifyIpAddress(address: string): IpClassification {
  const v4 = parseIpv4(address);
  if (v4 !== null) return classifyV4(v4);
  const v6 = parseIpv6(address);
  if (v6 !== null) return classifyV6(v6);
  return { public: false, category: "invalid" };
}

/** True for a textual IPv4 or IPv6 address (not a host name). */
export function isIpAddress(text: string): boolean {
  return parseIpv4(text) !== null || parseIpv6(text) !== null;
}

function classifyV4(value: bigint): IpClassification {
  const range = V4_RANGES.find((r) => inRange(value, r, 32));
  return range ? { public: false, category: range.category } : { public: true, category: "public" };
}

function classifyV6(value: bigint): IpClassification {
  const range = V6_RANGES.find((r) => inRange(value, r, 128));
  if (range) {
    if (range.category === "ipv4-mapped") {
      return {
        public: false,
        category: range.category,
        embeddedIpv4: formatV4(value & 0xffffffffn),
      };
    }
    return { public: false, category: range.category };
  }
  const embedded = inRange(value, NAT64, 128) || inRange(value, V4_COMPATIBLE, 128)
    ? value & 0xffffffffn
    : inRange(value, SIX_TO_FOUR, 128)
    ? (value >> 80n) & 0xffffffffn
    : null;
  if (embedded !== null) {
    // A translated address reaches whatever its IPv4 part names.
    const inner = classifyV4(embedded);
    const deprecated = inRange(value, V4_COMPATIBLE, 128);
    return {
      public: inner.public && !deprecated,
      category: deprecated ? "reserved" : inner.category,
      embeddedIpv4: formatV4(embedded),
    };
  }
  if (!inRange(value, GLOBAL_UNICAST, 128)) return { public: false, category: "reserved" };
  return { public: true, category: "public" };
}

function inRange(value: bigint, range: Range, totalBits: number): boolean {
  const shift = BigInt(totalBits - range.prefixBits);
  return (value >> shift) === (range.base >> shift);
}

function v4Range(text: string, prefixBits: number, category: Range["category"]): Range {
  const base = parseIpv4(text);
  if (base === null) throw new Error(`bad built-in IPv4 range ${text}`);
  return { base, prefixBits, category };
}

function v6Range(text: string, prefixBits: number, category: Range["category"]): Range {
  const base = parseIpv6(text);
  if (base === null) throw new Error(`bad built-in IPv6 range ${text}`);
  return { base, prefixBits, category };
}

/** Strict dotted decimal: four parts 0-255, no leading zeros (DNS answers are canonical). */
function parseIpv4(text: string): bigint | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part) || Number(part) > 255) return null;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseIpv6(input: string): bigint | null {
  let text = input.startsWith("[") && input.endsWith("]") ? input.slice(1, -1) : input;
  const zone = text.indexOf("%");
  if (zone !== -1) text = text.slice(0, zone);
  if (!/^[0-9a-fA-F:.]+$/.test(text) || !text.includes(":")) return null;
  const words: number[] = [];
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const parseHalf = (half: string): number[] | null => {
    if (half === "") return [];
    const out: number[] = [];
    const pieces = half.split(":");
    for (const [index, piece] of pieces.entries()) {
      if (piece.includes(".")) {
        if (index !== pieces.length - 1) return null;
        const v4 = parseIpv4(piece);
        if (v4 === null) return null;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return null;
        out.push(parseInt(piece, 16));
      }
    }
    return out;
  };
  const head = parseHalf(halves[0] as string);
  const tail = halves.length === 2 ? parseHalf(halves[1] as string) : [];
  if (head === null || tail === null) return null;
  // An embedded IPv4 part may only end the address.
  if (halves.length === 2 && (halves[0] as string).includes(".")) return null;
  if (halves.length === 1) {
    if (head.length !== 8) return null;
    words.push(...head);
  } else {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return null;
    words.push(...head, ...new Array<number>(missing).fill(0), ...tail);
  }
  return words.reduce((acc, word) => (acc << 16n) | BigInt(word), 0n);
}

function formatV4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join(".");
}
