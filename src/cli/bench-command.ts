import type { Command } from "commander";
import { bench, benchJson, writeBenchResult } from "../bench/bench.js";
import { cliSignal } from "./signals.js";
import { LabError } from "../util/errors.js";

export function registerBenchCommand(program: Command): void {
  program
    .command("bench")
    .description("measure on the real lab: up (cold, warm), the seed, fault recovery (defaults and tuned), peak memory, and the overhead against a plain shell script")
    .option("--runs <n>", "runs per figure (each figure is their median, with min and max)", "3")
    .option("--json", "print one JSON object on stdout (progress goes to stderr)")
    .option("--no-cold", "skip coldUpSeconds, which removes the lab's own swarmlab/* images before `up`")
    .option("--no-tuned", "skip the fault recoveries with the tuned profile")
    .option("--out <dir>", "where results/<date>.json and .md go", "bench/results")
    .action(async (opts) => {
      const runs = Number(opts.runs);
      if (!/^\d+$/.test(String(opts.runs)) || !Number.isInteger(runs) || runs < 1 || runs > 20) throw new LabError(`--runs must be a whole number from 1 to 20, not "${opts.runs}"`);
      const result = await bench({ runs, cold: Boolean(opts.cold), tuned: Boolean(opts.tuned), outDir: opts.out, signal: cliSignal() });
      result.files = writeBenchResult(opts.out, result);
      if (opts.json) process.stdout.write(`${JSON.stringify(benchJson(result))}\n`);
      else process.stderr.write(`\nbench results: ${result.files.join(", ")}\n`);
    });
}

