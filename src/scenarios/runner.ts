/** Runs a scenario's steps against a lab, one status line each, and returns what happened. */
import { dirname } from "node:path";
import type { Lab } from "../lab.js";
import { Progress } from "../report/progress.js";
import { stepKind, stepTitle, type Scenario, type Step } from "./schema.js";
import { checkKind, waitKind } from "./schema.js";
import { replicasOf, type RunContext, type ScenarioResult, type StepResult } from "../context/run-context.js";
import { LabError, abortError, isAbort } from "../util/errors.js";
import { applyFault, healFaults } from "../faults/nemesis.js";
import { runChaos, parseDuration, DEFAULT_CHAOS_FAULTS } from "../faults/chaos.js";
import { runUserStep } from "./user-steps.js";
import type { ChaosFaultKind } from "../faults/generator.js";
import { activeCauses } from "../faults/active.js";
import { noteVisible, syncedFromSamples } from "../faults/recovery.js";
import { reachableManager } from "../checks/galera.js";
import { startSampler } from "../report/sampler.js";
import { nextPauseMs, sleep } from "../util/wait.js";
import { applyProfile, type Profile } from "./profile.js";
import { compareOutputs } from "../walk/compare.js";
import { writeBuckets } from "../faults/history.js";
import { LostHostBook } from "./lost-hosts.js";
import { upstreamRefusal, withImageNames } from "./images-mode.js";
import { namesOf } from "../images/source.js";

export type { ScenarioResult };

export async function kernelHasIpvs(lab: Lab): Promise<boolean> {
  const r = await lab.manager.exec(["sh", "-c", "test -d /proc/sys/net/ipv4/vs"], { allowFailure: true });
  return r.exitCode === 0;
}

function applyIpvsFallback(step: Extract<Step, { run: string }>, ipvs: boolean): { command: string; changed?: string } {
  const w = step.without_ipvs;
  if (!w || ipvs || !step.run.includes(w.replace)) return { command: step.run };
  return { command: step.run.replace(w.replace, w.with), changed: `no IPVS: "${w.replace}" became "${w.with}": ${w.why}` };
}

function addressMoves(lab: Lab): Array<[string, string]> {
  return lab.hosts.topology.hosts
    .map((spec): [string, string] => [spec.address, lab.host(spec.service).address])
    .filter(([from, to]) => from !== to);
}

/**
 * Scenarios use the walkthrough's addresses; a lab on another subnet has its hosts elsewhere.
 * Returns the text with them moved, and a note of what moved (undefined when nothing did).
 */
function moveAddresses(lab: Lab, text: string): { text: string; note?: string } {
  const moved = addressMoves(lab).filter(([from]) => text.includes(from));
  for (const [from, to] of moved) text = text.split(from).join(to);
  if (!moved.length) return { text };
  return { text, note: `lab ${lab.name} is on ${lab.hosts.subnet}: ${moved.map(([f, t]) => `${f} -> ${t}`).join(", ")}` };
}

/** A `run` step with `retry` runs again this long after its previous attempt started. */
export const RETRY_MS = 1000;

