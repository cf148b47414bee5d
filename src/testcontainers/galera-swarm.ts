/**
 * The lab as a testcontainers module, for failure tests in vitest: a builder, start(), a Started
 * object with getters, `await using`. Hosts are made through testcontainers (SwarmHostContainer,
 * the same way `swarmlab up` makes them); faults, heals, waits and checks go through LabDriver.
 *
 *   await using swarm = await new GaleraSwarm().withProfile("tuned").withName("ci").start();
 *   await swarm.fault({ kind: "ports", host: "docker3", ports: ["4789/udp"] }, { workload: true });
 *   await swarm.waitForSplit(2);
 *   await swarm.heal();
 *   await swarm.waitForSynced(3);
 *   await expect(swarm).toLoseNoAcknowledgedWrite();   // matchers: swarm-galera-lab/vitest
 *
 * Builder misuse throws GaleraSwarmConfigError before anything starts, naming the value and what
 * is allowed.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Connection } from "mysql2/promise";
import { startLab, type Lab } from "../lab.js";
import { LabDriver } from "../driver.js";
import type { FaultSpec, Sample, ScenarioResult, StepResult } from "../context/run-context.js";
import type { WorkloadOptions } from "../faults/workload.js";
import type { RecoveryRecord } from "../faults/recovery.js";
import { checkWriteHistory, writeBuckets, type HistoryVerdict, type WriteOp } from "../faults/history.js";
import { galeraView, type MemberView } from "../checks/conditions.js";
import { connect, galeraMembers, hangUp, memberLabel, wsrepOf, GALERA_SERVICE, type GaleraMember } from "../checks/galera.js";
import { serviceCredentials } from "../checks/credentials.js";
import { workloadRows } from "../checks/history.js";
import { runScenario } from "../scenarios/runner.js";
import { allScenarioNames } from "../scenarios/session.js";
import { faultKindOf, loadScenario, startState, type Scenario } from "../scenarios/schema.js";
import { PROFILES, type Profile } from "../scenarios/profile.js";
import { IMAGES_MODES, type ImagesMode } from "../images/source.js";
import { FAULTS } from "../faults/kinds/index.js";
import { readCompose } from "../hosts/compose.js";
import { DEFAULT_COMPOSE_FILE } from "../hosts/dind/containers.js";
import { DEFAULT_LAB, validateLabName } from "../hosts/naming.js";
import { startSampler, type Sampler } from "../report/sampler.js";
import { timelineFile, writeReport, type RunReport } from "../report/report.js";
import { collectLogs } from "../report/logs.js";
import { Progress } from "../report/progress.js";
import { startRegistry } from "../steps/registry.js";
import { LabError, abortError } from "../util/errors.js";
import { didYouMean, show } from "../util/problems.js";

/** The name a GaleraSwarm's lab gets unless withName says otherwise. */
export const DEFAULT_SWARM_NAME = "galera-swarm";

/** A builder or Started call given a value the lab cannot take: thrown before anything is made or changed. */
export class GaleraSwarmConfigError extends LabError {
  override name = "GaleraSwarmConfigError";
  constructor(
    /** The call, e.g. "withHosts". */
    readonly setting: string,
    readonly value: unknown,
    /** What the call takes. */
    readonly allowed: readonly string[],
    why: string,
  ) {
    super(`${setting}(${typeof value === "number" ? String(value) : show(value)}): ${why}; allowed: ${allowed.join(", ")}`);
  }
}

/** The hosts a lab has: docker-compose.dind.yml's (today docker1..docker3). */
export function labHosts(composeFile = DEFAULT_COMPOSE_FILE): string[] {
  return readCompose(composeFile).hosts.map((h) => h.service);
}

/**
 * A fault spec checked before anything is changed: its kind (GaleraSwarmConfigError naming the
 * kinds), then every field as a scenario's fault is checked, hosts included (LabDriver's
 * validation: ScenarioError), then its hosts against `hosts` (the running swarm's). Returns the
 * parsed spec (defaults filled in).
 */
