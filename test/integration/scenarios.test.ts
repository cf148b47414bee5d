/**
 * Every shipped scenario for real: the seed, the gcomm reproduction and the fault scenarios,
 * judged by the real cluster. One session runs them all, as `swarmlab run --all` does (the seed's
 * cluster is reused where a scenario leaves it healthy and spread, and rebuilt where it does not);
 * each test then reads its scenario's result.
 */
import { existsSync, readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { allScenarioNames } from "../../src/scenarios/session.js";
import { runSession } from "../../src/scenarios/session.js";
import { SUITE_SCENARIOS } from "../../src/scenarios/suite-list.js";
import type { RunReport } from "../../src/report/report.js";
import type { ScenarioResult } from "../../src/context/run-context.js";
import { labelled, renderPage, TEST_LAB } from "./helpers.js";
import { compareOutputs } from "../../src/walk/compare.js";
import { resolve } from "node:path";
import { statSync } from "node:fs";

// The list, its order and why, are in src/scenarios/suite-list.ts: the bench runs the same list
// once for its suiteSeconds.
const SCENARIOS = SUITE_SCENARIOS;
const DIR = "reports/test-scenarios";
let report: RunReport;

beforeAll(async () => {
  report = await runSession([...SCENARIOS], { name: TEST_LAB, reportDir: DIR });
}, 80 * 60_000);

function scenario(name: string): ScenarioResult {
  const s = report.scenarios.find((x) => x.scenario === name);
  expect(s, `${name} ran`).toBeDefined();
  expect(s!.steps.filter((x) => !x.ok).map((x) => `${x.title}: ${x.error}`)).toEqual([]);
  expect(s!.ok).toBe(true);
  return s!;
}
const step = (s: ScenarioResult, title: string) => {
  const x = s.steps.find((y) => y.title === title);
  expect(x, `step "${title}" in ${s.scenario}`).toBeDefined();
  return x!;
};
function historyOk(s: ScenarioResult, title = "check history"): void {
  const h = step(s, title).details as { counts: { ok: number }; members: Record<string, number> };
  expect(h.counts.ok).toBeGreaterThan(0);
  expect(new Set(Object.values(h.members)).size).toBe(1); // every member holds the same number of rows
}

describe("every shipped scenario on a real lab", () => {
  it("covers every scenario file", () => {
    expect([...SCENARIOS].sort()).toEqual(allScenarioNames().sort());
  });

  it("seed: replays the walkthrough and proves a healthy three-node cluster", () => {
    const seed = scenario("seed");
    const titles = seed.steps.map((s) => s.title);
    for (const t of ["check service-spread", "check galera-health", "check cluster-address", "check replication"]) expect(titles).toContain(t);
    const health = step(seed, "check galera-health").details as { members: Array<{ size: number; state: string }> };
    expect(health.members.map((m) => [m.size, m.state])).toEqual([[3, "Synced"], [3, "Synced"], [3, "Synced"]]);
    const etcd = step(seed, "etcd members (v2 API)");
    // Byte for byte on the walkthrough's subnet; the suite's own lab may be on another, where etcd's
    // member id (derived from its peer URL) differs too: then the same but for addresses and ids.
    const prefix = etcd.output!.match(/http:\/\/(\d+\.\d+\.\d+)\.201:2380/)?.[1];
    expect(prefix, etcd.output).toBeDefined();
    const expected = etcd.walkthrough!.trim().split("192.168.10.").join(`${prefix}.`);
    if (prefix === "192.168.10") expect(etcd.output).toBe(expected);
    else expect(compareOutputs(etcd.output!, expected).equivalent, `${etcd.output}\nvs\n${expected}`).toBe(true);
    for (const f of ["report.json", "junit.xml", "summary.md"]) expect(existsSync(`${DIR}/${f}`)).toBe(true);
    expect(readFileSync(`${DIR}/junit.xml`, "utf8")).toContain('<testsuite name="seed" tests="21" failures="0"');
  });

  it("gcomm-no-address: real Galera prints 131 by both routes, each explained; ingress joins time out; the overlay fix is valid", () => {
    const s = scenario("gcomm-no-address");
    const zero = step(s, "which rule emptied the set (gcomm://0)").details as { tasks: Array<{ clusterAddress: string; entries: Array<{ rule?: string }>; galera: string[] }> };
    expect(zero.tasks[0]!.clusterAddress).toBe("gcomm://0");
    expect(zero.tasks[0]!.entries[0]!.rule).toMatch(/own listen address/);
    expect(zero.tasks[0]!.galera.join("\n")).toMatch(/failed to open gcomm backend connection: 131: No address to connect/);
    const byName = step(s, "which rule emptied the set (a name that does not resolve)").details as { tasks: Array<{ entries: Array<{ rule?: string }> }> };
    expect(byName.tasks[0]!.entries[0]!.rule).toMatch(/Failed to resolve/);
    const legacy = step(s, "what each task of pxc-ingress was given (ingress addresses, duplicates)").details as { decisions: Array<{ kind: string; problems: string[] }> };
    const joins = legacy.decisions.filter((d) => d.kind === "join");
    expect(joins.length).toBeGreaterThan(0);
    expect(joins.flatMap((d) => d.problems).join(" ")).toMatch(/on ingress .* listed twice|listed twice .* on ingress/);
    const fix = step(s, "the fix, side by side: the seed's overlay-mode tasks were given current mynet addresses").details as { decisions: Array<{ problems: string[] }> };
    expect(fix.decisions.every((d) => d.problems.length === 0)).toBe(true);
  });

  it("partition-gossip: the peer list loses docker3, Galera stays whole, nothing is lost", () => {
    const s = scenario("partition-gossip");
    expect(step(s, "docker1's gossip peer list for mynet drops docker3").output!.trim().split(" ")).toHaveLength(2);
    historyOk(s);
  });

  it("partition-vxlan: Galera splits 2+1 while swarm shows three Ready managers, and reforms", () => {
    const s = scenario("partition-vxlan");
    const split = step(s, "two members stay Primary with size 2, the cut-off one is not").details as { members: Array<{ status?: string; size?: number }>; swarm: { nodes: string } };
    expect(split.members.filter((m) => m.status === "Primary" && m.size === 2)).toHaveLength(2);
    expect(split.swarm.nodes).not.toMatch(/Down/);
    expect(s.recoveries[0]).toMatchObject({ fault: "ports docker3 4789/udp (both)" });
    expect(s.recoveries[0]!.syncedAfterHealSeconds).toBeGreaterThan(0);
    // its file asks for the tuned timers: it ran on a lab seeded with them, and says so
    expect(s.notes).toContain("timers: the tuned profile, the scenario's own (profile: tuned)");
    historyOk(s);
  });

  it("partition-swarm-ports: Galera splits 2+1 and reforms after heal", () => {
    const s = scenario("partition-swarm-ports");
    expect(s.recoveries[0]!.visibleSeconds).toBeGreaterThan(0);
    historyOk(s);
  });

  it("rolling-restart: three restarts, three recoveries, no write lost", () => {
    const s = scenario("rolling-restart");
    expect(s.recoveries.map((r) => r.fault)).toEqual(["restart docker1", "restart docker2", "restart docker3"]);
    for (const r of s.recoveries) expect(r.syncedAfterFaultSeconds).toBeGreaterThan(0);
    historyOk(s);
  });

  it("quorum-loss: swarm has no leader and says so, the survivor is non-Primary, recovery by bootstrapping it", () => {
    const s = scenario("quorum-loss");
    // Killed, not stopped: a clean shutdown would let the survivor stay Primary (see the scenario).
    expect(s.recoveries.map((r) => r.fault)).toEqual(["kill docker2", "kill docker3"]);
    // Together they took raft's majority: swarm's error is the first symptom of both.
    expect(s.recoveries.map((r) => r.visibleBy)).toEqual(["the swarm has no leader (swarm's own error)", "the swarm has no leader (swarm's own error)"]);
    expect(step(s, "the swarm has no leader (swarm's own error)").output).toMatch(/does not have a leader/);
    expect(step(s, "it refuses queries while non-Primary").output).toMatch(/WSREP has not yet prepared node for application use/);
    // One host back is enough for raft: heal docker2 alone, and the swarm has a Leader again.
    expect(step(s, "start docker2").details).toMatchObject({ healed: ["started docker2"] });
    expect(step(s, "two managers of three are a majority; the swarm has a leader and answers again").output).toMatch(/Leader/);
    for (const r of s.recoveries) expect(r.healedAt).toBeDefined();
    historyOk(s);
    // The tuned lab's 1 s heartbeat is put at 5 s for the scenario (see its description) and back after.
    expect(step(s, "swarm's heartbeat at its default 5 s for this scenario").output).toMatch(/heartbeat was 1s, now 5s/);
    expect(step(s, "swarm's heartbeat back to what it was").output).toMatch(/heartbeat 1s/);
  });

  it("clean-shutdown: the same two hosts gone cleanly: no swarm leader, yet docker1 stays Primary and takes writes", () => {
    const s = scenario("clean-shutdown");
    expect(s.recoveries.map((r) => r.fault)).toEqual(["stop docker2 (clean, grace 30 s)", "stop docker3 (clean, grace 30 s)"]);
    for (const r of s.recoveries) expect(r.visibleBy).toBe("docker1's member is a Primary component of one");
    expect(step(s, "docker1's member is a Primary component of one").output).toMatch(/wsrep_cluster_status\s+Primary/);
    expect(step(s, "it takes a write").output).toMatch(/rows_written\s+1/);
    expect(step(s, "the swarm has no leader all the same (swarm's own error)").output).toMatch(/does not have a leader/);
    historyOk(s);
  });

  it("host-pause: a frozen host is marked Down and replaced; thawed, its old member is shut down and nothing is lost", () => {
    const s = scenario("host-pause");
    expect(s.recoveries[0]).toMatchObject({ fault: "pause docker3", visibleBy: "swarm: docker3 Down" });
    expect(s.recoveries[0]!.syncedAfterFaultSeconds).toBeGreaterThan(0);
    expect(step(s, "swarm shuts the thawed host's old task down").output).toMatch(/Shutdown Shutdown/);
    historyOk(s);
  });

  it("node-stop: swarm marks docker2 Down, its task moves, Galera reforms and docker2 comes back", () => {
    const s = scenario("node-stop");
    expect(s.recoveries[0]).toMatchObject({ fault: "stop docker2", visibleBy: "swarm: docker2 Down" });
    expect(s.recoveries[0]!.syncedAfterFaultSeconds).toBeGreaterThan(0);
    historyOk(s);
  });

  it("leader-loss: a new Leader, 3/3 again, the old leader back as a follower", () => {
    const s = scenario("leader-loss");
    const elected = step(s, "one of the two remaining managers becomes Leader").details as { leader: string; formerLeader: string };
    expect(elected.leader).not.toBe(elected.formerLeader);
    expect(step(s, "the old leader's stale task is shut down; the service shows 3/3").output!.trim()).toBe("mysql-galera 3/3");
    historyOk(s);
  });

  it("five members: a 2+2+1 split leaves no Primary and no Leader, then one Primary of five; two of five managers down keep a Leader and three Primary", () => {
    const none = scenario("five-members-no-majority");
    const degraded = step(none, "no Primary component anywhere").details as { members: Array<{ status: string }> };
    expect(degraded.members.length).toBe(5);
    expect(degraded.members.every((m) => m.status !== "Primary")).toBe(true);
    expect(step(none, "a non-Primary member refuses queries").output).toMatch(/WSREP has not yet prepared node/);
    const whole = step(none, "every member Primary, Synced, of size 5").details as { members: Array<{ size: number; state: string }> };
    expect(whole.members.map((m) => [m.size, m.state])).toEqual(Array(5).fill([5, "Synced"]));
    historyOk(none, "no acknowledged write lost");
    const minority = scenario("manager-minority");
    expect(step(minority, "the swarm still has a Leader").output).toMatch(/Leader/);
    const three = step(minority, "Galera keeps three of five Primary").details as { members: Array<{ size: number; status: string }> };
    expect(three.members.filter((m) => m.status === "Primary" && m.size === 3).length).toBe(3);
    historyOk(minority, "no acknowledged write lost");
  });

  it("slow-link: each link parameter measured for real, by the netfilter route on this kernel", () => {
    const s = scenario("slow-link");
    expect(s.ok).toBe(true);
    const rtt = step(s, "a round trip to docker3 now takes about 200 ms").output!.match(/= [0-9.]+\/([0-9.]+)\//)![1];
    expect(Number(rtt)).toBeGreaterThan(160);
    expect(Number(step(s, "a download from docker1 runs at no more than about 100 kB/s").output!.match(/speed (\d+)/)![1])).toBeLessThan(140_000);
    expect(step(s, "docker1 answers some echo requests twice").output).toMatch(/duplicates/);
    const routes = s.steps.filter((x) => x.kind === "fault").map((x) => String(x.details?.route ?? ""));
    expect(routes.join("\n")).toMatch(/NFQUEUE \d+ \+ nfq-delay/);
    expect(routes.join("\n")).toMatch(/statistic/);
    historyOk(s);
  });

  it("clock-skew, dns-outage, process-freeze: the member an hour ahead and back; lookups fail and come late; frozen, evicted, thawed, killed, restarted", () => {
    const clock = scenario("clock-skew");
    expect(step(clock, "NOW() on docker3's member against docker3's own clock").output).toMatch(/member ahead by 3[56]\d\d s/);
    historyOk(clock);
    const dns = scenario("dns-outage");
    expect(step(dns, "a lookup inside a task fails").output).toMatch(/rc=2/);
    historyOk(dns);
    const proc = scenario("process-freeze");
    expect(proc.ok).toBe(true);
    expect(proc.recoveries.length).toBe(2);
    historyOk(proc);
  });

  it("chaos-short: the seeded schedule ran, was healed, and lost no acknowledged write", () => {
    const s = scenario("chaos-short");
    expect(s.ok, s.steps.find((x) => !x.ok)?.error).toBe(true);
    const chaos = s.chaos as { schedule: Array<{ healedAtSeconds?: number; skipped?: string }>; faultsInjected: number; writes: { ok: number } };
    expect(chaos.faultsInjected).toBeGreaterThan(0);
    expect(chaos.schedule.every((e: { healedAtSeconds?: number; skipped?: string }) => e.healedAtSeconds !== undefined || e.skipped)).toBe(true);
    expect(chaos.writes.ok).toBeGreaterThan(0);
  });

  it("the failure stories: asymmetric partition, bootstrap race, service name against tasks, MTU drop", () => {
    for (const name of ["asymmetric-partition", "bootstrap-race", "service-name-vs-tasks", "mtu-drop"]) {
      const s = scenario(name);
      expect(s.ok, `${name}: ${s.steps.find((x) => !x.ok)?.error}`).toBe(true);
    }
    const race = step(scenario("bootstrap-race"), "three clusters, each Primary and Synced on its own (a split brain)").details as { clusters: unknown[] };
    expect(race.clusters).toHaveLength(3);
    expect(step(scenario("service-name-vs-tasks"), "with the seed scaled to 0, its name resolves to nothing at all").output).toMatch(/rc=2/);
    historyOk(scenario("asymmetric-partition"));
  });

  it("early-dns-answer: the naive discovery under a DNS outage makes three clusters; the lab's makes one", () => {
    const s = scenario("early-dns-answer");
    const naive = step(s, "three clusters, each Primary and Synced on its own, and nobody asks again").details as { clusters: unknown[] };
    expect(naive.clusters).toHaveLength(3);
    expect(step(s, "when they ask, the DNS answers nothing").output).toMatch(/rc=2/);
    const fixed = step(s, "one cluster").details as { clusters: unknown[] };
    expect(fixed.clusters).toHaveLength(1);
  });

  it("stale-address: a member started with addresses of gone tasks fails with Galera's own -110; computed at start, it joins", () => {
    const s = scenario("stale-address");
    expect(step(s, "Galera's own error names the stale list and -110").output).toMatch(/-110/);
    expect(step(s, "a member that did not restart still names a gone task in wsrep_cluster_address").ok).toBe(true);
    expect(step(s, "it joins - four members in one cluster").ok).toBe(true);
  });

  it("whole-cluster-crash: every member killed, safe_to_bootstrap 0 everywhere; recovered by hand and by the entrypoint, no acknowledged write lost", () => {
    const s = scenario("whole-cluster-crash");
    expect(s.steps.filter((x) => /seqno -1, safe_to_bootstrap 0/.test(x.title)).length).toBeGreaterThanOrEqual(3);
    historyOk(s);
  });

  it("healthcheck-vs-sst: swarm ends sstbad's joiner as unhealthy again and again, each asking a new SST; sstfix's joiner, healthy mid-SST, finishes with one", () => {
    const s = scenario("healthcheck-vs-sst");
    // Read from swarm's own `docker service ps` and Galera's own lines, as the steps printed them.
    const ended = step(s, "swarm ends sstbad's joiner as unhealthy, again and again (docker service ps)").output!;
    expect(ended.match(/sstbad\.\d+ docker3\S* .*unhealthy container/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
    const bad = step(s, "each new sstbad task asked for a new SST from the beginning (Galera's own lines)").output!;
    expect(new Set(bad.match(/\(([0-9a-f]{12})\) requested state transfer/g)).size).toBeGreaterThanOrEqual(2);
    expect(step(s, "sstfix's joiner receives its SST and is healthy meanwhile").output).toMatch(/health: healthy/);
    const fix = step(s, "exactly one sstfix state transfer since the joiner was added (Galera's own lines)").output!;
    expect(fix.match(/requested state transfer from .* as donor/g)).toHaveLength(1);
    expect(step(s, "side by side - sstfix runs 3/3, one task per host; sstbad never gets its third replica").output).toMatch(/sstbad replicas 2\/3/);
  });

  it("the timeline page of node-stop, rendered in headless Chromium, shows the fault and the membership changes", async () => {
    const page = resolve(DIR, "timeline-node-stop.html");
    const shot = resolve(DIR, "timeline-node-stop.png");
    const dom = await renderPage(page, shot);
    // vis-timeline drew items (the table below is static; these classes come from the script)
    expect(dom).toMatch(/class="vis-item vis-range[^"]*fault/);
    expect(dom).toContain("stop docker2");
    // swarm showed docker2 Down, and a Galera member was unreachable or not Primary meanwhile
    expect(dom).toMatch(/vis-item[^"]*state bad[^>]*>[\s\S]{0,400}?Down/);
    expect(dom).toMatch(/unreachable|non-Primary/);
    expect(dom).toMatch(/ok \d+ · failed \d+ · unknown \d+/);
    expect(statSync(shot).size).toBeGreaterThan(20_000);
  });

  it("the whole run passed and left nothing behind", async () => {
    expect(report.ok).toBe(true);
    expect(await labelled(TEST_LAB)).toEqual({ containers: 0, networks: 0, volumes: 0 });
  });
});
