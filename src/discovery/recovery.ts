/**
 * Whole-cluster recovery for the overlay discovery (AUTO_RECOVER=1), what an operator does after
 * every member was lost at once (Percona's crash-recovery page, scenario 6; mariadb-galera-swarm's
 * mysqld.sh does the same over its own port):
 *
 * 1. No member answers and nobody holds the bootstrap claim: the cluster is gone, not just this task.
 * 2. Each task recovers its own position from InnoDB (`mariadbd --wsrep-recover`; a clean shutdown's
 *    grastate.dat already has it) and publishes it in etcd under a TTL'd key.
 * 3. It waits, bounded, for the positions of every expected member (RECOVER_MEMBERS, else the
 *    members of the last Primary Component in gvwstate.dat, else the live tasks). It never goes on
 *    with fewer: the missing one could be the only one holding an acknowledged write.
 * 4. The highest seqno wins (tie: the one Galera marked safe_to_bootstrap, then the lowest address);
 *    it writes its recovered position and `safe_to_bootstrap: 1` into grastate.dat and goes on to
 *    the usual discovery, which bootstraps it. The others wait until it answers, then join it.
 *
 * The decisions are pure functions (unit-tested); autoRecover() does the I/O with what the
 * entrypoint hands it. Every step is printed as a "[swarmlab-discovery]" line, and MariaDB's own
 * recovery lines ("WSREP: Recovered position: ...") go to the task log verbatim.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { compareIp } from "./address.js";
import { livePeers, type Registration } from "./discovery.js";
import type { EtcdNode } from "./etcd.js";

export const ZERO_UUID = "00000000-0000-0000-0000-000000000000";

export interface GraState {
  uuid: string;
  seqno: number;
  safeToBootstrap: boolean;
}

/** Galera's saved state file (galera/src/saved_state.cpp): `uuid:`, `seqno:`, `safe_to_bootstrap:` lines. */
export function parseGrastate(text: string): GraState | null {
  const uuid = text.match(/^uuid:\s*([0-9a-f-]{36})\s*$/m)?.[1];
  const seqno = text.match(/^seqno:\s*(-?\d+)\s*$/m)?.[1];
  if (!uuid || seqno === undefined) return null;
  const safe = text.match(/^safe_to_bootstrap:\s*(\d)\s*$/m)?.[1];
  return { uuid, seqno: Number(seqno), safeToBootstrap: safe === "1" };
}

/**
 * The file the winner bootstraps from: its recovered seqno (what galera_recovery passes as
 * --wsrep-start-position; Galera reads its saved state from here when none is passed) and
 * `safe_to_bootstrap: 1`, everything else as it was.
 */
export function markSafeToBootstrap(text: string, seqno: number): string {
  let out = text.replace(/^seqno:.*$/m, `seqno:   ${seqno}`);
  out = /^safe_to_bootstrap:/m.test(out) ? out.replace(/^safe_to_bootstrap:.*$/m, "safe_to_bootstrap: 1") : `${out.replace(/\n?$/, "\n")}safe_to_bootstrap: 1\n`;
  return out;
}

/** The last "WSREP: Recovered position: <uuid>:<seqno>[,<gtid>]" line of a `--wsrep-recover` run. */
export function parseRecoveredPosition(log: string): { uuid: string; seqno: number } | null {
  const all = [...log.matchAll(/WSREP: Recovered position:\s*([0-9a-f-]{36}):(-?\d+)/g)];
  const m = all.at(-1);
  return m ? { uuid: m[1]!, seqno: Number(m[2]) } : null;
}

/** Members of the last Primary Component this member saw (gvwstate.dat, kept by pc.recovery until a clean close). */
export function gvwstateMembers(text: string): number {
  return text.split("\n").filter((l) => /^member:\s*\S+/.test(l)).length;
}

/** A member's recovered position as published in etcd. `empty`: a datadir Galera never wrote (no grastate.dat). */
export interface Position {
  address: string;
  uuid: string;
  seqno: number;
  safeToBootstrap: boolean;
  empty?: boolean;
  host?: string;
}

