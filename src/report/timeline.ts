/**
 * A picture of one scenario run: a self-contained HTML page (vis-timeline inlined, no server, no
 * network) with rows for the steps, the faults, the write workload, each swarm node and each Galera
 * member. `timelineData` is pure; `timelineHtml` wraps it in the page.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { ScenarioResult } from "../context/run-context.js";

export interface TimelineGroup {
  id: string;
  content: string;
  order: number;
}

export interface TimelineItem {
  id: string;
  group: string;
  content: string;
  start: string;
  end?: string;
  type: "range" | "point" | "box";
  className: string;
  title?: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Consecutive samples with the same value become one range. */
function runs(points: Array<{ at: number; value: string | undefined }>, end: number): Array<{ start: number; end: number; value: string }> {
  const out: Array<{ start: number; end: number; value: string }> = [];
  for (const [i, p] of points.entries()) {
    if (p.value === undefined) continue;
    const last = out.at(-1);
    const next = points[i + 1]?.at ?? end;
    if (last && last.value === p.value && last.end >= p.at - 1) last.end = next;
    else out.push({ start: p.at, end: next, value: p.value });
  }
  return out;
}

function stateClass(value: string): string {
  if (/^Primary Synced/.test(value) || /^Ready/.test(value)) return "good";
  if (/unreachable|Down|Unknown|Disconnected/.test(value)) return "bad";
  return "warn"; // non-Primary, Joining, Donor...
}

