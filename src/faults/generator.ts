/**
 * Random fault schedules from a seed (Jepsen's generator): which fault, on which host, when, and for
 * how long. Pure data in, data out (no I/O, no clock), so a schedule can be printed, stored in
 * report.json (`chaos.schedule`) and replayed: the same seed and options give the same schedule.
 *
 * The model, in whole seconds from the start of the run:
 * - a fault is in place over [startSeconds, healSeconds); restart and SIGKILL are instantaneous
 *   (heal == start).
 * - a fault that takes a host out of the Galera cluster keeps counting as "down" until
 *   settledSeconds = heal + settleSeconds: the host still has to come back (dockerd, swarm task,
 *   IST). Without this, a restart (zero length) could be drawn next to a paused host and the
 *   cluster would lose its majority for real while the schedule said it never did.
 * - no two faults touch the same host between one's start and its settle time.
 * - unless allowMajorityLoss, at every instant a majority of the hosts (floor(n/2)+1) is healthy.
 */
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import type { RandomGenerator } from "pure-rand/types/RandomGenerator";
import { LabError } from "../util/errors.js";

export const CHAOS_FAULT_KINDS = ["kill", "stop", "pause", "restart", "ports", "isolate", "split", "link", "clock", "disk", "dns", "mtu", "process"] as const;
export type ChaosFaultKind = (typeof CHAOS_FAULT_KINDS)[number];

/** Swarm's gossip (7946), the overlay's VXLAN (4789) and Galera's replication (4567). */
export const CHAOS_PORTS = ["7946/tcp", "7946/udp", "4789/udp", "4567/tcp"] as const;
export type ChaosPort = (typeof CHAOS_PORTS)[number];
export type ChaosDirection = "in" | "out" | "both";
const DIRECTIONS: readonly ChaosDirection[] = ["in", "out", "both"];

/** The scenario file's fault specs (`kind` plus fields), as the generator draws them. */
export type ChaosFaultSpec =
  | { kind: "kill" | "pause" | "restart" | "disk"; host: string }
  | { kind: "stop"; host: string; grace?: number }
  | { kind: "ports"; host: string; ports: ChaosPort[]; direction: ChaosDirection }
  | { kind: "isolate"; host: string; direction: ChaosDirection }
  | { kind: "split"; groups: string[][]; direction: ChaosDirection }
  | { kind: "link"; host: string; delay_ms?: number; jitter_ms?: number; loss?: number; duplicate?: number; rate_kbit?: number }
  | { kind: "clock"; host: string; offset_seconds: number; rate?: number }
  | { kind: "dns"; host: string; mode: "drop" | "delay"; delay_ms?: number }
  | { kind: "mtu"; host: string; mtu: number }
  | { kind: "process"; host: string; signal: "STOP" | "KILL"; process: "mariadbd" };

/**
 * Kinds whose target leaves the Galera cluster while they last. Beyond the obvious ones: ports,
 * because Galera's traffic rides the overlay (4789/udp) and gossip loss marks the node Down, and
 * a one-way drop still breaks its TCP; mtu, because large writesets vanish and the member stalls
 * or is evicted. link (≤ 30 % loss), clock and dns leave the member in the cluster.
 */
const TAKES_HOST_OUT: ReadonlySet<ChaosFaultKind> = new Set(["kill", "stop", "pause", "restart", "ports", "isolate", "split", "disk", "mtu", "process"]);

export interface ChaosOptions {
  /** 0 .. 2^32-1; the same seed and options give the same schedule. */
  seed: number;
  /** The time budget: every fault heals, and every host has settled, by then. */
  durationSeconds: number;
  hosts: string[];
  /** Which kinds may be drawn (a set: the order of listing does not matter); default all. */
  faults?: ChaosFaultKind[];
  /** Default false: a majority of the hosts is healthy at every instant. True: one fault at a time may take the majority away. */
  allowMajorityLoss?: boolean;
  /** Faults in place (or settling) at once; default 2. */
  maxConcurrent?: number;
  minFaultSeconds?: number;
  maxFaultSeconds?: number;
  /** Between one fault's start and the next one's, or from a heal to the next start when it had to wait. */
  minPauseSeconds?: number;
  maxPauseSeconds?: number;
  /** How long a host that was out counts as down after its heal (it rejoins); default 30. */
  settleSeconds?: number;
}