export type Election =
  | { kind: "wait"; reason: string; have: number; expected: number }
  | { kind: "refuse"; reason: string }
  | { kind: "bootstrap" | "join"; winner: Position; positions: Position[] };

/** Best first: highest seqno, then the one Galera marked safe_to_bootstrap, then the lowest address. */
export function rankPositions(positions: Position[]): Position[] {
  return [...positions].sort((a, b) => b.seqno - a.seqno || Number(b.safeToBootstrap) - Number(a.safeToBootstrap) || compareIp(a.address, b.address));
}

/**
 * Who bootstraps after a whole-cluster loss. Every member runs this on the same published
 * positions and so reaches the same answer. Waits while fewer than `expected` live members have
 * published; refuses (an operator must decide) when the positions come from different clusters or
 * a member with data has no recoverable position.
 */
export function elect(input: { self: string; positions: Position[]; expected: number; liveTasks?: string[] }): Election {
  const live = input.liveTasks ? new Set(input.liveTasks) : undefined;
  const byAddress = new Map<string, Position>();
  for (const p of input.positions) if (!live || live.has(p.address) || p.address === input.self) byAddress.set(p.address, p);
  const positions = [...byAddress.values()].sort((a, b) => compareIp(a.address, b.address));
  if (!byAddress.has(input.self)) return { kind: "wait", reason: "own position not published yet", have: positions.length, expected: input.expected };
  if (positions.length < input.expected) {
    return { kind: "wait", reason: `${positions.length} of ${input.expected} members have published their position (${positions.map((p) => p.address).join(", ")})`, have: positions.length, expected: input.expected };
  }
  const withData = positions.filter((p) => !p.empty && p.uuid !== ZERO_UUID);
  const uuids = [...new Set(withData.map((p) => p.uuid))];
  if (uuids.length > 1) {
    return { kind: "refuse", reason: `the members hold different clusters (${withData.map((p) => `${p.address} ${p.uuid}:${p.seqno}`).join(", ")}): an operator must choose which history to keep` };
  }
  const unknown = withData.filter((p) => p.seqno < 0);
  if (unknown.length) {
    return { kind: "refuse", reason: `no recoverable position on ${unknown.map((p) => p.address).join(", ")}: it may hold the latest writes, so nobody may bootstrap without an operator` };
  }
  // No member has data: a first deployment; the lowest address starts it.
  const winner = withData.length ? rankPositions(withData)[0]! : positions[0]!;
  return { kind: winner.address === input.self ? "bootstrap" : "join", winner, positions };
}

/** How many positions to wait for: RECOVER_MEMBERS, else the last Primary Component's size, else the live tasks. */
export function expectedMembers(o: { configured?: string; gvwstate?: number; liveTasks?: number }): number {
  const n = Number(o.configured);
  if (o.configured !== undefined && o.configured !== "" && Number.isInteger(n) && n > 0) return n;
  if (o.gvwstate && o.gvwstate > 0) return o.gvwstate;
  return Math.max(1, o.liveTasks ?? 1);
}

export const recoveryDir = (cluster: string) => `/pxc-cluster/recovery/${cluster}`;
export const bootstrapKey = (cluster: string) => `/pxc-cluster/bootstrap/${cluster}`;

/** The positions under the recovery directory; unreadable or expired entries are left out. */
export function positionsOf(dir: EtcdNode | null): Position[] {
  const out: Position[] = [];
  for (const n of dir?.nodes ?? []) {
    if (n.ttl !== undefined && n.ttl <= 0) continue;
    try {
      const p = JSON.parse(n.value ?? "") as Position;
      if (typeof p.address === "string" && typeof p.uuid === "string" && typeof p.seqno === "number") out.push(p);
    } catch {
      /* not ours */
    }
  }
  return out;
}

function registrationsOf(dir: EtcdNode | null): Registration[] {
  return (dir?.nodes ?? []).map((n) => ({ address: n.key.split("/").pop() ?? "", ttl: n.ttl }));
}

