/** One `swarmlab run`: a lab in the state each scenario needs, the scenarios, the report, the cleanup. */
import { join } from "node:path";
import { readdirSync } from "node:fs";
import { startLab, type Lab } from "../lab.js";
import { loadScenario, scenariosDir, startState, type Scenario } from "./schema.js";
import { startRegistry } from "../steps/registry.js";
import { runScenario, type ScenarioResult, type RunScenarioOptions } from "./runner.js";
import { writeReport, type RunReport } from "../report/report.js";
import { collectLogs } from "../report/logs.js";
import { Progress } from "../report/progress.js";
import type { Profile } from "./profile.js";
import { DEFAULT_LAB } from "../hosts/naming.js";
import { isAbort } from "../util/errors.js";
import { describeSize, resolveLabSize, sameSize, type LabSize, type SizeInput } from "../hosts/size.js";
import { labHostNames } from "../context/fields.js";
import { parseImagesMode, type ImagesMode } from "../images/source.js";
import { upstreamRefusal } from "./images-mode.js";
import { LabError } from "../util/errors.js";

export function allScenarioNames(): string[] {
  return readdirSync(scenariosDir)
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => f.replace(/\.yaml$/, ""))
    .sort((a, b) => (a === "seed" ? -1 : b === "seed" ? 1 : a.localeCompare(b)));
}

export interface SessionOptions {
  name?: string;
  reportDir: string;
  keep?: boolean;
  progress?: Progress;
  signal?: AbortSignal;
  hooks?: Pick<RunScenarioOptions, "beforeStep" | "afterStep">;
  /** A fresh lab for every scenario, even where the previous one left the state it needs. */
  fresh?: boolean;
  /** Timers for every scenario (--profile); unset, each scenario's own `profile`, else the walkthrough's. */
  profile?: Profile;
  /** Machines over SSH (an inventory file) instead of docker-in-docker hosts. */
  inventory?: string;
  /** The lab's size for scenarios that do not say their own (--size, --managers, --replicas, --allow-colocated). */
  size?: SizeInput;
  /** Where the images come from (--images local|upstream|auto; default local). `auto` is decided once, by the first lab. */
  images?: ImagesMode;
}

/** The timers a scenario runs with: an explicit --profile, else the file's own `profile`, else the walkthrough's defaults. */
export function profileFor(scenario: Pick<Scenario, "profile">, asked?: Profile): Profile {
  return asked ?? scenario.profile ?? "walkthrough";
}

/**
 * `run --all`: the scenarios in their order, those with the walkthrough's timers first (the seed
 * leads), then those that ask for the tuned ones, so that the change of timers costs new hosts and
 * the seed once rather than at every change. With an explicit --profile every scenario has the same
 * timers and the order is kept.
 */
export function groupByTimers<T extends Pick<Scenario, "profile">>(scenarios: T[], asked?: Profile): T[] {
  if (asked) return [...scenarios];
  const of = (p: Profile) => scenarios.filter((s) => profileFor(s, asked) === p);
  return [...of("walkthrough"), ...of("tuned")];
}

/** What the previous scenario left up: the lab's size, the timers its seed ran with, and whether it is the seed's cluster again. */
export interface LabLeft {
  size: LabSize;
  profile: Profile;
  /** The seed, or a passing scenario that needs the seed's cluster (every one ends with its members Synced). */
  galera: boolean;
}

export type ReuseVerdict = { reuse: true } | { reuse: false; why: string };

/**
 * Whether the next scenario may start on the lab the previous one left, once the start-state check
 * (three Ready nodes, the members Synced, one task per host) passes on it; otherwise why it starts
 * from new hosts. Pure: the session's plan, tested without a lab.
 */
export function reuseVerdict(left: LabLeft | undefined, next: { state: "bare" | "swarm" | "galera"; size: LabSize; profile: Profile }, fresh = false): ReuseVerdict {
  if (!left) return { reuse: false, why: "no lab yet" };
  if (fresh) return { reuse: false, why: "--fresh" };
  if (next.state !== "galera") return { reuse: false, why: `it needs ${next.state === "bare" ? "bare hosts" : "a swarm without Galera"}` };
  if (!left.galera) return { reuse: false, why: "the previous scenario did not leave the seed's cluster" };
  if (!sameSize(left.size, next.size)) return { reuse: false, why: `it runs on ${describeSize(next.size)}, the lab has ${describeSize(left.size)}` };
  if (left.profile !== next.profile) return { reuse: false, why: `it runs with the ${next.profile} timers, the lab has the ${left.profile} ones` };
  return { reuse: true };
}

