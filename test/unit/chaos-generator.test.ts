import { describe, expect, it } from "vitest";
import {
  CHAOS_FAULT_KINDS,
  CHAOS_PORTS,
  chaosSchedule,
  describeSchedule,
  resolveChaosOptions,
  validateChaosOptions,
  type ChaosEntry,
  type ChaosFaultKind,
  type ChaosOptions,
} from "../../src/faults/generator.js";
import { LabError } from "../../src/util/errors.js";

const H3 = ["docker1", "docker2", "docker3"];
const H5 = ["docker1", "docker2", "docker3", "docker4", "docker5"];
const HOST_OUT: ChaosFaultKind[] = ["kill", "stop", "pause", "restart", "ports", "isolate", "split", "disk", "mtu", "process"];
const seeds = (n: number) => Array.from({ length: n }, (_, i) => i * 7919 + 1);

/** In place or settling at t (an instantaneous fault with no settle time occupies its instant). */
const activeAt = (s: ChaosEntry[], t: number) => s.filter((e) => e.startSeconds <= t && t < Math.max(e.settledSeconds, e.startSeconds + 0.5));
const downAt = (s: ChaosEntry[], t: number) => new Set(s.filter((e) => e.startSeconds <= t && t < e.settledSeconds).flatMap((e) => e.down));

/** Every rule the schedule promises, checked entry by entry and at every instant. */
function expectSound(s: ChaosEntry[], options: ChaosOptions): void {
  const o = resolveChaosOptions(options);
  const n = o.hosts.length;
  const majority = Math.floor(n / 2) + 1;
  s.forEach((e, i) => {
    expect(e.index).toBe(i + 1);
    if (i > 0) expect(e.startSeconds).toBeGreaterThan(s[i - 1]!.startSeconds);
    expect(e.startSeconds).toBeGreaterThanOrEqual(o.minPauseSeconds);
    expect(e.healSeconds).toBeGreaterThanOrEqual(e.startSeconds);
    expect(e.settledSeconds).toBeGreaterThanOrEqual(e.healSeconds);
    expect(e.healSeconds).toBeLessThanOrEqual(o.durationSeconds);
    expect(e.settledSeconds).toBeLessThanOrEqual(o.durationSeconds);
    expect(o.faults).toContain(e.kind);
    expect(e.spec.kind).toBe(e.kind);
    const instant = e.kind === "restart" || (e.spec.kind === "process" && e.spec.signal === "KILL");
    if (instant) expect(e.healSeconds).toBe(e.startSeconds);
    else expect(e.healSeconds - e.startSeconds).toBeGreaterThanOrEqual(o.minFaultSeconds);
    expect(e.healSeconds - e.startSeconds).toBeLessThanOrEqual(o.maxFaultSeconds);
    expect(e.down.length > 0).toBe(HOST_OUT.includes(e.kind));
    if (!o.allowMajorityLoss) expect(e.breaksMajority).toBe(false);
  });
  // No two faults on one host, from one's start to its settle time (so certainly not start to heal).
  for (const a of s) {
    for (const b of s) {
      if (a === b || !a.hosts.some((h) => b.hosts.includes(h))) continue;
      const aEnd = Math.max(a.settledSeconds, a.startSeconds + 0.5);
      const bEnd = Math.max(b.settledSeconds, b.startSeconds + 0.5);
      expect(a.startSeconds < bEnd && b.startSeconds < aEnd, `#${a.index} ${a.kind} ${a.target} and #${b.index} ${b.kind} ${b.target} overlap`).toBe(false);
    }
  }
  // Between two events nothing changes: each event time and each midpoint is every instant there is.
  const events = [...new Set([0, o.durationSeconds, ...s.flatMap((e) => [e.startSeconds, e.healSeconds, e.settledSeconds])])].sort((a, b) => a - b);
  const instants = events.flatMap((t, i) => (i ? [(events[i - 1]! + t) / 2, t] : [t]));
  for (const t of instants) {
    const active = activeAt(s, t);
    expect(active.length).toBeLessThanOrEqual(o.maxConcurrent);
    if (!o.allowMajorityLoss) expect(n - downAt(s, t).size, `at ${t} s`).toBeGreaterThanOrEqual(majority);
    else expect(active.filter((e) => e.breaksMajority).length).toBeLessThanOrEqual(1);
  }
}

