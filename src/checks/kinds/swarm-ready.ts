import { defineWait } from "../../context/step-kinds.js";
import { members } from "../../context/fields.js";
import { waitSwarm } from "../conditions.js";

export default defineWait({
  name: "swarm-ready",
  doc: "`members` swarm nodes (default 3) Ready, one Leader",
  fields: { members: members.optional() },
  run: async (ctx, s) => ({ nodes: await waitSwarm(ctx, s.members ?? 3, s.timeout * 1000) }),
});
