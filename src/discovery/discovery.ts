/**
 * Overlay-mode discovery: how a task decides between bootstrapping and joining, and which peers
 * go into wsrep_cluster_address. Pure; the entrypoint does the I/O. Also the opt-in join gate
 * (JOIN_ONE_AT_A_TIME=1): its decisions pure too, its etcd calls through an interface it is given.
 */
import { compareIp } from "./address.js";
import type { EtcdNode } from "./etcd.js";

export interface Registration {
  /** The address in the key: /pxc-cluster/<cluster>/<ip> */
  address: string;
  /** Seconds left on its TTL as etcd reported it; <= 0 or missing TTL means not live. */
  ttl?: number;
}

export interface PeerInputs {
  self: string;
  registrations: Registration[];
  /** Current task addresses from `tasks.<service>` DNS, when it answered. A key whose task is gone is stale. */
  liveTasks?: string[];
}

/** Live, distinct peers other than itself, in address order. Exact comparison: 10.0.1.1 is not 10.0.1.10. */
export function livePeers({ self, registrations, liveTasks }: PeerInputs): string[] {
  const live = new Set(liveTasks ?? []);
  const peers = new Set<string>();
  for (const r of registrations) {
    if (r.address === self) continue;
    if (r.ttl !== undefined && r.ttl <= 0) continue;
    if (liveTasks && !live.has(r.address)) continue;
    peers.add(r.address);
  }
  return [...peers].sort(compareIp);
}

export type Decision =
  | { kind: "bootstrap"; clusterAddress: string; peers: string[] }
  | { kind: "join"; clusterAddress: string; peers: string[] }
  | { kind: "wait"; reason: string };

export interface DecideInputs extends PeerInputs {
  /** Whether this task won the atomic create of the bootstrap key (etcd prevExist=false). */
  wonBootstrap: boolean;
}

/**
 * The winner of the bootstrap key starts a new cluster (listing the other current tasks, so its
 * address is a real one, not gcomm://); everyone else joins live registered members, and waits
 * while there are none. A replacement task finds the key taken and joins the live members.
 */
export function decide(inputs: DecideInputs): Decision {
  const peers = livePeers(inputs);
  if (inputs.wonBootstrap) {
    const others = [...new Set((inputs.liveTasks ?? []).filter((a) => a !== inputs.self))].sort(compareIp);
    return { kind: "bootstrap", clusterAddress: gcomm(others), peers: others };
  }
  if (peers.length === 0) return { kind: "wait", reason: "no live registered member to join yet" };
  return { kind: "join", clusterAddress: gcomm(peers), peers };
}

export function gcomm(addresses: string[]): string {
  return `gcomm://${addresses.join(",")}`;
}

// ---- One joiner at a time (JOIN_ONE_AT_A_TIME=1, off by default) ----------------------------------
//
// Joiners that start their group join at once slow each other down (on a 2-core machine: "No nodes
// coming from primary view, primary view is not possible", 7.5 s instead of 1 s) and, five at once,
// got a member evicted after its state transfer. With the gate on, a task that decided to join takes
// an etcd key first (the bootstrap claim's atomic create, prevExist=false, with a TTL), keeps it while
// it joins and deletes it once its member is Primary and Synced, or when mariadbd exits, or after
// JOIN_LOCK_MAX_SECONDS whatever happened. The others wait, asking every quarter second. The decisions
// below are pure; JoinGate and HeldJoinLock do the etcd calls through what they are given.

export interface JoinLockSettings {
  /** Seconds on the key; the holder rewrites it every min(5 s, ttl/3), so a crashed holder's lock lapses after this. */
  ttlSeconds: number;
  /** The holder gives the lock up after this long, Synced or not (a looping SST must not block the rest). */
  maxHoldMs: number;
  /** A waiter that has waited this long in all joins without the lock (as without the gate). */
  waitMs: number;
  /** How often a waiter asks whether the lock is free. */
  pollMs: number;
}