export const CHAOS_DEFAULTS = {
  allowMajorityLoss: false,
  maxConcurrent: 2,
  minFaultSeconds: 10,
  maxFaultSeconds: 60,
  minPauseSeconds: 10,
  maxPauseSeconds: 40,
  settleSeconds: 30,
} as const;

export type ResolvedChaosOptions = Required<ChaosOptions>;

export interface ChaosEntry {
  /** 1-based, as printed. */
  index: number;
  kind: ChaosFaultKind;
  /** The host, or for a split its minority group joined by "+". */
  target: string;
  spec: ChaosFaultSpec;
  startSeconds: number;
  /** == startSeconds for instantaneous faults (restart, process KILL). */
  healSeconds: number;
  /** From when its hosts count as healthy and free again (heal + settleSeconds when it took a host out). */
  settledSeconds: number;
  /** Every host it touches (a split: all of them): no other fault touches them before settledSeconds. */
  hosts: string[];
  /** The hosts it takes out of the cluster. */
  down: string[];
  /** With the faults active at its start, it leaves fewer than a majority of the hosts healthy. */
  breaksMajority: boolean;
}

const INTEGER_OPTIONS = {
  maxConcurrent: { min: 1, max: 16, what: "a whole number of faults" },
  minFaultSeconds: { min: 1, max: 3600, what: "a whole number of seconds" },
  maxFaultSeconds: { min: 1, max: 3600, what: "a whole number of seconds" },
  minPauseSeconds: { min: 0, max: 3600, what: "a whole number of seconds" },
  maxPauseSeconds: { min: 0, max: 3600, what: "a whole number of seconds" },
  settleSeconds: { min: 0, max: 600, what: "a whole number of seconds" },
} as const;
const OPTION_KEYS = ["seed", "durationSeconds", "hosts", "faults", "allowMajorityLoss", ...Object.keys(INTEGER_OPTIONS)];
const MAX_SEED = 0xffff_ffff;
const MAX_DURATION = 7 * 24 * 3600;

/** Defaults filled in; kinds and hosts in a canonical order so that listing order does not change the schedule. */
export function resolveChaosOptions(o: ChaosOptions): ResolvedChaosOptions {
  const kinds = new Set<string>(o.faults ?? CHAOS_FAULT_KINDS);
  return {
    ...CHAOS_DEFAULTS,
    ...definedOnly(o),
    seed: o.seed,
    durationSeconds: o.durationSeconds,
    hosts: [...new Set(o.hosts)].sort(byCodeUnits),
    faults: CHAOS_FAULT_KINDS.filter((k) => kinds.has(k)),
  };
}

// Not localeCompare: the order must not depend on the machine's locale.
const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const majorityOf = (n: number) => Math.floor(n / 2) + 1;
const isInstant = (spec: ChaosFaultSpec) => spec.kind === "restart" || (spec.kind === "process" && spec.signal === "KILL");

/** Why a kind can never be drawn with these hosts, or undefined. */
function undrawable(kind: ChaosFaultKind, n: number, allowMajorityLoss: boolean): string | undefined {
  if (kind === "split" && n < 3) return `"split" needs at least 3 hosts (a minority against a majority), not ${n}`;
  if (TAKES_HOST_OUT.has(kind) && !allowMajorityLoss && n - 1 < majorityOf(n)) {
    return `"${kind}" takes a host out of the cluster, and with ${n} host${n === 1 ? "" : "s"} that leaves fewer than a majority healthy: add hosts or set allowMajorityLoss`;
  }
  return undefined;
}

