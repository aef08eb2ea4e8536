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

type SpecialCategory = Exclude<IpCategory, "public" | "invalid">;

interface Prefix {
  base: bigint;
  prefixBits: number;
}

interface Range extends Prefix {
  category: SpecialCategory;
}

/** The IPv4 special-purpose ranges, by category. */
const V4_SPECIAL: Partial<Record<SpecialCategory, string[]>> = {
  unspecified: ["0.0.0.0/8"],
  private: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"],
  cgnat: ["100.64.0.0/10"],
  loopback: ["127.0.0.0/8"],
  "link-local": ["169.254.0.0/16"],
  documentation: ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"],
  benchmarking: ["198.18.0.0/15"],
  multicast: ["224.0.0.0/4"],
  broadcast: ["255.255.255.255/32"],
  reserved: ["192.0.0.0/24", "192.88.99.0/24", "240.0.0.0/4"],
};

/** The IPv6 special-purpose ranges, by category. */
const V6_SPECIAL: Partial<Record<SpecialCategory, string[]>> = {
  unspecified: ["::/128"],
  loopback: ["::1/128"],
  "ipv4-mapped": ["::ffff:0:0/96"],
  "nat64-local": ["64:ff9b:1::/48"],
  benchmarking: ["2001:2::/48"],
  documentation: ["2001:db8::/32", "3fff::/20"],
  "unique-local": ["fc00::/7"],
  "link-local": ["fe80::/10"],
  // Deprecated site-local, still routed inside some networks.
  private: ["fec0::/10"],
  multicast: ["ff00::/8"],
  // 2001::/32 is Teredo: the client address inside is obfuscated.
  reserved: ["100::/64", "2001::/32", "2001:10::/28", "2001:20::/28"],
};

const V4_RANGES = rangeTable(V4_SPECIAL);
const V6_RANGES = rangeTable(V6_SPECIAL);

const NAT64 = prefix("64:ff9b::/96");
const SIX_TO_FOUR = prefix("2002::/16");
const V4_COMPATIBLE = prefix("::/96");
/** Only 2000::/3 is allocated as global unicast; everything else is not public. */
const GLOBAL_UNICAST = prefix("2000::/3");

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

function inRange(value: bigint, range: Prefix, totalBits: number): boolean {
  const shift = BigInt(totalBits - range.prefixBits);
  return (value >> shift) === (range.base >> shift);
}

/** A built-in `address/bits` prefix, IPv4 or IPv6. */
function prefix(cidr: string): Prefix {
  const [text = "", bits = ""] = cidr.split("/");
  const base = parseIpv4(text) ?? parseIpv6(text);
  if (base === null || !/^[0-9]{1,3}$/.test(bits)) throw new Error(`bad built-in range ${cidr}`);
  return { base, prefixBits: Number(bits) };
}

/** A category table as ranges, most specific first: 255.255.255.255/32 is broadcast, not 240/4. */
function rangeTable(table: Partial<Record<SpecialCategory, string[]>>): Range[] {
  return Object.entries(table)
    .flatMap(([category, cidrs]) =>
      cidrs.map((cidr) => ({ ...prefix(cidr), category: category as SpecialCategory }))
    )
    .sort((a, b) => b.prefixBits - a.prefixBits);
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
