import type { Command } from "commander";
import { bench, benchJson, writeBenchResult, type BenchOptions } from "../bench/bench.js";
import { cliSignal } from "./signals.js";
import { LabError } from "../util/errors.js";

/** What commander hands the bench command (the --no-* flags default to true). */
export interface BenchCliOptions {
  runs: string;
  cold?: boolean;
  tuned?: boolean;
  suite?: boolean;
  scale?: boolean;
  onlyScale?: boolean;
  out: string;
}

/** The bench's options from its flags, every value checked before anything is measured. Pure. */
export function benchOptionsFrom(opts: BenchCliOptions): Omit<BenchOptions, "progress" | "signal"> {
  const runs = Number(opts.runs);
  if (!/^\d+$/.test(String(opts.runs)) || !Number.isInteger(runs) || runs < 1 || runs > 20) throw new LabError(`--runs must be a whole number from 1 to 20, not "${opts.runs}"`);
  if (!String(opts.out ?? "").trim()) throw new LabError("--out must name a folder");
  const scale = opts.scale !== false;
  if (opts.onlyScale) {
    if (!scale) throw new LabError("--only-scale and --no-scale contradict each other: --only-scale measures the scale phase and nothing else");
    // Everything but the scale phase is skipped.
    return { runs, cold: false, tuned: false, suite: false, scale: true, onlyScale: true, outDir: opts.out };
  }
  return { runs, cold: opts.cold !== false, tuned: opts.tuned !== false, suite: opts.suite !== false, scale, outDir: opts.out };
}

export function registerBenchCommand(program: Command): void {
  program
    .command("bench")
    .description("measure on the real lab: up (cold, warm), the seed, fault recovery (defaults and tuned), peak memory, the overhead against a plain shell script, the cost per added host (labs of 3, 5 and 7), and the integration suite's scenarios once")
    .option("--runs <n>", "runs per figure (each figure is their median, with min and max)", "3")
    .option("--json", "print one JSON object on stdout (progress goes to stderr)")
    .option("--no-cold", "skip coldUpSeconds, which removes the lab's own swarmlab/* images before `up`")
    .option("--no-tuned", "skip the fault recoveries with the tuned profile")
    .option("--no-suite", "skip suiteSeconds: the integration suite's scenario list run once (about 23 minutes)")
    .option("--no-scale", "skip the scale phase: `up --swarm`, the seed's service create → Synced and peak memory for labs of 3, 5 and 7 hosts, in every run")
    .option("--only-scale", "measure the scale phase only (implies --no-cold --no-tuned --no-suite and skips every other figure)")
    .option("--out <dir>", "where results/<date>.json and .md go", "bench/results")
    .action(async (opts) => {
      const options = benchOptionsFrom(opts as BenchCliOptions);
      const result = await bench({ ...options, signal: cliSignal() });
      result.files = writeBenchResult(options.outDir, result);
      if (opts.json) process.stdout.write(`${JSON.stringify(benchJson(result))}\n`);
      else process.stderr.write(`\nbench results: ${result.files.join(", ")}\n`);
    });
}
