import type { Command } from "commander";
import { join } from "node:path";
import { runSession } from "../scenarios/session.js";
import { parseScenario } from "../scenarios/schema.js";
import { planChaos, parseDuration, DEFAULT_CHAOS_FAULTS } from "../faults/chaos.js";
import { describeSchedule, type ChaosFaultKind } from "../faults/generator.js";
import { labHostNames } from "../context/fields.js";
import { cliSignal, EXIT } from "./signals.js";
import { imagesOption, profileOption } from "./options.js";
import { LabError } from "../util/errors.js";
import { stringify } from "yaml";

const list = (v: string) => v.split(",").map((x) => x.trim()).filter(Boolean);

export function registerChaosCommand(program: Command): void {
  program
    .command("chaos")
    .description("a seeded random fault schedule on the seed's cluster, with writes throughout; heals, waits for every member Synced, checks the history (the same seed gives the same schedule)")
    .requiredOption("--seed <n>", "the schedule's seed (0-4294967295)")
    .option("--duration <d>", "how long faults are drawn for: 90s, 10m, 1h", "10m")
    .option("--faults <kinds>", `comma-separated kinds (default: ${DEFAULT_CHAOS_FAULTS.join(",")})`)
    .option("--hosts <hosts>", "comma-separated hosts the faults may hit (default: every host)")
    .option("--allow-majority-loss", "let one fault at a time take the majority away (default: a majority stays healthy)")
    .option("--max-concurrent <n>", "faults in place at once", "2")
    .option("--dry-run", "print the schedule and stop (nothing is created)")
    .option("--report <dir>", "report folder", "reports/chaos")
    .option("--keep", "leave the lab running afterwards")
    .addOption(profileOption())
    .addOption(imagesOption())
    .action(async (opts, cmd: Command) => {
      const seed = Number(opts.seed);
      const durationSeconds = parseDuration(String(opts.duration));
      const chaos = {
        seed,
        duration: durationSeconds,
        faults: opts.faults ? list(opts.faults) : undefined,
        hosts: opts.hosts ? list(opts.hosts) : undefined,
        allow_majority_loss: Boolean(opts.allowMajorityLoss),
        max_concurrent: Number(opts.maxConcurrent),
      };
      // Refused before anything is made: the options and every drawn fault.
      const { schedule, problems } = planChaos({
        seed,
        durationSeconds,
        hosts: chaos.hosts ?? labHostNames(),
        faults: (chaos.faults as ChaosFaultKind[] | undefined) ?? DEFAULT_CHAOS_FAULTS,
        allowMajorityLoss: chaos.allow_majority_loss,
        maxConcurrent: chaos.max_concurrent,
      });
      if (problems.length) throw new LabError(`chaos options refused:\n  ${problems.join("\n  ")}`);
      process.stdout.write(`${describeSchedule(schedule)}\n`);
      if (opts.dryRun) return;
      const text = stringify({ name: `chaos-${seed}`, title: `chaos: seed ${seed}, ${durationSeconds} s`, needs: "galera", steps: [{ chaos }] });
      const scenario = parseScenario(text, join(opts.report, `chaos-${seed}.yaml`));
      const report = await runSession([scenario], { name: cmd.optsWithGlobals().name, inventory: cmd.optsWithGlobals().hosts, reportDir: opts.report, keep: Boolean(opts.keep), profile: opts.profile, images: opts.images, signal: cliSignal() });
      if (report.interrupted) return;
      const s = report.scenarios.at(-1);
      const c = s?.chaos as { faultsInjected?: number; writes?: Record<string, number>; longestUnavailableSeconds?: number } | undefined;
      process.stdout.write(
        `\n${report.ok ? "PASSED" : "FAILED"}: seed ${seed}, ${c?.faultsInjected ?? 0} faults, writes ${JSON.stringify(c?.writes ?? {})}, longest unavailability ${c?.longestUnavailableSeconds?.toFixed(1) ?? "?"} s\nreport: ${opts.report}/summary.md, report.json (chaos.schedule)\n`,
      );
      process.exitCode = report.ok ? EXIT.ok : EXIT.failed;
    });
}