export const JOIN_LOCK_DEFAULTS = { ttlSeconds: 20, maxHoldSeconds: 300, waitSeconds: 600, pollMs: 250 } as const;
/** How long the holder's member state is polled apart while it holds the lock (instead of every 5 s). */
export const JOIN_LOCK_STATE_POLL_MS = 250;

/**
 * How often a joiner asks etcd again while no member is registered. The bench's seedBreakdown put
 * this poll (then 2 s) on the seed's critical path: the joiners' decision came ~1 s after the
 * bootstrap's registration on average. etcd answers such a read in milliseconds.
 */
export const JOIN_WAIT_POLL_MS = 1000;

/**
 * How often a new member asks its own state until its first registration: joiners wait for that
 * registration, so it is written within a quarter second of Synced (then every 5 s, as Percona's
 * clustercheckcron does).
 */
export const FIRST_REGISTRATION_POLL_MS = 250;

/** tasks.<service> must give the same answer this many times this far apart before a bootstrap lists the others. */
export const SETTLE_ANSWERS = 3;
export const SETTLE_INTERVAL_MS = 500;
/** A release gets this long for its etcd call (at mariadbd's exit, a signal): the TTL does the rest. */
export const JOIN_LOCK_RELEASE_BOUND_MS = 3000;

const ON = new Set(["1", "true", "yes", "on"]);
const OFF = new Set(["", "0", "false", "no", "off"]);

function positiveSeconds(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a number of seconds above 0, not "${raw}"`);
  return n;
}

/**
 * The gate's settings from the environment; undefined when JOIN_ONE_AT_A_TIME is unset or off (the
 * default: nothing else is read then). Throws on a value it does not understand.
 */
export function joinLockSettings(env: Record<string, string | undefined>): JoinLockSettings | undefined {
  const flag = (env.JOIN_ONE_AT_A_TIME ?? "").trim().toLowerCase();
  if (OFF.has(flag)) return undefined;
  if (!ON.has(flag)) throw new Error(`JOIN_ONE_AT_A_TIME must be 1 (on) or 0 (off), not "${env.JOIN_ONE_AT_A_TIME}"`);
  const ttlSeconds = Math.ceil(positiveSeconds(env, "JOIN_LOCK_TTL_SECONDS", JOIN_LOCK_DEFAULTS.ttlSeconds));
  return {
    ttlSeconds,
    maxHoldMs: positiveSeconds(env, "JOIN_LOCK_MAX_SECONDS", JOIN_LOCK_DEFAULTS.maxHoldSeconds) * 1000,
    waitMs: positiveSeconds(env, "JOIN_LOCK_WAIT_SECONDS", JOIN_LOCK_DEFAULTS.waitSeconds) * 1000,
    pollMs: JOIN_LOCK_DEFAULTS.pollMs,
  };
}

/** Beside the bootstrap claim (/pxc-cluster/bootstrap/<cluster>). */
export const joinLockKey = (cluster: string) => `/pxc-cluster/joining/${cluster}`;

/** Who holds the lock: the key's value, JSON. `since` (the holder's clock) makes every taking unique. */
export interface JoinLockHolder {
  address: string;
  task?: string;
  host?: string;
  since: string;
}

export function holderValue(h: JoinLockHolder): string {
  return JSON.stringify(h);
}

export function parseHolder(value: string | undefined): JoinLockHolder | undefined {
  try {
    const h = JSON.parse(value ?? "") as JoinLockHolder;
    return h && typeof h.address === "string" && typeof h.since === "string" ? h : undefined;
  } catch {
    return undefined;
  }
}

/** "10.0.1.4 (mysql-galera.2.t9kb…)" for the log; the raw value when it is not ours. */
export function describeHolder(value: string): string {
  const h = parseHolder(value);
  if (!h) return value === "" ? "someone" : JSON.stringify(value);
  const who = h.task || h.host;
  return who ? `${h.address} (${who})` : h.address;
}

/** What one attempt at the key found. */
export type JoinLockObservation =
  | { kind: "taken" }
  | { kind: "held"; value: string; ttl?: number }
  /** The create failed, yet the key was gone when read: it changed hands in between. */
  | { kind: "free" }
  | { kind: "error"; message: string };

export type JoinGateStep =
  | { kind: "join"; locked: true }
  /** Join without the lock, as without the gate. */
  | { kind: "join"; locked: false; reason: string }
  | { kind: "wait"; reason: string; value?: string; ttl?: number }
  /** The key names this task's own address: a dead task's (two live tasks never share an overlay address). */
  | { kind: "take-over"; reason: string; value: string }
  | { kind: "retry"; reason: string };

export interface JoinGateInputs {
  self: { address: string };
  observation: JoinLockObservation;
  /** Milliseconds this task has waited for the lock so far. */
  waitedMs: number;
  /** etcd failures in a row, this one included. */
  etcdErrors: number;
  settings: Pick<JoinLockSettings, "waitMs">;
}

/** A waiter's whole decision, given what the attempt found. */
export function joinGateStep({ self, observation: o, waitedMs, etcdErrors, settings }: JoinGateInputs): JoinGateStep {
  switch (o.kind) {
    case "taken":
      return { kind: "join", locked: true };
    case "free":
      return { kind: "retry", reason: "the join lock changed hands while asked" };
    case "error":
      // One failure may be a slow answer on a loaded machine; two in a row: etcd is away, do as without the gate.
      return etcdErrors >= 2
        ? { kind: "join", locked: false, reason: `etcd unreachable (${o.message}): joining without the join lock, as without JOIN_ONE_AT_A_TIME` }
        : { kind: "wait", reason: `etcd did not answer about the join lock (${o.message}): asking again` };
    case "held": {
      const holder = parseHolder(o.value);
      if (holder && holder.address === self.address) {
        return { kind: "take-over", reason: `the join lock names this task's own address ${self.address}: a task that had it before is gone`, value: o.value };
      }
      if (waitedMs >= settings.waitMs) {
        return {
          kind: "join",
          locked: false,
          reason: `waited ${Math.round(waitedMs / 1000)} s for the join lock (JOIN_LOCK_WAIT_SECONDS=${settings.waitMs / 1000}); ${describeHolder(o.value)} still holds it: joining without it`,
        };
      }
      return { kind: "wait", reason: `${describeHolder(o.value)} holds the join lock: one joiner at a time (JOIN_ONE_AT_A_TIME)`, value: o.value, ...(o.ttl !== undefined ? { ttl: o.ttl } : {}) };
    }
  }
}

