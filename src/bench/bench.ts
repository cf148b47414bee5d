/**
 * `swarmlab bench`: measures, on the real lab, how fast it comes up, deploys the seed and recovers
 * from faults, what memory it takes, and how it compares with a plain shell script doing the same.
 * It reports; it does not assert.
 */
import { cpus, totalmem, release } from "node:os";
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Docker from "dockerode";
import { execa } from "execa";
import { openLab, startLab, type Lab } from "../lab.js";
import { findLab, removeLab, DEFAULT_COMPOSE_FILE } from "../hosts/dind/containers.js";
import { readCompose, topologyForSize } from "../hosts/compose.js";
import { resolveLabSize } from "../hosts/size.js";
import { containerName } from "../hosts/naming.js";
import { ensureEngine, type Engine } from "../engine/engine.js";
import { listImages, tagOf } from "../images/build.js";
import { imageArchive } from "../steps/images.js";
import { removeCaches } from "../images/host-cache.js";
import { loadUserImages } from "../steps/user-images.js";
import { runSession } from "../scenarios/session.js";
import type { RunReport } from "../report/report.js";
import type { StepResult } from "../context/run-context.js";
import type { Step } from "../scenarios/schema.js";
import { collectSeedBreakdown, type SeedBreakdown } from "../checks/seed-breakdown.js";
import { GALERA_SERVICE } from "../checks/galera.js";
import type { Profile } from "../scenarios/profile.js";
import { Progress } from "../report/progress.js";
import { projectRoot, stateDir } from "../util/paths.js";
import { LabError } from "../util/errors.js";
import { repeatUntilStopped } from "../util/wait.js";
import { figure, markdownTable, type Figure } from "./figures.js";
import { breakdownMarkdown, summariseBreakdowns, type BenchSeedBreakdown } from "./breakdown.js";
import { benchSuite, suiteMarkdown, suiteSecondsOf, type BenchSuite } from "./suite.js";
import { SUITE_SCENARIOS } from "../scenarios/suite-list.js";
import { SCALE_SIZES, scaleJson, scaleMarkdown, summariseScale, type BenchScale, type ScalePass } from "./scale.js";

export interface BenchOptions {
  runs: number;
  /** measure coldUpSeconds: removes the lab's own images (swarmlab/*) and archives first */
  cold: boolean;
  /** also measure the fault recoveries with the tuned profile */
  tuned: boolean;
  /** also run the integration suite's scenario list once (suiteSeconds; about 23 minutes) */
  suite: boolean;
  /** the scale phase in every run: `up --swarm`, the seed's service create → Synced and peak memory for labs of 3, 5 and 7 hosts */
  scale: boolean;
  /** measure the scale phase only (every other figure is skipped) */
  onlyScale?: boolean;
  outDir: string;
  progress?: Progress;
  signal?: AbortSignal;
}

export interface BenchResult {
  date: string;
  /** cpus, memory and kernel of the engine's machine: this one, or (measuredOn) the engine's VM or remote machine. */
  machine: { cpus: number; memGiB: number; kernel: string; engine: string; measuredOn?: string };
  runs: number;
  figures: Record<string, Figure | undefined>;
  tuned: Record<string, Figure | undefined>;
  notes: string[];
  /** Where the seconds of service create → Synced went in the seed: medians per member position and phase, and each run's breakdown. */
  seedBreakdown?: BenchSeedBreakdown;
  /** The integration suite's scenario list, run once (`suiteSeconds`); absent with --no-suite. */
  suite?: BenchSuite;
  /** The scale phase: labs of 3, 5 and 7 hosts (`scaleUpSeconds`, `scalePeakRssMiB`, `scaleSeedToSyncedSeconds`...); absent with --no-scale. */
  scale?: BenchScale;
  files?: string[];
}

/** The bench's own lab: it never touches a lab it did not create. */
export const BENCH_LAB = "swarmlab-bench";

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = Date.now();
  const v = await fn();
  return [v, (Date.now() - t0) / 1000];
}

/**
 * Resident memory of every process in the three hosts, summed. The hosts' inner containers
 * (mariadbd, etcd) live in cgroups outside the host containers' own (the hosts share the machine's
 * cgroup tree), so the container's memory figure would miss them: the processes are found instead
 * as descendants of each host's init in /proc. Sampled every 2 s; the peak is kept. Only when the
 * engine's processes are in this machine's /proc (engineLocality's procfs); otherwise the bench
 * sums the host containers' stats from the engine's API (memorySource).
 */
