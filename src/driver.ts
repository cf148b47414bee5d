/**
 * Faults and checks from code, for teams writing their own failure tests in vitest: the same
 * registries of faults, waits and checks the scenario files use, on a lab you started.
 *
 *   await using lab = await startLab({ name: "ci", signal });
 *   const d = await LabDriver.for(lab, { profile: "tuned", signal });
 *   await d.runScenario("seed");                       // with the driver's profile and signal
 *   await d.fault({ kind: "ports", host: "docker3", ports: ["4789/udp"] }, { workload: true });
 *   await d.waitSplit(2, 120_000);
 *   await d.heal();
 *   await d.waitSynced(3, 180_000);
 *   await d.check("history");                           // throws when an acknowledged write was lost
 */
import type { Lab } from "./lab.js";
import type { FaultSpec, RunContext, ScenarioResult } from "./context/run-context.js";
import { newRunContext, runScenario } from "./scenarios/runner.js";
import { Progress } from "./report/progress.js";
import { applyFault, healFaults } from "./faults/nemesis.js";
import type { WorkloadOptions } from "./faults/workload.js";
import { galeraView, waitGaleraSynced, type MemberView } from "./checks/conditions.js";
import { waitDegraded } from "./checks/kinds/galera-degraded.js";
import { noteSynced, type RecoveryRecord } from "./faults/recovery.js";
import { PROFILES, type Profile } from "./scenarios/profile.js";
import { checkSchema, faultSchema, loadScenario, waitSchema, checkKind, waitKind, faultKindOf, ScenarioError, type Scenario } from "./scenarios/schema.js";
import { problemsOf } from "./util/problems.js";
import { withLabHostNames } from "./context/fields.js";
import { WAITS, CHECKS } from "./checks/kinds/index.js";
import { FAULTS } from "./faults/kinds/index.js";
import { LabError } from "./util/errors.js";
import { resolve } from "node:path";
import { loadUserImages, pushUserImages, type ImageLoad } from "./steps/user-images.js";
import { registryAddress, registryUp } from "./steps/registry.js";
import { deployStack } from "./steps/user-files.js";
import { reachableManager } from "./checks/galera.js";

export interface LabDriverOptions {
  password?: string;
  progress?: Progress;
  /** Timers for the scenarios run through the driver: the walkthrough's defaults or tuned. */
  profile?: Profile;
  /** Aborts every wait, check and command the driver runs. */
  signal?: AbortSignal;
  /** Galera's replica count (${REPLICAS}, the default `members`); default one per host. */
  replicas?: number;
}

/** Validates fields the way a scenario file's step is validated, and throws every problem at once. */
function validated<T>(what: string, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: import("zod").ZodError } }, value: Record<string, unknown>): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const problems = problemsOf(r.error, value);
  throw new ScenarioError(what, problems.map((p) => ({ line: 0, path: p.path.join(".") || "(top)", message: p.message })));
}

export class LabDriver {
  private constructor(
    readonly ctx: RunContext,
    private readonly opts: LabDriverOptions,
  ) {}

  static async for(lab: Lab, opts: LabDriverOptions = {}): Promise<LabDriver> {
    if (opts.profile !== undefined && !PROFILES.includes(opts.profile)) {
      throw new LabError(`profile: "${String(opts.profile)}" is not a profile (${PROFILES.join(", ")})`);
    }
    return new LabDriver(await newRunContext(lab, opts), opts);
  }

  /** Runs a scenario (a name in scenarios/, a path, or a parsed one) with the driver's profile and signal. */
  runScenario(scenario: string | Scenario): Promise<ScenarioResult> {
    // Read for this lab's size: its host names, ${HOSTS}, ${REPLICAS}, the seed's joins.
    const lab = this.ctx.lab;
    const size = { hosts: lab.nodes.length, managers: lab.hosts.managers, replicas: this.ctx.replicas, allowColocated: true };
    const s = typeof scenario === "string" ? loadScenario(scenario, size) : scenario;
    return runScenario(lab, s, { progress: this.ctx.progress, profile: this.ctx.profile, signal: this.opts.signal, password: this.ctx.password, replicas: this.ctx.replicas });
  }