/** Asked of a lab another scenario left behind before it is reused as the seed's Galera cluster. */
const galeraStartState = (size: LabSize): Scenario => ({
  name: "start-state",
  title: `the lab a previous scenario left: ${size.hosts} swarm nodes Ready, ${size.replicas} Galera members Synced, one task per host`,
  needs: "galera",
  file: "(built in)",
  labSize: size,
  steps: [
    { wait: "swarm-ready", members: size.hosts, timeout: 60 },
    { wait: "galera-synced", members: size.replicas, timeout: 90 },
    // A fault that rescheduled a task can leave two on one host; scenarios that stop hosts assume one each.
    { check: "service-spread", members: size.replicas },
  ],
});

/** Scenarios by name or path, or already parsed (chaos builds its own). */
export async function runSession(names: Array<string | Scenario>, opts: SessionOptions): Promise<RunReport> {
  const progress = opts.progress ?? new Progress();
  // The size and every file are refused before anything is created; a file's own `size` wins over --size.
  const defaultSize = resolveLabSize(opts.size, labHostNames().length);
  const scenarios: Scenario[] = names.map((n) => (typeof n === "string" ? loadScenario(n, opts.size) : n));
  const sizeOf = (s: Scenario): LabSize => s.labSize ?? defaultSize;
  for (const s of scenarios) if (s.size && !sameSize(sizeOf(s), defaultSize)) progress.note(`${s.name} runs on its own size: ${describeSize(sizeOf(s))}`);
  // With the walkthrough's images asked for, a scenario that needs the lab's own is refused before anything is made.
  let images = parseImagesMode(opts.images);
  const refusals = images === "upstream" ? scenarios.map(upstreamRefusal).filter((r) => r !== undefined) : [];
  if (refusals.length) throw new LabError(refusals.map((r) => r.message).join("\n"), { hint: refusals[0]!.hint });
  const t0 = Date.now();
  const report: RunReport = { lab: opts.name ?? DEFAULT_LAB, profile: opts.profile ?? "walkthrough", ok: true, startedAt: new Date(t0).toISOString(), seconds: 0, scenarios: [], setup: [] };
  let lab: Lab | undefined;
  /** What the lab now up is: its size (and its seed's replicas), its timers, whether it holds the seed's cluster. */
  let left: LabLeft | undefined;
  /** Records the result; says whether the lab is left as the seed's cluster (every passing Galera scenario ends Synced). */
  const afterScenario = async (l: Lab, scenario: Scenario, result: ScenarioResult): Promise<boolean> => {
    report.scenarios.push(result);
    if (result.chaos) report.chaos = result.chaos;
    if (result.interrupted) {
      report.ok = false;
      report.interrupted = true;
      return false;
    }
    if (result.ok) return scenario.name === "seed" || startState(scenario).state === "galera";
    report.ok = false;
    const files = await collectLogs(l, join(opts.reportDir, "logs", scenario.name)).catch(() => []);
    progress.note(`collected ${files.length} logs in ${join(opts.reportDir, "logs", scenario.name)}`);
    return false;
  };
  try {
    for (const scenario of scenarios) {
      if (opts.signal?.aborted) break;
      process.stderr.write(`\n${scenario.name}: ${scenario.title}\n`);
      const s0 = Date.now();
      // A scenario that needs the seed's cluster reuses the lab the previous one left in that state,
      // after checking it; otherwise (or with --fresh) it starts from a fresh lab.
      const need = startState(scenario);
      const size = sizeOf(scenario);
      const profile = profileFor(scenario, opts.profile);
      // Said in the scenario's result when its timers are its own choice, not the run's.
      const ownTimers = (r: ScenarioResult): ScenarioResult =>
        opts.profile === undefined && scenario.profile && scenario.profile !== "walkthrough" ? { ...r, notes: [`timers: the ${scenario.profile} profile, the scenario's own (profile: ${scenario.profile})`, ...r.notes] } : r;
      const verdict = reuseVerdict(left, { state: need.state, size, profile }, opts.fresh);
      if (lab && verdict.reuse) {
        const check = await runScenario(lab, galeraStartState(size), { progress, signal: opts.signal });
        report.setup.push({ title: `${scenario.name}: reused the lab (${check.ok ? `${size.replicas} Synced members` : "not in the seed's state: starting afresh"})`, seconds: check.seconds });
        if (check.interrupted) break;
        if (check.ok) {
          if (need.registry) await startRegistry(lab, opts.signal);
          const result = ownTimers(await runScenario(lab, scenario, { progress, signal: opts.signal, profile, replicas: size.replicas, ...opts.hooks }));
          left = { size, profile, galera: await afterScenario(lab, scenario, result) };
          continue;
        }
      }
      // Why a lab that was up is not reused (a failed start-state check says so above).
      const why = lab && !verdict.reuse ? `: ${verdict.why}` : "";
      left = undefined;
      if (lab) {
        await lab.down();
        // Its connections too (SSH): a replaced lab must not hold the process open.
        await lab.close();
      }
      // The seed replays swarm init itself: a Galera start state begins from bare hosts.
      lab = await startLab({ name: opts.name, inventory: opts.inventory, hosts: size.hosts, managers: size.managers, swarm: need.state === "swarm", registry: need.registry && need.state === "swarm", ifExists: "replace", progress, signal: opts.signal, keep: opts.keep, images });
      lab.removeOnDispose = !opts.keep;
      // What ran: recorded once; auto is decided by the first lab, the next ones take its answer.
      if (lab.images && !report.images) {
        report.images = { asked: lab.images.asked, mode: lab.images.mode, why: lab.images.why, images: lab.images.images, baseOrigin: lab.images.baseOrigin };
        images = lab.images.mode;
      }
      // Up, with these timers once its seed has run; the seed's cluster only once that passed.
      left = { size, profile, galera: false };
      const defaultSized = sameSize(size, resolveLabSize({}, labHostNames().length));
      report.setup.push({ title: `${scenario.name}: lab (${need.state === "swarm" ? "swarm" : "bare hosts"}${need.registry ? ", registry" : ""}${defaultSized ? "" : `; ${describeSize(size)}`})${why}`, seconds: (Date.now() - s0) / 1000 });
      if (need.state === "galera") {
        // The seed read for this lab's size: its joins, its replicas; with the timers this scenario runs with.
        const seed = loadScenario("seed", { ...size, allowColocated: true }); // the size was refused or allowed above
        process.stderr.write(`  (start state: the seed's Galera cluster${profile === "walkthrough" ? "" : `, ${profile} timers`})\n`);
        const setupResult = await runScenario(lab, seed, { progress, signal: opts.signal, profile, replicas: size.replicas });
        report.setup.push({ title: `${scenario.name}: seed as start state${profile === "walkthrough" ? "" : ` (${profile} profile)`}`, seconds: setupResult.seconds });
        if (setupResult.interrupted) {
          report.scenarios.push({ ...setupResult, scenario: `${scenario.name} (start state: seed)` });
          report.interrupted = true;
          break;
        }
        if (setupResult.ok && need.registry) await startRegistry(lab, opts.signal);
        if (!setupResult.ok) {
          report.scenarios.push({ ...setupResult, scenario: `${scenario.name} (start state: seed)` });
          report.ok = false;
          continue;
        }
      }
      const result: ScenarioResult = ownTimers(await runScenario(lab, scenario, { progress, signal: opts.signal, profile, replicas: size.replicas, ...opts.hooks }));
      left = { size, profile, galera: await afterScenario(lab, scenario, result) };
    }
  } catch (err) {
    report.ok = false;
    if (opts.signal?.aborted && isAbort(err)) report.interrupted = true;
    else report.scenarios.push({
      scenario: "(session)",
      title: "set-up",
      file: "",
      ok: false,
      seconds: 0,
      startedAt: new Date().toISOString(),
      steps: [{ index: 0, title: "set-up", kind: "setup", ok: false, seconds: 0, startedAt: new Date().toISOString(), error: (err as Error).message }],
      timeline: [],
      figures: {},
      recoveries: [],
      samples: [],
      writes: [],
      notes: [],
    });
    if (lab && !report.interrupted) await collectLogs(lab, join(opts.reportDir, "logs", "session")).catch(() => []);
  } finally {
    if (opts.signal?.aborted) {
      report.ok = false;
      report.interrupted = true;
    }
    report.seconds = (Date.now() - t0) / 1000;
    writeReport(opts.reportDir, report);
    if (lab && !opts.keep) {
      await lab.down().catch((e: Error) => progress.note(`down: ${e.message}`));
      if (report.interrupted) progress.note(`removed lab ${lab.name}`);
    }
    await lab?.close();
  }
  return report;
}
