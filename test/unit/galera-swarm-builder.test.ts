/** The GaleraSwarm module's pure parts: the builder's refusals, fault specs, and the vitest matchers' messages. */
import { describe, expect, it, vi } from "vitest";
import { GaleraSwarm, GaleraSwarmConfigError, checkFaultSpec, labHosts } from "../../src/testcontainers/galera-swarm.js";
import { galeraMatchers, historyMessage, judgeHistory, syncedMessage, type MatchableSwarm } from "../../src/testcontainers/vitest.js";
import { LabError } from "../../src/util/errors.js";
import { ScenarioError } from "../../src/scenarios/schema.js";
import type { WriteOp } from "../../src/faults/history.js";
import type { MemberView } from "../../src/checks/conditions.js";

expect.extend(galeraMatchers);

/** The error a builder call throws (and that it throws one). */
function refusal(call: () => unknown): GaleraSwarmConfigError {
  try {
    call();
  } catch (err) {
    expect(err).toBeInstanceOf(GaleraSwarmConfigError);
    expect(err).toBeInstanceOf(LabError);
    return err as GaleraSwarmConfigError;
  }
  throw new Error("no error was thrown");
}

describe("GaleraSwarm's builder refuses what the lab cannot run, before anything starts", () => {
  const hosts = labHosts();

  it("reads the host count from docker-compose.dind.yml", () => {
    expect(hosts.length).toBeGreaterThanOrEqual(3);
    expect(hosts.slice(0, 3)).toEqual(["docker1", "docker2", "docker3"]);
  });

  it("0 hosts, more than the compose file's, or a fraction", () => {
    for (const n of [0, -1, hosts.length + 1, 2.5, Number.NaN]) {
      const e = refusal(() => new GaleraSwarm().withHosts(n));
      expect(e.setting).toBe("withHosts");
      expect(e.value).toBe(n);
      expect(e.allowed).toEqual(hosts.map((_, i) => String(i + 1)));
    }
    const e = refusal(() => new GaleraSwarm().withHosts(0));
    expect(e.message).toBe(`withHosts(0): a lab has 1 to ${hosts.length} hosts (docker-compose.dind.yml defines ${hosts.join(", ")}); allowed: ${hosts.map((_, i) => i + 1).join(", ")}`);
    expect(() => new GaleraSwarm().withHosts(hosts.length)).not.toThrow();
  });

  it("a profile that does not exist, with a suggestion", () => {
    const e = refusal(() => new GaleraSwarm().withProfile("tunde" as never));
    expect(e.message).toBe('withProfile("tunde"): not a profile; did you mean "tuned"?; allowed: walkthrough, tuned');
    expect(refusal(() => new GaleraSwarm().withProfile("fast" as never)).message).toBe('withProfile("fast"): not a profile; allowed: walkthrough, tuned');
    expect(() => new GaleraSwarm().withProfile("tuned")).not.toThrow();
  });

  it("an unknown scenario name, naming the scenarios", () => {
    const e = refusal(() => new GaleraSwarm().withScenario("sed"));
    expect(e.message).toMatch(/^withScenario\("sed"\): no such scenario; did you mean "seed"\?; allowed: seed, /);
    expect(e.allowed).toContain("partition-vxlan");
    expect(e.allowed.at(-1)).toBe("a scenario file's path");
    expect(() => new GaleraSwarm().withScenario("seed")).not.toThrow();
  });

  it("a lab name that is not one, and the CLI's default lab", () => {
    expect(refusal(() => new GaleraSwarm().withName("CI")).message).toMatch(/^withName\("CI"\): not a lab name; allowed: lower-case letters/);
    expect(refusal(() => new GaleraSwarm().withName("swarmlab")).message).toMatch(/^withName\("swarmlab"\): swarmlab is the CLI's default lab/);
    expect(() => new GaleraSwarm().withName("vitest-example")).not.toThrow();
  });

  it("the whole chain of the issue's example builds without touching an engine", () => {
    const signal = new AbortController().signal;
    expect(new GaleraSwarm().withHosts(3).withProfile("tuned").withScenario("seed").withName("ci").withSignal(signal)).toBeInstanceOf(GaleraSwarm);
  });
});

describe("fault specs are checked before anything changes", () => {
  it("an unknown kind names every kind", () => {
    const e = refusal(() => checkFaultSpec({ kind: "port", host: "docker3" }));
    expect(e.setting).toBe("fault");
    expect(e.message).toMatch(/^fault\("port"\): not a fault kind; did you mean "ports"\?; allowed: stop, .*\bports\b/);
    expect(e.allowed).toContain("split");
  });

  it("an unknown host is refused by LabDriver's validation (ScenarioError), naming the hosts", () => {
    let err: unknown;
    try {
      checkFaultSpec({ kind: "ports", host: "docker9", ports: ["4789/udp"] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ScenarioError);
    expect((err as Error).message).toMatch(/host: "docker9" is not a host of this lab \(docker1, docker2, docker3/);
  });

  it("a host of the lab that the swarm does not have (a smaller swarm)", () => {
    const e = refusal(() => checkFaultSpec({ kind: "ports", host: "docker3", ports: ["4789/udp"] }, ["docker1", "docker2"]));
    expect(e.message).toMatch(/host "docker3" is not a host of this swarm; allowed: docker1, docker2$/);
  });

  it("a good spec comes back parsed, defaults filled in", () => {
    expect(checkFaultSpec({ kind: "ports", host: "docker3", ports: ["4789/udp"] })).toEqual({ kind: "ports", host: "docker3", ports: ["4789/udp"], direction: "both" });
  });
});

const op = (id: string, outcome: WriteOp["outcome"] = "ok"): WriteOp => ({ id, member: "mysql-galera.1@docker1", outcome, at: 0 });
const synced = (n: number): MemberView[] =>
  Array.from({ length: n }, (_, i) => ({ member: `mysql-galera.${i + 1}@docker${i + 1}`, address: `10.0.1.${i + 3}`, size: n, status: "Primary", state: "Synced", ready: "ON", uuid: "u" }));

/** A stand-in for a StartedGaleraSwarm: its history, its members' rows, and a report that says where it went. */
function fakeSwarm(history: WriteOp[], rows: Record<string, string[]>, view: MemberView[] = synced(3)): MatchableSwarm & { report: ReturnType<typeof vi.fn> } {
  return {
    name: "vitest-example",
    history: () => history,
    writtenRows: async () => rows,
    members: async () => view,
    report: vi.fn(async () => ({ timeline: "/tmp/r/timeline-vitest-example.html", summary: "/tmp/r/summary.md" })),
  };
}

describe("toLoseNoAcknowledgedWrite", () => {
  it("passes when every acknowledged write is on every member, and writes no report", async () => {
    const s = fakeSwarm([op("a"), op("b"), op("c", "failed")], { m1: ["a", "b"], m2: ["b", "a"] });
    await expect(s).toLoseNoAcknowledgedWrite();
    expect(s.report).not.toHaveBeenCalled();
  });

  it("fails with the lost writes and points at the swarm's timeline page (report written first)", async () => {
    const s = fakeSwarm([op("a"), op("b")], { m1: ["a", "b"], m2: ["a"] });
    await expect(expect(s).toLoseNoAcknowledgedWrite()).rejects.toThrow(
      "expected no acknowledged write to be lost, but: 1 acknowledged writes lost: b (missing on m2); members hold different rows (m1: 2, m2: 1) (writes: 2 acknowledged, 0 failed, 0 unknown)\nsee /tmp/r/timeline-vitest-example.html",
    );
    expect(s.report).toHaveBeenCalledTimes(1);
  });

  it("fails when nothing was acknowledged: nothing was tested", async () => {
    await expect(expect(fakeSwarm([], { m1: [] })).toLoseNoAcknowledgedWrite()).rejects.toThrow(/the workload made no write: nothing was tested/);
  });

  it("points at the summary when the swarm has no timeline page yet, and says when the report failed", async () => {
    const s = fakeSwarm([op("a")], { m1: [] });
    s.report.mockResolvedValueOnce({ timeline: undefined, summary: "/tmp/r/summary.md" });
    await expect(expect(s).toLoseNoAcknowledgedWrite()).rejects.toThrow(/\nsee \/tmp\/r\/summary\.md$/);
    s.report.mockRejectedValueOnce(new Error("disk full"));
    await expect(expect(s).toLoseNoAcknowledgedWrite()).rejects.toThrow(/\n\(the report of swarm vitest-example could not be written: disk full\)$/);
  });

  it("judges { history, rows } without a swarm; refuses a history alone", async () => {
    await expect({ history: [op("a")], rows: { m1: ["a"], m2: ["a"] } }).toLoseNoAcknowledgedWrite();
    await expect(expect([op("a")]).toLoseNoAcknowledgedWrite()).rejects.toThrow(/takes a started GaleraSwarm or \{ history, rows \}, got a history alone/);
  });

  it(".not fails when nothing was lost, and says so", async () => {
    await expect(expect({ history: [op("a")], rows: { m1: ["a"] } }).not.toLoseNoAcknowledgedWrite()).rejects.toThrow(
      "expected an acknowledged write to be lost, but every acknowledged write is on every member (writes: 1 acknowledged, 0 failed, 0 unknown)",
    );
  });

  it("the pure message builder", () => {
    const judged = judgeHistory([op("a"), op("b", "unknown")], { m1: ["a", "x"] });
    expect(judged.pass).toBe(false);
    expect(historyMessage(false, judged, "\nsee d/timeline-n.html")).toBe(
      "expected no acknowledged write to be lost, but: 1 rows that were never written (writes: 1 acknowledged, 0 failed, 1 unknown)\nsee d/timeline-n.html",
    );
  });
});

describe("toBeSynced", () => {
  it("passes on a swarm whose members are Synced, and on a members() view", async () => {
    await expect(fakeSwarm([], {})).toBeSynced(3);
    await expect(synced(3)).toBeSynced(3);
  });

  it("fails with each member's state and the timeline page", async () => {
    const view = synced(3);
    view[2] = { ...view[2]!, status: "non-Primary", state: "Initialized", size: 1 };
    const s = fakeSwarm([], {}, view);
    await expect(expect(s).toBeSynced(3)).rejects.toThrow(
      "expected 3 members Synced in one Primary component of size 3, saw: mysql-galera.1@docker1:Primary/Synced/size 3 mysql-galera.2@docker2:Primary/Synced/size 3 mysql-galera.3@docker3:non-Primary/Initialized/size 1\nsee /tmp/r/timeline-vitest-example.html",
    );
    expect(syncedMessage(true, 2, [])).toBe("expected not 2 members Synced in one Primary component of size 2, saw: no running task");
  });
});