async function runCommandStep(ctx: RunContext, step: Extract<Step, { run: string }>, r: StepResult): Promise<void> {
  const exp = step.run.trim().match(/^export\s+([A-Za-z_][A-Za-z0-9_]*)=["']?([^"']*)["']?$/);
  if (exp) {
    // Exported values move with the lab's subnet too (HostIP).
    const value = moveAddresses(ctx.lab, exp[2]!);
    if (value.note) {
      r.changed = value.note;
      ctx.progress.note(value.note);
    }
    ctx.vars[exp[1]!] = value.text;
    r.command = step.run.trim();
    r.output = "";
    return;
  }
  let { command, changed } = applyIpvsFallback(step, ctx.ipvs);
  const profiled = applyProfile(command, ctx.profile);
  command = profiled.command;
  if (profiled.changed) changed = [changed, profiled.changed].filter(Boolean).join("; ");
  const moved = moveAddresses(ctx.lab, command);
  command = moved.text;
  changed = [changed, moved.note].filter(Boolean).join("; ") || undefined;
  if (changed) {
    r.changed = changed;
    ctx.progress.note(changed);
  }
  r.command = command;
  const host = step.on === "manager" ? await reachableManager(ctx.lab) : ctx.lab.host(step.on);
  if (step.on === "manager") r.host = host.name;
  const deadline = Date.now() + (step.retry ?? 0) * 1000;
  let attempts = 0;
  for (;;) {
    attempts += 1;
    const started = Date.now();
    const res = await host.sh(command, { allowFailure: true, timeoutMs: (step.timeout ?? 120) * 1000, signal: ctx.signal }, ctx.vars);
    r.output = [res.stdout, res.stderr].filter(Boolean).join("\n");
    const problem = commandProblem(step, command, res.exitCode, r.output);
    if (!problem) break;
    if (Date.now() >= deadline) {
      throw new LabError(step.retry ? `${problem}\n(after ${attempts} attempts in ${step.retry} s)` : problem);
    }
    // The next attempt a second after this one started (at once after a slow one), never past the bound.
    const pause = nextPauseMs(RETRY_MS, started, Date.now(), deadline);
    if (pause > 0) await sleep(pause, ctx.signal);
    if (ctx.signal.aborted) throw abortError(ctx.signal);
  }
  if (attempts > 1) r.details = { attempts };
  if (profiled.after) {
    const after = await host.sh(profiled.after, { allowFailure: true, timeoutMs: 60_000 }, ctx.vars);
    if (after.exitCode !== 0) throw new LabError(`${profiled.after} on ${step.on} failed (${after.exitCode}): ${after.stderr || after.stdout}`);
  }
  if (step.shows_fault) noteVisible(ctx.recoveries, r.title, Date.now(), activeCauses(ctx));
  const expected = moveAddresses(ctx.lab, (step.walkthrough ?? "").trim()).text;
  // On another subnet, IDs derived from addresses (etcd's member id) differ too: compare as walk does.
  const same = addressMoves(ctx.lab).length > 0 ? compareOutputs(r.output, expected).equivalent : r.output.trim() === expected;
  if (step.same_as_walkthrough && !same) {
    throw new LabError(`output differs from the walkthrough's:\n  walkthrough: ${step.walkthrough?.trim()}\n  here:        ${r.output.trim()}`);
  }
  for (const [name, re] of Object.entries(step.capture ?? {})) {
    const m = r.output.match(new RegExp(re, "m"));
    if (!m?.[1]) throw new LabError(`could not capture ${name} with /${re}/ from the output of "${command}" on ${step.on}:\n${r.output}`);
    ctx.vars[name] = m[1];
  }
}

/** Why a command's result does not meet the step's expectations, or undefined when it does. */
function commandProblem(step: Extract<Step, { run: string }>, command: string, exitCode: number, output: string): string | undefined {
  if (exitCode !== 0 && !step.expect_failure) return `exit code ${exitCode} on ${step.on}: ${command}\n${output}`;
  if (step.expect_failure && exitCode === 0) return `expected ${command} to fail on ${step.on}, but it succeeded:\n${output}`;
  if (step.expect && !new RegExp(step.expect, "m").test(output)) return `output of "${command}" on ${step.on} does not match /${step.expect}/:\n${output}`;
  return undefined;
}

