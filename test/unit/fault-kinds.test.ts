import { describe, expect, it } from "vitest";
import { parseScenario, type ScenarioError } from "../../src/scenarios/schema.js";
import { iptablesArgv } from "../../src/faults/grudge.js";
import { faketimeSpec } from "../../src/faults/kinds/clock.js";
import { delayerArgv } from "../../src/faults/delayer.js";
import { longestUnavailable, parseDuration, planChaos, DEFAULT_CHAOS_FAULTS } from "../../src/faults/chaos.js";
import { riskyCapsIn, verdicts, type DoctorFacts } from "../../src/checks/doctor.js";

const head = "name: x\ntitle: t\nneeds: galera\nsteps:\n";
const problems = (body: string) => {
  try {
    parseScenario(head + body, "f.yaml");
  } catch (e) {
    return (e as ScenarioError).problems.map((p) => `${p.line}: ${p.path}: ${p.message}`);
  }
  return [];
};

describe("the new fault kinds refuse impossible values before anything starts", () => {
  it("link: negative delay, loss over 100 %, a peer that is the host, jitter above delay, nothing to do", () => {
    expect(problems("  - fault: { kind: link, host: docker1, delay_ms: -5, loss: 150 }\n")).toEqual([
      "5: steps.0.fault.delay_ms: -5 is below the minimum 0",
      "5: steps.0.fault.loss: 150 is above the maximum 100",
    ]);
    expect(problems("  - fault: { kind: link, host: docker1, delay_ms: 50, jitter_ms: 80, peers: [docker1] }\n")).toEqual([
      "5: steps.0.fault.jitter_ms: 80 is more than delay_ms 50: a packet cannot leave before it was sent",
      '5: steps.0.fault.peers: "docker1" is the faulty host itself',
    ]);
    expect(problems("  - fault: { kind: link, host: docker1 }\n")[0]).toMatch(/needs at least one of delay_ms, jitter_ms, loss/);
    expect(problems("  - fault: { kind: link, host: docker7, loss: 5 }\n")).toEqual(['5: steps.0.fault.host: "docker7" is not a host of this lab (docker1, docker2, docker3)']);
    expect(problems("  - fault: { kind: link, host: docker1, delay_ms: 200, jitter_ms: 20, loss: 10, duplicate: 1, corrupt: 1, rate_kbit: 512, peers: [docker2], ports: [\"4567/tcp\"] }\n")).toEqual([]);
  });
  it("dns: delay needs delay_ms, drop takes none", () => {
    expect(problems("  - fault: { kind: dns, mode: delay }\n")).toEqual(["5: steps.0.fault.delay_ms: mode delay needs delay_ms (how late each answer comes, 1-60000 ms)"]);
    expect(problems("  - fault: { kind: dns, mode: drop, delay_ms: 5 }\n")[0]).toMatch(/mode drop sends no answer at all/);
    expect(problems("  - fault: { kind: dns, host: docker2, mode: dorp }\n")[0]).toMatch(/"dorp" is not allowed \(drop, delay\); did you mean "drop"\?/);
  });
  it("mtu, process, clock and disk", () => {
    expect(problems("  - fault: { kind: mtu, host: docker3, mtu: 1500 }\n")).toEqual(["5: steps.0.fault.mtu: 1500 is above the maximum 1499"]);
    expect(problems("  - fault: { kind: process, host: docker3, signal: HUP }\n")[0]).toMatch(/"HUP" is not allowed \(STOP, KILL, TERM\)/);
    expect(problems("  - fault: { kind: clock, host: docker3 }\n")[0]).toMatch(/needs offset_seconds other than 0 or a rate other than 1/);
    expect(problems("  - fault: { kind: clock, host: docker3, offset_seconds: 300, strobe_seconds: 10 }\n")).toEqual([]);
    expect(problems("  - fault: { kind: disk, host: docker3, datadir: relative/path }\n")[0]).toMatch(/datadir: "relative\/path" is not allowed/);
  });
});