/** The least time a kind needs from its start to its settle time. */
function minSpan(kind: ChaosFaultKind, o: Pick<ResolvedChaosOptions, "minFaultSeconds" | "settleSeconds">): number {
  if (kind === "restart" || kind === "process") return o.settleSeconds; // process may be a SIGKILL
  return o.minFaultSeconds + (TAKES_HOST_OUT.has(kind) ? o.settleSeconds : 0);
}

/**
 * Every problem at once, each naming the value and what is allowed; empty when fine. With
 * `labHosts`, host names are checked against the lab's.
 */
export function validateChaosOptions(input: unknown, labHosts?: readonly string[]): string[] {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    return [`options: ${show(input)} is not allowed: an object with seed, durationSeconds and hosts`];
  }
  const o = input as Record<string, unknown>;
  const problems: string[] = [];

  for (const key of Object.keys(o)) {
    if (!OPTION_KEYS.includes(key)) problems.push(`${key}: not an option (${OPTION_KEYS.join(", ")})${didYouMean(key, OPTION_KEYS)}`);
  }

  if (!isIntegerIn(o.seed, 0, MAX_SEED)) problems.push(`seed: ${show(o.seed)} is not allowed: a whole number from 0 to ${MAX_SEED}`);

  const durationOk = typeof o.durationSeconds === "number" && Number.isFinite(o.durationSeconds) && o.durationSeconds > 0 && o.durationSeconds <= MAX_DURATION;
  if (!durationOk) problems.push(`durationSeconds: ${show(o.durationSeconds)} is not allowed: a number of seconds above 0, at most ${MAX_DURATION} (7 days)`);

  const known = labHosts?.length ? ` (${labHosts.join(", ")})` : "";
  let hostCount = 0;
  if (!Array.isArray(o.hosts)) {
    problems.push(`hosts: ${show(o.hosts)} is not allowed: a list of host names${known}`);
  } else if (o.hosts.length === 0) {
    problems.push(`hosts: [] is empty: name at least one host${known}`);
  } else {
    const seen = new Set<string>();
    o.hosts.forEach((h: unknown, i) => {
      if (typeof h !== "string" || h === "") problems.push(`hosts.${i}: ${show(h)} is not a host name${known}`);
      else if (seen.has(h)) problems.push(`hosts: "${h}" is listed twice`);
      else if (labHosts && !labHosts.includes(h)) problems.push(`hosts: "${h}" is not a host of the lab${known}${didYouMean(h, labHosts)}`);
      else seen.add(h);
    });
    hostCount = seen.size;
  }

  let kinds: ChaosFaultKind[] | undefined;
  const kindList = CHAOS_FAULT_KINDS.join(", ");
  if (o.faults !== undefined) {
    if (!Array.isArray(o.faults)) problems.push(`faults: ${show(o.faults)} is not allowed: a list of fault kinds (${kindList})`);
    else if (o.faults.length === 0) problems.push(`faults: [] is empty: name at least one fault kind (${kindList}), or leave it out for all`);
    else {
      kinds = [];
      for (const k of o.faults as unknown[]) {
        if (typeof k === "string" && (CHAOS_FAULT_KINDS as readonly string[]).includes(k)) {
          const kind = k as ChaosFaultKind;
          if (kinds.includes(kind)) problems.push(`faults: "${kind}" is listed twice`);
          else kinds.push(kind);
        } else problems.push(`faults: ${show(k)} is not a fault kind (${kindList})${typeof k === "string" ? didYouMean(k, CHAOS_FAULT_KINDS) : ""}`);
      }
    }
  }

  if (o.allowMajorityLoss !== undefined && typeof o.allowMajorityLoss !== "boolean") {
    problems.push(`allowMajorityLoss: ${show(o.allowMajorityLoss)} is not allowed: true or false`);
  }

  // The effective integers (defaults where not given or not valid), for the checks between options.
  const { allowMajorityLoss: _, ...integerDefaults } = CHAOS_DEFAULTS;
  const value: Record<string, number> = { ...integerDefaults };
  const bad = new Set<string>();
  for (const [key, rule] of Object.entries(INTEGER_OPTIONS)) {
    const v = o[key];
    if (v === undefined) continue;
    if (isIntegerIn(v, rule.min, rule.max)) value[key] = v as number;
    else {
      bad.add(key);
      problems.push(`${key}: ${show(v)} is not allowed: ${rule.what} from ${rule.min} to ${rule.max}`);
    }
  }
  for (const [lo, hi] of [["minFaultSeconds", "maxFaultSeconds"], ["minPauseSeconds", "maxPauseSeconds"]] as const) {
    if (!bad.has(lo) && !bad.has(hi) && value[lo]! > value[hi]!) {
      problems.push(`${lo}: ${value[lo]} is above ${hi} (${value[hi]}${o[hi] === undefined ? ", its default" : ""})`);
    }
  }

  // Whether anything can be drawn at all: only meaningful once the parts it rests on are fine.
  if (hostCount > 0 && (o.faults === undefined || kinds?.length)) {
    const allow = o.allowMajorityLoss === true;
    const candidates = kinds ?? [...CHAOS_FAULT_KINDS];
    const drawable = candidates.filter((k) => !undrawable(k, hostCount, allow));
    // Asked for by name, a kind that can never be drawn is a mistake; by default, it is left out.
    if (kinds) for (const k of kinds) {
      const why = undrawable(k, hostCount, allow);
      if (why) problems.push(`faults: ${why}`);
    }
    const timesOk = !["minFaultSeconds", "minPauseSeconds", "settleSeconds"].some((k) => bad.has(k));
    if (durationOk && timesOk && drawable.length) {
      const need = value.minPauseSeconds! + Math.min(...drawable.map((k) => minSpan(k, { minFaultSeconds: value.minFaultSeconds!, settleSeconds: value.settleSeconds! })));
      if ((o.durationSeconds as number) < need) {
        problems.push(
          `durationSeconds: ${show(o.durationSeconds)} is too short for any fault: at least ${need} s (the first pause, minPauseSeconds ${value.minPauseSeconds}, then the shortest fault with its settle time)`,
        );
      }
    }
  }
  return problems;
}

