import { defineWait } from "../../context/step-kinds.js";
import { members } from "../../context/fields.js";
import { waitSwarm } from "../conditions.js";

export default defineWait({
  name: "swarm-ready",
  doc: "`members` swarm nodes (default ${HOSTS}) Ready, one Leader, as many managers as the lab has (the rest workers)",
  teach: { en: "Ask a manager's API until every node is Ready and every manager Reachable or Leader.", zh: "通过管理节点的 API 等待所有节点 Ready, 所有管理节点 Reachable 或 Leader。" },
  fields: { members: members.optional() },
  run: async (ctx, s) => ({ nodes: await waitSwarm(ctx, s.members ?? ctx.lab.nodes.length, s.timeout * 1000) }),
});
