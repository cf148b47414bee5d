import { defineCheck } from "../../context/step-kinds.js";
import { checkReplication } from "../conditions.js";

export default defineCheck({
  name: "replication",
  doc: "a row written through one member is read back from every other",
  fields: {},
  run: (ctx) => checkReplication(ctx),
});
