import { z } from "zod";
import { defineFault } from "../../context/step-kinds.js";
import { host, serviceName } from "../../context/fields.js";
import { taskTargets } from "../task-target.js";
import { LabError } from "../../util/errors.js";

const BALLAST = ".swarmlab-ballast";

export default defineFault({
  name: "disk",
  doc: "fills the datadir of the Galera member on `host` to full with a ballast file (only where the datadir is a size-limited tmpfs, so the machine's own disk is never touched); heal removes the ballast",
  fields: {
    host,
    service: serviceName.optional(),
    datadir: z.string().regex(/^\/[A-Za-z0-9_./-]+$/).default("/var/lib/mysql").describe("an absolute path (default /var/lib/mysql)"),
  },
  async apply(ctx, s) {
    const [task] = await taskTargets(ctx, s.service, s.host);
    const t = task!;
    const h = ctx.lab.host(t.host);
    const mounts = await h.docker(["exec", t.container, "cat", "/proc/mounts"], { timeoutMs: 15_000 });
    const line = mounts.stdout.split("\n").find((l) => l.split(" ")[1] === s.datadir);
    const [, , fstype, options] = line?.split(" ") ?? [];
    if (fstype !== "tmpfs" || !/(^|,)size=/.test(options ?? "")) {
      throw new LabError(
        `the datadir ${s.datadir} of ${t.name} on ${t.host} is ${line ? `on ${fstype} (${options})` : "not a mount of its own"}: filling it would fill this machine's disk`,
        { hint: `deploy the service with its datadir on a size-limited tmpfs: --mount type=tmpfs,destination=${s.datadir},tmpfs-size=268435456` },
      );
    }
    const file = `${s.datadir}/${BALLAST}`;
    // dd stops with "No space left on device": that is the point.
    const fill = await h.docker(["exec", t.container, "sh", "-c", `dd if=/dev/zero of=${file} bs=1M 2>&1; df -k ${s.datadir} | tail -1`], { allowFailure: true, timeoutMs: 120_000 });
    return {
      target: s.host,
      route: `ballast ${file} in a ${options?.match(/size=(\w+)/)?.[1] ?? "?"} tmpfs`,
      details: { task: t.name, df: fill.stdout.split("\n").at(-1) },
      undo: async () => {
        await h.docker(["exec", t.container, "rm", "-f", file], { timeoutMs: 30_000 });
        return [`${t.host}: removed ${file} in ${t.name}`];
      },
    };
  },
  describe: (s) => `disk full ${s.host} ${s.datadir}`,
});