describe("chaos schedule: replayable from its seed", () => {
  it("the same seed and options give the same schedule", () => {
    for (const o of [
      { seed: 42, durationSeconds: 600, hosts: H3 },
      { seed: 7, durationSeconds: 1800, hosts: H5, maxConcurrent: 3, allowMajorityLoss: true },
      { seed: 0, durationSeconds: 300, hosts: H3, faults: ["link", "kill"] as ChaosFaultKind[] },
    ]) {
      const a = chaosSchedule(o);
      expect(a.length).toBeGreaterThan(0);
      expect(chaosSchedule({ ...o })).toEqual(a);
    }
  });
  it("the order in which hosts and kinds are listed does not matter (they are sets)", () => {
    const a = chaosSchedule({ seed: 5, durationSeconds: 900, hosts: H3, faults: ["kill", "link", "clock", "split"] });
    const b = chaosSchedule({ seed: 5, durationSeconds: 900, hosts: [...H3].reverse(), faults: ["split", "clock", "link", "kill"] });
    expect(b).toEqual(a);
  });
  it("different seeds give different schedules, neighbouring seeds included", () => {
    const o = { durationSeconds: 600, hosts: H3 };
    expect(chaosSchedule({ ...o, seed: 1 })).not.toEqual(chaosSchedule({ ...o, seed: 2 }));
    const all = Array.from({ length: 100 }, (_, seed) => JSON.stringify(chaosSchedule({ ...o, seed })));
    expect(new Set(all).size).toBe(100);
    // The first start is drawn first: neighbouring seeds must not march in step (10, 40, 39, 38...).
    const firsts = Array.from({ length: 20 }, (_, seed) => chaosSchedule({ ...o, seed: seed + 1 })[0]!.startSeconds);
    expect(new Set(firsts).size).toBeGreaterThan(10);
    expect(firsts.slice(1).filter((f, i) => Math.abs(f - firsts[i]!) === 1).length).toBeLessThan(5);
  });
  it("seed 42 still gives the schedule it gave when written (a changed generator or pure-rand breaks replays)", () => {
    const s = chaosSchedule({ seed: 42, durationSeconds: 600, hosts: H3 });
    expect(s.map((e) => `${e.startSeconds}-${e.healSeconds} ${e.kind} ${e.target}`)).toEqual([
      "38-70 pause docker3",
      "65-123 clock docker2",
      "118-135 pause docker1",
      "148-170 clock docker3",
      "173-220 clock docker2",
      "210-232 dns docker1",
      "227-275 link docker2",
      "251-284 ports docker3",
      "288-341 clock docker1",
      "325-384 process docker3",
      "361-410 clock docker2",
      "432-465 mtu docker3",
      "470-493 link docker1",
      "495-532 disk docker1",
      "510-565 clock docker2",
    ]);
    expect(s[9]!.spec).toEqual({ kind: "process", host: "docker3", signal: "STOP", process: "mariadbd" });
  });
});