export function processTreeRssBytes(procDir: string, roots: number[]): number {
  const children = new Map<number, number[]>();
  const rss = new Map<number, number>();
  for (const entry of readdirSync(procDir)) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(join(procDir, entry, "stat"), "utf8");
      // pid (comm) state ppid ...: comm may contain spaces, so read after the last ")"
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const pages = Number(readFileSync(join(procDir, entry, "statm"), "utf8").split(" ")[1]);
      const pid = Number(entry);
      rss.set(pid, pages * 4096);
      children.set(ppid, [...(children.get(ppid) ?? []), pid]);
    } catch {
      /* the process ended while we looked */
    }
  }
  let sum = 0;
  const todo = [...roots];
  const seen = new Set<number>();
  while (todo.length) {
    const pid = todo.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    sum += rss.get(pid) ?? 0;
    todo.push(...(children.get(pid) ?? []));
  }
  return sum;
}

/** Memory of a container as `docker stats` shows it: usage less inactive file pages (cgroup v1 or v2 field names). Pure. */
export function statsMemoryBytes(stats: { memory_stats?: { usage?: number; stats?: Record<string, number | undefined> } } | undefined): number {
  const m = stats?.memory_stats;
  if (!m?.usage) return 0;
  const inactive = m.stats?.total_inactive_file ?? m.stats?.inactive_file;
  return inactive !== undefined && inactive < m.usage ? m.usage - inactive : m.usage;
}

/**
 * Where the lab's memory figure comes from on this engine: this machine's /proc when the engine's
 * processes are in it, else the engine's API (container stats), with what that figure misses. Pure.
 */
export function memorySource(engine: Pick<Engine, "locality" | "info">): { from: "procfs" | "stats"; note?: string } {
  if (engine.locality.facilities.procfs.available) return { from: "procfs" };
  const v1 = engine.info.CgroupVersion !== "2";
  return {
    from: "stats",
    note: `labPeakRssMiB from the engine's container stats (memory usage less inactive file, as \`docker stats\`), not per-process RSS: /proc ${engine.locality.facilities.procfs.detail}${v1 ? "; on cgroup v1 the hosts' inner containers (mariadbd, etcd) have cgroups outside the hosts' and are not counted" : ""}`,
  };
}

function peakMemory(docker: Docker, from: "procfs" | "stats", containers: () => string[]) {
  let peak = 0;
  const loop = repeatUntilStopped(2000, async () => {
    if (from === "stats") {
      let sum = 0;
      for (const c of containers()) {
        const stats = await docker.getContainer(c).stats({ stream: false }).catch(() => undefined);
        sum += statsMemoryBytes(stats as Parameters<typeof statsMemoryBytes>[0]);
      }
      peak = Math.max(peak, sum);
      return;
    }
    const roots: number[] = [];
    for (const c of containers()) {
      const pid = await docker.getContainer(c).inspect().then((i) => i.State.Pid, () => 0);
      if (pid > 0) roots.push(pid);
    }
    if (roots.length) peak = Math.max(peak, processTreeRssBytes("/proc", roots));
  });
  return {
    async stop(): Promise<number> {
      await loop.stop();
      return peak / 1024 / 1024;
    },
  };
}

/** The machine the figures were measured on: this one, or the engine's (its /info) when it runs elsewhere. Pure. */
export function benchMachine(engine: Pick<Engine, "locality" | "info" | "version">, here: { cpus: number; memBytes: number; kernel: string }): BenchResult["machine"] {
  if (engine.locality.local) return { cpus: here.cpus, memGiB: Math.round(here.memBytes / 2 ** 30), kernel: here.kernel, engine: engine.version };
  return {
    cpus: engine.info.NCPU ?? 0,
    memGiB: Math.round((engine.info.MemTotal ?? 0) / 2 ** 30),
    kernel: engine.info.KernelVersion ?? "unknown",
    engine: engine.version,
    measuredOn: `the engine's ${engine.locality.place === "desktop" ? "VM" : "machine"} (docker info), not this one: ${engine.locality.why}`,
  };
}

function stepSeconds(report: RunReport, scenario: string) {
  return report.scenarios.find((s) => s.scenario === scenario);
}