export function checkFaultSpec(spec: FaultSpec, hosts: readonly string[] = labHosts()): FaultSpec {
  const kinds = FAULTS.map((k) => k.name);
  if (!faultKindOf(String(spec?.kind))) {
    throw new GaleraSwarmConfigError("fault", spec?.kind, kinds, `not a fault kind${didYouMean(String(spec?.kind), kinds)}`);
  }
  const parsed = LabDriver.validateFault(spec);
  const named = [
    ...(typeof parsed.host === "string" ? [parsed.host] : []),
    ...(Array.isArray(parsed.groups) ? (parsed.groups as unknown[]).flat().filter((h): h is string => typeof h === "string") : []),
  ];
  for (const h of named) {
    if (!hosts.includes(h)) throw new GaleraSwarmConfigError("fault", spec, [...hosts], `host ${show(h)} is not a host of this swarm`);
  }
  return parsed;
}

const isWhole = (n: unknown): n is number => typeof n === "number" && Number.isInteger(n);
const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => String(from + i));

export class GaleraSwarm {
  private hostCount?: number;
  private profile: Profile = "walkthrough";
  /** A scenario's name or path (read again at start() for the lab's size). */
  private scenario = "seed";
  private labName = DEFAULT_SWARM_NAME;
  private signal?: AbortSignal;
  private reportDir?: string;
  private images: ImagesMode = "local";

  /** How many hosts: 1 to the compose file's count (docker-compose.dind.yml: 3). */
  withHosts(n: number): this {
    const hosts = labHosts();
    if (!isWhole(n) || n < 1 || n > hosts.length) {
      throw new GaleraSwarmConfigError("withHosts", n, range(1, hosts.length), `a lab has 1 to ${hosts.length} hosts (docker-compose.dind.yml defines ${hosts.join(", ")})`);
    }
    this.hostCount = n;
    return this;
  }

  /**
   * Where the images come from: "local" (default: built here from Debian packages), "upstream"
   * (pulled from a registry, the walkthrough's own elcolio/etcd and percona/percona-xtradb-cluster)
   * or "auto" (upstream when a registry answers with them, else local).
   */
  withImages(mode: ImagesMode): this {
    if (!(IMAGES_MODES as readonly string[]).includes(mode)) {
      throw new GaleraSwarmConfigError("withImages", mode, IMAGES_MODES, `not an images mode${didYouMean(String(mode), IMAGES_MODES)}`);
    }
    this.images = mode;
    return this;
  }

  /** Timers: the walkthrough's defaults, or "tuned" (faults noticed and repaired sooner). */
  withProfile(profile: Profile): this {
    if (!PROFILES.includes(profile)) {
      throw new GaleraSwarmConfigError("withProfile", profile, PROFILES, `not a profile${didYouMean(String(profile), PROFILES)}`);
    }
    this.profile = profile;
    return this;
  }

  /**
   * What start() runs on the new lab: a scenario of scenarios/ by name, or a scenario file's path
   * (default "seed": the walkthrough's three-member Galera cluster). A scenario that needs the
   * seed's cluster gets the seed first. The file is read and checked here (ScenarioError).
   */
  withScenario(nameOrPath: string): this {
    const names = allScenarioNames();
    if (typeof nameOrPath !== "string" || (!names.includes(nameOrPath) && !existsSync(nameOrPath))) {
      throw new GaleraSwarmConfigError("withScenario", nameOrPath, [...names, "a scenario file's path"], `no such scenario${didYouMean(String(nameOrPath), names)}`);
    }
    loadScenario(nameOrPath); // its problems now, not after the lab is made
    this.scenario = nameOrPath;
    return this;
  }

  /** The lab's name: its containers are <name>-docker1..., its report pages timeline-<name>.html. */
  withName(name: string): this {
    const allowed = ["lower-case letters, digits and '-', starting with a letter, up to 31 characters"];
    if (name === DEFAULT_LAB) {
      throw new GaleraSwarmConfigError("withName", name, ["any other lab name"], `${DEFAULT_LAB} is the CLI's default lab (a person's lab that start() would replace)`);
    }
    try {
      validateLabName(name);
    } catch {
      throw new GaleraSwarmConfigError("withName", name, allowed, "not a lab name");
    }
    this.labName = name;
    return this;
  }

  /** Aborts start() and every wait, fault and check of the started swarm. */
  withSignal(signal: AbortSignal): this {
    this.signal = signal;
    return this;
  }