describe("chaos schedule: its rules hold for every seed", () => {
  const cases: Array<[string, Omit<ChaosOptions, "seed">]> = [
    ["defaults, 3 hosts, 10 min", { durationSeconds: 600, hosts: H3 }],
    ["3 hosts, 3 at once, host-out kinds only", { durationSeconds: 900, hosts: H3, maxConcurrent: 3, faults: ["kill", "stop", "pause", "restart", "isolate", "split", "process"] }],
    ["5 hosts, 4 at once", { durationSeconds: 900, hosts: H5, maxConcurrent: 4 }],
    ["back to back: short pauses, no settle time", { durationSeconds: 400, hosts: H3, minPauseSeconds: 0, maxPauseSeconds: 3, settleSeconds: 0, maxConcurrent: 3 }],
    ["one at a time", { durationSeconds: 600, hosts: H3, maxConcurrent: 1 }],
    ["majority loss allowed", { durationSeconds: 900, hosts: H3, allowMajorityLoss: true, faults: ["kill", "pause", "link"] }],
    ["majority loss allowed, 5 hosts", { durationSeconds: 900, hosts: H5, allowMajorityLoss: true, maxConcurrent: 4 }],
  ];
  for (const [name, o] of cases) {
    it(name, () => {
      for (const seed of seeds(60)) expectSound(chaosSchedule({ ...o, seed }), { ...o, seed });
    });
  }
  it("the majority rule binds: a host-out fault overlaps another fault, but never a second host-out one on 3 hosts", () => {
    let overlapped = 0;
    for (const seed of seeds(100)) {
      const s = chaosSchedule({ seed, durationSeconds: 900, hosts: H3 });
      for (let t = 0; t <= 900; t++) {
        const a = activeAt(s, t);
        expect(a.filter((e) => e.down.length).length).toBeLessThanOrEqual(1);
        if (a.length === 2 && a.some((e) => e.down.length)) overlapped++;
      }
    }
    expect(overlapped).toBeGreaterThan(0);
  });
  it("on 5 hosts two hosts may be out at once, never three", () => {
    let two = 0;
    for (const seed of seeds(100)) {
      const s = chaosSchedule({ seed, durationSeconds: 900, hosts: H5, maxConcurrent: 4, faults: ["kill", "pause", "isolate"] });
      for (let t = 0; t <= 900; t++) {
        const d = downAt(s, t).size;
        expect(d).toBeLessThanOrEqual(2);
        if (d === 2) two++;
      }
    }
    expect(two).toBeGreaterThan(0);
  });
  it("with allowMajorityLoss the majority may go, by one fault at a time, and no host-out fault starts while it is gone", () => {
    let broke = 0;
    for (const seed of seeds(100)) {
      const s = chaosSchedule({ seed, durationSeconds: 900, hosts: H3, allowMajorityLoss: true, faults: ["kill", "pause", "link"] });
      for (const e of s) {
        const before = downAt(s.filter((x) => x !== e), e.startSeconds).size;
        if (e.down.length) expect(3 - before).toBeGreaterThanOrEqual(2);
        expect(e.breaksMajority).toBe(e.down.length > 0 && 3 - before - e.down.length < 2);
        if (e.breaksMajority) broke++;
      }
    }
    expect(broke).toBeGreaterThan(0);
  });
  it("the last fault heals, and its host settles, before the end even when the time is short", () => {
    for (const seed of seeds(100)) {
      const s = chaosSchedule({ seed, durationSeconds: 60, hosts: H3 });
      for (const e of s) expect(e.settledSeconds).toBeLessThanOrEqual(60);
      // A duration that is not whole still gives whole-second times.
      for (const e of chaosSchedule({ seed, durationSeconds: 90.5, hosts: H3 })) {
        for (const t of [e.startSeconds, e.healSeconds, e.settledSeconds]) expect(Number.isInteger(t)).toBe(true);
        expect(e.settledSeconds).toBeLessThanOrEqual(90);
      }
    }
  });
});

