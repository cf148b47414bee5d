import type { Command } from "commander";
import { runSession, allScenarioNames, groupByTimers } from "../scenarios/session.js";
import { loadScenario } from "../scenarios/schema.js";
import { cliSignal, EXIT } from "./signals.js";
import { walk, stoppedMessage } from "../walk/walk.js";
import { allowColocatedOption, imagesOption, managersOption, profileOption, replicasOption, sizeFrom, sizeOption } from "./options.js";
import { FORMAT_DOC, stepKindsReference, writeReference } from "../scenarios/docs.js";
import { LabError } from "../util/errors.js";
import { describeSize, resolveLabSize, sameSize } from "../hosts/size.js";
import { labHostNames } from "../context/fields.js";

export function registerRunCommands(program: Command): void {
  program
    .command("run")
    .description("run scenarios on a real lab and write a report with a timeline per scenario (exit 0 only when every check passed)")
    .argument("[scenarios...]", "scenario names (scenarios/<name>.yaml) or paths", [])
    .option("--all", "every scenario in scenarios/")
    .option("--report <dir>", "report folder", "reports/latest")
    .option("--keep", "leave the lab running afterwards")
    .addOption(profileOption())
    .option("--fresh", "a fresh lab for every scenario (by default a Galera scenario reuses the cluster the previous one left, after checking it)")
    .addOption(sizeOption())
    .addOption(managersOption())
    .addOption(replicasOption())
    .addOption(allowColocatedOption())
    .addOption(imagesOption())
    .action(async (names: string[], opts, cmd: Command) => {
      const list = opts.all ? groupByTimers(allScenarioNames().map((n) => loadScenario(n, sizeFrom(opts))), opts.profile).map((s) => s.name) : names.length ? names : ["seed"];
      const report = await runSession(list, { name: cmd.optsWithGlobals().name, inventory: cmd.optsWithGlobals().hosts, size: sizeFrom(opts), reportDir: opts.report, keep: Boolean(opts.keep), fresh: Boolean(opts.fresh), profile: opts.profile, images: opts.images, signal: cliSignal() });
      if (report.interrupted) return; // main says so and exits 130/143
      process.stdout.write(`\n${report.ok ? "PASSED" : "FAILED"}: ${report.scenarios.map((s) => `${s.scenario} ${s.ok ? "✓" : "✗"}${s.lostHosts?.length ? ` (lost ${s.lostHosts.map((l) => l.host).join(", ")}: what to check is above and in summary.md)` : ""}`).join(", ")}  (${report.seconds.toFixed(0)} s)\nreport: ${opts.report}/summary.md, report.json, junit.xml\n`);
      process.exitCode = report.ok ? EXIT.ok : EXIT.failed;
    });

  program
    .command("walk")
    .description("run a scenario one step at a time: why, the command, its real output beside the walkthrough's (Enter for the next step)")
    .argument("<scenario>", "scenario name or path")
    .option("--auto", "run every step without stopping")
    .option("--lang <lang>", "en, or zh for the walkthrough's own language", "en")
    .option("--report <dir>", "report folder", "reports/latest")
    .option("--keep", "leave the lab running afterwards")
    .option("--from <step>", "pause from this step on (the steps before it run without pausing): pick up where a walk stopped")
    .addOption(profileOption())
    .addOption(sizeOption())
    .addOption(managersOption())
    .addOption(replicasOption())
    .addOption(allowColocatedOption())
    .addOption(imagesOption())
    .action(async (name: string, opts, cmd: Command) => {
      if (opts.lang !== "en" && opts.lang !== "zh") throw new LabError(`--lang must be en or zh, not "${opts.lang}"`);
      const from = opts.from === undefined ? undefined : Number(opts.from);
      const r = await walk(name, { lang: opts.lang, auto: Boolean(opts.auto), reportDir: opts.report, keep: Boolean(opts.keep), name: cmd.optsWithGlobals().name, inventory: cmd.optsWithGlobals().hosts, size: sizeFrom(opts), signal: cliSignal(), from, profile: opts.profile, images: opts.images });
      const report = r.report;
      if (r.stoppedBefore !== undefined) {
        process.stdout.write(`\n${stoppedMessage(name, r, Boolean(opts.keep))}\n`);
        process.exitCode = EXIT.ok;
        return;
      }
      if (report.interrupted) return; // Ctrl-C/SIGTERM: main says so and exits 130/143
      process.stdout.write(`\n${report.ok ? "PASSED" : "FAILED"} (${report.seconds.toFixed(0)} s) · report: ${opts.report}/summary.md, timeline: ${opts.report}/timeline-*.html\n`);
      process.exitCode = report.ok ? EXIT.ok : EXIT.failed;
    });

  program
    .command("docs")
    .description("print the step-kind reference of docs/scenario-format.md, made from the registries (--write: update the page)")
    .option("--write", "update docs/scenario-format.md")
    .action((opts) => {
      if (opts.write) process.stdout.write(writeReference() ? `updated ${FORMAT_DOC}\n` : `${FORMAT_DOC} is current\n`);
      else process.stdout.write(`${stepKindsReference()}\n`);
    });

  program
    .command("validate")
    .description("check scenario files against the schema without creating anything (for a lab of --size N; a file with its own size keeps it)")
    .argument("[scenarios...]", "names or paths (default: all)")
    .addOption(sizeOption())
    .addOption(managersOption())
    .addOption(replicasOption())
    .addOption(allowColocatedOption())
    .action(async (names: string[], opts) => {
      const size = resolveLabSize(sizeFrom(opts), labHostNames().length); // refused before any file is read
      for (const n of names.length ? names : allScenarioNames()) {
        const s = loadScenario(n, sizeFrom(opts));
        const own = s.labSize && !sameSize(s.labSize, size) ? `, ${describeSize(s.labSize)}` : "";
        process.stdout.write(`${s.file}: ok (${s.steps.length} steps, needs ${[s.needs].flat().join(" + ")}${own})\n`);
      }
    });
}
