/** The steps that bring a user's own stack into the lab: image (build, push or load), stack, copy. */
import { resolve } from "node:path";
import type { RunContext, StepResult } from "../context/run-context.js";
import type { CopyStep, ImageStep, StackStep } from "./schema.js";
import { pushUserImages, loadUserImages } from "../steps/user-images.js";
import { registryAddress, registryUp } from "../steps/registry.js";
import { copyInto, deployStack } from "../steps/user-files.js";
import { reachableManager } from "../checks/galera.js";
import { run } from "../util/run.js";
import { LabError } from "../util/errors.js";

const userFile = (ctx: RunContext, p: string) => resolve(ctx.baseDir ?? ".", p);

export async function runUserStep(ctx: RunContext, step: ImageStep | StackStep | CopyStep, r: StepResult): Promise<Record<string, unknown>> {
  if ("image" in step) {
    const i = step.image;
    if (ctx.lab.provider.kind !== "dind") throw new LabError(`an image step builds on this machine's engine; lab ${ctx.lab.name} has ${ctx.lab.provider.kind} hosts`, { hint: "build the image where the hosts can reach it, then use `images push`" });
    const argv = ["docker", "build", "-t", i.tag, ...(i.dockerfile ? ["-f", userFile(ctx, i.dockerfile)] : []), userFile(ctx, i.build)];
    r.command = argv.join(" ");
    const built = await run(argv, { timeoutMs: 1_800_000, signal: ctx.signal });
    r.output = built.stdout.split("\n").slice(-3).join("\n");
    const note = (l: string) => ctx.progress.note(l);
    if (i.push) return { built: i.tag, pushed: await pushUserImages(ctx.lab, [i.tag], note) };
    return { built: i.tag, loaded: await loadUserImages(ctx.lab, [i.tag], note) };
  }
  if ("stack" in step) {
    const file = userFile(ctx, typeof step.stack === "string" ? step.stack : step.stack.file);
    const name = (typeof step.stack === "string" ? undefined : step.stack.name) ?? file.replace(/^.*\//, "").replace(/\.ya?ml$/, "");
    const manager = !step.on || step.on === "manager" ? await reachableManager(ctx.lab) : ctx.lab.host(step.on);
    // ${REGISTRY} in the stack file is the lab's registry when it runs.
    const env = { ...ctx.vars, ...(await registryUp(ctx.lab) ? { REGISTRY: registryAddress(ctx.lab) } : {}), ...(step.env ?? {}) };
    const d = await deployStack(manager, file, name, env, ctx.signal);
    r.command = d.command;
    r.host = manager.name;
    r.output = d.output;
    ctx.timeline.push({ at: new Date().toISOString(), what: `stack ${name} deployed` });
    return { stack: name, on: manager.name, env: Object.keys(env) };
  }
  const c = step.copy;
  const hosts = c.on === "all" ? ctx.lab.nodes : [ctx.lab.host(c.on)];
  return { copied: await copyInto(hosts, userFile(ctx, c.from), c.to, ctx.signal) };
}