describe("chaos schedule: kinds and their values", () => {
  const many = (o: Omit<ChaosOptions, "seed">) => seeds(150).flatMap((seed) => chaosSchedule({ ...o, seed }));

  it("draws only the kinds asked for, and each of them", () => {
    const asked: ChaosFaultKind[] = ["link", "clock", "pause"];
    const kinds = new Set(many({ durationSeconds: 600, hosts: H3, faults: asked }).map((e) => e.kind));
    expect([...kinds].sort()).toEqual([...asked].sort());
  });
  it("by default draws every kind", () => {
    expect(new Set(many({ durationSeconds: 900, hosts: H3 }).map((e) => e.kind))).toEqual(new Set(CHAOS_FAULT_KINDS));
  });
  it("on two hosts the default leaves out what would cost the majority, and split", () => {
    const kinds = new Set(many({ durationSeconds: 600, hosts: ["docker1", "docker2"] }).map((e) => e.kind));
    expect([...kinds].sort()).toEqual(["clock", "dns", "link"]);
  });
  it("gives each kind realistic values, in the scenario file's fault fields", () => {
    const all = many({ durationSeconds: 900, hosts: H5, maxConcurrent: 3 });
    for (const e of all) {
      const s = e.spec;
      switch (s.kind) {
        case "kill":
        case "pause":
        case "restart":
        case "disk":
          expect(Object.keys(s).sort()).toEqual(["host", "kind"]);
          break;
        case "stop":
          if (s.grace !== undefined) expect(s.grace).toBeGreaterThanOrEqual(1), expect(s.grace).toBeLessThanOrEqual(Math.max(1, (e.healSeconds - e.startSeconds) / 2));
          break;
        case "ports":
          expect(s.ports.length).toBeGreaterThan(0);
          expect(new Set(s.ports).size).toBe(s.ports.length);
          for (const p of s.ports) expect(CHAOS_PORTS).toContain(p);
          expect(["in", "out", "both"]).toContain(s.direction);
          break;
        case "isolate":
          expect(["in", "out", "both"]).toContain(s.direction);
          break;
        case "split": {
          const [minority, rest] = s.groups;
          expect(s.groups).toHaveLength(2);
          expect(minority!.length * 2).toBeLessThan(H5.length);
          expect([...minority!, ...rest!].sort()).toEqual(H5);
          expect(e.target).toBe(minority!.join("+"));
          expect(e.down).toEqual(minority);
          expect(e.hosts).toEqual(H5);
          break;
        }
        case "link": {
          const fields = [s.delay_ms, s.loss, s.duplicate, s.rate_kbit].filter((v) => v !== undefined);
          expect(fields.length).toBeGreaterThan(0);
          if (s.delay_ms !== undefined) expect(s.delay_ms).toBeGreaterThanOrEqual(20), expect(s.delay_ms).toBeLessThanOrEqual(500);
          if (s.jitter_ms !== undefined) expect(s.jitter_ms).toBeLessThanOrEqual(s.delay_ms! / 2);
          if (s.loss !== undefined) expect(s.loss).toBeGreaterThanOrEqual(1), expect(s.loss).toBeLessThanOrEqual(30);
          if (s.duplicate !== undefined) expect(s.duplicate).toBeGreaterThanOrEqual(1), expect(s.duplicate).toBeLessThanOrEqual(10);
          if (s.rate_kbit !== undefined) expect(s.rate_kbit).toBeGreaterThanOrEqual(256);
          break;
        }
        case "clock":
          expect(s.offset_seconds).not.toBe(0);
          expect(Math.abs(s.offset_seconds)).toBeLessThanOrEqual(300);
          if (s.rate !== undefined) expect(s.rate).not.toBe(1), expect(s.rate).toBeGreaterThan(0);
          break;
        case "dns":
          if (s.mode === "delay") expect(s.delay_ms).toBeGreaterThanOrEqual(100);
          else expect(s.delay_ms).toBeUndefined();
          break;
        case "mtu":
          expect(s.mtu).toBeGreaterThanOrEqual(1200);
          expect(s.mtu).toBeLessThan(1500);
          break;
        case "process":
          expect(["STOP", "KILL"]).toContain(s.signal);
          expect(s.process).toBe("mariadbd");
          break;
      }
      if (s.kind !== "split") expect(s.host).toBe(e.target);
    }
    // Both signals, both dns modes, negative and positive offsets all occur.
    const specs = all.map((e) => e.spec);
    expect(new Set(specs.flatMap((s) => (s.kind === "process" ? [s.signal] : [])))).toEqual(new Set(["STOP", "KILL"]));
    expect(new Set(specs.flatMap((s) => (s.kind === "dns" ? [s.mode] : [])))).toEqual(new Set(["drop", "delay"]));
    expect(new Set(specs.flatMap((s) => (s.kind === "clock" ? [Math.sign(s.offset_seconds)] : [])))).toEqual(new Set([-1, 1]));
  });
});

