/**
 * Where the seconds of `docker service create` → Synced go, read from each task's own log lines
 * (`docker logs -t`): the entrypoint's `[swarmlab-discovery] {json}` events (src/discovery/) and
 * MariaDB's and Galera's own lines. `seedBreakdown` is pure; `collectSeedBreakdown` reads the logs
 * from the lab's hosts and calls it.
 *
 * A phase is the time between two milestones of one task's log. A milestone whose line is missing
 * is undefined, and so is every phase that starts or ends at it: nothing is guessed.
 */
import type { Host } from "../hosts/host.js";
import { LabError } from "../util/errors.js";

/** One task container's log, as the collector read it. */
export interface TaskLogInput {
  /** The lab host it ran on (docker1). */
  host: string;
  /** Its container (= task) name: mysql-galera.1.x07l7moj27y6sfpugdbgtfihh */
  task: string;
  /** The container's start (docker inspect .State.StartedAt), when known. */
  startedAt?: string;
  /** What became of it (running, exited 1...), for the report. */
  state?: string;
  /** `docker logs -t` of the container, both streams: each line starts with an RFC3339Nano timestamp. */
  logs: string | readonly string[];
}

export interface BreakdownInput {
  /** When `docker service create` was issued (ISO time or epoch ms). */
  createdAt: string | number;
  /** The service's CreatedAt as swarm recorded it (`docker service inspect`), when known. */
  serviceCreatedAt?: string;
  /** When the lab's own wait saw every member Synced (the end of `wait galera-synced`), when known. */
  observedSyncedAt?: string | number;
  tasks: readonly TaskLogInput[];
  /** What the collector could not read (a host that did not answer...), passed through. */
  notes?: readonly string[];
}

/** Seconds from `docker service create` to each moment of one task, from its own log. */
export interface Milestones {
  /** The container started (docker inspect), not a log line. */
  containerStarted?: number;
  /** Its first log line of any kind. */
  firstLine?: number;
  /** `datadir-initialised`: mariadb-install-db and the first-start SQL are done. */
  datadirInitialised?: number;
  /** `own-address`: the task's overlay address, from the embedded DNS's PTR answer. */
  ownAddress?: number;
  /** The first `decision` line, whatever its kind (wait, bootstrap, join). */
  firstDecision?: number;
  /** The `decision` to bootstrap or to join. */
  decision?: number;
  /** `start-mariadbd`. */
  mariadbdStart?: number;
  /** `WSREP: Start replication`: the provider is loaded, gcomm opens. */
  startReplication?: number;
  /** `Shifting OPEN -> PRIMARY` or `New COMPONENT: primary = yes`: in a Primary component. */
  primary?: number;
  /** The first joiner line of a state transfer (`State transfer required`, `Shifting PRIMARY -> JOINER`...). */
  transferStart?: number;
  /** `WSREP: SST received` (or its fallbacks): the data is in. */
  transferReceived?: number;
  /** `Shifting JOINER -> JOINED`. */
  joined?: number;
  /** `WSREP: Synchronized with group, ready for connections` (or its fallbacks). */
  synced?: number;
  /** `mariadbd: ready for connections.` */
  ready?: number;
  /** The first `state` event "Primary/Synced": the round of keepRegistration that writes its etcd keys. */
  registered?: number;
  /** `mariadbd-exit` or `fatal`. */
  ended?: number;
}

/** The phases of one member, consecutive: they add up to `total` when every milestone is there. */
export const PHASES = [
  { key: "scheduling", what: "`docker service create` issued → the task's container started (swarm scheduling, container create and start)" },
  { key: "datadirInit", what: "container started → the entrypoint's first line (`datadir-initialised`: mariadb-install-db and the first-start SQL)" },
  { key: "ownAddress", what: "→ `own-address` (its overlay address from the embedded DNS's PTR answer)" },
  { key: "claimAndSettle", what: "→ its first `decision` (the atomic etcd create of the bootstrap claim; the winner waits for `tasks.<service>` to give the same answer three times, 0.5 s apart; the etcd read)" },
  { key: "waitForRegistration", what: "→ the `decision` to bootstrap or join (joiners: `wait` every 1 s until a member is registered in etcd, then the probe of 4567)" },
  { key: "mariadbdStart", what: "→ `WSREP: Start replication` (mariadbd and the Galera provider start)" },
  { key: "groupJoin", what: "→ in a Primary component (`Shifting OPEN -> PRIMARY`: gcomm connects, the group takes it in)" },
  { key: "transfer", what: "→ `WSREP: SST received` (joiners: SST request, donor selection, the rsync transfer)" },
  { key: "toSynced", what: "→ `WSREP: Synchronized with group, ready for connections` (InnoDB start on the received data; the bootstrap: from Primary)" },
] as const;

