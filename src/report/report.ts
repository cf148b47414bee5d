/** After a run: report.json, JUnit XML (a testcase per step and check) and a Markdown summary. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ScenarioResult } from "../context/run-context.js";
import { recoveryRows } from "../faults/recovery.js";
import { timelineHtml } from "./timeline.js";
import { summariseDetails } from "./details.js";
import { lostHostsMarkdown } from "../hosts/lost-host.js";
import { imagesSummary, type ImageSet } from "../images/source.js";

export interface RunReport {
  lab: string;
  /** timers: walkthrough defaults or tuned */
  profile?: string;
  ok: boolean;
  startedAt: string;
  seconds: number;
  scenarios: ScenarioResult[];
  setup: Array<{ title: string; seconds: number }>;
  /** Stopped by Ctrl-C/SIGTERM (or a learner's `q` in walk) before the end. */
  interrupted?: boolean;
  /** The last chaos step's schedule and figures (`chaos.schedule`), when a run had one. */
  chaos?: Record<string, unknown>;
  /**
   * Which images ran (--images): the mode and why, and for each image the name the commands used,
   * its image ID and where it came from (built here from Debian packages, or pulled from a registry).
   */
  images?: Pick<ImageSet, "asked" | "mode" | "why" | "images" | "baseOrigin">;
}

const xml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!).replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, "");

export function junitXml(report: RunReport): string {
  const suites = report.scenarios.map((s) => {
    const failures = s.steps.filter((x) => !x.ok).length;
    const cases = s.steps.map((x) => {
      const body = x.ok
        ? `<system-out>${xml((x.output ?? "").slice(0, 20000))}</system-out>`
        : `<failure message="${xml((x.error ?? "").split("\n")[0] ?? "")}">${xml(x.error ?? "")}</failure>`;
      return `    <testcase classname="${xml(`swarmlab.${s.scenario}`)}" name="${xml(`${String(x.index + 1).padStart(2, "0")} ${x.title}`)}" time="${x.seconds.toFixed(3)}">${body}</testcase>`;
    });
    // Steps never reached count as skipped so the suite shows the whole scenario.
    return `  <testsuite name="${xml(s.scenario)}" tests="${s.steps.length}" failures="${failures}" time="${s.seconds.toFixed(3)}" timestamp="${s.startedAt}">\n${cases.join("\n")}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="swarmlab" time="${report.seconds.toFixed(3)}">\n${suites.join("\n")}\n</testsuites>\n`;
}

/** The timeline page of a scenario, in the report folder. */
export const timelineFile = (scenario: string) => `timeline-${scenario.replace(/[^a-z0-9-]+/gi, "_")}.html`;

/** A chaos step: its figures, then its schedule as run (planned and actual times). */
function chaosSummary(c: Record<string, unknown>): string[] {
  const writes = (c.writes ?? {}) as Record<string, number>;
  const schedule = (c.schedule ?? []) as Array<{ index: number; fault: string; plannedStartSeconds: number; plannedHealSeconds: number; startedAtSeconds?: number; healedAtSeconds?: number; error?: string; skipped?: string }>;
  const n = (v?: number) => (v === undefined ? "-" : v.toFixed(1));
  return [
    `Chaos, seed ${String(c.seed)}: ${String(c.faultsInjected)} faults injected; writes ok ${writes.ok ?? 0}, failed ${writes.failed ?? 0}, unknown ${writes.unknown ?? 0}; longest unavailability ${n(c.longestUnavailableSeconds as number)} s; all Synced ${n(c.syncedAfterSeconds as number)} s after the last heal.`,
    "",
    "| # | fault | planned start–heal (s) | started | healed |",
    "| --- | --- | --- | --- | --- |",
    ...schedule.map((e) => `| ${e.index} | \`${e.fault}\` | ${e.plannedStartSeconds}–${e.plannedHealSeconds} | ${n(e.startedAtSeconds)} | ${e.error ? `✗ ${e.error}` : e.skipped ? `skipped: ${e.skipped}` : n(e.healedAtSeconds)} |`),
  ];
}

export function markdownSummary(report: RunReport): string {
  const out: string[] = [`# swarmlab run: ${report.ok ? "PASSED" : "FAILED"}`, "", `Lab \`${report.lab}\`${report.profile && report.profile !== "walkthrough" ? `, ${report.profile} profile` : ""}, started ${report.startedAt}, ${report.seconds.toFixed(1)} s.`, ""];
  if (report.images) out.push("## Images", "", ...imagesSummary(report.images), "");
  if (report.setup.length) {
    out.push("## Set-up", "", "| step | seconds |", "| --- | --- |", ...report.setup.map((s) => `| ${s.title} | ${s.seconds.toFixed(1)} |`), "");
  }
  for (const s of report.scenarios) {
    out.push(`## ${s.scenario}: ${s.ok ? "passed" : "FAILED"}`, "", s.title, "", `Timeline: [${timelineFile(s.scenario)}](${timelineFile(s.scenario)})`, "", "| # | step | result | seconds |", "| --- | --- | --- | --- |");
    for (const x of s.steps) out.push(`| ${x.index + 1} | ${x.title.replace(/\|/g, "\\|").replace(/\n/g, " ")} | ${x.ok ? "✓" : "✗"} | ${x.seconds.toFixed(1)} |`);
    out.push("");
    // The cluster addresses each task was given, and why Galera emptied them (gcomm-no-address).
    for (const x of s.steps.filter((y) => y.details && (Array.isArray(y.details.decisions) || Array.isArray(y.details.tasks)))) {
      const lines = summariseDetails(x.details);
      if (lines.length) out.push(`Step ${x.index + 1}, ${x.title}:`, "", ...lines.map((l) => `- \`${l.replace(/`/g, "'")}\``), "");
    }
    const changed = s.steps.filter((x) => x.changed);
    for (const x of changed) out.push(`- Changed by the runner in step ${x.index + 1}: ${x.changed}`);
    for (const n of s.notes) out.push(`- ${n}`);
    for (const x of s.steps.filter((y) => !y.ok)) out.push("", `### Failure in step ${x.index + 1}`, "", "```", x.error ?? "", "```");
    if (s.lostHosts?.length) out.push(...lostHostsMarkdown(s.lostHosts));
    if (Object.keys(s.figures).length) {
      out.push("", "| figure | value |", "| --- | --- |", ...Object.entries(s.figures).map(([k, v]) => `| ${k} | ${v.toFixed(1)} s |`));
    }
    if (s.recoveries?.length) out.push("", "Recovery:", "", ...recoveryRows(s.recoveries));
    if (s.chaos) out.push("", ...chaosSummary(s.chaos));
    out.push("");
  }
  return out.join("\n");
}

export function writeReport(dir: string, report: RunReport): string[] {
  mkdirSync(dir, { recursive: true });
  const files = [join(dir, "report.json"), join(dir, "junit.xml"), join(dir, "summary.md")];
  writeFileSync(files[0]!, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(files[1]!, junitXml(report));
  writeFileSync(files[2]!, `${markdownSummary(report)}\n`);
  // A picture per scenario; a broken picture must not cost the run its report.
  for (const s of report.scenarios) {
    if (!s.steps.length || s.scenario === "(session)") continue;
    const file = join(dir, timelineFile(s.scenario));
    try {
      writeFileSync(file, timelineHtml(s));
      files.push(file);
    } catch (err) {
      writeFileSync(file, `<!doctype html><p>timeline could not be drawn: ${String((err as Error).message)}</p>`);
    }
  }
  return files;
}