describe("chaos options: every problem at once", () => {
  it("accepts good options, with and without the lab's host list", () => {
    expect(validateChaosOptions({ seed: 1, durationSeconds: 600, hosts: H3 }, H3)).toEqual([]);
    expect(validateChaosOptions({ seed: 4294967295, durationSeconds: 90.5, hosts: ["a"], faults: ["link"], maxConcurrent: 1 })).toEqual([]);
  });
  it("lists an unknown kind (with a suggestion), a negative duration, empty hosts, a bad seed and more together", () => {
    const problems = validateChaosOptions(
      { seed: 1.5, durationSeconds: -10, hosts: [], faults: ["lnk", "kill", "kill", "KILL"], minFaultSeconds: 90, durration: 5, allowMajorityLoss: "yes" },
      H3,
    );
    expect(problems).toEqual([
      'durration: not an option (seed, durationSeconds, hosts, faults, allowMajorityLoss, maxConcurrent, minFaultSeconds, maxFaultSeconds, minPauseSeconds, maxPauseSeconds, settleSeconds); did you mean "durationSeconds"?',
      "seed: 1.5 is not allowed: a whole number from 0 to 4294967295",
      "durationSeconds: -10 is not allowed: a number of seconds above 0, at most 604800 (7 days)",
      "hosts: [] is empty: name at least one host (docker1, docker2, docker3)",
      `faults: "lnk" is not a fault kind (${CHAOS_FAULT_KINDS.join(", ")}); did you mean "link"?`,
      'faults: "kill" is listed twice',
      `faults: "KILL" is not a fault kind (${CHAOS_FAULT_KINDS.join(", ")}); did you mean "kill"?`,
      'allowMajorityLoss: "yes" is not allowed: true or false',
      "minFaultSeconds: 90 is above maxFaultSeconds (60, its default)",
    ]);
  });
  it("names unknown hosts, suggesting only when one lab host is clearly meant", () => {
    expect(validateChaosOptions({ seed: 1, durationSeconds: 600, hosts: ["docker1", "dokcer2", "docker9", 3, "docker1"] }, H3)).toEqual([
      'hosts: "dokcer2" is not a host of the lab (docker1, docker2, docker3); did you mean "docker2"?',
      'hosts: "docker9" is not a host of the lab (docker1, docker2, docker3)',
      "hosts.3: 3 is not a host name (docker1, docker2, docker3)",
      'hosts: "docker1" is listed twice',
    ]);
  });
  it("refuses values out of range and a missing field, naming what is allowed", () => {
    expect(validateChaosOptions({ durationSeconds: 600, hosts: H3, maxConcurrent: 0, settleSeconds: -1, minPauseSeconds: 50 })).toEqual([
      "seed: nothing is not allowed: a whole number from 0 to 4294967295",
      "maxConcurrent: 0 is not allowed: a whole number of faults from 1 to 16",
      "settleSeconds: -1 is not allowed: a whole number of seconds from 0 to 600",
      "minPauseSeconds: 50 is above maxPauseSeconds (40, its default)",
    ]);
    expect(validateChaosOptions("seed=1")).toEqual(['options: "seed=1" is not allowed: an object with seed, durationSeconds and hosts']);
    expect(validateChaosOptions({ seed: 1, durationSeconds: 600, hosts: "docker1", faults: "link" })).toEqual([
      'hosts: "docker1" is not allowed: a list of host names',
      `faults: "link" is not allowed: a list of fault kinds (${CHAOS_FAULT_KINDS.join(", ")})`,
    ]);
  });
  it("refuses kinds that can never be drawn on these hosts, and a duration too short for any fault", () => {
    const two = ["docker1", "docker2"];
    expect(validateChaosOptions({ seed: 1, durationSeconds: 600, hosts: two, faults: ["split", "kill", "link"] })).toEqual([
      'faults: "split" needs at least 3 hosts (a minority against a majority), not 2',
      'faults: "kill" takes a host out of the cluster, and with 2 hosts that leaves fewer than a majority healthy: add hosts or set allowMajorityLoss',
    ]);
    expect(validateChaosOptions({ seed: 1, durationSeconds: 600, hosts: two, faults: ["kill"], allowMajorityLoss: true })).toEqual([]);
    expect(validateChaosOptions({ seed: 1, durationSeconds: 600, hosts: two })).toEqual([]);
    expect(validateChaosOptions({ seed: 1, durationSeconds: 15, hosts: H3 })).toEqual([
      "durationSeconds: 15 is too short for any fault: at least 20 s (the first pause, minPauseSeconds 10, then the shortest fault with its settle time)",
    ]);
    expect(validateChaosOptions({ seed: 1, durationSeconds: 45, hosts: H3, faults: ["kill"] })).toEqual([
      "durationSeconds: 45 is too short for any fault: at least 50 s (the first pause, minPauseSeconds 10, then the shortest fault with its settle time)",
    ]);
  });
  it("chaosSchedule refuses bad options with all their problems", () => {
    const bad = { seed: -1, durationSeconds: 0, hosts: [] } as ChaosOptions;
    expect(() => chaosSchedule(bad)).toThrow(LabError);
    expect(() => chaosSchedule(bad)).toThrow(/seed: -1[\s\S]*durationSeconds: 0[\s\S]*hosts: \[\] is empty/);
  });
});