/** `mariadbd --wsrep-recover` on the datadir: InnoDB's crash recovery, then the position it holds. */
export function wsrepRecover(datadir: string): { log: string; status: number | null } {
  const r = spawnSync(
    "mariadbd",
    [
      "--user=mysql",
      `--datadir=${datadir}`,
      "--wsrep-on=ON",
      "--wsrep-provider=/usr/lib/galera/libgalera_smm.so",
      "--wsrep-cluster-address=gcomm://",
      "--wsrep-sst-method=skip",
      "--binlog-format=ROW",
      "--innodb-autoinc-lock-mode=2",
      "--innodb-buffer-pool-size=64M",
      "--skip-networking",
      "--wsrep-recover",
    ],
    { encoding: "utf8", timeout: 600_000 },
  );
  return { log: `${r.stdout ?? ""}${r.stderr ?? ""}`, status: r.status };
}

export interface EtcdLike {
  get(key: string, query?: Record<string, string>): Promise<EtcdNode | null>;
  put(key: string, form: Record<string, string>, query?: Record<string, string>): Promise<number>;
}

export interface RecoveryIO {
  etcd: EtcdLike;
  cluster: string;
  datadir: string;
  /** The task's own overlay address and service (the entrypoint's PTR-based answer). */
  self: () => Promise<{ address: string; service: string }>;
  resolveTasks: (service: string) => Promise<string[] | undefined>;
  /** Peers that accept a connection on Galera's port. */
  answeringPeers: (peers: string[]) => Promise<string[]>;
  say: (event: string, data?: Record<string, unknown>) => void;
  fail: (message: string) => never;
  env?: Record<string, string | undefined>;
  /** For tests: the recovery run, the clock, the pause, the task's host name, the log. */
  recover?: (datadir: string) => { log: string; status: number | null };
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  hostname?: string;
  print?: (line: string) => void;
}

/** A member of the cluster that answers on Galera's port: the cluster is alive, join it the usual way. */
async function liveMembers(io: RecoveryIO, self: string, service: string): Promise<string[]> {
  const liveTasks = await io.resolveTasks(service);
  let registrations: Registration[] = [];
  try {
    registrations = registrationsOf(await io.etcd.get(`/pxc-cluster/${io.cluster}`, { recursive: "true", quorum: "true" }));
  } catch {
    return [];
  }
  const peers = livePeers({ self, registrations, liveTasks });
  return peers.length ? io.answeringPeers(peers) : [];
}

/** Own position: from grastate.dat after a clean shutdown, else from InnoDB (--wsrep-recover). */
function ownPosition(io: RecoveryIO, address: string): Position {
  const file = `${io.datadir}/grastate.dat`;
  const host = io.hostname;
  const state = existsSync(file) ? parseGrastate(readFileSync(file, "utf8")) : null;
  if (!state || state.uuid === ZERO_UUID) return { address, uuid: ZERO_UUID, seqno: -1, safeToBootstrap: false, empty: true, host };
  if (state.seqno >= 0) return { address, ...state, host };
  const run = (io.recover ?? wsrepRecover)(io.datadir);
  // MariaDB's own lines, verbatim, so the task log shows what InnoDB recovered.
  const print = io.print ?? ((l: string) => process.stdout.write(`${l}\n`));
  for (const line of run.log.split("\n")) if (/WSREP:|crash recovery/i.test(line)) print(line);
  const recovered = parseRecoveredPosition(run.log);
  if (run.status !== 0 || !recovered) io.fail(`mariadbd --wsrep-recover found no position (exit ${run.status}): ${run.log.split("\n").slice(-8).join(" | ")}`);
  if (recovered.uuid !== state.uuid && recovered.uuid !== ZERO_UUID) io.say("recovery-uuid-differs", { grastate: state.uuid, innodb: recovered.uuid });
  return { address, uuid: recovered.uuid === ZERO_UUID ? state.uuid : recovered.uuid, seqno: recovered.seqno, safeToBootstrap: state.safeToBootstrap, host };
}

/**
 * Runs before the usual overlay discovery when AUTO_RECOVER=1. Returns when the usual discovery
 * should take over: a member answers (join it), or this task won (its grastate.dat now allows the
 * bootstrap the discovery will do), or it lost and the winner answers. Bounded by
 * RECOVER_WAIT_SECONDS (default 180); past it the task fails and swarm starts it again.
 */