/** The example a team deploys with its own image and stack file (issue 11's proof). */
export const OWN_STACK_EXAMPLE = join(projectRoot, "examples", "tasks-discovery", "scenario.yaml");

/**
 * The own-stack example: from the start of its `stack` step (docker stack deploy) to the end of the
 * first wait that sees a cluster of three (the seed and two nodes, all Synced).
 */
export function stackDeployToSynced(report: RunReport): number | undefined {
  const steps = report.scenarios.find((s) => s.scenario === "tasks-discovery")?.steps ?? [];
  const deploy = steps.findIndex((s) => /^deploy the stack/.test(s.title));
  const synced = steps.slice(deploy + 1).find((s) => /cluster of three/.test(s.title));
  if (deploy < 0 || !synced?.ok) return undefined;
  return (Date.parse(synced.startedAt) + synced.seconds * 1000 - Date.parse(steps[deploy]!.startedAt)) / 1000;
}

/**
 * `images load` of the galera image into every host of a lab that does not hold it: removed from
 * each host first (its own layers go; the Debian base it shares with etcd stays), its archive
 * already saved on this machine by a first load.
 */
async function imagesLoadSeconds(lab: Awaited<ReturnType<typeof startLab>>): Promise<number> {
  const image = tagOf("galera");
  // By ID, with every name it has in the host (a name alone would only be untagged).
  const removeFromHosts = () =>
    Promise.all(
      lab.nodes.map(async (h) => {
        const id = (await h.docker(["image", "inspect", "--format", "{{.Id}}", image], { allowFailure: true, timeoutMs: 20_000 })).stdout.trim();
        if (id) await h.docker(["image", "rm", "-f", id], { timeoutMs: 120_000 });
      }),
    );
  await removeFromHosts();
  await loadUserImages(lab, [image]); // saves the archive once when this image ID has none
  await removeFromHosts();
  const [loads, seconds] = await timed(() => loadUserImages(lab, [image]));
  const skipped = loads.filter((l) => l.action !== "loaded").map((l) => l.host);
  if (skipped.length) throw new LabError(`images load measured nothing on ${skipped.join(", ")}: the host still held ${image} after docker image rm`);
  return seconds;
}

/** From `docker service create` to the end of the galera-synced wait that follows it. */
export function seedToSynced(report: RunReport): number | undefined {
  const seed = stepSeconds(report, "seed");
  const steps = seed?.steps ?? [];
  const create = steps.findIndex((s) => (s.command ?? "").includes("docker service create"));
  const synced = steps.slice(create + 1).find((s) => s.title.startsWith("wait galera-synced"));
  if (create < 0 || !synced?.ok) return undefined;
  return (Date.parse(synced.startedAt) + synced.seconds * 1000 - Date.parse(steps[create]!.startedAt)) / 1000;
}

/**
 * The seed's breakdown (src/checks/seed-breakdown.ts), read right after the first `wait
 * galera-synced` that follows `docker service create`, while the tasks still run: it goes into that
 * step's details (the seed's report.json) and `state`, with the seconds that reading took (the bench
 * takes them off seedRunSeconds, which they would otherwise inflate).
 */
export function seedBreakdownHook(labName: string, signal?: AbortSignal) {
  let createdAt: string | undefined;
  const state: { breakdown?: SeedBreakdown; error?: string; seconds: number } = { seconds: 0 };
  const afterStep = async (_step: Step, r: StepResult): Promise<void> => {
    if ((r.command ?? "").includes("docker service create")) {
      createdAt = r.startedAt;
      return;
    }
    if (!createdAt || state.breakdown || state.error || !r.ok || !r.title.startsWith("wait galera-synced")) return;
    const t0 = Date.now();
    try {
      const lab = await openLab(labName);
      try {
        state.breakdown = await collectSeedBreakdown(await lab.liveNodes(), GALERA_SERVICE, {
          createdAt,
          observedSyncedAt: Date.parse(r.startedAt) + r.seconds * 1000,
          manager: lab.manager,
          timeoutMs: 20_000,
          signal,
        });
        r.details = { ...(r.details ?? {}), seedBreakdown: state.breakdown };
      } finally {
        await lab.close();
      }
    } catch (err) {
      state.error = (err as Error).message;
    } finally {
      state.seconds += (Date.now() - t0) / 1000;
    }
  };
  return { hooks: { afterStep }, state };
}

