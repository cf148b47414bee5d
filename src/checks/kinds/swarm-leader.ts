import { defineWait } from "../../context/step-kinds.js";
import { POLL_MS, waitFor } from "../../util/wait.js";
import { nodeList } from "../../steps/swarm.js";
import { reachableManager } from "../galera.js";
import { noteVisible } from "../../faults/recovery.js";
import { activeCauses } from "../../faults/active.js";

export default defineWait({
  name: "swarm-leader",
  doc: "a swarm Leader other than the one a `stop-leader` fault took away",
  teach: { en: "Ask the managers left until one of them is Leader.", zh: "等待剩下的管理节点之一成为 Leader。" },
  fields: {},
  async run(ctx, s) {
    const former = ctx.formerLeader ? ctx.lab.host(ctx.formerLeader).hostname : undefined;
    const rows = await waitFor(
      `a new swarm Leader${former ? ` other than ${former}` : ""}`,
      async () => nodeList(await reachableManager(ctx.lab)),
      (rows) => rows.some((r) => r.managerStatus === "Leader" && r.hostname !== former),
      { timeoutMs: s.timeout * 1000, intervalMs: POLL_MS, signal: ctx.signal },
      (rows) => rows.map((r) => `${r.hostname}:${r.status}/${r.managerStatus || "-"}`).join(" "),
    );
    const leader = rows.find((r) => r.managerStatus === "Leader")!.hostname;
    const seconds = noteVisible(ctx.recoveries, `swarm: new Leader ${leader.split(".")[0]}`, Date.now(), activeCauses(ctx));
    ctx.timeline.push({ at: new Date().toISOString(), what: `swarm elects ${leader}`, data: rows });
    return { faultVisibleSeconds: seconds, leader, formerLeader: former, nodes: rows.map((r) => `${r.hostname}:${r.status}/${r.managerStatus || "-"}`) };
  },
});