describe("chaos schedule: printed", () => {
  it("one line per fault under a header, instantaneous faults marked, then a count per kind", () => {
    const s = chaosSchedule({ seed: 3, durationSeconds: 1200, hosts: H3, faults: ["restart", "link", "split"] });
    const lines = describeSchedule(s).split("\n");
    expect(lines[0]).toMatch(/^\s*#\s+start\s+heal\s+settled\s+kind\s+target\s+details$/);
    expect(lines).toHaveLength(s.length + 2);
    const restart = s.findIndex((e) => e.kind === "restart");
    expect(lines[restart + 1]).toMatch(new RegExp(`^\\s*${restart + 1}\\s+\\d+:\\d\\d\\s+\\(instant\\)\\s+\\d+:\\d\\d\\s+restart\\s+docker\\d$`));
    const link = s.find((e) => e.kind === "link")!;
    expect(lines[link.index]).toMatch(/link\s+docker\d\s+(delay|loss|duplicate|rate)/);
    const counts = CHAOS_FAULT_KINDS.filter((k) => s.some((e) => e.kind === k)).map((k) => `${k} ${s.filter((e) => e.kind === k).length}`);
    expect(lines.at(-1)).toBe(`${s.length} faults: ${counts.join(", ")}`);
  });
  it("a split shows its groups, a lost majority says so, times read as minutes", () => {
    const s: ChaosEntry[] = [
      { index: 1, kind: "split", target: "docker1", spec: { kind: "split", groups: [["docker1"], ["docker2", "docker3"]], direction: "both" }, startSeconds: 65, healSeconds: 125, settledSeconds: 155, hosts: H3, down: ["docker1"], breaksMajority: false },
      { index: 2, kind: "kill", target: "docker2", spec: { kind: "kill", host: "docker2" }, startSeconds: 3700, healSeconds: 3725, settledSeconds: 3755, hosts: ["docker2"], down: ["docker2"], breaksMajority: true },
    ];
    expect(describeSchedule(s)).toBe(
      [
        "#    start     heal  settled  kind   target   details",
        "1     1:05     2:05     2:35  split  docker1  docker1 | docker2+docker3 (both)",
        "2  1:01:40  1:02:05  1:02:35  kill   docker2  MAJORITY LOST",
        "2 faults: kill 1, split 1",
      ].join("\n"),
    );
    expect(describeSchedule([])).toBe("no fault: none fits in the duration");
  });
});