/** bench/baseline.sh, the plain-shell baseline (see the script's header). */
export const BASELINE_SCRIPT = join(projectRoot, "bench", "baseline.sh");

/**
 * What bench/baseline.sh printed: its `images:` line (per host and image, "loaded" or "same image
 * ID") and the seconds on its last line. Pure.
 */
export function parseBaselineOutput(stdout: string): { seconds: number; images: string } {
  const lines = stdout.trim().split("\n").map((l) => l.trim());
  const last = lines.at(-1) ?? "";
  const seconds = /^\d+(\.\d+)?$/.test(last) ? Number(last) : Number.NaN;
  const images = lines.find((l) => l.startsWith("images:"))?.slice("images:".length).trim() ?? "";
  return { seconds, images };
}

/** Whether the script loaded an image into a host (rather than finding the same image ID there). Pure. */
export const baselineLoaded = (images: string): boolean => /\bloaded\b/.test(images);

/**
 * Runs bench/baseline.sh: a timed run (`run`), `--prepare` (untimed: its hosts' kept volumes get
 * the images they lack, as `up` fills the lab's host image cache before the bench times the seed)
 * or `--clean` (its hosts, network and kept volumes removed).
 */
async function baselineScript(mode: "run" | "prepare" | "clean", signal?: AbortSignal): Promise<{ seconds: number; images: string }> {
  const env = mode === "clean" ? {} : { DIND_IMAGE: tagOf("dind"), ETCD_ARCHIVE: await imageArchive(tagOf("etcd")), GALERA_ARCHIVE: await imageArchive(tagOf("galera")) };
  const r = await execa("bash", [BASELINE_SCRIPT, ...(mode === "run" ? [] : [`--${mode}`])], { env, timeout: 900_000, reject: false, cancelSignal: signal });
  signal?.throwIfAborted();
  if (r.exitCode !== 0) throw new LabError(`bench/baseline.sh${mode === "run" ? "" : ` --${mode}`} failed (${r.exitCode}): ${String(r.stderr).slice(-2000)}`);
  const out = parseBaselineOutput(String(r.stdout));
  if (mode !== "clean" && !Number.isFinite(out.seconds)) throw new LabError(`bench/baseline.sh${mode === "run" ? "" : ` --${mode}`} printed no seconds on its last line: ${String(r.stdout).slice(-500)}`);
  return out;
}

/** What both sides of overheadRatio get (a note of every bench result). */
export const BASELINE_NOTE =
  "overheadRatio compares like with like: both seeds start with the images already in their hosts. The lab's new hosts get theirs from the host image cache (kept since the first `up`; hard links into each new host's /var/lib/docker volume, inside seedRunSeconds); bench/baseline.sh's hosts keep their /var/lib/docker volumes between runs (filled by `bench/baseline.sh --prepare` before its timed run, untimed, as `up` fills the lab's cache before the seed is timed; removed by `bench/baseline.sh --clean` and by the bench's cold step, which --no-cold skips). Both timed windows: create the hosts and wait for their engines, check the images (a host without the exact image ID loads it inside the window), the walkthrough's deployment up to three Synced members, then remove what the run made (the lab removes its hosts and their volumes; the baseline its hosts, after removing the swarm, containers, volumes and networks from their engines, keeping the images). The lab's seed also runs its checks (service spread, Galera health, cluster addresses, a replicated row); the baseline waits for three Synced only";

/** What every bench result with the scale phase says of it. */
export const SCALE_NOTE =
  "scale phase (issue 15): for 3, 5 and 7 hosts, one pass per size in each run on the bench's lab: a warm `up --swarm` of N hosts with the default managers (src/hosts/size.ts: three from three hosts up, the rest workers: 3+0, 3+2, 3+4), timed and taken down; then `run seed` on N hosts (N Galera members, one per host) in a session of its own, its service create → N Synced (scaleSeedToSyncedSeconds, as seedToSyncedSeconds) and the peak memory of the N hosts meanwhile (scalePeakRssMiB, the sampler of labPeakRssMiB); the lab is removed after each size, also when it failed. scaleUpRatio7to3 and scaleRssPerHostMiB are computed from the sizes' medians; memory looks linear (scaleRssLinear) when every size's median peak is within 15 % of the least-squares line's value there (with 3, 5 and 7 the 5-host residual is twice each end's in MiB, so in practice it decides)";

