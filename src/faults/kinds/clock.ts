import { z } from "zod";
import { defineFault } from "../../context/step-kinds.js";
import { host, serviceName } from "../../context/fields.js";
import { taskTargets, type TaskTarget } from "../task-target.js";
import type { RunContext } from "../../context/run-context.js";
import { LabError } from "../../util/errors.js";

/** The control file the galera image's mariadbd reads through libfaketime (see src/discovery/entrypoint.ts). */
const FAKETIME_FILE = "/run/swarmlab/faketime";

/** libfaketime's control syntax: "+300" (an offset in seconds), "+0 x2" (the clock runs twice as fast). */
export function faketimeSpec(offsetSeconds: number, rate?: number): string {
  const off = `${offsetSeconds >= 0 ? "+" : ""}${offsetSeconds}`;
  return rate !== undefined && rate !== 1 ? `${off} x${rate}` : off;
}

async function writeClock(ctx: RunContext, t: TaskTarget, spec: string): Promise<void> {
  await ctx.lab.host(t.host).docker(["exec", t.container, "sh", "-c", `test -f ${FAKETIME_FILE} && printf '%s\\n' '${spec}' > ${FAKETIME_FILE}`], { timeoutMs: 15_000 });
}

/** docker exec into a container that no longer runs: "No such container", "is not running", or (a stopped host) no engine. */
export function taskGone(err: unknown): boolean {
  return /No such container|is not running|is paused|Cannot connect to the Docker daemon/i.test(String((err as Error)?.message ?? err));
}

/** What the member itself says the time is, against the lab's real time. */
async function memberSkew(ctx: RunContext, t: TaskTarget): Promise<number> {
  const r = await ctx.lab.host(t.host).docker(["exec", t.container, "mariadb", "-uroot", "--protocol=socket", "-N", "-B", "-e", "SELECT UNIX_TIMESTAMP(NOW(6))"], { allowFailure: true, timeoutMs: 15_000 });
  const at = Number(r.stdout.trim());
  return Number.isFinite(at) && at > 0 ? Math.round(at - Date.now() / 1000) : NaN;
}

export default defineFault({
  name: "clock",
  doc: "skews the wall clock of the Galera member on `host` by `offset_seconds`, runs it at `rate` (2 = twice as fast), or strobes between skewed and real every `strobe_seconds` (libfaketime in the galera image; the machine's clock is never touched); heal brings it back to real time",
  fields: {
    host,
    service: serviceName.optional(),
    offset_seconds: z.number().int().min(-864_000).max(864_000).default(0).describe("-864000..864000 s (default 0)"),
    rate: z.number().gt(0).max(100).optional().describe("above 0 up to 100 (1 = real speed)"),
    strobe_seconds: z.number().int().min(1).max(3600).optional().describe("1-3600 s"),
  },
  needsLabImage: "it skews mariadbd's clock through libfaketime, which the lab's swarmlab/galera image runs it under (the walkthrough's percona/percona-xtradb-cluster has no such control file)",
  check: (s) =>
    !s.offset_seconds && (s.rate === undefined || s.rate === 1)
      ? [{ field: "offset_seconds", message: "a clock fault needs offset_seconds other than 0 or a rate other than 1" }]
      : [],
  async apply(ctx, s) {
    const [task] = await taskTargets(ctx, s.service, s.host);
    const t = task!;
    const probe = await ctx.lab.host(t.host).docker(["exec", t.container, "test", "-f", FAKETIME_FILE], { allowFailure: true, timeoutMs: 15_000 });
    if (probe.exitCode !== 0) {
      throw new LabError(`task ${t.name} on ${t.host} has no clock control file ${FAKETIME_FILE}: its image does not run mariadbd under the lab's libfaketime`, {
        hint: "the clock fault works on the lab's swarmlab/galera image (--images local, not with SWARMLAB_FAKETIME=off)",
      });
    }
    const spec = faketimeSpec(s.offset_seconds, s.rate);
    await writeClock(ctx, t, spec);
    let strobe: { stop(): void } | undefined;
    if (s.strobe_seconds) {
      // Strobe: skewed, real, skewed... driven from here (not from the host) so heal ends it exactly.
      let skewed = true;
      const timer = setInterval(() => {
        skewed = !skewed;
        void writeClock(ctx, t, skewed ? spec : "+0").catch(() => {});
      }, s.strobe_seconds * 1000);
      strobe = { stop: () => clearInterval(timer) };
    }
    // libfaketime rereads the file every second.
    await new Promise((r) => setTimeout(r, 1500));
    const skew = await memberSkew(ctx, t);
    return {
      target: s.host,
      route: `libfaketime control file ${FAKETIME_FILE} in ${t.name}: "${spec}"${s.strobe_seconds ? `, strobing every ${s.strobe_seconds} s` : ""}`,
      details: { task: t.name, faketime: spec, memberSecondsAhead: skew },
      undo: async () => {
        strobe?.stop();
        // The task may have ended meanwhile (its host stopped or restarted, or its container on the
        // way out with its files gone): its skewed clock went with it, nothing is left to restore.
        const gone = [`${t.host}: ${t.name} has ended (${t.container.slice(0, 12)}): its skewed clock went with it`];
        try {
          const r = await ctx.lab.host(t.host).docker(["exec", t.container, "sh", "-c", `if [ -f ${FAKETIME_FILE} ]; then printf '%s\\n' '+0' > ${FAKETIME_FILE} && echo restored; else echo no-control-file; fi`], { timeoutMs: 15_000 });
          if (!r.stdout.includes("restored")) return gone;
        } catch (err) {
          if (taskGone(err)) return gone;
          throw err;
        }
        return [`${t.host}: ${t.name} back to real time ("+0" in ${FAKETIME_FILE})`];
      },
    };
  },
  describe: (s) => `clock ${s.host} ${faketimeSpec(s.offset_seconds, s.rate)}${s.strobe_seconds ? ` strobe ${s.strobe_seconds}s` : ""}`,
});
