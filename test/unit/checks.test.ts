import { describe, expect, it } from "vitest";
import { clusterAddressProblems, parseGcomm } from "../../src/checks/cluster-address.js";
import { verdicts, type DoctorFacts } from "../../src/checks/doctor.js";
import { checkWriteHistory, type WriteOp } from "../../src/faults/history.js";
import { portRules, isolateRules, splitRules, remainingRules } from "../../src/faults/grudge.js";
import { junitXml } from "../../src/report/report.js";

const ctx = {
  self: "10.0.1.3",
  currentTasks: ["10.0.1.3", "10.0.1.4", "10.0.1.5"],
  foreign: [
    { name: "ingress", cidr: "10.0.0.0/24" },
    { name: "docker_gwbridge", cidr: "172.18.0.0/16" },
  ],
};

describe("wsrep_cluster_address validity", () => {
  it("accepts current overlay task addresses", () => {
    expect(clusterAddressProblems("gcomm://10.0.1.4,10.0.1.5", ctx)).toEqual([]);
  });
  it("flags the walkthrough's failure: ingress addresses, one twice", () => {
    const p = clusterAddressProblems("gcomm://10.0.0.9,10.0.0.7,10.0.0.9", ctx);
    expect(p).toContain("10.0.0.9 is listed twice");
    expect(p.filter((x) => x.includes("on ingress"))).toHaveLength(2); // each distinct address once
  });
  it("flags gwbridge, unknown and self-only addresses, and bootstrap addresses", () => {
    expect(clusterAddressProblems("gcomm://172.18.0.4", ctx)[0]).toMatch(/docker_gwbridge/);
    expect(clusterAddressProblems("gcomm://10.0.1.9", ctx)[0]).toMatch(/not the address of a current task/);
    expect(clusterAddressProblems("gcomm://10.0.1.3", ctx)).toContain("it lists only the member itself (10.0.1.3)");
    expect(clusterAddressProblems("gcomm://", ctx)[0]).toMatch(/names no peer/);
    expect(clusterAddressProblems("10.0.1.4", ctx)[0]).toMatch(/not a gcomm:\/\//);
  });
  it("parses ports and options off", () => {
    expect(parseGcomm("gcomm://10.0.1.4:4567,10.0.1.5?pc.wait_prim=no")).toEqual(["10.0.1.4", "10.0.1.5"]);
  });
});

const baseFacts: DoctorFacts = {
  engineAnswers: true,
  engineVersion: "20.10.24",
  isRoot: true,
  debianLike: true,
  cgroupVersion: "1",
  missingCaps: [24],
  vxlanModule: true,
  ipvs: false,
  labExists: false,
  portProbes: {},
};

describe("doctor verdicts", () => {
  it("explains what no IPVS means and that privileged fails here", () => {
    const v = verdicts(baseFacts);
    expect(v.find((c) => c.name === "ipvs")).toMatchObject({ verdict: "warn" });
    expect(v.find((c) => c.name === "ipvs")!.detail).toMatch(/mode=host/);
    expect(v.find((c) => c.name === "capabilities")!.detail).toMatch(/--privileged fails/);
  });
  it("fails without an engine it cannot start, and on a taken subnet or blocked ports", () => {
    expect(verdicts({ ...baseFacts, engineAnswers: false, isRoot: false }).find((c) => c.name === "engine")!.verdict).toBe("fail");
    expect(verdicts({ ...baseFacts, engineAnswers: false }).find((c) => c.name === "engine")!.verdict).toBe("info");
    expect(verdicts({ ...baseFacts, subnetClash: "used by x" }).find((c) => c.name === "subnet")!.verdict).toBe("fail");
    const ports = verdicts({ ...baseFacts, portProbes: { "docker1->docker2 7946/tcp": false } }).find((c) => c.name === "swarm ports")!;
    expect(ports.verdict).toBe("fail");
    expect(verdicts({ ...baseFacts, vxlanModule: false }).find((c) => c.name === "vxlan")!.verdict).toBe("fail");
  });
});

const op = (id: string, outcome: WriteOp["outcome"]): WriteOp => ({ id, member: "m1", outcome, at: 0 });

describe("write history checker", () => {
  it("passes when acknowledged writes are everywhere and unknown ones are consistent", () => {
    const v = checkWriteHistory([op("a", "ok"), op("b", "unknown"), op("c", "failed")], { m1: ["a", "b"], m2: ["b", "a"], m3: ["a", "b"] });
    expect(v.ok).toBe(true);
    expect(v.counts).toEqual({ ok: 1, failed: 1, unknown: 1 });
  });
  it("fails on a lost acknowledged write", () => {
    const v = checkWriteHistory([op("a", "ok"), op("b", "ok")], { m1: ["a", "b"], m2: ["a"] });
    expect(v.ok).toBe(false);
    expect(v.lost).toEqual(["b (missing on m2)"]);
  });
  it("fails on duplicates, phantom rows and divergent members", () => {
    const v = checkWriteHistory([op("a", "ok")], { m1: ["a", "a"], m2: ["a", "zzz"] });
    expect(v.duplicated).toEqual(["a"]);
    expect(v.phantom).toEqual(["zzz"]);
    expect(v.divergent).toBe(true);
    expect(v.ok).toBe(false);
  });
  it("fails when nothing could be read", () => {
    expect(checkWriteHistory([op("a", "ok")], {}).ok).toBe(false);
  });
});

describe("fault descriptions and heal bookkeeping", () => {
  it("drops the swarm ports in and out with iptables specs", () => {
    expect(portRules("docker3", ["7946/tcp", "4789/udp"], "both").map((r) => r.spec.join(" "))).toEqual([
      "INPUT -p tcp --dport 7946 -j DROP",
      "OUTPUT -p tcp --dport 7946 -j DROP",
      "INPUT -p udp --dport 4789 -j DROP",
      "OUTPUT -p udp --dport 4789 -j DROP",
    ]);
    expect(portRules("docker3", ["7946/udp"], "in")).toHaveLength(1);
  });
  it("isolates by address, one direction when asked", () => {
    expect(isolateRules("docker1", ["192.168.10.202"], "out").map((r) => r.spec.join(" "))).toEqual(["OUTPUT -d 192.168.10.202 -j DROP"]);
  });
  it("splits groups symmetrically and refuses a host in two groups", () => {
    const addr = (h: string) => ({ docker1: "a1", docker2: "a2", docker3: "a3" })[h]!;
    const rules = splitRules([["docker1"], ["docker2", "docker3"]], addr, "both");
    expect(rules.filter((r) => r.host === "docker1")).toHaveLength(4);
    expect(rules.filter((r) => r.host === "docker2").map((r) => r.spec[2])).toEqual(["a1", "a1"]);
    expect(() => splitRules([["docker1"], ["docker1"]], addr, "both")).toThrow(/two groups/);
  });
  it("heal removes exactly what was added", () => {
    const a = portRules("docker2", ["7946/tcp"], "both");
    const b = portRules("docker2", ["7946/tcp"], "in");
    expect(remainingRules([...a, ...b], a)).toEqual(b);
  });
});

describe("JUnit report", () => {
  it("has a testcase per step, escapes output and marks failures", () => {
    const xml = junitXml({
      lab: "swarmlab",
      ok: false,
      startedAt: "t",
      seconds: 3,
      setup: [],
      scenarios: [
        {
          scenario: "seed",
          title: "t",
          file: "f",
          ok: false,
          seconds: 2,
          startedAt: "t",
          timeline: [],
          figures: {},
          recoveries: [],
          samples: [],
          writes: [],
          notes: [],
          steps: [
            { index: 0, title: "a <b>", kind: "run", ok: true, seconds: 1, startedAt: "t", output: "x & y" },
            { index: 1, title: "c", kind: "check", ok: false, seconds: 1, startedAt: "t", error: 'bad "thing"' },
          ],
        },
      ],
    });
    expect(xml).toContain('name="01 a &lt;b&gt;"');
    expect(xml).toContain("x &amp; y");
    expect(xml).toContain('<failure message="bad &quot;thing&quot;"');
    expect(xml).toContain('tests="2" failures="1"');
  });
});
