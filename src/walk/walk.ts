/**
 * `swarmlab walk <scenario>`: the scenario one step at a time, for a class or a learner alone.
 * Before each step: why, and the exact command; the learner presses Enter; after it: the real
 * output beside the walkthrough's. The lab, the report and the cleanup are those of `run`.
 */
import { emitKeypressEvents } from "node:readline";
import { runSession } from "../scenarios/session.js";
import { loadScenario, stepTitle, type Step } from "../scenarios/schema.js";
import { Progress } from "../report/progress.js";
import type { RunReport } from "../report/report.js";
import { LabError } from "../util/errors.js";
import { colourOn } from "../util/colour.js";
import type { Profile } from "../scenarios/profile.js";
import type { SizeInput } from "../hosts/size.js";
import type { ImagesMode } from "../images/source.js";
import { explanation, labels, renderAfter, renderBefore, type Lang } from "./render.js";

export interface WalkOptions {
  lang: Lang;
  auto: boolean;
  reportDir: string;
  keep?: boolean;
  name?: string;
  signal?: AbortSignal;
  out?: NodeJS.WriteStream;
  input?: NodeJS.ReadStream;
  /** Pause from this step on (1-based); the steps before it run without pausing (to pick up where a walk stopped). */
  from?: number;
  /** Timers: the walkthrough's defaults or tuned. */
  profile?: Profile;
  /** Machines over SSH (an inventory) instead of docker-in-docker hosts. */
  inventory?: string;
  /** The lab's size, unless the scenario says its own (--size, --managers, --replicas). */
  size?: SizeInput;
  /** Where the images come from (--images local|upstream|auto). */
  images?: ImagesMode;
}

export interface WalkResult {
  report: RunReport;
  /** The learner pressed q before this step (0-based); undefined when the walk ran to its end. */
  stoppedBefore?: number;
  steps: number;
  stepTitles: string[];
}

type Key = "next" | "explain" | "auto" | "quit";

/** One key from a terminal, or one line from a pipe (empty line = Enter). */
function readKey(input: NodeJS.ReadStream): Promise<Key> {
  const map = (s: string): Key | undefined => {
    const k = s.trim().toLowerCase();
    if (k === "" || k === "\r" || k === "\n") return "next";
    if (k === "e" || k === "?") return "explain";
    if (k === "a") return "auto";
    if (k === "q") return "quit";
    return undefined;
  };
  return new Promise((resolve) => {
    if (input.isTTY) {
      emitKeypressEvents(input);
      input.setRawMode(true);
      input.resume();
      const onKey = (str: string | undefined, key: { name?: string; ctrl?: boolean }) => {
        if (key?.ctrl && key.name === "c") return finish("quit");
        const k = key?.name === "return" || key?.name === "enter" ? "next" : map(str ?? "x");
        if (k) finish(k);
      };
      const finish = (k: Key) => {
        input.off("keypress", onKey);
        input.setRawMode(false);
        input.pause();
        resolve(k);
      };
      input.on("keypress", onKey);
    } else {
      let buf = "";
      const onData = (d: Buffer) => {
        buf += d.toString();
        const nl = buf.indexOf("\n");
        if (nl < 0) return;
        input.off("data", onData);
        input.off("end", onEnd);
        input.pause();
        resolve(map(buf.slice(0, nl)) ?? "next");
      };
      // Input ended: nothing more will come, run the rest.
      const onEnd = () => resolve("auto");
      input.on("data", onData);
      input.once("end", onEnd);
      input.resume();
    }
  });
}

export async function walk(scenarioName: string, opts: WalkOptions): Promise<WalkResult> {
  const out = opts.out ?? process.stdout;
  const input = opts.input ?? process.stdin;
  const scenario = loadScenario(scenarioName, opts.size); // refuse a bad file before anything is made
  const L = labels(opts.lang);
  const render = { lang: opts.lang, width: out.columns ?? 120, colour: colourOn(out) };
  const progress = new Progress();
  const quit = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, quit.signal]) : quit.signal;
  let auto = opts.auto;
  const steps = scenario.steps;
  if (opts.from !== undefined && (!Number.isInteger(opts.from) || opts.from < 1 || opts.from > steps.length)) {
    throw new LabError(`--from ${opts.from}: ${scenario.name} has steps 1 to ${steps.length}`);
  }
  let stoppedBefore: number | undefined;
  const write = (s: string) => out.write(`${s}\n`);
  write(`\n${scenario.title}${scenario.description ? `\n\n${scenario.description.trim()}` : ""}\n`);
  const report = await runSession([scenario.file], {
    name: opts.name,
    reportDir: opts.reportDir,
    keep: opts.keep,
    profile: opts.profile,
    inventory: opts.inventory,
    size: opts.size,
    images: opts.images,
    progress,
    signal,
    hooks: {
      beforeStep: async (step: Step, index: number) => {
        progress.muted = true;
        write(`\n${renderBefore(step, stepTitle(step), index, steps.length, render)}`);
        while (!auto && index + 1 >= (opts.from ?? 1)) {
          write(L.keys);
          const k = await readKey(input);
          if (k === "next") break;
          if (k === "auto") auto = true;
          if (k === "quit") {
            stoppedBefore = index;
            quit.abort(new DOMException("stopped by the learner", "AbortError"));
            return;
          }
          if (k === "explain") write(explanation(step, opts.lang) ?? L.noExplain);
        }
      },
      afterStep: async (step: Step, r) => {
        write(renderAfter(step, r, render));
      },
    },
  });
  return { report, stoppedBefore, steps: steps.length, stepTitles: steps.map(stepTitle) };
}

/** What a learner who pressed q reads: where the walk stopped, how to pick up there, how to start over. */
export function stoppedMessage(scenario: string, r: WalkResult, kept: boolean): string {
  const n = (r.stoppedBefore ?? 0) + 1;
  const lines = [`Stopped before step ${n} of ${r.steps} (${r.stepTitles[n - 1]}).${kept ? " The lab is kept." : " The lab was removed."}`];
  if (n > 1) lines.push(`To pick up there: swarmlab walk ${scenario} --from ${n}   (steps 1-${n - 1} run again without pausing)`);
  lines.push(`To start over:    swarmlab walk ${scenario}`);
  return lines.join("\n");
}
