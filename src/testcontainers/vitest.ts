/**
 * vitest helpers for failure tests on a GaleraSwarm (import "swarm-galera-lab/vitest"):
 *
 *   import { expect } from "vitest";
 *   import { galeraMatchers } from "swarm-galera-lab/vitest";
 *   expect.extend(galeraMatchers);
 *
 *   await expect(swarm).toLoseNoAcknowledgedWrite();   // reads every member's rows
 *   await expect(swarm).toBeSynced(3);
 *
 * The matchers are async (await them). When one fails on a swarm, the swarm's report is written
 * first and the message ends with `see <dir>/timeline-<name>.html`.
 *
 * This module never imports vitest at run time: a package installed from a path (file:../..) would
 * load a second copy of vitest, whose `expect` is not the test's. Hand `galeraMatchers` to your
 * own `expect.extend`.
 */
import type {} from "vitest";
import { checkWriteHistory, type HistoryVerdict, type WriteOp } from "../faults/history.js";
import { describeView, healthy, type MemberView } from "../checks/conditions.js";

/** What toLoseNoAcknowledgedWrite judges without a swarm: a history and the rows each member holds. */
export interface HistoryWithRows {
  history: WriteOp[];
  rows: Record<string, string[]>;
}

/** The parts of a StartedGaleraSwarm the matchers use (a test double can stand in). */
export interface MatchableSwarm {
  readonly name: string;
  history(): WriteOp[];
  writtenRows(): Promise<Record<string, string[]>>;
  members(): Promise<MemberView[]>;
  report(dir?: string): Promise<{ timeline?: string; summary: string }>;
}

/** What vitest hands a matcher as `this` (only what is used here; isNot is undefined without .not). */
interface MatcherContext {
  isNot?: boolean;
}

export interface MatcherResult {
  pass: boolean;
  message: () => string;
}

const isSwarm = (v: unknown): v is MatchableSwarm =>
  typeof v === "object" && v !== null && typeof (v as MatchableSwarm).history === "function" && typeof (v as MatchableSwarm).report === "function";

const isHistoryWithRows = (v: unknown): v is HistoryWithRows =>
  typeof v === "object" && v !== null && Array.isArray((v as HistoryWithRows).history) && typeof (v as HistoryWithRows).rows === "object" && (v as HistoryWithRows).rows !== null;

/** Where to look after a failure: the swarm's timeline page (its report is written now). */
async function seeReport(swarm: MatchableSwarm | undefined): Promise<string> {
  if (!swarm) return "";
  try {
    const r = await swarm.report();
    return `\nsee ${r.timeline ?? r.summary}`;
  } catch (err) {
    return `\n(the report of swarm ${swarm.name} could not be written: ${(err as Error).message.split("\n")[0]})`;
  }
}

/**
 * The verdict as a matcher sees it: no acknowledged write lost (nor duplicated, invented, or held by
 * one member and not another), and at least one acknowledged write, or nothing was tested. Pure.
 */
export function judgeHistory(history: WriteOp[], rows: Record<string, string[]>): { pass: boolean; verdict: HistoryVerdict; problems: string[] } {
  const verdict = checkWriteHistory(history, rows);
  const problems = [...verdict.problems];
  if (verdict.counts.ok === 0) problems.push(history.length ? "no write was acknowledged: nothing was tested" : "the workload made no write: nothing was tested (fault(spec, { workload: true }) starts it)");
  return { pass: problems.length === 0, verdict, problems };
}

/** The failure message of toLoseNoAcknowledgedWrite. Pure. */
export function historyMessage(isNot: boolean, judged: ReturnType<typeof judgeHistory>, see = ""): string {
  const { counts } = judged.verdict;
  const writes = `writes: ${counts.ok} acknowledged, ${counts.failed} failed, ${counts.unknown} unknown`;
  if (isNot) return `expected an acknowledged write to be lost, but every acknowledged write is on every member (${writes})${see}`;
  return `expected no acknowledged write to be lost, but: ${judged.problems.join("; ")} (${writes})${see}`;
}

/** The failure message of toBeSynced. Pure. */
export function syncedMessage(isNot: boolean, n: number, view: MemberView[], see = ""): string {
  const want = `${n} members Synced in one Primary component of size ${n}`;
  return `expected ${isNot ? "not " : ""}${want}, saw: ${describeView(view)}${see}`;
}

async function toLoseNoAcknowledgedWrite(this: MatcherContext, received: unknown): Promise<MatcherResult> {
  const isNot = Boolean(this.isNot);
  let history: WriteOp[];
  let rows: Record<string, string[]>;
  const swarm = isSwarm(received) ? received : undefined;
  if (swarm) {
    history = swarm.history();
    try {
      rows = await swarm.writtenRows();
    } catch (err) {
      const message = `could not read the members' rows of swarm ${swarm.name}: ${(err as Error).message.split("\n")[0]}${await seeReport(swarm)}`;
      return { pass: isNot, message: () => message };
    }
  } else if (isHistoryWithRows(received)) {
    ({ history, rows } = received);
  } else {
    const what = Array.isArray(received) ? "a history alone (it cannot be judged without the rows each member holds)" : typeof received;
    const message = `toLoseNoAcknowledgedWrite takes a started GaleraSwarm or { history, rows }, got ${what}`;
    return { pass: isNot, message: () => message };
  }
  const judged = judgeHistory(history, rows);
  // A failing assertion (pass when .not, or fail without it) writes the swarm's report first.
  const see = judged.pass === isNot ? await seeReport(swarm) : "";
  return { pass: judged.pass, message: () => historyMessage(isNot, judged, see) };
}

async function toBeSynced(this: MatcherContext, received: unknown, n: number): Promise<MatcherResult> {
  const isNot = Boolean(this.isNot);
  const swarm = isSwarm(received) ? received : undefined;
  let view: MemberView[];
  if (swarm) view = await swarm.members();
  else if (Array.isArray(received)) view = received as MemberView[];
  else {
    const message = `toBeSynced takes a started GaleraSwarm or its members() view, got ${typeof received}`;
    return { pass: isNot, message: () => message };
  }
  const pass = healthy(view, n);
  const see = pass === isNot ? await seeReport(swarm) : "";
  return { pass, message: () => syncedMessage(isNot, n, view, see) };
}

/** Hand to `expect.extend(galeraMatchers)` (in a test file or a vitest setup file). */
export const galeraMatchers = { toLoseNoAcknowledgedWrite, toBeSynced };

export interface GaleraMatchers<R = unknown> {
  /** Every acknowledged write of the workload is on every member (none lost, twice, invented). Await it. */
  toLoseNoAcknowledgedWrite(): Promise<R>;
  /** `n` members Synced in one Primary component of size n. Await it. */
  toBeSynced(n: number): Promise<R>;
}

// Types only: `expect(swarm).toBeSynced(3)` type-checks once this module is imported.
declare module "vitest" {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any, @typescript-eslint/no-empty-object-type
  interface Assertion<T = any> extends GaleraMatchers<T> {}
}

export { GaleraSwarm, StartedGaleraSwarm, GaleraSwarmConfigError } from "./galera-swarm.js";
