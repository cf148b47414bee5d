/**
 * The bench's suiteSeconds: the integration suite's scenario list (src/scenarios/suite-list.ts) run
 * once as one session, as test/integration/scenarios.test.ts runs it (not the unit tests, not
 * vitest: the scenarios themselves), with each scenario's seconds. Pure: a session's report in,
 * the figures and the Markdown out.
 */
import type { RunReport } from "../report/report.js";

export interface BenchSuite {
  /** Wall seconds of the whole session: its labs, their seeds, every scenario, the reports, the removal. */
  seconds: number;
  ok: boolean;
  /** Stopped by Ctrl-C/SIGTERM before the end. */
  interrupted?: boolean;
  lab: string;
  reportDir: string;
  /** Each scenario as the session reported it, in order (a failed start state shows as "<name> (start state: seed)"). */
  scenarios: Array<{ scenario: string; seconds: number; ok: boolean }>;
  /** New labs and the seeds they start from, and the checks of a lab that is reused (the session's `setup`). */
  setupSeconds: number;
  /** How many new labs the session made. */
  labs: number;
  /** Scenarios of the list with no result of their own: the session stopped before them. */
  missing: string[];
}

const r1 = (x: number) => Math.round(x * 10) / 10;

export function benchSuite(report: Pick<RunReport, "ok" | "interrupted" | "scenarios" | "setup">, seconds: number, list: readonly string[], where: { lab: string; reportDir: string }): BenchSuite {
  const ran = new Set(report.scenarios.map((s) => s.scenario));
  return {
    seconds: r1(seconds),
    ok: report.ok,
    ...(report.interrupted ? { interrupted: true } : {}),
    lab: where.lab,
    reportDir: where.reportDir,
    scenarios: report.scenarios.map((s) => ({ scenario: s.scenario, seconds: r1(s.seconds), ok: s.ok })),
    setupSeconds: r1(report.setup.reduce((sum, s) => sum + s.seconds, 0)),
    labs: report.setup.filter((s) => /: lab \(/.test(s.title)).length,
    missing: list.filter((n) => !ran.has(n)),
  };
}

/** `suiteSeconds` of `bench --json`: the session's wall seconds when every scenario passed, else null. */
export function suiteSecondsOf(s: BenchSuite | undefined): number | null {
  return s?.ok ? s.seconds : null;
}

/** The Markdown section of the bench's .md: the total, the set-up, each scenario's seconds. */
export function suiteMarkdown(s: BenchSuite): string {
  const inScenarios = r1(s.scenarios.reduce((sum, x) => sum + x.seconds, 0));
  const verdict = s.ok ? "every scenario passed" : s.interrupted ? "INTERRUPTED" : `FAILED: ${s.scenarios.filter((x) => !x.ok).map((x) => x.scenario).join(", ") || "the session"}`;
  return [
    "## The integration suite's scenario list, once (`suiteSeconds`)",
    "",
    `\`suiteSeconds\`: **${s.seconds} s**${s.ok ? "" : " (not reported in --json: not every scenario passed)"}, the wall time of one session of ${s.scenarios.length} scenario(s) on the lab \`${s.lab}\` (the list of src/scenarios/suite-list.ts, which test/integration/scenarios.test.ts runs; not vitest, not the unit tests); ${verdict}. ${inScenarios} s in the scenarios themselves, ${s.setupSeconds} s of set-up (${s.labs} new lab(s) with their seed, and the checks of a lab that was reused), the rest reports and removal. Report: \`${s.reportDir}/summary.md\`.`,
    ...(s.missing.length ? ["", `Not run (the session stopped before them): ${s.missing.join(", ")}.`] : []),
    "",
    "| # | scenario (in the order they ran) | seconds | result |",
    "| --- | --- | --- | --- |",
    ...s.scenarios.map((x, i) => `| ${i + 1} | ${x.scenario} | ${x.seconds} | ${x.ok ? "✓" : "✗"} |`),
  ].join("\n");
}