export type PhaseKey = (typeof PHASES)[number]["key"];

/** Figures of one member besides the consecutive phases. */
export interface MemberExtras {
  /** created → Synced. */
  total?: number;
  /** created → first log line (scheduling and start, as `docker logs` sees it). */
  toFirstLine?: number;
  /** first line → decision: the whole discovery. */
  discovery?: number;
  /** Synced → its registration written to etcd (keepRegistration asks every 0.25 s until then). */
  registeredAfterSynced?: number;
  /** Joiners: the earliest registration of another member → its join decision (the etcd poll every 1 s). */
  joinedAfterRegistration?: number;
}

export interface MemberBreakdown {
  host: string;
  task: string;
  /** From its `decision` line (or Galera's "Connecting with bootstrap option"); undefined when neither is there. */
  role?: "bootstrap" | "joiner";
  address?: string;
  clusterAddress?: string;
  state?: string;
  at: Milestones;
  phases: Partial<Record<PhaseKey, number>>;
  extras: MemberExtras;
  discovery: {
    /** `decision` lines of kind wait, and why. */
    waits: number;
    reasons: Record<string, number>;
    /** `probe` lines: when (seconds from create), whom, who answered on 4567. */
    probes: Array<{ at: number; peers: string[]; answering: string[] }>;
    etcdUnreachable: number;
    bootstrapDeclined: number;
  };
  /** SST or IST when its log shows a state transfer. */
  transfer?: "SST" | "IST";
  /** Its `fatal` line's message. */
  fatal?: string;
}

export type Overlap = "at once" | "one after another";

export interface SeedBreakdown {
  createdAt: string;
  /** created → swarm's CreatedAt of the service (the docker CLI in the host, the API call). */
  serviceCreated?: number;
  /** created → the last member's Synced line. */
  lastSynced?: number;
  /** created → the lab's wait saw every member Synced. */
  observedSynced?: number;
  /** Bootstrap first, then the joiners in the order they became Synced, then the rest. */
  members: MemberBreakdown[];
  /** Whether the joiners' decision → Synced windows overlapped (two or more joiners with both lines). */
  joins?: Overlap;
  /** The same for Start replication → Primary (gcomm connect and group membership). */
  groupJoins?: Overlap;
  /** The same for their state transfers (first transfer line → SST received). */
  transfers?: Overlap;
  notes: string[];
}

/** Galera/MariaDB lines for each milestone. `first`: the earliest line matching any; `priority`: the first pattern that matches at all. */
export const GALERA_MILESTONES: Record<"startReplication" | "primary" | "transferStart" | "transferReceived" | "joined" | "synced" | "ready", { how: "first" | "priority"; patterns: RegExp[] }> = {
  startReplication: { how: "first", patterns: [/WSREP: Start replication/] },
  primary: { how: "first", patterns: [/WSREP: Shifting OPEN -> PRIMARY/, /WSREP: New COMPONENT: primary = yes/] },
  transferStart: {
    how: "first",
    patterns: [/WSREP: State transfer required/, /WSREP: Prepared SST request/, /WSREP: Shifting PRIMARY -> JOINER/, /WSREP_SST: \[INFO\] \S+ SST started on joiner/, /Running: 'wsrep_sst_\w+ --role 'joiner'/, /WSREP: Prepared IST receiver/],
  },
  transferReceived: { how: "priority", patterns: [/WSREP: SST received/, /WSREP: SST succeeded for position/, /WSREP: Installed new state from SST/, /WSREP_SST: \[INFO\] \S+ SST completed on joiner/, /WSREP: IST received/] },
  joined: { how: "first", patterns: [/WSREP: Shifting JOINER -> JOINED/] },
  synced: { how: "priority", patterns: [/WSREP: Synchronized with group, ready for connections/, /WSREP: Server status change joined -> synced/, /WSREP: Shifting JOINED -> SYNCED/] },
  ready: { how: "first", patterns: [/\b(?:mariadbd|mysqld): ready for connections/] },
};

const IST = /WSREP: (?:IST received|Receiving IST|Prepared IST receiver)/;
const SST = /WSREP: (?:SST received|Prepared SST request)|SST started on joiner|--role 'joiner'/;

/** IST when the joiner's log shows an incremental transfer and no snapshot transfer; SST otherwise. */
function transferKind(lines: ReadonlyArray<{ text: string }>): "SST" | "IST" {
  return lines.some((l) => IST.test(l.text)) && !lines.some((l) => SST.test(l.text)) ? "IST" : "SST";
}

const TIMESTAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)(?: |$)/;

