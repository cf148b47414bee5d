import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  autoRecover,
  bootstrapKey,
  elect,
  expectedMembers,
  gvwstateMembers,
  markSafeToBootstrap,
  parseGrastate,
  parseRecoveredPosition,
  positionsOf,
  recoveryDir,
  type EtcdLike,
  type Position,
} from "../../src/discovery/recovery.js";
import type { EtcdNode } from "../../src/discovery/etcd.js";

const UUID = "6f3e8a2c-1d4b-11ef-9a7e-2b5c3d4e5f60";
// What every member leaves after SIGKILL (or a power cut) of a three-member cluster.
const killed = `# GALERA saved state\nversion: 2.1\nuuid:    ${UUID}\nseqno:   -1\nsafe_to_bootstrap: 0\n`;
// What a clean shutdown leaves: the real position.
const clean = `# GALERA saved state\nversion: 2.1\nuuid:    ${UUID}\nseqno:   1234\nsafe_to_bootstrap: 0\n`;

describe("Galera's files", () => {
  it("reads grastate.dat as SIGKILL and a clean shutdown leave it", () => {
    expect(parseGrastate(killed)).toEqual({ uuid: UUID, seqno: -1, safeToBootstrap: false });
    expect(parseGrastate(clean)).toEqual({ uuid: UUID, seqno: 1234, safeToBootstrap: false });
    expect(parseGrastate("garbage")).toBeNull();
  });
  it("marks the winner's file safe to bootstrap with its recovered seqno, keeping the rest", () => {
    const out = markSafeToBootstrap(killed, 1290);
    expect(parseGrastate(out)).toEqual({ uuid: UUID, seqno: 1290, safeToBootstrap: true });
    expect(out.startsWith("# GALERA saved state\nversion: 2.1\n")).toBe(true);
    // a file of an older Galera without the flag gets it
    expect(parseGrastate(markSafeToBootstrap(`version: 2.1\nuuid:    ${UUID}\nseqno:   -1\n`, 7))).toEqual({ uuid: UUID, seqno: 7, safeToBootstrap: true });
  });
  it("reads the position from a --wsrep-recover log (with or without the GTID MariaDB appends)", () => {
    const log = [
      "2025-01-30 20:54:07 0 [Note] InnoDB: Starting crash recovery from checkpoint LSN=47392",
      `2025-01-30 20:54:08 0 [Note] WSREP: Recovered position: ${UUID}:1290`,
    ].join("\n");
    expect(parseRecoveredPosition(log)).toEqual({ uuid: UUID, seqno: 1290 });
    expect(parseRecoveredPosition(`[Note] WSREP: Recovered position: ${UUID}:88,0-1-88`)).toEqual({ uuid: UUID, seqno: 88 });
    expect(parseRecoveredPosition("[Note] WSREP: Recovered position: 00000000-0000-0000-0000-000000000000:-1")?.seqno).toBe(-1);
    expect(parseRecoveredPosition("InnoDB: nothing")).toBeNull();
  });
  it("counts the members of the last Primary Component in gvwstate.dat", () => {
    const gvw = `my_uuid: 5c3c1b7e-0000\n#vwbeg\nview_id: 3 5c3c1b7e-0000 9\nbootstrap: 0\nmember: 5c3c1b7e-0000 0\nmember: 7d2a-0000 0\nmember: 8e1b-0000 0\n#vwend\n`;
    expect(gvwstateMembers(gvw)).toBe(3);
  });
});

const pos = (address: string, seqno: number, extra: Partial<Position> = {}): Position => ({ address, uuid: UUID, seqno, safeToBootstrap: false, ...extra });

