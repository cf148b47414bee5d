import type { Command } from "commander";
import { runSession, allScenarioNames } from "../scenarios/session.js";
import { loadScenario } from "../scenarios/schema.js";
import { interruptSignal, EXIT } from "./main.js";

export function registerRunCommands(program: Command): void {
  program
    .command("run")
    .description("run scenarios against a fresh lab and write a report (exit 0 only when every check passed)")
    .argument("[scenarios...]", "scenario names (scenarios/<name>.yaml) or paths", [])
    .option("--all", "every scenario in scenarios/")
    .option("--report <dir>", "report folder", "reports/latest")
    .option("--keep", "leave the lab running afterwards")
    .option("--fresh", "a fresh lab for every scenario (by default a Galera scenario reuses the cluster the previous one left, after checking it)")
    .action(async (names: string[], opts, cmd: Command) => {
      const list = opts.all ? allScenarioNames() : names.length ? names : ["seed"];
      const report = await runSession(list, { name: cmd.optsWithGlobals().name, reportDir: opts.report, keep: Boolean(opts.keep), fresh: Boolean(opts.fresh), signal: interruptSignal() });
      process.stdout.write(`\n${report.ok ? "PASSED" : "FAILED"}: ${report.scenarios.map((s) => `${s.scenario} ${s.ok ? "✓" : "✗"}`).join(", ")}  (${report.seconds.toFixed(0)} s)\nreport: ${opts.report}/summary.md, report.json, junit.xml\n`);
      process.exitCode = report.ok ? EXIT.ok : EXIT.failed;
    });

  program
    .command("validate")
    .description("check scenario files against the schema without creating anything")
    .argument("[scenarios...]", "names or paths (default: all)")
    .action(async (names: string[]) => {
      for (const n of names.length ? names : allScenarioNames()) {
        const s = loadScenario(n);
        process.stdout.write(`${s.file}: ok (${s.steps.length} steps, needs ${s.needs})\n`);
      }
    });
}
