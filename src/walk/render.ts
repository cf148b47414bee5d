/**
 * What `swarmlab walk` prints for a step: its explanation, the exact command, the real output and,
 * beside it, what the walkthrough printed, with the parts that must differ marked. Pure: strings in,
 * strings out (colour only when asked).
 */
import Table from "cli-table3";
import { styleText } from "node:util";
import type { Step } from "../scenarios/schema.js";
import type { StepResult } from "../context/run-context.js";
import { compareOutputs } from "./compare.js";
import { summariseDetails } from "../report/details.js";

export type Lang = "en" | "zh";

const LABELS = {
  en: {
    step: "Step",
    on: "on",
    explain: "Why",
    noExplain: "(no explanation in the scenario)",
    changed: "Changed by the lab",
    real: "This run",
    walkthrough: "The walkthrough printed",
    same: "Same as the walkthrough.",
    sameBut: "Same as the walkthrough but for the parts that differ on every run",
    differs: "Differs from the walkthrough",
    noOutput: "(no output)",
    failed: "FAILED",
    passed: "ok",
    keys: "Enter: run it · e: explain again · a: run the rest without stopping · q: quit",
    next: "Enter: next step · e: explain again · a: run the rest without stopping · q: quit",
    details: "Found",
    only: "only here",
    onlyW: "only in the walkthrough",
  },
  zh: {
    step: "步骤",
    on: "在",
    explain: "说明",
    noExplain: "(场景中没有中文说明)",
    changed: "实验环境做的改动",
    real: "本次输出",
    walkthrough: "原文输出",
    same: "与原文一致。",
    sameBut: "与原文一致, 仅每次运行必然不同的部分不同",
    differs: "与原文不同",
    noOutput: "(无输出)",
    failed: "失败",
    passed: "完成",
    keys: "回车: 执行 · e: 再看说明 · a: 自动运行其余步骤 · q: 退出",
    next: "回车: 下一步 · e: 再看说明 · a: 自动运行其余步骤 · q: 退出",
    details: "结果",
    only: "仅本次",
    onlyW: "仅原文",
  },
} as const;

export function labels(lang: Lang) {
  return LABELS[lang];
}

export interface RenderOptions {
  lang: Lang;
  width: number;
  colour: boolean;
}

const paint = (o: RenderOptions, style: Parameters<typeof styleText>[0], s: string) => (o.colour ? styleText(style, s) : s);

/** What a wait or check asks of the real lab, when the scenario does not say more. */
const BUILT_IN: Record<string, { en: string; zh: string }> = {
  "swarm-ready": { en: "Ask a manager's API until every node is Ready and every manager Reachable or Leader.", zh: "通过管理节点的 API 等待所有节点 Ready, 所有管理节点 Reachable 或 Leader。" },
  "swarm-leader": { en: "Ask the managers left until one of them is Leader.", zh: "等待剩下的管理节点之一成为 Leader。" },
  "service-running": { en: "Ask swarm until the service's tasks are running.", zh: "等待服务的任务处于运行状态。" },
  "galera-synced": { en: "Connect to every member with mysql2 until all are Synced in one Primary component of the expected size.", zh: "用 mysql2 连接每个成员, 直到全部 Synced 且在同一个 Primary 组件中。" },
  "galera-degraded": { en: "Connect to every member with mysql2 until the split shows: the majority Primary, the rest not.", zh: "用 mysql2 连接每个成员, 直到看到分裂: 多数为 Primary, 其余不是。" },
  "host-down": { en: "Ask a manager until swarm marks the stopped host Down.", zh: "等待 swarm 把停止的主机标记为 Down。" },
  "task-log": { en: "Read the tasks' own container logs until Galera prints the line.", zh: "读取任务容器自己的日志, 直到 Galera 打印出这一行。" },
  "swarm-roles": { en: "One Leader, every manager Ready; a former leader is back as a follower.", zh: "一个 Leader, 所有管理节点 Ready; 原 Leader 以跟随者身份回归。" },
  "service-spread": { en: "Three running tasks on three different hosts, and `docker service ls` says 3/3.", zh: "三个任务运行在三台不同的主机上, docker service ls 显示 3/3。" },
  "galera-health": { en: "Every member: cluster size, Primary, Synced, ready, one state UUID (through mysql2).", zh: "每个成员: 集群大小, Primary, Synced, ready, 同一个状态 UUID (通过 mysql2)。" },
  "cluster-address": { en: "Every member's wsrep_cluster_address: current overlay addresses, no duplicates, no ingress address.", zh: "每个成员的 wsrep_cluster_address: 当前的 overlay 地址, 无重复, 无 ingress 地址。" },
  replication: { en: "A row written through one member is read back from the others.", zh: "通过一个成员写入一行, 在其他成员上读回。" },
  history: { en: "Every acknowledged write of the workload is on every member, none twice, none invented.", zh: "负载中每个已确认的写入都在每个成员上, 无重复, 无凭空出现的行。" },
  "no-address-explained": { en: "Which of Galera's rules removed each address it was given, read from the task's own log.", zh: "从任务日志中读出 Galera 的哪条规则移除了每个地址。" },
  discovery: { en: "The cluster address each task's discovery chose, judged like wsrep_cluster_address.", zh: "每个任务的发现逻辑选出的集群地址, 按 wsrep_cluster_address 的规则判断。" },
};

