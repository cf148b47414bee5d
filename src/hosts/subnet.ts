/** IPv4 subnet arithmetic for choosing a lab's bridge subnet. Pure. */

export interface Cidr {
  base: number; // network address as uint32
  bits: number;
}

export function parseIp(ip: string): number {
  const parts = ip.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`not an IPv4 address: "${ip}"`);
  }
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

export function parseCidr(cidr: string): Cidr {
  const [ip, bitsText] = cidr.split("/");
  const bits = Number(bitsText);
  if (!ip || !Number.isInteger(bits) || bits < 0 || bits > 32) throw new Error(`not an IPv4 CIDR: "${cidr}"`);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { base: (parseIp(ip) & mask) >>> 0, bits };
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.base)}/${c.bits}`;
}

function size(c: Cidr): number {
  return 2 ** (32 - c.bits);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + size(b) && b.base < a.base + size(a);
}

export function contains(c: Cidr, ip: string): boolean {
  const n = parseIp(ip);
  return n >= c.base && n < c.base + size(c);
}

/** Moves an address to the same host part in another subnet of the same size. */
export function rebase(ip: string, from: Cidr, to: Cidr): string {
  return formatIp((to.base + (parseIp(ip) - from.base)) >>> 0);
}

/**
 * The subnet for a lab: `wanted` when free, otherwise the first free /24 from 192.168.11.0 up
 * (then 172.30.x). Throws when `wanted` was explicitly asked for but is in use.
 */
export function chooseSubnet(
  preferred: string,
  inUse: Array<{ cidr: string; owner: string }>,
  explicit = false,
): string {
  const used = inUse.map((u) => ({ ...u, c: parseCidr(u.cidr) }));
  const clash = (c: Cidr) => used.find((u) => overlaps(u.c, c));
  const want = parseCidr(preferred);
  const hit = clash(want);
  if (!hit) return formatCidr(want);
  if (explicit) throw new Error(`subnet ${preferred} is in use by ${hit.owner} (${hit.cidr})`);
  const candidates: string[] = [];
  for (let i = 11; i < 255; i++) candidates.push(`192.168.${i}.0/${want.bits}`);
  for (let i = 0; i < 255; i++) candidates.push(`172.30.${i}.0/${want.bits}`);
  for (const cand of candidates) {
    const c = parseCidr(cand);
    if (!clash(c)) return formatCidr(c);
  }
  throw new Error("no free subnet found for the lab's bridge network; pass --subnet");
}

/** The /24 around an IPv4 address, as a subnet in use by `owner`; undefined when `address` is not IPv4 (a host name). Pure. */
export function networkAround(address: string, owner: string): { cidr: string; owner: string } | undefined {
  try {
    return { cidr: formatCidr(parseCidr(`${address}/24`)), owner };
  } catch {
    return undefined;
  }
}