export async function autoRecover(io: RecoveryIO): Promise<void> {
  const env = io.env ?? process.env;
  const now = io.now ?? Date.now;
  const sleep = io.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const waitMs = Number(env.RECOVER_WAIT_SECONDS ?? 180) * 1000;
  const deadline = now() + waitMs;
  const { address: self, service } = await io.self();

  // 1. Is the cluster gone, or only this task?
  let lastReason = "";
  for (;;) {
    const answering = await liveMembers(io, self, service);
    if (answering.length) {
      io.say("recovery-not-needed", { self, answering });
      return;
    }
    const claim = await io.etcd.get(bootstrapKey(io.cluster)).catch(() => null);
    if (!claim) break;
    const reason = `no member answers, but ${claim.value} holds the bootstrap claim (a member is starting, or the claim of a lost cluster has not expired yet: ttl ${claim.ttl ?? "?"} s)`;
    if (reason.replace(/ttl \S+ s/, "") !== lastReason) io.say("recovery-wait", { self, reason });
    lastReason = reason.replace(/ttl \S+ s/, "");
    if (now() > deadline) io.fail(`AUTO_RECOVER: gave up after ${waitMs / 1000} s: ${reason}`);
    await sleep(2000);
  }

  // 2. Own position.
  const mine = ownPosition(io, self);
  const gvw = existsSync(`${io.datadir}/gvwstate.dat`) ? gvwstateMembers(readFileSync(`${io.datadir}/gvwstate.dat`, "utf8")) : undefined;
  const expected = expectedMembers({ configured: env.RECOVER_MEMBERS, gvwstate: gvw, liveTasks: (await io.resolveTasks(service))?.length });
  io.say("recovery-position", { self, position: mine, expected, gvwstateMembers: gvw ?? null });

  // 3. Publish it and collect everyone's.
  const key = `${recoveryDir(io.cluster)}/${self}`;
  let decided: Extract<Election, { kind: "bootstrap" | "join" }> | undefined;
  lastReason = "";
  while (!decided) {
    await io.etcd.put(key, { value: JSON.stringify(mine), ttl: "30" }).catch(() => 0);
    const answering = await liveMembers(io, self, service);
    if (answering.length) {
      io.say("recovery-not-needed", { self, answering, note: "a member answers: another task recovered the cluster" });
      return;
    }
    const dir = await io.etcd.get(recoveryDir(io.cluster), { quorum: "true" }).catch(() => null);
    const election = elect({ self, positions: positionsOf(dir), expected, liveTasks: await io.resolveTasks(service) });
    if (election.kind === "refuse") io.fail(`AUTO_RECOVER: ${election.reason}`);
    if (election.kind === "wait") {
      if (election.reason !== lastReason) io.say("recovery-wait", { self, reason: election.reason });
      lastReason = election.reason;
      if (now() > deadline) io.fail(`AUTO_RECOVER: gave up after ${waitMs / 1000} s: ${election.reason}`);
      await sleep(2000);
      continue;
    }
    decided = election;
  }
  io.say("recovery-elected", { self, kind: decided.kind, winner: decided.winner, positions: decided.positions });

  // 4. The winner marks its state safe to bootstrap; the usual discovery then wins the claim.
  if (decided.kind === "bootstrap") {
    const file = `${io.datadir}/grastate.dat`;
    if (!mine.empty && existsSync(file)) {
      // Written in place (not a new file): the owner and mode stay mysql's.
      writeFileSync(file, markSafeToBootstrap(readFileSync(file, "utf8"), mine.seqno));
      io.say("recovery-bootstrap", { self, grastate: readFileSync(file, "utf8") });
    } else io.say("recovery-bootstrap", { self, note: "no member has data: a new cluster" });
    return;
  }
  lastReason = "";
  for (;;) {
    await io.etcd.put(key, { value: JSON.stringify(mine), ttl: "30" }).catch(() => 0);
    const answering = await liveMembers(io, self, service);
    if (answering.length) {
      io.say("recovery-join", { self, winner: decided.winner.address, answering });
      return;
    }
    if (now() > deadline) io.fail(`AUTO_RECOVER: ${decided.winner.address} was elected to bootstrap but did not answer within ${waitMs / 1000} s`);
    await sleep(2000);
  }
}
