import { defineCheck } from "../../context/step-kinds.js";
import { nodeList } from "../../steps/swarm.js";
import { reachableManager } from "../galera.js";
import { LabError } from "../../util/errors.js";

export default defineCheck({
  name: "swarm-roles",
  doc: "every manager Ready and reachable, one Leader, as many managers as the lab has (workers, with no manager status, are not judged), and a former leader (after `stop-leader`) back as a follower",
  teach: { en: "One Leader, every manager Ready; a former leader is back as a follower.", zh: "一个 Leader, 所有管理节点 Ready; 原 Leader 以跟随者身份回归。" },
  fields: {},
  async run(ctx) {
    const rows = await nodeList(await reachableManager(ctx.lab));
    const problems: string[] = [];
    const leaders = rows.filter((r) => r.managerStatus === "Leader");
    if (leaders.length !== 1) problems.push(`${leaders.length} Leaders`);
    // A worker's MANAGER STATUS is empty: it is no raft member, so its state says nothing of raft's.
    const managers = rows.filter((r) => r.managerStatus !== "");
    for (const r of managers) {
      if (r.status !== "Ready") problems.push(`${r.hostname} is ${r.status}`);
      if (!["Leader", "Reachable"].includes(r.managerStatus)) problems.push(`${r.hostname} manager status "${r.managerStatus}"`);
    }
    const expected = ctx.lab.hosts.managers;
    if (expected !== undefined && managers.length !== expected) problems.push(`${managers.length} managers, the lab has ${expected}`);
    const former = ctx.formerLeader ? ctx.lab.host(ctx.formerLeader).hostname : undefined;
    if (former && leaders[0]?.hostname === former) problems.push(`${former} is Leader again: expected it back as a follower`);
    const nodes = rows.map((r) => `${r.hostname}:${r.status}/${r.managerStatus || "-"}`);
    if (problems.length) throw new LabError(`swarm roles are not as expected: ${problems.join("; ")} (${nodes.join(" ")})`);
    return { leader: leaders[0]?.hostname, formerLeader: former, nodes };
  },
});