  /** Where report() and the matchers' failure reports go (default reports/<name> under the working directory). */
  withReportDir(dir: string): this {
    this.reportDir = resolve(dir);
    return this;
  }

  /**
   * Makes the lab (replacing a lab of the same name), runs the scenario, and returns the started
   * swarm. A scenario that fails is reported (report.json, summary.md, its timeline page, logs) in
   * the report folder, the lab removed, and a LabError thrown that names the failed step.
   */
  async start(): Promise<StartedGaleraSwarm> {
    const signal = this.signal;
    signal?.throwIfAborted();
    const name = this.labName;
    // Scenarios are read for the lab's size: its host names, ${HOSTS}, ${REPLICAS}.
    const size = this.hostCount !== undefined ? { hosts: this.hostCount } : {};
    const scenario: Scenario = loadScenario(this.scenario, size);
    const reportDir = this.reportDir ?? resolve("reports", name);
    const need = startState(scenario);
    const progress = new Progress();
    const startedAt = new Date().toISOString();
    const t0 = Date.now();
    const setup: RunReport["setup"] = [];
    const lab = await startLab({
      name,
      ...(this.hostCount !== undefined ? { hosts: this.hostCount } : {}),
      swarm: need.state === "swarm",
      registry: need.registry && need.state === "swarm",
      ifExists: "replace",
      images: this.images,
      progress,
      signal,
    });
    setup.push({ title: `lab ${name} (${need.state === "swarm" ? "swarm" : "bare hosts"})`, seconds: (Date.now() - t0) / 1000 });
    const results: ScenarioResult[] = [];
    try {
      // The seed replays swarm init itself: a scenario that needs its cluster gets it first.
      const runs = need.state === "galera" && scenario.name !== "seed" ? [loadScenario("seed", size), scenario] : [scenario];
      for (const s of runs) {
        const r = await runScenario(lab, s, { progress, signal, profile: this.profile });
        results.push(r);
        if (r.interrupted) throw signal ? abortError(signal) : new LabError(`scenario ${s.name} was interrupted`);
        if (!r.ok) {
          const failed = r.steps.find((x) => !x.ok);
          const report: RunReport = { lab: name, profile: this.profile, ok: false, startedAt, seconds: (Date.now() - t0) / 1000, scenarios: results, setup };
          writeReport(reportDir, report);
          await collectLogs(lab, join(reportDir, "logs", s.name)).catch(() => []);
          // The page in the message itself: a test runner prints the message, not the hint.
          throw new LabError(
            `GaleraSwarm ${name}: scenario ${s.name} failed${failed ? ` in step ${failed.index + 1} (${failed.title}): ${(failed.error ?? "").split("\n")[0]}` : ""}\nsee ${join(reportDir, timelineFile(s.name))}`,
            { hint: `the lab was removed; summary.md and the hosts' logs are in ${reportDir}` },
          );
        }
        if (s === runs[0] && need.state === "galera" && need.registry) await startRegistry(lab, signal);
      }
      const driver = await LabDriver.for(lab, { profile: this.profile, signal, progress });
      return new StartedGaleraSwarm(name, lab, driver, { profile: this.profile, reportDir, startedAt, setup, results });
    } catch (err) {
      await lab.down().catch(() => {});
      await lab.close().catch(() => {});
      throw err;
    }
  }
}

export interface FaultOptions {
  /** Start the write workload with the fault (it runs until the last fault is healed). */
  workload?: boolean | WorkloadOptions;
}

/** What report() wrote. */
export interface SwarmReportFiles {
  dir: string;
  files: string[];
  /** The swarm's timeline page (timeline-<name>.html); undefined when nothing ran through the swarm yet. */
  timeline?: string;
  summary: string;
}

export class StartedGaleraSwarm implements AsyncDisposable {
  private readonly steps: StepResult[] = [];
  private readonly connections = new Set<Connection>();
  private samples: Sample[] = [];
  private sampler?: Sampler;
  private readonly t0 = Date.now();
  private readonly startedAt = new Date().toISOString();
  private stopped = false;

