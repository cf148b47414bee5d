import { defineCheck } from "../../context/step-kinds.js";
import { members } from "../../context/fields.js";
import { checkGaleraHealth } from "../conditions.js";

export default defineCheck({
  name: "galera-health",
  doc: "`members` members (default 3), each Primary, Synced, ready, of that cluster size, one state UUID",
  fields: { members: members.optional() },
  run: (ctx, s) => checkGaleraHealth(ctx, s.members ?? 3),
});