export type JoinLockRelease = "synced" | "max-hold" | "mariadbd-exit" | "signal";

/** The holder's rule: Synced gives the lock back; so does holding it for JOIN_LOCK_MAX_SECONDS. */
export function holderStep(i: { heldMs: number; maxHoldMs: number; synced: boolean }): "keep" | Extract<JoinLockRelease, "synced" | "max-hold"> {
  if (i.synced) return "synced";
  if (i.heldMs >= i.maxHoldMs) return "max-hold";
  return "keep";
}

/** The etcd calls the gate makes (EtcdV2 has them; the tests give an etcd of their own). */
export interface JoinLockStore {
  create(key: string, value: string, ttl: number): Promise<boolean>;
  get(key: string): Promise<EtcdNode | null>;
  refresh(key: string, value: string, ttl: number): Promise<boolean>;
  deleteIf(key: string, value: string): Promise<boolean>;
}

export interface JoinGateIO {
  etcd: JoinLockStore;
  key: string;
  settings: JoinLockSettings;
  /** This task: its overlay address, task name and host name (the lock's value names them). */
  self: { address: string; task?: string; host?: string };
  say: (event: string, data?: Record<string, unknown>) => void;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Ends every wait early (a signal to the task). */
  signal?: AbortSignal;
}

/** setTimeout as a promise that an abort ends early (resolved, not rejected). */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;
const message = (err: unknown) => (err as Error)?.message ?? String(err);

