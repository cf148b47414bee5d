/**
 * DISCOVERY_MODE=dns-once: the naive DNS discovery people wrote for Galera on swarm, kept so the lab
 * can show what it does with an early or missing answer (docs/failures/early-dns-answer.md). It asks
 * `tasks.<DB_SERVICE_NAME>` once, when the task starts, and trusts the answer:
 *
 * - every address but its own goes into `gcomm://`, with no check that it is a task of the service
 *   (no PTR) or that Galera answers there (no probe of 4567);
 * - an empty answer, or one that names only itself, means "I am the first": `gcomm://`, a new cluster.
 *   A lookup that failed (no answer at all) is an empty answer.
 *
 * It follows toughIQ/docker-mariadb-cluster `scripts/init_cluster_conf.sh` (0c3f7bb, 2016-08-20, run
 * from /docker-entrypoint-initdb.d after the datadir is initialised): `getent hosts
 * tasks.$DB_SERVICE_NAME` once; one line (itself) means `CLUSTER_ADDRESS="gcomm://"`, otherwise
 * `gcomm://<the addresses>?pc.wait_prim=no`. Two differences: that script keeps its own address in the
 * list (Galera drops a connection to itself) and makes an empty answer `gcomm://?pc.wait_prim=no`,
 * which has no host and so bootstraps too. Here the own address is dropped instead, which makes
 * "empty" and "only itself" one case, the rule the failure page describes. mariadb-galera-swarm's
 * first start.sh (89affbf, 2016-09-29) resolved its `node tasks.seed,...` argument the same way, once,
 * with `host -t A`, until "Add indefinite retries" (ebbbae9, 2016-11-08). The reports that this breaks
 * are in the failure page (colinmollenhour/mariadb-galera-swarm#64: "some nodes will resolve DNS before
 * other nodes have been added to DNS").
 *
 * Also here, for any mode: DISCOVERY_HOLD_UNTIL=<epoch seconds> holds the first lookup until that
 * moment (after the datadir is initialised). It stands in for the seconds a real entrypoint spends
 * before it asks, and lets a scenario put a fault in place before every task asks (early-dns-answer).
 *
 * The decisions are pure (unit-tested); `dnsOnceDispatch` does the I/O with the entrypoint's own hooks,
 * passed in so that this file does not import the entrypoint (which runs main() when loaded).
 */
import { spawnSync } from "node:child_process";
import { promises as dnsPromises } from "node:dns";
import { legacyOwnAddress } from "./legacy.js";

export interface DnsOnceInputs {
  /** The task's own address as the script finds it (`hostname -i`, first word). */
  own: string;
  /** The A records of `tasks.<service>`, in the order DNS gave them; undefined when the lookup failed. */
  answer: string[] | undefined;
}

export type DnsOnceDecision =
  | { kind: "bootstrap"; clusterAddress: "gcomm://"; peers: []; reason: string }
  | { kind: "join"; clusterAddress: string; peers: string[] };

/**
 * The script's whole decision. Exact comparison with its own address (10.0.1.1 is not 10.0.1.10);
 * duplicates dropped; DNS order kept (the script did not sort). Whatever the answer names is used:
 * an address that is no task, or a task where nothing listens yet, is a peer all the same.
 */
export function dnsOnceDecision({ own, answer }: DnsOnceInputs): DnsOnceDecision {
  const peers = [...new Set(answer ?? [])].filter((a) => a !== "" && a !== own);
  if (peers.length === 0) {
    const reason = answer === undefined ? "no answer (the lookup failed)" : answer.length === 0 ? "an empty answer" : "an answer that names only itself";
    return { kind: "bootstrap", clusterAddress: "gcomm://", peers: [], reason };
  }
  // pc.wait_prim=no (as the script): a joiner that finds no primary component waits for one, for ever.
  return { kind: "join", clusterAddress: `gcomm://${peers.join(",")}?pc.wait_prim=no`, peers };
}