describe("who bootstraps after a whole-cluster loss", () => {
  const three = [pos("10.0.1.9", 1288), pos("10.0.1.10", 1290), pos("10.0.1.11", 1289)];
  it("waits until every expected member has published, then the highest seqno bootstraps and the others join it", () => {
    expect(elect({ self: "10.0.1.9", positions: three.slice(0, 2), expected: 3 })).toMatchObject({ kind: "wait", have: 2, expected: 3 });
    expect(elect({ self: "10.0.1.10", positions: three, expected: 3 })).toMatchObject({ kind: "bootstrap", winner: { address: "10.0.1.10", seqno: 1290 } });
    for (const self of ["10.0.1.9", "10.0.1.11"]) expect(elect({ self, positions: three, expected: 3 })).toMatchObject({ kind: "join", winner: { address: "10.0.1.10" } });
  });
  it("breaks a tie by safe_to_bootstrap, then by the lowest address (10.0.1.9 before 10.0.1.10)", () => {
    expect(elect({ self: "10.0.1.9", positions: [pos("10.0.1.10", 5), pos("10.0.1.9", 5)], expected: 2 })).toMatchObject({ kind: "bootstrap" });
    expect(elect({ self: "10.0.1.9", positions: [pos("10.0.1.10", 5, { safeToBootstrap: true }), pos("10.0.1.9", 5)], expected: 2 })).toMatchObject({ kind: "join", winner: { address: "10.0.1.10" } });
  });
  it("leaves out positions of tasks that are gone, and never goes on without its own", () => {
    const stale = [...three, pos("10.0.1.4", 9999)];
    expect(elect({ self: "10.0.1.9", positions: stale, expected: 3, liveTasks: ["10.0.1.9", "10.0.1.10", "10.0.1.11"] })).toMatchObject({ kind: "join", winner: { address: "10.0.1.10" } });
    expect(elect({ self: "10.0.1.12", positions: three, expected: 3 }).kind).toBe("wait");
  });
  it("an empty datadir never wins against data; with no data anywhere the lowest address starts a new cluster", () => {
    const empty = (a: string) => pos(a, -1, { uuid: "00000000-0000-0000-0000-000000000000", empty: true });
    expect(elect({ self: "10.0.1.3", positions: [empty("10.0.1.3"), pos("10.0.1.5", 10), pos("10.0.1.7", 9)], expected: 3 })).toMatchObject({ kind: "join", winner: { address: "10.0.1.5" } });
    expect(elect({ self: "10.0.1.3", positions: [empty("10.0.1.3"), empty("10.0.1.5")], expected: 2 })).toMatchObject({ kind: "bootstrap", winner: { address: "10.0.1.3" } });
  });
  it("refuses (an operator decides) when the members hold different clusters or one has no position", () => {
    const other = pos("10.0.1.11", 5000, { uuid: "11111111-2222-3333-4444-555555555555" });
    expect(elect({ self: "10.0.1.9", positions: [three[0]!, three[1]!, other], expected: 3 })).toMatchObject({ kind: "refuse" });
    expect(elect({ self: "10.0.1.9", positions: [three[0]!, three[1]!, pos("10.0.1.11", -1)], expected: 3 })).toMatchObject({ kind: "refuse", reason: expect.stringContaining("10.0.1.11") });
  });
  it("expects RECOVER_MEMBERS, else the last Primary Component's size, else the live tasks", () => {
    expect(expectedMembers({ configured: "3", gvwstate: 2, liveTasks: 1 })).toBe(3);
    expect(expectedMembers({ configured: "", gvwstate: 2, liveTasks: 1 })).toBe(2);
    expect(expectedMembers({ configured: "x", liveTasks: 3 })).toBe(3);
    expect(expectedMembers({})).toBe(1);
  });
  it("reads the published positions from etcd, skipping what is not a position", () => {
    const dir: EtcdNode = {
      key: "/pxc-cluster/recovery/crashy",
      dir: true,
      nodes: [
        { key: "/pxc-cluster/recovery/crashy/10.0.1.9", value: JSON.stringify(three[0]), ttl: 25 },
        { key: "/pxc-cluster/recovery/crashy/10.0.1.10", value: "not json", ttl: 25 },
        { key: "/pxc-cluster/recovery/crashy/10.0.1.11", value: JSON.stringify(three[2]), ttl: 0 },
      ],
    };
    expect(positionsOf(dir)).toEqual([three[0]]);
  });
});

/** An etcd v2 keys tree in memory, enough for the recovery's reads and writes. */
class FakeEtcd implements EtcdLike {
  keys = new Map<string, string>();
  async get(key: string): Promise<EtcdNode | null> {
    if (this.keys.has(key)) return { key, value: this.keys.get(key), ttl: 20 };
    const children = [...this.keys.entries()].filter(([k]) => k.startsWith(`${key}/`) && !k.slice(key.length + 1).includes("/"));
    const dirs = [...new Set([...this.keys.keys()].filter((k) => k.startsWith(`${key}/`)).map((k) => `${key}/${k.slice(key.length + 1).split("/")[0]}`))];
    if (!children.length && !dirs.length) return null;
    return { key, dir: true, nodes: dirs.map((k) => ({ key: k, value: this.keys.get(k), ttl: 20 })) };
  }
  async put(key: string, form: Record<string, string>): Promise<number> {
    this.keys.set(key, form.value ?? "");
    return 200;
  }
}

const made: string[] = [];
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

function datadir(grastate?: string): string {
  const d = mkdtempSync(join(tmpdir(), "swarmlab-recovery-"));
  made.push(d);
  if (grastate) writeFileSync(join(d, "grastate.dat"), grastate);
  return d;
}