  /** @internal made by GaleraSwarm.start() */
  constructor(
    /** The lab's name (withName). */
    readonly name: string,
    readonly lab: Lab,
    /** Everything else the lab does from code: images, registry, stacks, any wait or check by name. */
    readonly driver: LabDriver,
    private readonly started: { profile: Profile; reportDir: string; startedAt: string; setup: RunReport["setup"]; results: ScenarioResult[] },
  ) {
    // The timeline page's swarm and Galera rows: a look at the lab every few seconds.
    this.sampler = startSampler(driver.ctx);
  }

  /** Where report() writes by default, and where the matchers write on failure. */
  get reportDir(): string {
    return this.started.reportDir;
  }

  /** The hosts' names: docker1, docker2, ... */
  get hosts(): string[] {
    return this.lab.nodes.map((h) => h.name);
  }

  /** Per fault: when it showed, and how long until all members were Synced again. */
  get recoveries(): RecoveryRecord[] {
    return this.driver.recoveries;
  }

  private hostName(setting: string, host: string, extra: string[] = []): string {
    if (extra.includes(host)) return host;
    const h = this.lab.nodes.find((x) => x.name === host || x.id === host || x.hostname === host);
    if (!h) throw new GaleraSwarmConfigError(setting, host, [...extra, ...this.hosts], "not a host of this swarm");
    return h.name;
  }

  private memberCount(setting: string, n: unknown, from: number): number {
    if (!isWhole(n) || n < from || n > this.hosts.length) {
      throw new GaleraSwarmConfigError(setting, n, range(from, this.hosts.length), `a member count of this ${this.hosts.length}-host swarm`);
    }
    return n;
  }

  /** Runs one operation as a step of the swarm's own timeline (the report's timeline-<name>.html). */
  private async step<T>(title: string, kind: string, run: () => Promise<T>): Promise<T> {
    const r: StepResult = { index: this.steps.length, title, kind, ok: false, seconds: 0, startedAt: new Date().toISOString() };
    this.steps.push(r);
    this.driver.ctx.timeline.push({ at: r.startedAt, what: `step ${title}` });
    const t = Date.now();
    try {
      const v = await this.driver.ctx.progress.step(title, run);
      r.ok = true;
      if (v && typeof v === "object" && !Array.isArray(v)) r.details = v as Record<string, unknown>;
      return v;
    } catch (err) {
      r.error = (err as Error).message;
      throw err;
    } finally {
      r.seconds = (Date.now() - t) / 1000;
    }
  }

  private async memberOn(setting: string, host: string): Promise<GaleraMember> {
    const name = this.hostName(setting, host);
    const members = await galeraMembers(this.lab);
    const m = members.find((x) => x.host?.name === name);
    if (!m) throw new LabError(`no running Galera member on ${name} (members: ${members.map(memberLabel).join(", ") || "none"})`);
    return m;
  }

  /** A mysql2/promise connection to the Galera member on `host` (as root, the seed's password); closed by stop(). */
  async connection(host: string, opts: { user?: string; password?: string; database?: string } = {}): Promise<Connection> {
    const m = await this.memberOn("connection", host);
    const c = await connect(m, { user: opts.user ?? "root", password: opts.password ?? this.driver.ctx.password, database: opts.database });
    this.connections.add(c);
    return c;
  }

  /** Every running member's view (wsrep status, cluster address), through mysql2. */
  members(): Promise<MemberView[]> {
    return galeraView(this.driver.ctx);
  }

  /** The wsrep_cluster_address of the member on `host`. */
  async clusterAddress(host: string): Promise<string> {
    const m = await this.memberOn("clusterAddress", host);
    return (await wsrepOf(m, await serviceCredentials(this.driver.ctx, GALERA_SERVICE))).clusterAddress;
  }

  /** Injects a fault (checked first: checkFaultSpec); it stays until heal(). */
  async fault(spec: FaultSpec, opts: FaultOptions = {}): Promise<Record<string, unknown>> {
    const parsed = checkFaultSpec(spec, this.hosts);
    return this.step(`fault ${String(parsed.kind)}${parsed.host ? ` ${String(parsed.host)}` : ""}${opts.workload ? " (with the write workload)" : ""}`, "fault", () =>
      this.driver.fault(parsed, opts),
    );
  }

  /** Removes exactly what the faults added: all of them, or those touching `host`. The workload stops with the last. */
  async heal(host: string = "all"): Promise<Record<string, unknown>> {
    const which = this.hostName("heal", host, ["all"]);
    return this.step(which === "all" ? "heal" : `heal ${which}`, "heal", () => this.driver.heal(which));
  }