  /**
   * A fault's spec checked the way a scenario file's fault is (its kind, every field, hosts of the
   * lab), without a lab: throws ScenarioError naming each problem, or returns the parsed spec.
   */
  static validateFault(spec: FaultSpec): FaultSpec {
    const kind = faultKindOf(String(spec.kind));
    if (!kind) throw new LabError(`fault: "${String(spec.kind)}" is not a fault kind (${FAULTS.map((k) => k.name).join(", ")})`);
    const parsed = validated(`fault ${spec.kind}`, faultSchema(kind), spec);
    const crossProblems = kind.check?.(parsed as never) ?? [];
    if (crossProblems.length) throw new ScenarioError(`fault ${spec.kind}`, crossProblems.map((p) => ({ line: 0, path: p.field, message: p.message })));
    return parsed as FaultSpec;
  }

  /** Injects a fault (optionally starting the write workload); it stays until heal(). */
  fault(spec: FaultSpec, opts: { workload?: boolean | WorkloadOptions } = {}): Promise<Record<string, unknown>> {
    return applyFault(this.ctx, this.ofThisLab(() => LabDriver.validateFault(spec)), opts.workload ?? false);
  }

  /** Removes exactly what the faults added, unpauses and starts stopped hosts: all faults, or those touching `host`. */
  heal(host: "all" | string = "all"): Promise<Record<string, unknown>> {
    return healFaults(this.ctx, host);
  }

  /** Any wait of the registry by name, e.g. wait("host-down", { host: "docker2", timeout: 60 }). */
  async wait(name: string, fields: Record<string, unknown> & { timeout: number }): Promise<Record<string, unknown>> {
    const kind = waitKind(name);
    if (!kind) throw new LabError(`wait: "${name}" is not a wait (${WAITS.map((k) => k.name).join(", ")})`);
    return kind.run(this.ctx, this.ofThisLab(() => validated(`wait ${name}`, waitSchema(kind), { wait: name, ...fields })) as never);
  }

  /** Any check of the registry by name, e.g. check("history") or check("galera-health", { members: 3 }). */
  async check(name: string, fields: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const kind = checkKind(name);
    if (!kind) throw new LabError(`check: "${name}" is not a check (${CHECKS.map((k) => k.name).join(", ")})`);
    return kind.run(this.ctx, this.ofThisLab(() => validated(`check ${name}`, checkSchema(kind), { check: name, ...fields })) as never);
  }

  /** Validates with this lab's host names (docker4... in a lab of --size 5). */
  private ofThisLab<T>(fn: () => T): T {
    return withLabHostNames(this.ctx.lab.nodes.map((h) => h.name), fn);
  }

  /** Copies images from this machine's engine into every host (a host with the same image ID is skipped). */
  loadImages(refs: string[]): Promise<ImageLoad[]> {
    return loadUserImages(this.ctx.lab, refs, (l) => this.ctx.progress.note(l));
  }

  /** Puts images into the lab's registry (start the lab with `registry: true`); returns <manager>:5000/... refs. */
  pushImages(refs: string[]): Promise<string[]> {
    return pushUserImages(this.ctx.lab, refs, (l) => this.ctx.progress.note(l));
  }

  /** `docker stack deploy -c file name` on a manager (the file's folder goes along; ${REGISTRY} is the lab's registry). */
  async deployStack(file: string, name: string, env: Record<string, string> = {}): Promise<{ command: string; output: string }> {
    const manager = await reachableManager(this.ctx.lab);
    const registry: Record<string, string> = (await registryUp(this.ctx.lab)) ? { REGISTRY: registryAddress(this.ctx.lab) } : {};
    return deployStack(manager, resolve(file), name, { ...registry, ...env }, this.opts.signal);
  }

  /** Every running member's view, through mysql2. */
  galera(): Promise<MemberView[]> {
    return galeraView(this.ctx);
  }

  async waitSynced(members: number, timeoutMs: number): Promise<MemberView[]> {
    const v = await waitGaleraSynced(this.ctx, members, timeoutMs);
    noteSynced(this.ctx.recoveries, Date.now());
    return v;
  }

  /** `members` Primary with that size, the rest not (0: no Primary at all). */
  waitSplit(members: number, timeoutMs: number): Promise<Record<string, unknown>> {
    return waitDegraded(this.ctx, members, timeoutMs);
  }

  checkHistory(): Promise<Record<string, unknown>> {
    return this.check("history");
  }

  checkClusterAddresses(): Promise<Record<string, unknown>> {
    return this.check("cluster-address");
  }

  /** Per fault: when it showed and how long until all members were Synced again. */
  get recoveries(): RecoveryRecord[] {
    return this.ctx.recoveries;
  }
}