/** Milliseconds (with the fraction `docker logs -t` gives) of an RFC3339 / RFC3339Nano time; undefined when it is none. */
export function parseTimestamp(text: string): number | undefined {
  const m = TIMESTAMP.exec(text);
  if (!m) return undefined;
  const base = Date.parse(`${m[1]}${m[3]}`);
  if (!Number.isFinite(base)) return undefined;
  return base + (m[2] ? Number(`0.${m[2]}`) * 1000 : 0);
}

function toMs(t: string | number): number {
  if (typeof t === "number") return t;
  const ms = parseTimestamp(t) ?? Date.parse(t);
  if (!Number.isFinite(ms)) throw new LabError(`not a time: "${t}"`);
  return ms;
}

interface Line {
  ms: number;
  text: string;
  event?: Record<string, unknown>;
}

const DISCOVERY = "[swarmlab-discovery] ";

/**
 * The lines of a `docker logs -t` text (both streams, in any order), sorted by their timestamp. A
 * discovery line without the prefix takes its own JSON `time`; any other line without it is skipped.
 */
export function timedLines(logs: string | readonly string[]): Line[] {
  const raw = typeof logs === "string" ? logs.split("\n") : logs.flatMap((l) => l.split("\n"));
  const out: Array<Line & { order: number }> = [];
  raw.forEach((full, order) => {
    const m = TIMESTAMP.exec(full);
    const text = m ? full.slice(m[0].length) : full;
    let event: Record<string, unknown> | undefined;
    if (text.startsWith(DISCOVERY)) {
      try {
        event = JSON.parse(text.slice(DISCOVERY.length)) as Record<string, unknown>;
      } catch {
        /* a cut line: its text still counts as a line */
      }
    }
    const ms = m ? parseTimestamp(full) : typeof event?.time === "string" ? parseTimestamp(event.time) : undefined;
    if (ms === undefined) return;
    out.push({ ms, text, event, order });
  });
  return out.sort((a, b) => a.ms - b.ms || a.order - b.order).map(({ order: _order, ...l }) => l);
}

const round = (s: number) => Math.round(s * 100) / 100;

function span(from: number | undefined, to: number | undefined): number | undefined {
  return from === undefined || to === undefined ? undefined : round(to - from);
}