async function runStep(ctx: RunContext, step: Step, r: StepResult): Promise<void> {
  if ("run" in step) return runCommandStep(ctx, step, r);
  if ("wait" in step) {
    r.details = await waitKind(step.wait)!.run(ctx, step as never);
    return;
  }
  if ("check" in step) {
    r.details = await checkKind(step.check)!.run(ctx, step as never);
    return;
  }
  if ("fault" in step) {
    r.details = await applyFault(ctx, step.fault, step.workload ?? false);
    return;
  }
  if ("chaos" in step) {
    const c = step.chaos;
    const result = await runChaos(
      ctx,
      {
        seed: c.seed,
        durationSeconds: parseDuration(c.duration),
        hosts: c.hosts ?? ctx.lab.nodes.map((n) => n.name),
        faults: (c.faults as ChaosFaultKind[] | undefined) ?? DEFAULT_CHAOS_FAULTS,
        allowMajorityLoss: c.allow_majority_loss,
        maxConcurrent: c.max_concurrent,
        minFaultSeconds: c.min_fault_seconds,
        maxFaultSeconds: c.max_fault_seconds,
        minPauseSeconds: c.min_pause_seconds,
        maxPauseSeconds: c.max_pause_seconds,
      },
      { syncedTimeoutSeconds: c.synced_timeout },
    );
    r.details = result as unknown as Record<string, unknown>;
    ctx.chaos = r.details;
    return;
  }
  if ("image" in step || "stack" in step || "copy" in step) {
    r.details = await runUserStep(ctx, step, r);
    return;
  }
  r.details = await healFaults(ctx, step.heal);
}

export interface RunScenarioOptions {
  progress: Progress;
  password?: string;
  /** Ctrl-C, SIGTERM or the caller: the step in progress stops, faults are healed, the result says interrupted. */
  signal?: AbortSignal;
  /** Called before each step (walk mode pauses here). */
  beforeStep?: (step: Step, index: number) => Promise<void>;
  afterStep?: (step: Step, result: StepResult) => Promise<void>;
  /** Timers: the walkthrough's defaults, or the tuned profile. */
  profile?: Profile;
  /** The folder user files are relative to (the scenario file's). */
  baseDir?: string;
  /** Galera's replica count (${REPLICAS}); default the size the scenario was read for, else one per host. */
  replicas?: number;
}

/** What a scenario's steps (or a LabDriver's calls) share, fresh: no fault, no variable but `vars`. */
export async function newRunContext(
  lab: Lab,
  opts: { progress?: Progress; password?: string; profile?: Profile; vars?: Record<string, string>; signal?: AbortSignal; baseDir?: string; replicas?: number } = {},
): Promise<RunContext> {
  const replicas = opts.replicas ?? lab.nodes.length;
  return {
    lab,
    progress: opts.progress ?? new Progress(),
    signal: opts.signal ?? new AbortController().signal,
    // The lab's own variables win over a scenario's env: the file's ${HOSTS}/${REPLICAS} were read with them.
    vars: { ...(opts.vars ?? {}), HOSTS: String(lab.nodes.length), REPLICAS: String(replicas) },
    replicas,
    ipvs: await kernelHasIpvs(lab),
    password: opts.password ?? "mypassword",
    baseDir: opts.baseDir,
    timeline: [],
    faults: { active: [] },
    recoveries: [],
    profile: opts.profile ?? "walkthrough",
  };
}

/** Runs one step under the signal: an abort ends the step at once even if its work is still in flight. */
async function runStepUntilAborted(ctx: RunContext, step: Step, r: StepResult): Promise<void> {
  ctx.signal.throwIfAborted();
  let onAbort: () => void = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(ctx.signal.reason);
    ctx.signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    await Promise.race([runStep(ctx, step, r), aborted]);
  } finally {
    ctx.signal.removeEventListener("abort", onAbort);
  }
}