async function removeLabImages(docker: Docker): Promise<void> {
  for (const img of await docker.listImages()) {
    for (const tag of img.RepoTags ?? []) if (tag.startsWith("swarmlab/")) await docker.getImage(tag).remove({ force: true }).catch(() => {});
  }
  rmSync(join(stateDir(), "image-archives"), { recursive: true, force: true });
  await removeCaches(docker);
}

async function faultFigures(profile: Profile, reportDir: string, signal?: AbortSignal) {
  const report = await runSession(["node-stop", "partition-swarm-ports"], { name: BENCH_LAB, reportDir, profile, signal, fresh: true });
  const nodeStop = stepSeconds(report, "node-stop");
  const partition = stepSeconds(report, "partition-swarm-ports");
  return {
    ok: report.ok,
    nodeStopToSyncedSeconds: nodeStop?.ok ? nodeStop.recoveries[0]?.syncedAfterFaultSeconds : undefined,
    partitionHealToPrimarySeconds: partition?.ok ? partition.recoveries[0]?.syncedAfterHealSeconds : undefined,
  };
}

/** The bench's lab's host containers for a lab of n hosts (docker1..dockerN, the compose file's pattern beyond its own). */
function labContainers(hosts: number): string[] {
  return topologyForSize(readCompose(DEFAULT_COMPOSE_FILE), hosts).hosts.map((h) => containerName(BENCH_LAB, h.service));
}

/**
 * One size of the scale phase (src/bench/scale.ts): a warm `up --swarm` of `hosts` hosts, timed,
 * taken down; then the seed on that many hosts (as many Galera members) in a session of its own,
 * its service create → Synced (seedToSynced, as seedToSyncedSeconds) and the peak memory of the
 * hosts meanwhile (the sampler of labPeakRssMiB). A part that fails leaves its measures out and says
 * why; the lab is removed whatever happens. Interruption (the signal) is thrown, not recorded.
 */
async function scalePass(run: number, hosts: number, ctx: { docker: Docker; memory: "procfs" | "stats"; reports: string; progress: Progress; signal?: AbortSignal }): Promise<ScalePass> {
  const { progress, signal } = ctx;
  // The default rule for the size (src/hosts/size.ts): three managers from three hosts up, the rest workers.
  const size = resolveLabSize({ hosts });
  const pass: ScalePass = { run, hosts, managers: size.managers, errors: [] };
  const failed = (what: string, err: unknown) => {
    signal?.throwIfAborted();
    pass.errors.push(`${what}: ${(err as Error).message.split("\n")[0]}`);
  };
  progress.note(`scale: ${hosts} hosts (${size.managers} managers), run ${run}`);
  try {
    let lab: Lab | undefined;
    try {
      const [made, seconds] = await timed(() => startLab({ name: BENCH_LAB, hosts, managers: size.managers, swarm: true, ifExists: "replace", progress, signal }));
      lab = made;
      pass.upSeconds = seconds;
    } catch (err) {
      failed("up --swarm", err);
    }
    if (lab) await lab.down().catch((err: unknown) => failed("down after up --swarm", err));
    signal?.throwIfAborted();
    const reportDir = join(ctx.reports, `scale-${hosts}-${run}`);
    pass.reportDir = reportDir;
    const rss = peakMemory(ctx.docker, ctx.memory, () => labContainers(hosts));
    let report: RunReport | undefined;
    let peak = 0;
    try {
      // runSession reads the seed for this size (loadScenario("seed", size)): its joins, N replicas.
      report = await runSession(["seed"], { name: BENCH_LAB, reportDir, signal, size: { hosts, managers: size.managers, replicas: size.replicas } });
    } catch (err) {
      failed("the seed", err);
    } finally {
      peak = await rss.stop();
    }
    signal?.throwIfAborted();
    if (report?.interrupted) pass.errors.push(`the seed was interrupted; see ${join(reportDir, "summary.md")}`);
    else if (report) {
      if (!report.ok) pass.errors.push(`the seed failed; see ${join(reportDir, "summary.md")}`);
      else {
        pass.peakRssMiB = peak;
        const synced = seedToSynced(report);
        if (synced === undefined) pass.errors.push(`the seed's report has no passing galera-synced wait after docker service create; see ${join(reportDir, "summary.md")}`);
        else pass.seedToSyncedSeconds = synced;
      }
    }
  } finally {
    // Whatever failed above, no lab of the bench's is left behind (startLab and runSession remove theirs; this is the backstop).
    const left = await findLab(ctx.docker, BENCH_LAB).catch(() => null);
    if (left) await removeLab(ctx.docker, BENCH_LAB).catch((e: Error) => progress.note(`scale: removing ${BENCH_LAB}: ${e.message}`));
  }
  return pass;
}