/**
 * How long to hold before the first lookup: DISCOVERY_HOLD_UNTIL is a moment in epoch seconds; one in
 * the past holds nothing. Undefined when unset; an error for anything but whole seconds.
 */
export function holdMs(until: string | undefined, nowMs: number): number | undefined {
  if (until === undefined || until === "") return undefined;
  if (!/^\d{9,11}$/.test(until)) throw new Error(`DISCOVERY_HOLD_UNTIL must be a moment in epoch seconds (like $(( $(date +%s) + 60 ))), not "${until}"`);
  return Math.max(0, Number(until) * 1000 - nowMs);
}

/** What the entrypoint lends this mode (its own functions; see entrypoint.ts). */
export interface EntrypointHooks {
  say(event: string, data?: Record<string, unknown>): void;
  fail(message: string): never;
  initDatadir(): void;
  galeraArgs(cluster: string, clusterAddress: string, own: string): string[];
  startMariadbd(args: string[], plan: { own: string; clusterAddress: string; bootstrap: boolean }, keep: (() => Promise<void>) | null): void;
}

/** getent's defaults (glibc: timeout 5 s, 2 attempts), one server: 127.0.0.11. */
const GETENT_LIKE = { timeout: 5000, tries: 2 };

async function lookupOnce(name: string): Promise<{ answer: string[] | undefined; error?: string }> {
  const resolver = new dnsPromises.Resolver(GETENT_LIKE);
  try {
    return { answer: await resolver.resolve4(name) };
  } catch (err) {
    return { answer: undefined, error: (err as { code?: string }).code ?? (err as Error).message };
  }
}

/**
 * Called from the entrypoint's main() for every mode: holds when DISCOVERY_HOLD_UNTIL says so, then,
 * for DISCOVERY_MODE=dns-once, decides and starts mariadbd (true: the entrypoint has nothing left to
 * do). Other modes get false and go on as before.
 */
export async function dnsOnceDispatch(mode: string, cluster: string, hooks: EntrypointHooks): Promise<boolean> {
  const env = process.env;
  let hold: number | undefined;
  try {
    hold = holdMs(env.DISCOVERY_HOLD_UNTIL, Date.now());
  } catch (err) {
    hooks.fail((err as Error).message);
  }
  if (mode !== "dns-once" && hold === undefined) return false;
  hooks.initDatadir();
  if (hold !== undefined) {
    // Measured again after the datadir's initialisation, so the lookup is at the moment itself, not that much later.
    hold = holdMs(env.DISCOVERY_HOLD_UNTIL, Date.now())!;
    hooks.say("hold", { until: Number(env.DISCOVERY_HOLD_UNTIL), ms: hold });
    await new Promise((r) => setTimeout(r, hold));
    hooks.say("hold-over");
  }
  if (mode !== "dns-once") return false;

  const service = env.DB_SERVICE_NAME;
  if (!service) hooks.fail("DISCOVERY_MODE=dns-once needs DB_SERVICE_NAME (the service whose tasks.<name> it asks)");
  const own = legacyOwnAddress(spawnSync("hostname", ["-i"], { encoding: "utf8" }).stdout ?? "");
  const name = `tasks.${service}`;
  const { answer, error } = await lookupOnce(name);
  hooks.say("dns-once-answer", { name, answer: answer ?? null, error: error ?? null, own });
  const d = dnsOnceDecision({ own, answer });
  hooks.say("decision", { ...d, own, from: "dns-once" });

  const args = hooks.galeraArgs(cluster, d.clusterAddress, own);
  // No --wsrep-new-cluster: as in the script, gcomm:// with no host is what bootstraps.
  args.push(...process.argv.slice(2));
  hooks.startMariadbd(args, { own, clusterAddress: d.clusterAddress, bootstrap: d.kind === "bootstrap" }, null);
  return true;
}