  /** `n` members Synced in one Primary component of size n (default up to 180 s). */
  async waitForSynced(n: number, timeoutMs = 180_000): Promise<MemberView[]> {
    const members = this.memberCount("waitForSynced", n, 1);
    return this.step(`wait: ${members} members Synced`, "wait", () => this.driver.waitSynced(members, timeoutMs));
  }

  /** `n` members in a Primary component of size n, the rest not (0: no Primary at all; default up to 120 s). */
  async waitForSplit(n: number, timeoutMs = 120_000): Promise<Record<string, unknown>> {
    const members = this.memberCount("waitForSplit", n, 0);
    return this.step(`wait: split, ${members} in the Primary component`, "wait", () => this.driver.waitSplit(members, timeoutMs));
  }

  /** The write workload's history so far: every attempt and its outcome (empty without a workload). */
  history(): WriteOp[] {
    return [...(this.driver.ctx.faults.workload?.history ?? [])];
  }

  /** Stops the workload and reads back each member's rows of its table (member -> ids). */
  async writtenRows(): Promise<Record<string, string[]>> {
    const w = this.driver.ctx.faults.workload;
    if (!w) throw new LabError(`no write workload ran on swarm ${this.name}`, { hint: "start one with a fault: fault(spec, { workload: true })" });
    return workloadRows(this.driver.ctx, w);
  }

  /** The history judged against the members' rows: lost, duplicated, phantom writes, divergent members. */
  async historyVerdict(): Promise<HistoryVerdict> {
    return this.step("check: write history", "check", async () => checkWriteHistory(this.history(), await this.writtenRows()));
  }

  /** Samples so far; the sampler goes on unless the swarm stopped. */
  private async collectSamples(): Promise<void> {
    if (!this.sampler) return;
    this.samples.push(...(await this.sampler.stop()));
    this.sampler = this.stopped ? undefined : startSampler(this.driver.ctx);
  }

  /** What ran through the swarm since start(), as one scenario result (its own timeline page). */
  private result(): ScenarioResult {
    const ctx = this.driver.ctx;
    return {
      scenario: this.name,
      title: `GaleraSwarm ${this.name}: the test's faults, heals, waits and checks`,
      file: "",
      ok: this.steps.every((s) => s.ok),
      seconds: (Date.now() - this.t0) / 1000,
      startedAt: this.startedAt,
      steps: [...this.steps],
      timeline: [...ctx.timeline],
      figures: {},
      recoveries: [...ctx.recoveries],
      samples: [...this.samples],
      writes: writeBuckets(this.history(), 5000),
      notes: [],
    };
  }

  /**
   * Writes report.json, junit.xml, summary.md and a timeline page per scenario (the start-up
   * scenario's, and timeline-<name>.html for what ran through the swarm) into `dir`.
   */
  async report(dir: string = this.reportDir): Promise<SwarmReportFiles> {
    await this.collectSamples();
    const own = this.result();
    const scenarios = [...this.started.results, own];
    const report: RunReport = {
      lab: this.name,
      profile: this.started.profile,
      ok: scenarios.every((s) => s.ok),
      startedAt: this.started.startedAt,
      seconds: (Date.now() - Date.parse(this.started.startedAt)) / 1000,
      scenarios,
      setup: this.started.setup,
      ...(this.lab.images ? { images: { asked: this.lab.images.asked, mode: this.lab.images.mode, why: this.lab.images.why, images: this.lab.images.images, baseOrigin: this.lab.images.baseOrigin } } : {}),
    };
    const out = resolve(dir);
    const files = writeReport(out, report);
    const timeline = join(out, timelineFile(this.name));
    return { dir: out, files, timeline: files.includes(timeline) ? timeline : undefined, summary: join(out, "summary.md") };
  }

  /** Removes the lab (everything labelled with its name) and closes connections. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    try {
      await this.collectSamples();
      await this.driver.ctx.faults.workload?.stop().catch(() => {});
      for (const c of this.connections) hangUp(c);
      this.connections.clear();
      await this.lab.down();
    } finally {
      await this.lab.close();
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