export async function bench(opts: BenchOptions): Promise<BenchResult> {
  const progress = opts.progress ?? new Progress();
  const engine = await ensureEngine((l) => progress.note(l));
  const docker = engine.docker;
  const existing = await findLab(docker, BENCH_LAB);
  if (existing) {
    throw new LabError(`a lab named ${BENCH_LAB} is already up (${existing.hosts.map((h) => h.id).join(", ")}): the bench measures on a lab of its own and will not replace it`, {
      hint: `if it is a bench left over, remove it with \`swarmlab --name ${BENCH_LAB} down\``,
    });
  }
  const samples: Record<string, number[]> = {};
  const tunedSamples: Record<string, number[]> = {};
  const add = (into: Record<string, number[]>, key: string, v: number | undefined) => {
    if (v !== undefined) (into[key] ??= []).push(v);
  };
  const notes: string[] = [];
  const breakdowns: SeedBreakdown[] = [];
  const memory = memorySource(engine);
  if (memory.note) notes.push(memory.note);
  const reports = join(opts.outDir, "reports");
  // The scale phase: labs of 3, 5 and 7 hosts, one pass per size in each run.
  const scalePasses: ScalePass[] = [];
  const scalePhase = async (run: number): Promise<void> => {
    for (const hosts of SCALE_SIZES) {
      const pass = await scalePass(run, hosts, { docker, memory: memory.from, reports, progress, signal: opts.signal });
      scalePasses.push(pass);
      for (const e of pass.errors) notes.push(`run ${run}: scale, ${hosts} hosts: ${e}`);
    }
  };
  if (opts.onlyScale) {
    // Nothing before the phase makes sure of the images and the host image cache: an `up` not timed does, so the first timed one is warm.
    progress.note("--only-scale: the images and the host image cache first, by an `up` of three hosts (not timed)");
    const ready = await startLab({ name: BENCH_LAB, ifExists: "replace", progress, signal: opts.signal });
    await ready.down();
  }
  for (let run = 1; run <= opts.runs; run++) {
    opts.signal?.throwIfAborted();
    progress.note(`run ${run} of ${opts.runs}`);
    // --only-scale: the scale phase is all a run measures.
    if (opts.onlyScale) {
      await scalePhase(run);
      continue;
    }
    if (opts.cold) {
      await progress.step("cold: remove the lab's images, archives and host image cache, and the baseline's kept volumes", async () => {
        await removeLabImages(docker);
        await baselineScript("clean", opts.signal);
      });
      const [lab, s] = await timed(() => startLab({ name: BENCH_LAB, swarm: true, ifExists: "replace", progress, signal: opts.signal }));
      add(samples, "coldUpSeconds", s);
      await lab.down();
    }
    const [warm, ws] = await timed(() => startLab({ name: BENCH_LAB, swarm: true, ifExists: "replace", progress, signal: opts.signal }));
    add(samples, "warmUpSeconds", ws);
    try {
      add(samples, "imagesLoadSeconds", await progress.step("images load of the galera image into three hosts", () => imagesLoadSeconds(warm)));
    } finally {
      await warm.down(); // a failed measurement leaves no lab behind
    }

    // The seed, warm, with the hosts' memory sampled throughout.
    // The lab's own hosts (from its compose file), whatever their number and names.
    const rss = peakMemory(docker, memory.from, () => readCompose(DEFAULT_COMPOSE_FILE).hosts.map((h) => containerName(BENCH_LAB, h.service)));
    // Its breakdown is read from the tasks' logs right after the galera-synced wait (seedBreakdownHook).
    const breakdown = seedBreakdownHook(BENCH_LAB, opts.signal);
    const [seedReport, seedTotal] = await timed(() => runSession(["seed"], { name: BENCH_LAB, reportDir: join(reports, `seed-${run}`), signal: opts.signal, hooks: breakdown.hooks }));
    add(samples, "labPeakRssMiB", await rss.stop());
    if (!seedReport.ok) throw new LabError(`the seed failed during the bench (run ${run}); see ${join(reports, `seed-${run}`, "summary.md")}`);
    // Reading the logs is the bench's own work, not the seed's.
    const seedSeconds = seedTotal - breakdown.state.seconds;
    if (breakdown.state.breakdown) {
      breakdowns.push(breakdown.state.breakdown);
      notes.push(`run ${run}: seedRunSeconds leaves out the ${breakdown.state.seconds.toFixed(1)} s the bench spent reading the tasks' logs for seedBreakdown`);
    } else notes.push(`run ${run}: no seedBreakdown: ${breakdown.state.error ?? "the seed's report has no galera-synced wait after docker service create"}`);
    add(samples, "seedRunSeconds", seedSeconds);
    add(samples, "seedToSyncedSeconds", seedToSynced(seedReport));

    // The honest baseline, right after: the same deployment as a plain shell script, with its
    // images already in its hosts as the lab's are (BASELINE_NOTE).
    const prepared = await progress.step("baseline: its hosts' kept volumes hold the images (bench/baseline.sh --prepare, not timed)", () => baselineScript("prepare", opts.signal), (p) => p.images);
    if (baselineLoaded(prepared.images)) notes.push(`run ${run}: bench/baseline.sh --prepare (not timed, ${prepared.seconds.toFixed(1)} s) loaded what its kept volumes lacked: ${prepared.images}`);
    const baseline = await progress.step("baseline: bench/baseline.sh", () => baselineScript("run", opts.signal), (b) => `${b.seconds} s; ${b.images}`);
    if (baselineLoaded(baseline.images)) notes.push(`run ${run}: bench/baseline.sh loaded images inside its timed window (${baseline.images}): this run's baselineSeconds and overheadRatio include those loads`);
    add(samples, "baselineSeconds", baseline.seconds);
    add(samples, "overheadRatio", seedSeconds / baseline.seconds);

    // A team's own image and stack file (examples/tasks-discovery), on a lab of its own.
    const own = await runSession([OWN_STACK_EXAMPLE], { name: BENCH_LAB, reportDir: join(reports, `own-stack-${run}`), signal: opts.signal, fresh: true });
    if (!own.ok) notes.push(`run ${run}: the own-stack example failed (see ${join(reports, `own-stack-${run}`)})`);
    add(samples, "stackDeployToSyncedSeconds", stackDeployToSynced(own));

    const walk = await faultFigures("walkthrough", join(reports, `faults-${run}`), opts.signal);
    if (!walk.ok) notes.push(`run ${run}: a fault scenario failed with the walkthrough's timers (see ${join(reports, `faults-${run}`)})`);
    add(samples, "nodeStopToSyncedSeconds", walk.nodeStopToSyncedSeconds);
    add(samples, "partitionHealToPrimarySeconds", walk.partitionHealToPrimarySeconds);
    if (opts.tuned) {
      const tuned = await faultFigures("tuned", join(reports, `faults-tuned-${run}`), opts.signal);
      if (!tuned.ok) notes.push(`run ${run}: a fault scenario failed with the tuned profile (see ${join(reports, `faults-tuned-${run}`)})`);
      add(tunedSamples, "nodeStopToSyncedSeconds", tuned.nodeStopToSyncedSeconds);
      add(tunedSamples, "partitionHealToPrimarySeconds", tuned.partitionHealToPrimarySeconds);
    }
    // What each added host costs (src/bench/scale.ts).
    if (opts.scale) await scalePhase(run);
  }
  // The integration suite's scenario list, once: a session as test/integration/scenarios.test.ts runs it.
  let suite: BenchSuite | undefined;
  if (opts.suite) {
    opts.signal?.throwIfAborted();
    progress.note(`the integration suite's ${SUITE_SCENARIOS.length} scenarios, once (suiteSeconds; about 23 minutes; --no-suite skips it)`);
    const reportDir = join(reports, "suite");
    const [report, seconds] = await timed(() => runSession([...SUITE_SCENARIOS], { name: BENCH_LAB, reportDir, signal: opts.signal }));
    opts.signal?.throwIfAborted();
    suite = benchSuite(report, seconds, SUITE_SCENARIOS, { lab: BENCH_LAB, reportDir });
    if (!suite.ok) notes.push(`the suite's scenario list failed (${suite.scenarios.filter((s) => !s.ok).map((s) => s.scenario).join(", ") || "set-up"}; see ${join(reportDir, "summary.md")}): suiteSeconds is null in --json`);
  } else if (!opts.onlyScale) notes.push("suiteSeconds not measured (--no-suite): it runs the integration suite's scenario list once, about 23 minutes");
  if (opts.onlyScale) notes.push("--only-scale: only the scale phase was measured (scaleUpSeconds, scaleSeedToSyncedSeconds, scalePeakRssMiB and what derives from them); every other figure is not measured");
  else {
    notes.push(BASELINE_NOTE);
    if (!opts.cold) notes.push("coldUpSeconds not measured (--no-cold): it removes the lab's own swarmlab/* images first");
  }
  let scale: BenchScale | undefined;
  if (opts.scale) {
    scale = summariseScale(scalePasses, { runs: opts.runs, lab: BENCH_LAB });
    notes.push(SCALE_NOTE);
  } else notes.push("scaleUpSeconds, scaleSeedToSyncedSeconds and scalePeakRssMiB not measured (--no-scale): labs of 3, 5 and 7 hosts, each `up --swarm` and a seed, in every run");
  const figures = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, figure(v)]));
  const tuned = Object.fromEntries(Object.entries(tunedSamples).map(([k, v]) => [k, figure(v)]));
  const images = await listImages(docker).catch(() => []);
  notes.push(`images: ${images.filter((i) => i.current).map((i) => `${i.tag} ${i.sizeMiB} MiB`).join(", ")}`);
  return {
    date: new Date().toISOString(),
    machine: benchMachine(engine, { cpus: cpus().length, memBytes: totalmem(), kernel: release() }),
    runs: opts.runs,
    figures,
    tuned,
    notes,
    ...(breakdowns.length ? { seedBreakdown: { summary: summariseBreakdowns(breakdowns), runs: breakdowns } } : {}),
    ...(suite ? { suite } : {}),
    ...(scale ? { scale } : {}),
  };
}