describe("autoRecover: three tasks after a whole-cluster crash", () => {
  const cluster = "crashy";
  const tick = () => new Promise<void>((r) => setImmediate(r));

  function member(etcd: FakeEtcd, address: string, dir: string, seqno: number, live: Set<string>, recovered: string[]) {
    return autoRecover({
      etcd,
      cluster,
      datadir: dir,
      self: async () => ({ address, service: cluster }),
      resolveTasks: async () => ["10.0.1.9", "10.0.1.10", "10.0.1.11"],
      answeringPeers: async (peers) => peers.filter((p) => live.has(p)),
      say: () => {},
      fail: (m) => {
        throw new Error(m);
      },
      env: { RECOVER_MEMBERS: "3", RECOVER_WAIT_SECONDS: "60" },
      recover: () => {
        recovered.push(address);
        return { status: 0, log: `[Note] WSREP: Recovered position: ${UUID}:${seqno}\n` };
      },
      sleep: tick,
      print: () => {},
    }).then(() => address);
  }

  it("each recovers its position; only the highest marks its grastate.dat safe; the others join once it answers", async () => {
    const etcd = new FakeEtcd();
    const live = new Set<string>();
    const recovered: string[] = [];
    const dirs = { "10.0.1.9": datadir(killed), "10.0.1.10": datadir(killed), "10.0.1.11": datadir(killed) };
    const seqnos = { "10.0.1.9": 1288, "10.0.1.10": 1290, "10.0.1.11": 1289 };
    const runs = Object.entries(dirs).map(([a, d]) => member(etcd, a, d, seqnos[a as keyof typeof seqnos], live, recovered));
    // The first to return is the winner: the usual discovery then bootstraps it; it registers and answers.
    const first = await Promise.race(runs);
    expect(first).toBe("10.0.1.10");
    expect(parseGrastate(readFileSync(join(dirs["10.0.1.10"], "grastate.dat"), "utf8"))).toEqual({ uuid: UUID, seqno: 1290, safeToBootstrap: true });
    expect(parseGrastate(readFileSync(join(dirs["10.0.1.9"], "grastate.dat"), "utf8"))?.safeToBootstrap).toBe(false);
    etcd.keys.set(bootstrapKey(cluster), "10.0.1.10");
    etcd.keys.set(`/pxc-cluster/${cluster}/10.0.1.10/ipaddr`, "10.0.1.10");
    live.add("10.0.1.10");
    expect((await Promise.all(runs)).sort()).toEqual(["10.0.1.10", "10.0.1.11", "10.0.1.9"]);
    expect(recovered.sort()).toEqual(["10.0.1.10", "10.0.1.11", "10.0.1.9"]);
    expect(parseGrastate(readFileSync(join(dirs["10.0.1.11"], "grastate.dat"), "utf8"))).toEqual({ uuid: UUID, seqno: -1, safeToBootstrap: false });
    expect([...etcd.keys.keys()].filter((k) => k.startsWith(recoveryDir(cluster))).length).toBe(3);
  });

  it("does nothing when a member answers (one task restarted, the cluster is alive)", async () => {
    const etcd = new FakeEtcd();
    etcd.keys.set(`/pxc-cluster/${cluster}/10.0.1.10/ipaddr`, "10.0.1.10");
    etcd.keys.set(bootstrapKey(cluster), "10.0.1.10");
    const recovered: string[] = [];
    await member(etcd, "10.0.1.9", datadir(clean), 1, new Set(["10.0.1.10"]), recovered);
    expect(recovered).toEqual([]);
    expect([...etcd.keys.keys()].some((k) => k.startsWith(recoveryDir(cluster)))).toBe(false);
  });

  it("waits while the lost cluster's bootstrap claim has not expired, and gives up, bounded, without every position", async () => {
    const etcd = new FakeEtcd();
    etcd.keys.set(bootstrapKey(cluster), "10.0.1.4");
    let t = 0;
    const run = autoRecover({
      etcd,
      cluster,
      datadir: datadir(killed),
      self: async () => ({ address: "10.0.1.9", service: cluster }),
      resolveTasks: async () => undefined,
      answeringPeers: async () => [],
      say: () => {},
      fail: (m) => {
        throw new Error(m);
      },
      env: { RECOVER_MEMBERS: "3", RECOVER_WAIT_SECONDS: "60" },
      recover: () => ({ status: 0, log: `WSREP: Recovered position: ${UUID}:5` }),
      now: () => t,
      sleep: async () => {
        t += 2000;
        // the claim expires after ~30 s, as the lab's 30 s TTL does
        if (t > 30_000) etcd.keys.delete(bootstrapKey(cluster));
      },
      print: () => {},
    });
    await expect(run).rejects.toThrow(/gave up after 60 s: 1 of 3 members have published/);
    expect(t).toBeGreaterThan(60_000);
    expect(etcd.keys.has(`${recoveryDir(cluster)}/10.0.1.9`)).toBe(true);
  });
});