describe("how the faults are carried out (pure parts)", () => {
  it("iptables rules in another table or inside a task's network namespace", () => {
    const tag = ["-m", "comment", "--comment", "swarmlab"];
    expect(iptablesArgv({ host: "docker1", spec: ["OUTPUT", "-j", "DROP"] }, "add")).toEqual(["iptables", "-w", "5", "-I", "OUTPUT", "-j", "DROP", ...tag]);
    expect(iptablesArgv({ host: "docker1", table: "mangle", spec: ["POSTROUTING", "-j", "TEE", "--gateway", "1.2.3.4"] }, "delete")).toEqual(["iptables", "-w", "5", "-t", "mangle", "-D", "POSTROUTING", "-j", "TEE", "--gateway", "1.2.3.4", ...tag]);
    expect(iptablesArgv({ host: "docker1", netnsPid: 4242, spec: ["OUTPUT", "-d", "127.0.0.11", "-j", "DROP"] }, "add").slice(0, 5)).toEqual(["nsenter", "-t", "4242", "-n", "iptables"]);
  });
  it("libfaketime's control syntax and the delayer's command line", () => {
    expect(faketimeSpec(300)).toBe("+300");
    expect(faketimeSpec(-120)).toBe("-120");
    expect(faketimeSpec(0, 2)).toBe("+0 x2");
    expect(delayerArgv({ queue: 7, delayMs: 200, jitterMs: 20, netnsPid: 9 })).toEqual(["nsenter", "-t", "9", "-n", "nfq-delay", "--queue", "7", "--delay-ms", "200", "--jitter-ms", "20"]);
  });
});

describe("chaos", () => {
  it("durations, and the longest time without an acknowledged write", () => {
    expect(parseDuration("10m")).toBe(600);
    expect(parseDuration("90s")).toBe(90);
    expect(parseDuration(45)).toBe(45);
    expect(() => parseDuration("ten minutes")).toThrow(/is not a duration/);
    const ok = (at: number) => ({ id: String(at), member: "m", outcome: "ok" as const, at });
    const bad = (at: number) => ({ id: `b${at}`, member: "m", outcome: "unknown" as const, at });
    expect(longestUnavailable([ok(0), ok(1000), bad(2000), bad(9000), ok(12000), ok(13000)])).toBe(11);
  });
  it("every drawn fault passes its kind's own schema, for many seeds", () => {
    for (let seed = 0; seed < 40; seed++) {
      const { problems, schedule } = planChaos({ seed, durationSeconds: 900, hosts: ["docker1", "docker2", "docker3"], faults: DEFAULT_CHAOS_FAULTS });
      expect(problems, `seed ${seed}`).toEqual([]);
      expect(schedule.length).toBeGreaterThan(0);
    }
  });
  it("the same seed gives the same schedule; bad options are refused all at once", () => {
    const o = { seed: 7, durationSeconds: 600, hosts: ["docker1", "docker2", "docker3"] };
    expect(planChaos(o).schedule).toEqual(planChaos(o).schedule);
    const { problems } = planChaos({ seed: -1, durationSeconds: -5, hosts: ["docker9"], faults: ["lnik" as never] });
    expect(problems.length).toBeGreaterThanOrEqual(3);
    expect(problems.join("\n")).toMatch(/did you mean "link"/);
  });
});

describe("doctor: what the kernel offers the faults, and what a host may do", () => {
  const base: DoctorFacts = { engineAnswers: true, engineVersion: "20.10.24", isRoot: true, debianLike: true, cgroupVersion: "1", missingCaps: [], vxlanModule: true, ipvs: false, labExists: true, portProbes: {} };
  it("names the netfilter route when there is no netem", () => {
    const c = verdicts({ ...base, faultRoutes: { netem: false, statistic: true, hashlimit: true, TEE: true, NFQUEUE: true } }).find((x) => x.name === "fault routes")!;
    expect(c.verdict).toBe("ok");
    expect(c.detail).toMatch(/no netem in this kernel: the link fault takes netfilter's route \(loss: statistic; rate: hashlimit; duplicate: TEE; delay, jitter, corrupt: NFQUEUE \+ nfq-delay\)/);
  });
  it("warns when a host holds SYS_TIME or SYS_MODULE", () => {
    expect(riskyCapsIn("0000003ffeffffff")).toEqual(expect.arrayContaining(["SYS_TIME", "SYS_MODULE", "SYS_BOOT", "SYS_RAWIO"]));
    expect(riskyCapsIn("00000000a82425fb")).toEqual([]);
    expect(verdicts({ ...base, hostRiskyCaps: ["SYS_TIME"] }).find((x) => x.name === "host privilege")!.verdict).toBe("warn");
    expect(verdicts({ ...base, hostRiskyCaps: [] }).find((x) => x.name === "host privilege")!.verdict).toBe("ok");
  });
});