function isIntegerIn(v: unknown, min: number, max: number): boolean {
  return typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;
}

function show(v: unknown): string {
  if (v === undefined) return "nothing";
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** "; did you mean X?" when exactly one known word is close to the typed one. */
function didYouMean(typed: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  let tie = false;
  for (const k of known) {
    // "duration" means durationSeconds: compare with the name without its unit too.
    const d = Math.min(editDistance(typed.toLowerCase(), k.toLowerCase()), editDistance(typed.toLowerCase(), k.replace(/Seconds$/, "").toLowerCase()));
    if (d < bestDistance) [best, bestDistance, tie] = [k, d, false];
    else if (d === bestDistance) tie = true;
  }
  // A tie ("docker9" against docker1..3) would be a guess, not a suggestion.
  return best !== undefined && !tie && bestDistance <= Math.max(1, Math.floor(best.length / 3)) ? `; did you mean "${best}"?` : "";
}

/** Edits (insert, delete, substitute, swap two neighbours) from a to b. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

// ---------------------------------------------------------------------------------------------
// Drawing

/**
 * pure-rand's xoroshiro128+ seeds its state as (-1, ~seed, seed, 0), so its first outputs for
 * neighbouring seeds (1, 2, 3...) are neighbours too. Discarding a few outputs mixes the state,
 * so seeds 1 and 2 give unrelated schedules. Changing this number changes every schedule.
 */
const WARM_UP = 16;

function seeded(seed: number): RandomGenerator {
  const rng = xoroshiro128plus(seed);
  for (let i = 0; i < WARM_UP; i++) rng.next();
  return rng;
}

const between = (rng: RandomGenerator, min: number, max: number) => uniformInt(rng, min, max);
const pick = <T>(rng: RandomGenerator, xs: readonly T[]): T => xs[uniformInt(rng, 0, xs.length - 1)]!;
const coin = (rng: RandomGenerator) => uniformInt(rng, 0, 1) === 1;

interface Candidate {
  kind: ChaosFaultKind;
  target: string;
  hosts: string[];
  down: string[];
  /** split: the minority group, the rest */
  groups?: string[][];
}

function combinations<T>(xs: readonly T[], size: number): T[][] {
  if (size === 0) return [[]];
  const out: T[][] = [];
  xs.forEach((x, i) => {
    for (const rest of combinations(xs.slice(i + 1), size - 1)) out.push([x, ...rest]);
  });
  return out;
}

/** What a kind can target now, hosts busy with other faults left out. */
function candidatesFor(kind: ChaosFaultKind, hosts: readonly string[], busy: ReadonlySet<string>): Candidate[] {
  if (kind === "split") {
    // A split puts rules on every host: it runs alone. The minority is smaller than half, so the rest keeps a majority.
    if (busy.size > 0) return [];
    const out: Candidate[] = [];
    for (let size = 1; size <= Math.floor((hosts.length - 1) / 2); size++) {
      for (const g of combinations(hosts, size)) {
        out.push({ kind, target: g.join("+"), hosts: [...hosts], down: g, groups: [[...g], hosts.filter((h) => !g.includes(h))] });
      }
    }
    return out;
  }
  return hosts.filter((h) => !busy.has(h)).map((h) => ({ kind, target: h, hosts: [h], down: TAKES_HOST_OUT.has(kind) ? [h] : [] }));
}

const RATES_KBIT = [256, 512, 1024, 2048, 4096, 8192];
const CLOCK_RATES = [0.5, 0.8, 0.9, 1.1, 1.25, 1.5, 2];

function drawSpec(rng: RandomGenerator, c: Candidate, signal: "STOP" | "KILL", faultSeconds: number): ChaosFaultSpec {
  const host = c.target;
  switch (c.kind) {
    case "kill":
    case "pause":
    case "restart":
    case "disk":
      return { kind: c.kind, host };
    case "stop":
      // A clean shutdown (grace) half the time; it must end well before the heal starts the host again.
      return coin(rng) ? { kind: "stop", host, grace: between(rng, 1, Math.max(1, Math.min(30, Math.floor(faultSeconds / 2)))) } : { kind: "stop", host };
    case "ports": {
      const ports = CHAOS_PORTS.filter(() => coin(rng));
      return { kind: "ports", host, ports: ports.length ? ports : [pick(rng, CHAOS_PORTS)], direction: pick(rng, DIRECTIONS) };
    }
    case "isolate":
      return { kind: "isolate", host, direction: pick(rng, DIRECTIONS) };
    case "split":
      return { kind: "split", groups: c.groups!, direction: pick(rng, DIRECTIONS) };
    case "link": {
      const spec: Extract<ChaosFaultSpec, { kind: "link" }> = { kind: "link", host };
      const draw = {
        delay: () => {
          spec.delay_ms = between(rng, 20, 500);
          if (coin(rng)) spec.jitter_ms = between(rng, 1, Math.floor(spec.delay_ms / 2));
        },
        loss: () => (spec.loss = between(rng, 1, 30)),
        duplicate: () => (spec.duplicate = between(rng, 1, 10)),
        rate: () => (spec.rate_kbit = pick(rng, RATES_KBIT)),
      };
      let drawn = 0;
      for (const f of Object.values(draw)) {
        if (coin(rng)) {
          f();
          drawn++;
        }
      }
      // A link fault with nothing wrong would be no fault.
      if (!drawn) pick(rng, Object.values(draw))();
      return spec;
    }
    case "clock": {
      const offset = between(rng, 1, 300) * (coin(rng) ? 1 : -1);
      return coin(rng) ? { kind: "clock", host, offset_seconds: offset, rate: pick(rng, CLOCK_RATES) } : { kind: "clock", host, offset_seconds: offset };
    }
    case "dns":
      return coin(rng) ? { kind: "dns", host, mode: "drop" } : { kind: "dns", host, mode: "delay", delay_ms: between(rng, 100, 5000) };
    case "mtu":
      // The overlay needs 1450 + 50 = 1500 on the host's link: anything here black-holes large packets.
      return { kind: "mtu", host, mtu: between(rng, 1200, 1450) };
    case "process":
      return { kind: "process", host, signal, process: "mariadbd" };
  }
}

/** The fault to start at `t`, or undefined when none may start now. */
function drawAt(rng: RandomGenerator, o: ResolvedChaosOptions, t: number, active: readonly ChaosEntry[], index: number): ChaosEntry | undefined {
  const n = o.hosts.length;
  const majority = majorityOf(n);
  // Whole seconds, also when the duration is not.
  const room = Math.floor(o.durationSeconds - t);
  const busy = new Set(active.flatMap((e) => e.hosts));
  const downNow = new Set(active.flatMap((e) => e.down));
  const haveMajority = n - downNow.size >= majority;
  const breakingActive = active.some((e) => e.breaksMajority);

  const leavesMinority = (c: Candidate) => c.down.length > 0 && n - new Set([...downNow, ...c.down]).size < majority;
  const allowed = (c: Candidate) => !leavesMinority(c) || (o.allowMajorityLoss && haveMajority && !breakingActive);

  const byKind = new Map<ChaosFaultKind, Candidate[]>();
  for (const kind of o.faults) {
    if (minSpan(kind, o) > room) continue;
    const cs = candidatesFor(kind, o.hosts, busy).filter(allowed);
    if (cs.length) byKind.set(kind, cs);
  }
  if (!byKind.size) return undefined;

  // Kind first, then target: each allowed kind is equally likely whatever its number of targets.
  const kind = pick(rng, [...byKind.keys()]);
  const cs = byKind.get(kind)!;
  // A split: the minority's size first, so that large labs do not draw mostly large minorities.
  let choices = cs;
  if (kind === "split") {
    const size = pick(rng, [...new Set(cs.map((x) => x.down.length))]);
    choices = cs.filter((x) => x.down.length === size);
  }
  const c = pick(rng, choices);

  const settle = c.down.length ? o.settleSeconds : 0;
  const stopFits = o.minFaultSeconds + settle <= room;
  const signal = kind === "process" && (!stopFits || coin(rng)) ? "KILL" : "STOP";
  const instant = kind === "restart" || (kind === "process" && signal === "KILL");
  const faultSeconds = instant ? 0 : between(rng, o.minFaultSeconds, Math.min(o.maxFaultSeconds, room - settle));
  const spec = drawSpec(rng, c, signal, faultSeconds);
  return {
    index,
    kind,
    target: c.target,
    spec,
    startSeconds: t,
    healSeconds: t + faultSeconds,
    settledSeconds: t + faultSeconds + settle,
    hosts: c.hosts,
    down: c.down,
    breaksMajority: leavesMinority(c),
  };
}

/**
 * The schedule for these options: a first pause (the workload gets going), then faults, each start
 * a pause after the previous one; when none may start (too many at once, or the majority rule),
 * the next try is a pause after the first one to settle. Throws a LabError listing every problem
 * of invalid options.
 */
export function chaosSchedule(options: ChaosOptions): ChaosEntry[] {
  const problems = validateChaosOptions(options);
  if (problems.length) throw new LabError(`chaos options:\n  ${problems.join("\n  ")}`);
  const o = resolveChaosOptions(options);
  // Kinds no schedule could hold (split on two hosts...) are left out of the default "all".
  o.faults = o.faults.filter((k) => !undrawable(k, o.hosts.length, o.allowMajorityLoss));
  const rng = seeded(o.seed);
  const pause = () => between(rng, o.minPauseSeconds, o.maxPauseSeconds);

  const entries: ChaosEntry[] = [];
  let t = pause();
  while (t < o.durationSeconds) {
    const active = entries.filter((e) => e.settledSeconds > t);
    const next = active.length < o.maxConcurrent ? drawAt(rng, o, t, active, entries.length + 1) : undefined;
    if (next) {
      entries.push(next);
      // At least a second apart: the runner applies faults one after the other.
      t += Math.max(1, pause());
    } else if (active.length) {
      t = Math.max(t + 1, Math.min(...active.map((e) => e.settledSeconds)) + pause());
    } else {
      break; // nothing fits in the time left, and nothing will free up
    }
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------
// Printing

/** 125 -> "2:05", 3725 -> "1:02:05" */
export function clockTime(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** The fault's parameters in words, e.g. "delay 120±30 ms, loss 5 %". */
export function describeChaosSpec(spec: ChaosFaultSpec): string {
  switch (spec.kind) {
    case "stop":
      return spec.grace ? `clean, grace ${spec.grace} s` : "";
    case "ports":
      return `${spec.ports.join(",")} (${spec.direction})`;
    case "isolate":
      return `(${spec.direction})`;
    case "split":
      return `${spec.groups.map((g) => g.join("+")).join(" | ")} (${spec.direction})`;
    case "link":
      return [
        spec.delay_ms !== undefined ? `delay ${spec.delay_ms}${spec.jitter_ms ? `±${spec.jitter_ms}` : ""} ms` : "",
        spec.loss !== undefined ? `loss ${spec.loss} %` : "",
        spec.duplicate !== undefined ? `duplicate ${spec.duplicate} %` : "",
        spec.rate_kbit !== undefined ? `rate ${spec.rate_kbit} kbit/s` : "",
      ]
        .filter(Boolean)
        .join(", ");
    case "clock":
      return `offset ${spec.offset_seconds > 0 ? "+" : ""}${spec.offset_seconds} s${spec.rate !== undefined ? `, rate ×${spec.rate}` : ""}`;
    case "dns":
      return spec.mode === "drop" ? "no answers" : `answers ${spec.delay_ms} ms late`;
    case "mtu":
      return `mtu ${spec.mtu}`;
    case "process":
      return `SIG${spec.signal} ${spec.process}`;
    default:
      return "";
  }
}

/** A table for the terminal and the report: one line per fault, then a count per kind. */
export function describeSchedule(schedule: readonly ChaosEntry[]): string {
  if (!schedule.length) return "no fault: none fits in the duration";
  const head = ["#", "start", "heal", "settled", "kind", "target", "details"];
  const rows = schedule.map((e) => [
    String(e.index),
    clockTime(e.startSeconds),
    isInstant(e.spec) ? "(instant)" : clockTime(e.healSeconds),
    clockTime(e.settledSeconds),
    e.kind,
    e.target,
    [describeChaosSpec(e.spec), e.breaksMajority ? "MAJORITY LOST" : ""].filter(Boolean).join("; "),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  // Numbers right-aligned, words left-aligned.
  const line = (r: string[]) =>
    r
      .map((c, i) => (i < 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  const counts = CHAOS_FAULT_KINDS.map((k) => [k, schedule.filter((e) => e.kind === k).length] as const).filter(([, c]) => c > 0);
  const summary = `${schedule.length} fault${schedule.length === 1 ? "" : "s"}: ${counts.map(([k, c]) => `${k} ${c}`).join(", ")}`;
  return [line(head), ...rows.map(line), summary].join("\n");
}