/**
 * What `bench --json` prints: every figure as a top-level key (its median, null when not measured),
 * the tuned ones with a `Tuned` suffix, `seedBreakdown` (its summary: medians per member position
 * and phase; null when none was read), `suiteSeconds` (the suite's scenario list run once, its wall
 * seconds; null with --no-suite or when a scenario failed), the scale phase's keys (scaleJson: per
 * size the median or null, the derived figures; all null with --no-scale) and the whole result as
 * `details`.
 */
export function benchJson(r: BenchResult): Record<string, unknown> {
  const medians = Object.fromEntries(Object.entries(r.figures).map(([k, f]) => [k, f?.median ?? null]));
  const tuned = Object.fromEntries(Object.entries(r.tuned).map(([k, f]) => [`${k}Tuned`, f?.median ?? null]));
  return { ...medians, ...tuned, seedBreakdown: r.seedBreakdown?.summary ?? null, suiteSeconds: suiteSecondsOf(r.suite), ...scaleJson(r.scale), details: r };
}

/** The bench's .md: the machine, the figures' table, the notes, seedBreakdown, the suite's seconds and the scale phase. Pure. */
export function benchMarkdown(r: BenchResult): string {
  return [
    `# swarmlab bench, ${r.date}`,
    "",
    `${r.machine.cpus} cores, ${r.machine.memGiB} GiB, kernel ${r.machine.kernel}, engine ${r.machine.engine}${r.machine.measuredOn ? ` (${r.machine.measuredOn})` : ""}; ${r.runs} run(s) per figure.`,
    "",
    markdownTable(r.figures, r.tuned),
    "",
    ...r.notes.map((n) => `- ${n}`),
    "",
    ...(r.seedBreakdown ? [breakdownMarkdown(r.seedBreakdown), ""] : []),
    ...(r.suite ? [suiteMarkdown(r.suite), ""] : []),
    ...(r.scale ? [scaleMarkdown(r.scale), ""] : []),
  ].join("\n");
}

export function writeBenchResult(dir: string, r: BenchResult): string[] {
  mkdirSync(dir, { recursive: true });
  const stamp = r.date.slice(0, 19).replace(/:/g, "-");
  const json = join(dir, `${stamp}.json`);
  const md = join(dir, `${stamp}.md`);
  writeFileSync(json, `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(md, benchMarkdown(r));
  return [json, md];
}