/**
 * A waiter's side: `attempt()` after each join decision (taken, wait, or join without the lock), and
 * `waitWhileHeld()` between attempts. Every wait is bounded (JOIN_LOCK_WAIT_SECONDS in all) and ends
 * at once on the abort signal.
 */
export class JoinGate {
  /** The lock, once this task holds it. */
  lock: HeldJoinLock | undefined;
  private waitedMs = 0;
  private etcdErrors = 0;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(private readonly io: JoinGateIO) {
    this.now = io.now ?? (() => Date.now());
    this.sleep = io.sleep ?? abortableSleep;
  }

  get waitedSeconds(): number {
    return seconds(this.waitedMs);
  }

  private holder(): JoinLockHolder {
    const { address, task, host } = this.io.self;
    return { address, ...(task ? { task } : {}), ...(host ? { host } : {}), since: new Date(this.now()).toISOString() };
  }

  private async observe(value: string): Promise<JoinLockObservation> {
    try {
      const taken = await this.io.etcd.create(this.io.key, value, this.io.settings.ttlSeconds);
      if (taken) return { kind: "taken" };
      const node = await this.io.etcd.get(this.io.key);
      if (!node) return { kind: "free" };
      return { kind: "held", value: node.value ?? "", ...(node.ttl !== undefined ? { ttl: node.ttl } : {}) };
    } catch (err) {
      return { kind: "error", message: message(err) };
    }
  }

  /** One go at the lock; at most a few etcd round trips. The events say what came of it. */
  async attempt(): Promise<Exclude<JoinGateStep, { kind: "take-over" | "retry" }>> {
    const { say, key, settings } = this.io;
    for (let round = 0; ; round++) {
      const value = holderValue(this.holder());
      const observation = await this.observe(value);
      this.etcdErrors = observation.kind === "error" ? this.etcdErrors + 1 : 0;
      const step = joinGateStep({ self: this.io.self, observation, waitedMs: this.waitedMs, etcdErrors: this.etcdErrors, settings });
      if ((step.kind === "take-over" || step.kind === "retry") && round >= 2) return { kind: "wait", reason: step.reason };
      switch (step.kind) {
        case "take-over":
          say("join-lock-take-over", { key, holder: parseHolder(step.value) ?? step.value, reason: step.reason });
          await this.io.etcd.deleteIf(key, step.value).catch(() => false);
          continue;
        case "retry":
          continue;
        case "join":
          if (step.locked) {
            this.lock = new HeldJoinLock(this.io, value);
            say("join-lock-taken", { key, holder: parseHolder(value), ttl: settings.ttlSeconds, maxHoldSeconds: settings.maxHoldMs / 1000, waitedSeconds: this.waitedSeconds });
          } else say("join-lock-skipped", { key, reason: step.reason, waitedSeconds: this.waitedSeconds });
          return step;
        case "wait":
          return step;
      }
    }
  }

  /**
   * Waits while the holder that `step` names keeps the lock: returns when the key is gone or names
   * someone else, when this task has waited JOIN_LOCK_WAIT_SECONDS in all, after two etcd failures in a
   * row, or on the abort signal. Returns the milliseconds waited (they do not count against
   * DISCOVERY_WAIT_SECONDS).
   */
  async waitWhileHeld(step: Extract<JoinGateStep, { kind: "wait" }>): Promise<number> {
    const { say, key, settings, signal } = this.io;
    const start = this.now();
    const left = () => settings.waitMs - this.waitedMs - (this.now() - start);
    if (step.value !== undefined) {
      const h = parseHolder(step.value);
      say("join-lock-wait", {
        key,
        self: this.io.self.address,
        holder: h ?? step.value,
        ...(h ? { heldSeconds: seconds(this.now() - Date.parse(h.since)) } : {}),
        ttl: step.ttl ?? null,
        waitedSeconds: this.waitedSeconds,
        reason: step.reason,
      });
    }
    let lastSaid = start;
    for (;;) {
      if (signal?.aborted) break;
      await this.sleep(Math.max(0, Math.min(settings.pollMs, left())), signal);
      if (signal?.aborted || left() <= 0 || step.value === undefined) break;
      let node: EtcdNode | null;
      try {
        node = await this.io.etcd.get(key);
        this.etcdErrors = 0;
      } catch {
        if (++this.etcdErrors >= 2) break; // the next attempt decides (as without the gate)
        continue;
      }
      if (!node || node.value !== step.value) break;
      if (this.now() - lastSaid >= 30_000) {
        lastSaid = this.now();
        say("join-lock-wait", { key, self: this.io.self.address, holder: parseHolder(step.value) ?? step.value, ttl: node.ttl ?? null, waitedSeconds: seconds(this.waitedMs + lastSaid - start), still: true });
      }
    }
    const waited = this.now() - start;
    this.waitedMs += waited;
    return waited;
  }
}