export function explanation(step: Step, lang: Lang): string | undefined {
  const kind = "wait" in step ? step.wait : "check" in step ? step.check : undefined;
  const builtIn = kind ? BUILT_IN[kind]?.[lang] : undefined;
  if (lang === "zh") return step.explain_zh ?? builtIn ?? (step.explain ? `${LABELS.zh.noExplain} ${step.explain}` : undefined);
  return step.explain ?? builtIn;
}

/** Header, explanation and command: what the learner reads before the step runs. */
export function renderBefore(step: Step, title: string, index: number, total: number, o: RenderOptions): string {
  const L = LABELS[o.lang];
  const out = [paint(o, "bold", `── ${L.step} ${index + 1}/${total} · ${title} `.padEnd(Math.min(o.width, 100), "─"))];
  const why = explanation(step, o.lang);
  out.push(`${L.explain}: ${why ?? L.noExplain}`);
  if ("run" in step) out.push(paint(o, "cyan", `$ ${step.run.trim().split("\n").join("\n  ")}`) + `   (${L.on} ${step.on})`);
  else if ("fault" in step) out.push(paint(o, "magenta", `fault: ${JSON.stringify(step.fault)}`));
  else if ("wait" in step) out.push(`wait: ${step.wait}${step.members !== undefined ? ` (${step.members})` : ""}${step.service ? ` ${step.service}` : ""}, at most ${step.timeout} s`);
  else if ("check" in step) out.push(`check: ${step.check}${step.service ? ` ${step.service}` : ""}`);
  else out.push(`heal: ${step.heal}`);
  return out.join("\n");
}

/** After the step: real output beside the walkthrough's, or what the step found. */
export function renderAfter(step: Step, r: StepResult, o: RenderOptions): string {
  const L = LABELS[o.lang];
  const out: string[] = [];
  if (r.changed) out.push(paint(o, "yellow", `${L.changed}: ${r.changed}`));
  if ("run" in step) {
    const real = (r.output ?? "").trim();
    const walk = (step.walkthrough ?? "").trim();
    if (walk) {
      const cmp = compareOutputs(real, walk);
      const col = Math.max(20, Math.floor((o.width - 7) / 2));
      const table = new Table({ head: [L.real, L.walkthrough], colWidths: [col, col], wordWrap: true, style: { head: [], border: [] } });
      for (const l of cmp.lines) {
        if (l.kind === "same") table.push([l.real.trim() + (l.volatile.length ? paint(o, "dim", `  ‹${l.volatile.join(", ")}›`) : ""), l.walkthrough.trim()]);
        else if (l.kind === "added") table.push([paint(o, "green", `+ ${l.real.trim()}`), ""]);
        else table.push(["", paint(o, "red", `- ${l.walkthrough.trim()}`)]);
      }
      out.push(table.toString());
      const volatile = [...new Set(cmp.lines.flatMap((l) => (l.kind === "same" ? l.volatile : [])))];
      if (cmp.equivalent) out.push(volatile.length ? `${L.sameBut} (${volatile.join(", ")}).` : L.same);
      else out.push(paint(o, "yellow", `${L.differs}:\n${cmp.differences.map((d) => `  · ${d.replace("only here", L.only).replace("only in the walkthrough", L.onlyW)}`).join("\n")}`));
    } else {
      out.push(real ? real : L.noOutput);
    }
  } else {
    const found = summariseDetails(r.details);
    if (found.length) out.push(`${L.details}:\n${found.map((f) => `  ${f}`).join("\n")}`);
  }
  out.push(r.ok ? paint(o, "green", `✓ ${L.passed} (${r.seconds.toFixed(1)} s)`) : paint(o, "red", `✗ ${L.failed} (${r.seconds.toFixed(1)} s)\n${r.error ?? ""}`));
  return out.join("\n");
}