export function timelineData(s: ScenarioResult): { groups: TimelineGroup[]; items: TimelineItem[]; start: string; end: string } {
  const t0 = Date.parse(s.startedAt);
  const tEnd = t0 + s.seconds * 1000;
  const groups: TimelineGroup[] = [
    { id: "steps", content: "steps", order: 0 },
    { id: "faults", content: "fault", order: 1 },
  ];
  const items: TimelineItem[] = [];
  for (const st of s.steps) {
    const start = Date.parse(st.startedAt);
    items.push({
      id: `step-${st.index}`,
      group: "steps",
      content: `${st.index + 1}. ${st.title}`,
      start: iso(start),
      end: iso(start + Math.max(st.seconds, 0.2) * 1000),
      type: "range",
      className: st.ok ? "step ok" : "step failed",
      title: st.error ?? st.command ?? st.title,
    });
  }
  // One row per fault: faults overlap (quorum-loss kills two hosts) and must not hide each other.
  for (const [i, r] of s.recoveries.entries()) {
    const group = i === 0 ? "faults" : `faults-${i}`;
    if (i > 0) groups.push({ id: group, content: `fault ${i + 1}`, order: 1 + i / 100 });
    items.push({ id: `fault-${i}`, group, content: r.fault, start: iso(r.startedAt), end: iso(r.healedAt ?? tEnd), type: "range", className: "fault", title: `fault ${r.fault}` });
    if (r.visibleSeconds !== undefined) {
      items.push({ id: `visible-${i}`, group, content: `visible: ${r.visibleBy ?? ""} (${r.visibleSeconds} s)`, start: iso(r.startedAt + r.visibleSeconds * 1000), type: "point", className: "visible" });
    }
    if (r.healedAt !== undefined) items.push({ id: `healed-${i}`, group, content: "healed", start: iso(r.healedAt), type: "point", className: "healed" });
    const synced = r.syncedAfterHealSeconds !== undefined && r.healedAt !== undefined ? r.healedAt + r.syncedAfterHealSeconds * 1000 : r.syncedAfterFaultSeconds !== undefined ? r.startedAt + r.syncedAfterFaultSeconds * 1000 : undefined;
    if (synced !== undefined) items.push({ id: `synced-${i}`, group, content: "all Synced", start: iso(synced), type: "point", className: "synced" });
  }
  if (s.writes.length) {
    groups.push({ id: "writes", content: "writes", order: 2 });
    for (const [i, b] of s.writes.entries()) {
      const cls = b.failed + b.unknown === 0 ? "good" : b.ok === 0 ? "bad" : "warn";
      items.push({ id: `writes-${i}`, group: "writes", content: `ok ${b.ok} · failed ${b.failed} · unknown ${b.unknown}`, start: iso(b.at), end: iso(b.at + 5000), type: "range", className: `writes ${cls}` });
    }
  }
  const hosts = [...new Set(s.samples.flatMap((x) => Object.keys(x.nodes)))].sort();
  for (const [hi, h] of hosts.entries()) {
    groups.push({ id: `node-${h}`, content: `swarm ${h}`, order: 10 + hi });
    const ranges = runs(
      s.samples.map((x) => ({ at: x.at, value: Object.keys(x.nodes).length ? x.nodes[h] ?? "absent" : undefined })),
      tEnd,
    );
    for (const [i, r] of ranges.entries()) {
      items.push({ id: `node-${h}-${i}`, group: `node-${h}`, content: r.value, start: iso(r.start), end: iso(r.end), type: "range", className: `state ${stateClass(r.value)}` });
    }
  }
  const members = [...new Set(s.samples.flatMap((x) => Object.keys(x.members)))].sort();
  for (const [mi, m] of members.entries()) {
    groups.push({ id: `member-${m}`, content: `galera ${m}`, order: 20 + mi });
    const ranges = runs(
      s.samples.map((x) => ({ at: x.at, value: x.members[m] })),
      tEnd,
    );
    for (const [i, r] of ranges.entries()) {
      items.push({ id: `member-${m}-${i}`, group: `member-${m}`, content: r.value, start: iso(r.start), end: iso(r.end), type: "range", className: `state ${stateClass(r.value)}` });
    }
  }
  // Where the Galera tasks ran: a marker whenever the set of tasks changes (a task moved).
  let lastTasks = "";
  groups.push({ id: "tasks", content: "tasks", order: 5 });
  for (const x of s.samples) {
    const now = [...x.tasks].sort().join(" ");
    if (now && now !== lastTasks) {
      items.push({ id: `tasks-${x.at}`, group: "tasks", content: now, start: iso(x.at), type: "point", className: "tasks" });
      lastTasks = now;
    }
  }
  return { groups, items, start: iso(t0), end: iso(tEnd) };
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

function visAssets(): { js: string; css: string } {
  const require = createRequire(import.meta.url);
  const js = readFileSync(require.resolve("vis-timeline/standalone/umd/vis-timeline-graph2d.min.js"), "utf8");
  const css = readFileSync(require.resolve("vis-timeline/styles/vis-timeline-graph2d.min.css"), "utf8");
  return { js, css };
}

export function timelineHtml(s: ScenarioResult): string {
  const data = timelineData(s);
  const { js, css } = visAssets();
  const rows = data.items
    .filter((i) => i.group !== "steps")
    .map((i) => `<tr class="${esc(i.className)}"><td>${esc(data.groups.find((g) => g.id === i.group)?.content ?? i.group)}</td><td>${esc(i.start.slice(11, 19))}</td><td>${esc(i.end ? i.end.slice(11, 19) : "")}</td><td>${esc(i.content)}</td></tr>`)
    .join("\n");
  const recovery = s.recoveries
    .map((r) => `<tr><td>${esc(r.fault)}</td><td>${r.visibleSeconds ?? "–"}</td><td>${esc(r.visibleBy ?? "–")}</td><td>${r.syncedAfterFaultSeconds ?? "–"}</td><td>${r.syncedAfterHealSeconds ?? "–"}</td></tr>`)
    .join("\n");
  // "</script" inside the inlined library or the data would end the script element early.
  const safe = (t: string) => t.replace(/<\/script/gi, "<\\/script");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>swarmlab: ${esc(s.scenario)} ${s.ok ? "passed" : "FAILED"}</title>
<style>${css}
body { font: 14px system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.3em; } .passed { color: #1a7f37; } .failed-title { color: #c62828; }
.vis-item.ok { background: #d7f0dc; border-color: #1a7f37; } .vis-item.failed { background: #f9d6d5; border-color: #c62828; }
.vis-item.fault { background: #f6c6ee; border-color: #9c27b0; } .vis-item.visible, .vis-item.healed, .vis-item.synced { border-color: #555; }
.vis-item.state.good, .vis-item.writes.good { background: #d7f0dc; border-color: #1a7f37; }
.vis-item.state.warn, .vis-item.writes.warn { background: #fff1c2; border-color: #b7791f; }
.vis-item.state.bad, .vis-item.writes.bad { background: #f9d6d5; border-color: #c62828; }
table { border-collapse: collapse; margin-top: 1em; } td, th { border: 1px solid #ccc; padding: 2px 6px; text-align: left; }
</style></head><body>
<h1>${esc(s.scenario)}: <span class="${s.ok ? "passed" : "failed-title"}">${s.ok ? "passed" : "FAILED"}</span></h1>
<p>${esc(s.title)}</p>
<p>Started ${esc(s.startedAt)}, ${s.seconds.toFixed(1)} s, ${s.steps.length} steps, ${s.recoveries.length} faults, ${s.samples.length} samples of swarm and Galera.</p>
<div id="timeline"></div>
${recovery ? `<h2>Recovery</h2><table id="recovery"><tr><th>fault</th><th>visible after (s)</th><th>shown by</th><th>all Synced after fault (s)</th><th>after heal (s)</th></tr>\n${recovery}</table>` : ""}
<h2>What happened</h2>
<table id="events"><tr><th>row</th><th>from</th><th>to</th><th>what</th></tr>
${rows}
</table>
<script>${safe(js)}</script>
<script>
const data = ${safe(JSON.stringify(data))};
new vis.Timeline(document.getElementById("timeline"), new vis.DataSet(data.items), new vis.DataSet(data.groups), {
  start: data.start, end: data.end, stack: false, groupOrder: "order", zoomKey: "ctrlKey", orientation: "top", tooltip: { followMouse: true },
});
</script>
</body></html>
`;
}
