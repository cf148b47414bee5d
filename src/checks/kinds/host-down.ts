import { defineWait } from "../../context/step-kinds.js";
import { host } from "../../context/fields.js";
import { POLL_MS, waitFor } from "../../util/wait.js";
import { nodeList } from "../../steps/swarm.js";
import { reachableManager } from "../galera.js";
import { noteVisible } from "../../faults/recovery.js";
import { activeCauses } from "../../faults/active.js";
import { LabError } from "../../util/errors.js";

export default defineWait({
  name: "host-down",
  doc: "swarm marks `host` Down (default: the host the newest fault stopped); records when the fault became visible",
  teach: { en: "Ask a manager until swarm marks the stopped host Down.", zh: "等待 swarm 把停止的主机标记为 Down。" },
  fields: { host: host.optional() },
  async run(ctx, s) {
    const target = s.host ?? ctx.faults.active.flatMap((f) => [...f.stopped, ...f.paused]).at(-1);
    if (!target) throw new LabError("wait host-down names no host and no active fault has stopped or paused one");
    const hostname = ctx.lab.host(target).hostname;
    const rows = await waitFor(
      `swarm to mark ${target} Down`,
      async () => nodeList(await reachableManager(ctx.lab)),
      (rows) => rows.some((r) => r.hostname === hostname && r.status === "Down"),
      { timeoutMs: s.timeout * 1000, intervalMs: POLL_MS, signal: ctx.signal },
      (rows) => rows.map((r) => `${r.hostname}:${r.status}`).join(" "),
    );
    const seconds = noteVisible(ctx.recoveries, `swarm: ${target} Down`, Date.now(), activeCauses(ctx, target));
    ctx.timeline.push({ at: new Date().toISOString(), what: `swarm shows ${target} Down`, data: rows });
    return { faultVisibleSeconds: seconds, nodes: rows };
  },
});