function galeraMilestone(lines: Line[], key: keyof typeof GALERA_MILESTONES): number | undefined {
  const { how, patterns } = GALERA_MILESTONES[key];
  const galera = lines.filter((l) => !l.event && !l.text.startsWith(DISCOVERY));
  if (how === "first") return galera.find((l) => patterns.some((p) => p.test(l.text)))?.ms;
  for (const p of patterns) {
    const hit = galera.find((l) => p.test(l.text));
    if (hit) return hit.ms;
  }
  return undefined;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

/** One task's milestones and phases; `created` in epoch ms. */
export function memberBreakdown(task: TaskLogInput, created: number): MemberBreakdown {
  return measureMember(task, created).member;
}

/** The member, and its milestones unrounded (phases are differences of these, rounded once). */
function measureMember(task: TaskLogInput, created: number): { member: MemberBreakdown; raw: Milestones } {
  const lines = timedLines(task.logs);
  const exact = (ms: number | undefined) => (ms === undefined ? undefined : (ms - created) / 1000);
  const sec = (ms: number | undefined) => (ms === undefined ? undefined : round((ms - created) / 1000));
  const events = lines.filter((l) => l.event);
  const ev = (name: string) => events.filter((l) => l.event!.event === name);
  const decisions = ev("decision");
  const final = decisions.find((l) => l.event!.kind === "bootstrap" || l.event!.kind === "join");
  const waits = decisions.filter((l) => l.event!.kind === "wait" && (!final || l.ms <= final.ms));
  const reasons: Record<string, number> = {};
  for (const w of waits) {
    const r = String(w.event!.reason ?? "");
    reasons[r] = (reasons[r] ?? 0) + 1;
  }
  const own = ev("own-address")[0];
  const start = ev("start-mariadbd")[0];
  const registered = ev("state").find((l) => l.event!.state === "Primary/Synced");
  const fatal = ev("fatal")[0];
  const ended = [ev("mariadbd-exit")[0], fatal].filter((l): l is Line => Boolean(l)).sort((a, b) => a.ms - b.ms)[0];
  const bootstrapOption = lines.find((l) => /WSREP: Connecting with bootstrap option: [01]/.test(l.text));
  const role: MemberBreakdown["role"] = final
    ? final.event!.kind === "bootstrap"
      ? "bootstrap"
      : "joiner"
    : bootstrapOption
      ? bootstrapOption.text.trimEnd().endsWith("1")
        ? "bootstrap"
        : "joiner"
      : undefined;
  const transferStart = galeraMilestone(lines, "transferStart");
  const raw: Milestones = {
    containerStarted: task.startedAt ? exact(toMs(task.startedAt)) : undefined,
    firstLine: exact(lines[0]?.ms),
    datadirInitialised: exact(ev("datadir-initialised")[0]?.ms),
    ownAddress: exact(own?.ms),
    firstDecision: exact(decisions[0]?.ms),
    decision: exact(final?.ms),
    mariadbdStart: exact(start?.ms),
    startReplication: exact(galeraMilestone(lines, "startReplication")),
    primary: exact(galeraMilestone(lines, "primary")),
    transferStart: exact(transferStart),
    transferReceived: exact(galeraMilestone(lines, "transferReceived")),
    joined: exact(galeraMilestone(lines, "joined")),
    synced: exact(galeraMilestone(lines, "synced")),
    ready: exact(galeraMilestone(lines, "ready")),
    registered: exact(registered?.ms),
    ended: exact(ended?.ms),
  };
  const at: Milestones = {};
  for (const k of Object.keys(raw) as Array<keyof Milestones>) {
    if (raw[k] === undefined) delete raw[k];
    else at[k] = round(raw[k]!);
  }
  // After a transfer, Synced counts from its end; without one (the bootstrap), from Primary.
  // A transfer whose end is missing leaves toSynced undefined rather than counting it twice.
  const syncedFrom = raw.transferStart !== undefined ? raw.transferReceived : raw.primary;
  const phases: Partial<Record<PhaseKey, number>> = {
    scheduling: span(0, raw.containerStarted),
    datadirInit: span(raw.containerStarted, raw.firstLine),
    ownAddress: span(raw.firstLine, raw.ownAddress),
    claimAndSettle: span(raw.ownAddress, raw.firstDecision),
    waitForRegistration: span(raw.firstDecision, raw.decision),
    mariadbdStart: span(raw.decision, raw.startReplication),
    groupJoin: span(raw.startReplication, raw.primary),
    transfer: raw.transferStart !== undefined ? span(raw.primary, raw.transferReceived) : undefined,
    toSynced: span(syncedFrom, raw.synced),
  };
  for (const k of Object.keys(phases) as PhaseKey[]) if (phases[k] === undefined) delete phases[k];
  const extras: MemberExtras = {
    total: at.synced,
    toFirstLine: at.firstLine,
    discovery: span(raw.firstLine, raw.decision),
    registeredAfterSynced: span(raw.synced, raw.registered),
  };
  for (const k of Object.keys(extras) as Array<keyof MemberExtras>) if (extras[k] === undefined) delete extras[k];
  const member: MemberBreakdown = {
    host: task.host,
    task: task.task,
    ...(role ? { role } : {}),
    ...(own?.event?.own ? { address: String(own.event.own) } : final?.event?.self ? { address: String(final.event.self) } : {}),
    ...(final?.event?.clusterAddress ? { clusterAddress: String(final.event.clusterAddress) } : {}),
    ...(task.state ? { state: task.state } : {}),
    at,
    phases,
    extras,
    discovery: {
      waits: waits.length,
      reasons,
      probes: ev("probe")
        .filter((l) => !final || l.ms <= final.ms)
        .map((l) => ({ at: sec(l.ms)!, peers: strings(l.event!.peers), answering: strings(l.event!.answering) })),
      etcdUnreachable: ev("etcd-unreachable").length,
      bootstrapDeclined: ev("bootstrap-declined").length,
    },
    ...(transferStart !== undefined ? { transfer: transferKind(lines) } : {}),
    ...(fatal ? { fatal: String(fatal.event!.message ?? "") } : {}),
  };
  return { member, raw };
}

/** "at once" when any two windows share time, "one after another" when none do; undefined below two windows. */
export function overlap(windows: ReadonlyArray<readonly [number | undefined, number | undefined]>): Overlap | undefined {
  const w = windows.filter((x): x is readonly [number, number] => x[0] !== undefined && x[1] !== undefined);
  if (w.length < 2) return undefined;
  for (let i = 0; i < w.length; i++) for (let j = i + 1; j < w.length; j++) if (w[i]![0] < w[j]![1] && w[j]![0] < w[i]![1]) return "at once";
  return "one after another";
}

/** Where the seconds from `docker service create` to Synced went, per member and for the joins. Pure. */
export function seedBreakdown(input: BreakdownInput): SeedBreakdown {
  const created = toMs(input.createdAt);
  const measured = input.tasks.map((t) => measureMember(t, created));
  const rawOf = new Map(measured.map((x) => [x.member, x.raw]));
  const members = measured.map((x) => x.member);
  const order = (m: MemberBreakdown) => (m.role === "bootstrap" ? 0 : m.role === "joiner" ? 1 : 2);
  members.sort((a, b) => order(a) - order(b) || (a.at.synced ?? Infinity) - (b.at.synced ?? Infinity) || (a.at.firstLine ?? Infinity) - (b.at.firstLine ?? Infinity));
  for (const m of members) {
    const decision = rawOf.get(m)!.decision;
    if (m.role !== "joiner" || decision === undefined) continue;
    const registrations = members.filter((o) => o !== m).map((o) => rawOf.get(o)!.registered).filter((r): r is number => r !== undefined && r <= decision);
    if (registrations.length) m.extras.joinedAfterRegistration = round(decision - Math.min(...registrations));
  }
  const joiners = members.filter((m) => m.role === "joiner");
  const synced = members.map((m) => m.at.synced).filter((s): s is number => s !== undefined);
  const notes = [...(input.notes ?? [])];
  for (const m of members) {
    if (m.at.synced !== undefined) continue;
    notes.push(`${m.host} ${m.task}: no Synced line in its log${m.state ? ` (${m.state})` : ""}${m.fatal ? `; fatal: ${m.fatal}` : ""}`);
  }
  const bootstraps = members.filter((m) => m.role === "bootstrap");
  if (bootstraps.length > 1) notes.push(`${bootstraps.length} members decided to bootstrap: ${bootstraps.map((m) => `${m.host} ${m.task}`).join(", ")}`);
  return {
    createdAt: new Date(created).toISOString(),
    ...(input.serviceCreatedAt ? { serviceCreated: round((toMs(input.serviceCreatedAt) - created) / 1000) } : {}),
    ...(synced.length ? { lastSynced: Math.max(...synced) } : {}),
    ...(input.observedSyncedAt !== undefined ? { observedSynced: round((toMs(input.observedSyncedAt) - created) / 1000) } : {}),
    members,
    ...optional("joins", overlap(joiners.map((m) => [m.at.decision, m.at.synced] as const))),
    ...optional("groupJoins", overlap(joiners.map((m) => [m.at.startReplication, m.at.primary] as const))),
    ...optional("transfers", overlap(joiners.map((m) => [m.at.transferStart, m.at.transferReceived] as const))),
    notes,
  };
}

function optional<K extends string, V>(key: K, v: V | undefined): Partial<Record<K, V>> {
  return v === undefined ? {} : ({ [key]: v } as Record<K, V>);
}

/** A `{{json ...}}` answer of the docker CLI: "2026-11-30T09:04:52.8Z" (quotes included). */
function jsonString(text: string): string | undefined {
  try {
    const v = JSON.parse(text.trim()) as unknown;
    return typeof v === "string" && !v.startsWith("0001-") ? v : undefined;
  } catch {
    return undefined;
  }
}

export interface CollectOptions {
  /** When `docker service create` was issued; default swarm's CreatedAt of the service. */
  createdAt?: string | number;
  /** When the lab's wait saw every member Synced. */
  observedSyncedAt?: string | number;
  /** A manager to ask for the service's CreatedAt (skipped without one). */
  manager?: Host;
  /** Bound of every docker call (default 20 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Reads, on every host given, the containers of `service` (running or ended, by the label
 * com.docker.swarm.service.name), each one's start and state (docker inspect) and its `docker logs
 * -t`, and returns their breakdown. A host or container that does not answer within the bound is
 * left out and said in the notes.
 */
export async function collectSeedBreakdown(hosts: readonly Host[], service: string, opts: CollectOptions = {}): Promise<SeedBreakdown> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const run = { allowFailure: true, timeoutMs, signal: opts.signal };
  const notes: string[] = [];
  let serviceCreatedAt: string | undefined;
  if (opts.manager) {
    const r = await opts.manager.docker(["service", "inspect", "--format", "{{json .CreatedAt}}", service], run).catch((e: Error) => ({ stdout: "", stderr: e.message, exitCode: -1 }));
    serviceCreatedAt = r.exitCode === 0 ? jsonString(r.stdout) : undefined;
    if (!serviceCreatedAt) notes.push(`${opts.manager.name}: no CreatedAt of service ${service}: ${(r.stderr || r.stdout).trim().split("\n")[0] ?? ""}`);
  }
  const createdAt = opts.createdAt ?? serviceCreatedAt;
  if (createdAt === undefined) throw new LabError(`no time for \`docker service create\` of ${service}: none given and swarm's CreatedAt could not be read`);
  const perHost = await Promise.all(
    hosts.map(async (h): Promise<TaskLogInput[]> => {
      const ps = await h.docker(["ps", "-a", "--no-trunc", "--filter", `label=com.docker.swarm.service.name=${service}`, "--format", "{{.ID}} {{.Names}}"], run).catch((e: Error) => ({ stdout: "", stderr: e.message, exitCode: -1 }));
      if (ps.exitCode !== 0) {
        notes.push(`${h.name}: docker ps did not answer: ${(ps.stderr || ps.stdout).trim().split("\n")[0] ?? ""}`);
        return [];
      }
      const containers = ps.stdout.split("\n").filter(Boolean).map((l) => l.split(" ") as [string, string?]);
      return Promise.all(
        containers.map(async ([id, name]) => {
          const task = name ?? id.slice(0, 12);
          const [inspect, logs] = await Promise.all([
            h.docker(["inspect", "--format", "{{json .State}}", id], run).catch(() => ({ stdout: "", stderr: "", exitCode: -1 })),
            h.docker(["logs", "-t", id], run).catch((e: Error) => ({ stdout: "", stderr: "", exitCode: -1, error: e.message })),
          ]);
          let startedAt: string | undefined;
          let state: string | undefined;
          try {
            const s = JSON.parse(inspect.stdout) as { Status?: string; ExitCode?: number; StartedAt?: string };
            startedAt = s.StartedAt && !s.StartedAt.startsWith("0001-") ? s.StartedAt : undefined;
            state = s.Status === "exited" ? `exited ${s.ExitCode ?? "?"}` : s.Status;
          } catch {
            notes.push(`${h.name} ${task}: docker inspect gave no state`);
          }
          if (logs.exitCode !== 0) notes.push(`${h.name} ${task}: docker logs did not answer${"error" in logs ? `: ${String(logs.error).split("\n")[0]}` : ""}`);
          return { host: h.name, task, startedAt, state, logs: `${logs.stdout}\n${logs.stderr}` };
        }),
      );
    }),
  );
  return seedBreakdown({ createdAt, serviceCreatedAt, observedSyncedAt: opts.observedSyncedAt, tasks: perHost.flat(), notes });
}
