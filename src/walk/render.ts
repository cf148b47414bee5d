/**
 * What `swarmlab walk` prints for a step: its explanation, the exact command, the real output and,
 * beside it, what the walkthrough printed, with the parts that must differ marked. Pure: strings in,
 * strings out (colour only when asked).
 */
import Table from "cli-table3";
import { styleText } from "node:util";
import { checkKind, faultKindOf, stepTitle, waitKind, type Step } from "../scenarios/schema.js";
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

export function explanation(step: Step, lang: Lang): string | undefined {
  // What a wait, check or fault asks of the real lab when the scenario does not say more: from its declaration.
  const kind = "wait" in step ? waitKind(step.wait) : "check" in step ? checkKind(step.check) : "fault" in step ? faultKindOf(step.fault.kind) : undefined;
  const builtIn = kind ? (kind.teach?.[lang] ?? (lang === "en" ? kind.doc : undefined)) : undefined;
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
  else if ("chaos" in step) out.push(paint(o, "magenta", `chaos: ${JSON.stringify(step.chaos)}`));
  else if ("image" in step || "stack" in step || "copy" in step) out.push(paint(o, "cyan", stepTitle(step)));
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
