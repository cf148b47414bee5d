/**
 * Own-address selection inside a swarm task. Pure functions: the entrypoint feeds them what it
 * reads from the kernel and from Docker's embedded DNS, and the unit tests feed them cases.
 */

export interface LocalAddress {
  ifname: string;
  address: string;
}

/**
 * Swarm's embedded DNS answers a reverse lookup only for addresses on user-defined networks,
 * with the task's name and the network's: "mysql-galera.1.<task id>.mynet". Ingress and
 * docker_gwbridge addresses get no answer. That tells us which address is on which network.
 */
export interface PtrAnswer {
  address: string;
  names: string[];
}

export interface OwnAddress {
  address: string;
  network: string;
  /** The task's name, "mysql-galera.1.<task id>", from which the service name follows. */
  taskName: string;
  service: string;
}

export function parsePtrName(name: string): { taskName: string; service: string; network: string } | null {
  // <service>.<slot or node id>.<task id>.<network>
  const parts = name.replace(/\.$/, "").split(".");
  if (parts.length < 4) return null;
  const network = parts[parts.length - 1]!;
  const taskName = parts.slice(0, -1).join(".");
  const service = parts.slice(0, -3).join(".");
  if (!service) return null;
  return { taskName, service, network };
}

/**
 * The task's address on the overlay network its service is attached to: never ingress or
 * docker_gwbridge (they have no PTR answer), and the named network when one is given.
 */
export function selectOwnAddress(local: LocalAddress[], ptr: PtrAnswer[], network?: string): OwnAddress {
  const candidates: OwnAddress[] = [];
  for (const l of local) {
    if (l.ifname === "lo" || l.address.startsWith("127.")) continue;
    const answer = ptr.find((p) => p.address === l.address);
    for (const name of answer?.names ?? []) {
      const parsed = parsePtrName(name);
      if (parsed) candidates.push({ address: l.address, ...parsed });
    }
  }
  const chosen = network ? candidates.find((c) => c.network === network) : candidates[0];
  if (!chosen) {
    const seen = local.map((l) => `${l.ifname}=${l.address}`).join(" ");
    const wanted = network ? `on network "${network}"` : "on a user-defined (overlay) network";
    throw new Error(`no local address ${wanted}; local addresses: ${seen || "none"}; PTR answers: ${JSON.stringify(ptr)}`);
  }
  return chosen;
}

/**
 * Without a PTR answer: swarm registers a task's DNS records (tasks.<service>, its PTR) only once
 * the task is healthy when its service has a healthcheck (moby's swarm executor activates the
 * service binding after the first healthy event), and a Galera task cannot be healthy before it
 * has discovered its peers. The overlay address is then the one local address that is neither
 * loopback nor on the interface of the default route (docker_gwbridge). The service name comes
 * from the environment (`--env SERVICE_NAME={{.Service.Name}}`), if given.
 */
export function ownAddressWithoutPtr(local: LocalAddress[], defaultRouteIfname: string | undefined, service: string | undefined): OwnAddress {
  const candidates = local.filter((l) => l.ifname !== "lo" && !l.address.startsWith("127.") && l.ifname !== defaultRouteIfname);
  if (candidates.length !== 1) {
    const seen = local.map((l) => `${l.ifname}=${l.address}`).join(" ");
    throw new Error(
      `no PTR answer for any local address, and ${candidates.length ? `${candidates.length} addresses` : "no address"} besides loopback and the default route's interface (${defaultRouteIfname ?? "none"}) to take instead; local addresses: ${seen || "none"}`,
    );
  }
  return { address: candidates[0]!.address, network: "", taskName: "", service: service ?? "" };
}

/** The interface of the default route, from `ip -o -4 route show default`. */
export function parseDefaultRouteIfname(output: string): string | undefined {
  return output.match(/^default\b.*?\bdev\s+(\S+)/m)?.[1];
}

/** Parses `ip -o -4 addr show` output. */
export function parseIpAddr(output: string): LocalAddress[] {
  const out: LocalAddress[] = [];
  for (const line of output.split("\n")) {
    const m = line.match(/^\d+:\s+(\S+?)(?:@\S+)?\s+inet\s+(\d+\.\d+\.\d+\.\d+)\//);
    if (m) out.push({ ifname: m[1]!, address: m[2]! });
  }
  return out;
}

/** Numeric IPv4 order, so lists print the way people read them. */
export function compareIp(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 4; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.localeCompare(b);
}
