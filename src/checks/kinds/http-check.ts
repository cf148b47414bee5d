import { defineCheck } from "../../context/step-kinds.js";
import { probeHttp } from "../probes.js";
import { httpFields } from "./probe-fields.js";

export default defineCheck({
  name: "http",
  doc: "GET `url` from host `on` (default the manager) or from inside a task of service `task`: the answer has `status` and/or a body matching the regex `body`",
  fields: httpFields,
  run: (ctx, s) => probeHttp(ctx, s),
});
