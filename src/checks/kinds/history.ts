import { defineCheck } from "../../context/step-kinds.js";
import { checkHistory } from "../history.js";

export default defineCheck({
  name: "history",
  doc: "the write workload's history: no acknowledged write lost, every member holds the same rows",
  fields: {},
  run: (ctx) => checkHistory(ctx),
});