/**
 * The holder's side: rewrites the key's TTL every min(5 s, ttl/3) while it holds it (only while the
 * key still holds its own value), gives it up after JOIN_LOCK_MAX_SECONDS, and on `release()`.
 */
export class HeldJoinLock {
  holding = true;
  readonly since: number;
  /** Ends when the holder stops refreshing (released, lost, or past the maximum hold). */
  readonly kept: Promise<void>;
  private readonly stop = new AbortController();
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(
    private readonly io: JoinGateIO,
    readonly value: string,
  ) {
    this.now = io.now ?? (() => Date.now());
    this.sleep = io.sleep ?? abortableSleep;
    this.since = this.now();
    this.kept = this.keep();
  }

  get heldMs(): number {
    return this.now() - this.since;
  }

  private async keep(): Promise<void> {
    const { etcd, key, settings, say } = this.io;
    const refreshMs = Math.min(5000, (settings.ttlSeconds * 1000) / 3);
    while (this.holding) {
      if (holderStep({ heldMs: this.heldMs, maxHoldMs: settings.maxHoldMs, synced: false }) === "max-hold") return this.release("max-hold");
      await this.sleep(Math.min(refreshMs, settings.maxHoldMs - this.heldMs), this.stop.signal);
      if (!this.holding) return;
      if (this.heldMs >= settings.maxHoldMs) return this.release("max-hold");
      try {
        if (!(await etcd.refresh(key, this.value, settings.ttlSeconds))) {
          if (!this.holding) return;
          this.holding = false;
          this.stop.abort();
          const now = await etcd.get(key).catch(() => null);
          say("join-lock-lost", { key, heldSeconds: seconds(this.heldMs), holder: now?.value ? (parseHolder(now.value) ?? now.value) : null, reason: "the key expired (no refresh within its TTL) or was deleted" });
          return;
        }
      } catch {
        /* etcd away: the next round tries again; past the TTL the key is gone and the lock with it */
      }
    }
  }

  /** Gives the lock back (idempotent): deletes the key if it is still this task's, within JOIN_LOCK_RELEASE_BOUND_MS. */
  async release(reason: JoinLockRelease): Promise<void> {
    if (!this.holding) return;
    this.holding = false;
    this.stop.abort();
    const bound = new AbortController();
    let deleted: boolean | undefined;
    let error: string | undefined;
    try {
      const answer = await Promise.race([this.io.etcd.deleteIf(this.io.key, this.value), this.sleep(JOIN_LOCK_RELEASE_BOUND_MS, bound.signal).then(() => "timeout" as const)]);
      if (answer === "timeout") error = `no answer from etcd in ${JOIN_LOCK_RELEASE_BOUND_MS / 1000} s: the key lapses with its TTL`;
      else deleted = answer;
    } catch (err) {
      error = `${message(err)}: the key lapses with its TTL`;
    } finally {
      bound.abort();
    }
    this.io.say("join-lock-released", { key: this.io.key, reason, heldSeconds: seconds(this.heldMs), deleted: deleted ?? false, ...(error ? { error } : {}) });
  }
}
