/**
 * How Galera turns wsrep_cluster_address into the set of peers it will try, following
 * gcomm/src/gmcast.cpp (GMCast::set_initial_addr and the constructor) in galera-4 26.4 and
 * 25.3: each entry is skipped when its host is empty or 0.0.0.0 (host_is_any), skipped when it
 * does not resolve ("Failed to resolve"), collapses when it is already in the set, and is erased
 * when it equals the listen address (tcp://0.0.0.0:4567 unless gmcast.listen_addr says otherwise).
 * An empty set on a node that is not bootstrapping is fatal: "No address to connect". Pure.
 */

export interface AddressSetEntry {
  entry: string;
  /** tcp://a.b.c.d:port as getaddrinfo would give it, when it resolves. */
  resolved?: string;
  kept: boolean;
  rule?: string;
}

export interface AddressSet {
  entries: AddressSetEntry[];
  set: string[];
  /** true when Galera would say "No address to connect" (unless bootstrapping). */
  empty: boolean;
}

/** inet_aton's reading of a numeric host: "0" is 0.0.0.0, "7" is 0.0.0.7, "10.1" is 10.0.0.1. */
export function numericHost(host: string): string | undefined {
  if (!/^\d+(\.\d+){0,3}$/.test(host)) return undefined;
  const parts = host.split(".").map(Number);
  const last = parts.pop()!;
  const bytes = [...parts];
  const rest = 4 - parts.length; // bytes the last part fills
  if (parts.some((p) => p > 255) || last >= 256 ** rest) return undefined;
  for (let i = rest - 1; i >= 0; i--) bytes.push(Math.floor(last / 256 ** i) % 256);
  return bytes.join(".");
}

export function galeraAddressSet(address: string, opts: { unresolved?: string[]; listen?: string; port?: number } = {}): AddressSet {
  const listen = opts.listen ?? "tcp://0.0.0.0:4567";
  const defaultPort = opts.port ?? 4567;
  const list = address.replace(/^gcomm:\/\//, "").replace(/\?.*$/, "");
  const entries: AddressSetEntry[] = [];
  const set: string[] = [];
  for (const entry of list.split(",")) {
    const [host = "", port = String(defaultPort)] = entry.split(":");
    if (host === "" || host === "0.0.0.0" || host === "::") {
      entries.push({ entry, kept: false, rule: "host_is_any: an empty or 0.0.0.0 host is skipped" });
      continue;
    }
    const ip = numericHost(host);
    if (!ip) {
      if ((opts.unresolved ?? []).includes(host)) {
        entries.push({ entry, kept: false, rule: `Failed to resolve tcp://${host}:${port}: skipped` });
        continue;
      }
      entries.push({ entry, kept: true, resolved: `tcp://${host}:${port}` });
      set.push(`tcp://${host}:${port}`);
      continue;
    }
    const resolved = `tcp://${ip}:${port}`;
    if (set.includes(resolved)) {
      entries.push({ entry, resolved, kept: false, rule: "already in the set: duplicates collapse" });
      continue;
    }
    if (resolved === listen) {
      entries.push({ entry, resolved, kept: false, rule: `resolves to the node's own listen address ${listen}: erased` });
      continue;
    }
    entries.push({ entry, resolved, kept: true });
    set.push(resolved);
  }
  return { entries, set, empty: set.length === 0 };
}