export async function runScenario(lab: Lab, scenario: Scenario, opts: RunScenarioOptions): Promise<ScenarioResult> {
  // --images upstream runs the walkthrough's Percona image: a fault that needs the lab's own is refused before any step.
  const refused = lab.images?.mode === "upstream" ? upstreamRefusal(scenario) : undefined;
  if (refused) throw new LabError(refused.message, { hint: refused.hint });
  const t0 = Date.now();
  const ctx = await newRunContext(lab, { ...opts, vars: scenario.env, baseDir: opts.baseDir ?? dirname(scenario.file), replicas: opts.replicas ?? scenario.labSize?.replicas });
  const notes: string[] = [];
  if (scenario.labSize && scenario.labSize.hosts !== lab.nodes.length) notes.push(`${scenario.name} was read for ${scenario.labSize.hosts} hosts; lab ${lab.name} has ${lab.nodes.length}`);
  if (!ctx.ipvs) notes.push("this kernel has no IPVS: the ingress routing mesh and service VIPs cannot work here");
  const results: StepResult[] = [];
  let failed = false;
  let interrupted = false;
  /** Hosts lost mid-run (SSH gone): the failure names them, heal skips them, the report says what to check. */
  const lost = new LostHostBook(lab.provider, lab.name, t0);
  const sampler = startSampler(ctx);
  let samples: Awaited<ReturnType<typeof sampler.stop>> = [];
  try {
    for (const [index, fileStep] of scenario.steps.entries()) {
      // --images upstream: commands and expectations name the walkthrough's own images (also what walk shows).
      const { step, note: renamed } = withImageNames(fileStep, namesOf(lab.images));
      if (ctx.signal.aborted) {
        interrupted = true;
        break;
      }
      await opts.beforeStep?.(step, index);
      if (ctx.signal.aborted) {
        // the learner may quit before a step
        interrupted = true;
        break;
      }
      const r: StepResult = {
        index,
        title: stepTitle(step),
        kind: stepKind(step),
        host: "on" in step ? step.on : undefined,
        command: "run" in step ? step.run : undefined,
        walkthrough: "walkthrough" in step ? step.walkthrough : undefined,
        ok: false,
        seconds: 0,
        startedAt: new Date().toISOString(),
      };
      results.push(r);
      opts.progress.start(r.title);
      ctx.timeline.push({ at: r.startedAt, what: `step ${r.title}` });
      const s0 = Date.now();
      try {
        await runStepUntilAborted(ctx, step, r);
        r.ok = true;
      } catch (err) {
        if (ctx.signal.aborted && isAbort(err)) {
          interrupted = true;
          r.error = `interrupted (${(ctx.signal.reason as Error)?.message ?? "aborted"})`;
        } else {
          r.error = (err as Error).message;
          lost.fromStep(r, err);
          failed = true;
        }
      }
      if (renamed) r.changed = [renamed, r.changed].filter(Boolean).join("; ");
      r.seconds = (Date.now() - s0) / 1000;
      opts.progress.end(r.ok, r.ok ? "" : `\n      ${r.error?.split("\n").join("\n      ")}`);
      if (!interrupted) await opts.afterStep?.(step, r);
      if (failed || interrupted) break;
    }
  } finally {
    // Teardown always heals, even after a failed check or an interrupt (heal itself is never aborted).
    if (ctx.faults.active.length) {
      const healed = await healFaults(ctx).catch((e: Error) => lost.fromHeal(e));
      notes.push(`teardown healed the faults still active: ${JSON.stringify(healed)}`);
    }
    await ctx.faults.workload?.stop();
    samples = await sampler.stop();
  }
  // A chaos run notes Synced only once, at its end: the sampler's pictures give each fault its own.
  if (ctx.chaos) syncedFromSamples(ctx.recoveries, samples, replicasOf(ctx));
  if (interrupted) notes.push(`interrupted after ${results.filter((r) => r.ok).length} of ${scenario.steps.length} steps`);
  for (const line of lost.notes()) opts.progress.note(line);
  if (lost.any) failed = true;
  return {
    scenario: scenario.name,
    title: scenario.title,
    file: scenario.file,
    ok: !failed && !interrupted && results.length === scenario.steps.length,
    ...(interrupted ? { interrupted } : {}),
    seconds: (Date.now() - t0) / 1000,
    startedAt: new Date(t0).toISOString(),
    steps: results,
    timeline: ctx.timeline,
    figures: {},
    recoveries: ctx.recoveries,
    samples,
    writes: writeBuckets(ctx.faults.workload?.history ?? [], 5000),
    notes,
    ...(ctx.chaos ? { chaos: ctx.chaos } : {}),
    ...(lost.any ? { lostHosts: lost.report() } : {}),
  };
}
