import { defineWait } from "../../context/step-kinds.js";
import { probeHttp } from "../probes.js";
import { httpFields } from "./probe-fields.js";
import { waitFor } from "../../util/wait.js";

export default defineWait({
  name: "http",
  doc: "GET `url` (from `on` or inside a task of `task`) answers with `status` and/or a body matching `body`; tried every second",
  fields: httpFields,
  run: (ctx, s) => waitFor(`GET ${s.url} to answer as expected`, () => probeHttp(ctx, s), () => true, { timeoutMs: s.timeout * 1000, intervalMs: 1000, signal: ctx.signal }),
});
