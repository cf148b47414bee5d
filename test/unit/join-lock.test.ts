import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  describeHolder,
  HeldJoinLock,
  holderStep,
  holderValue,
  JOIN_LOCK_DEFAULTS,
  JoinGate,
  joinGateStep,
  joinLockKey,
  joinLockSettings,
  parseHolder,
  type JoinLockSettings,
  type JoinLockStore,
} from "../../src/discovery/discovery.js";
import { EtcdV2, type EtcdNode } from "../../src/discovery/etcd.js";

/**
 * An etcd v2 keys API in memory, with TTLs on the (faked) clock: atomic create (prevExist=false),
 * compare-and-swap and compare-and-delete on the value, as the gate uses them. `down` makes every call
 * fail as a refused connection does; `hang` makes every call never answer.
 */
class FakeEtcd implements JoinLockStore {
  keys = new Map<string, { value: string; expires: number }>();
  down = false;
  hang = false;
  calls: string[] = [];

  private async gate(what: string): Promise<void> {
    this.calls.push(what);
    if (this.hang) await new Promise(() => {});
    if (this.down) throw new Error("fetch failed (connect ECONNREFUSED 10.0.0.2:2379)");
  }
  private live(key: string) {
    const k = this.keys.get(key);
    if (k && k.expires <= Date.now()) this.keys.delete(key);
    return this.keys.get(key);
  }
  /** What another task (or a crashed one) left there. */
  plant(key: string, value: string, ttl: number) {
    this.keys.set(key, { value, expires: Date.now() + ttl * 1000 });
  }
  async create(key: string, value: string, ttl: number) {
    await this.gate(`create ${key}`);
    if (this.live(key)) return false;
    this.keys.set(key, { value, expires: Date.now() + ttl * 1000 });
    return true;
  }
  async get(key: string): Promise<EtcdNode | null> {
    await this.gate(`get ${key}`);
    const k = this.live(key);
    return k ? { key, value: k.value, ttl: Math.ceil((k.expires - Date.now()) / 1000) } : null;
  }
  async refresh(key: string, value: string, ttl: number) {
    await this.gate(`refresh ${key}`);
    const k = this.live(key);
    if (!k || k.value !== value) return false;
    k.expires = Date.now() + ttl * 1000;
    return true;
  }
  async deleteIf(key: string, value: string) {
    await this.gate(`deleteIf ${key}`);
    const k = this.live(key);
    if (!k || k.value !== value) return false;
    this.keys.delete(key);
    return true;
  }
}

const KEY = joinLockKey("galera");
const settings = (o: Partial<JoinLockSettings> = {}): JoinLockSettings => ({ ttlSeconds: 20, maxHoldMs: 300_000, waitMs: 600_000, pollMs: 500, ...o });
type Said = { at: number; task: string; event: string; data: Record<string, unknown> };

function task(etcd: JoinLockStore, address: string, said: Said[], o: { settings?: JoinLockSettings; signal?: AbortSignal } = {}) {
  const n = address.split(".").pop();
  return new JoinGate({
    etcd,
    key: KEY,
    settings: o.settings ?? settings(),
    self: { address, task: `mysql-galera.${n}.task${n}`, host: `host${n}` },
    say: (event, data = {}) => said.push({ at: Date.now(), task: address, event, data }),
    signal: o.signal,
  });
}

/** What planOverlay does with the gate once its decision is `join`: attempt, wait while held, again. */
async function untilJoin(gate: JoinGate, signal?: AbortSignal): Promise<"locked" | "unlocked" | "aborted"> {
  for (;;) {
    const step = await gate.attempt();
    if (step.kind === "join") return step.locked ? "locked" : "unlocked";
    await gate.waitWhileHeld(step);
    if (signal?.aborted) return "aborted";
  }
}

const T0 = Date.parse("2026-12-01T10:00:00Z");
const events = (said: Said[], name: string) => said.filter((s) => s.event === name);

describe("join gate settings (JOIN_ONE_AT_A_TIME)", () => {
  it("is off unless asked for, and then reads nothing else (a bad JOIN_LOCK_* does not matter)", () => {
    expect(joinLockSettings({})).toBeUndefined();
    expect(joinLockSettings({ JOIN_ONE_AT_A_TIME: "" })).toBeUndefined();
    expect(joinLockSettings({ JOIN_ONE_AT_A_TIME: "0", JOIN_LOCK_MAX_SECONDS: "soon" })).toBeUndefined();
    expect(joinLockSettings({ JOIN_ONE_AT_A_TIME: "off" })).toBeUndefined();
  });
  it("on: the defaults, or the seconds given", () => {
    expect(joinLockSettings({ JOIN_ONE_AT_A_TIME: "1" })).toEqual({ ttlSeconds: 20, maxHoldMs: 300_000, waitMs: 600_000, pollMs: 250 });
    expect(JOIN_LOCK_DEFAULTS).toMatchObject({ ttlSeconds: 20, maxHoldSeconds: 300, waitSeconds: 600, pollMs: 250 });
    expect(joinLockSettings({ JOIN_ONE_AT_A_TIME: "true", JOIN_LOCK_MAX_SECONDS: "90", JOIN_LOCK_TTL_SECONDS: "10.5", JOIN_LOCK_WAIT_SECONDS: "400" })).toEqual({
      ttlSeconds: 11,
      maxHoldMs: 90_000,
      waitMs: 400_000,
      pollMs: 250,
    });
  });
  it("refuses what it does not understand, naming the variable", () => {
    expect(() => joinLockSettings({ JOIN_ONE_AT_A_TIME: "2" })).toThrow(/JOIN_ONE_AT_A_TIME must be 1 \(on\) or 0 \(off\), not "2"/);
    expect(() => joinLockSettings({ JOIN_ONE_AT_A_TIME: "1", JOIN_LOCK_MAX_SECONDS: "0" })).toThrow(/JOIN_LOCK_MAX_SECONDS must be a number of seconds above 0, not "0"/);
    expect(() => joinLockSettings({ JOIN_ONE_AT_A_TIME: "1", JOIN_LOCK_TTL_SECONDS: "x" })).toThrow(/JOIN_LOCK_TTL_SECONDS/);
  });
  it("the key sits beside the bootstrap claim; the value names the holder", () => {
    expect(KEY).toBe("/pxc-cluster/joining/galera");
    const v = holderValue({ address: "10.0.1.4", task: "mysql-galera.2.t9kb", host: "4f2a9c1d07be", since: "2026-12-01T10:00:00.000Z" });
    expect(parseHolder(v)).toEqual({ address: "10.0.1.4", task: "mysql-galera.2.t9kb", host: "4f2a9c1d07be", since: "2026-12-01T10:00:00.000Z" });
    expect(describeHolder(v)).toBe("10.0.1.4 (mysql-galera.2.t9kb)");
    expect(describeHolder(holderValue({ address: "10.0.1.4", host: "4f2a9c1d07be", since: "x" }))).toBe("10.0.1.4 (4f2a9c1d07be)");
    expect(describeHolder("not json")).toBe('"not json"');
    expect(parseHolder("{}")).toBeUndefined();
  });
});

describe("join gate: the pure decisions", () => {
  const self = { address: "10.0.1.6" };
  const held = (address: string) => ({ kind: "held" as const, value: holderValue({ address, task: "mysql-galera.3.x", since: "2026-12-01T10:00:00.000Z" }), ttl: 17 });
  const base = { self, waitedMs: 0, etcdErrors: 0, settings: { waitMs: 600_000 } };

  it("taken: join, holding the lock", () => {
    expect(joinGateStep({ ...base, observation: { kind: "taken" } })).toEqual({ kind: "join", locked: true });
  });
  it("held by another task: wait, the reason naming the holder", () => {
    const o = held("10.0.1.4");
    expect(joinGateStep({ ...base, observation: o })).toEqual({ kind: "wait", reason: "10.0.1.4 (mysql-galera.3.x) holds the join lock: one joiner at a time (JOIN_ONE_AT_A_TIME)", value: o.value, ttl: 17 });
  });
  it("held past JOIN_LOCK_WAIT_SECONDS: join without it", () => {
    const s = joinGateStep({ ...base, waitedMs: 600_000, observation: held("10.0.1.4") });
    expect(s).toMatchObject({ kind: "join", locked: false });
    expect(s.kind === "join" && !s.locked && s.reason).toMatch(/waited 600 s for the join lock \(JOIN_LOCK_WAIT_SECONDS=600\); 10\.0\.1\.4 .* still holds it/);
  });
  it("held under its own address: a gone task's lock, taken over (10.0.1.60 is not 10.0.1.6)", () => {
    expect(joinGateStep({ ...base, observation: held("10.0.1.6") }).kind).toBe("take-over");
    expect(joinGateStep({ ...base, observation: held("10.0.1.60") }).kind).toBe("wait");
  });
  it("etcd failing once: ask again; twice in a row: join without the lock, as without the gate", () => {
    const o = { kind: "error" as const, message: "fetch failed" };
    expect(joinGateStep({ ...base, etcdErrors: 1, observation: o })).toMatchObject({ kind: "wait" });
    const s = joinGateStep({ ...base, etcdErrors: 2, observation: o });
    expect(s).toMatchObject({ kind: "join", locked: false });
    expect(s.kind === "join" && !s.locked && s.reason).toMatch(/^etcd unreachable \(fetch failed\)/);
  });
  it("gone between the create and the read: try again at once", () => {
    expect(joinGateStep({ ...base, observation: { kind: "free" } }).kind).toBe("retry");
  });
  it("the holder keeps it until Synced, or until the maximum hold", () => {
    expect(holderStep({ heldMs: 10_000, maxHoldMs: 300_000, synced: false })).toBe("keep");
    expect(holderStep({ heldMs: 10_000, maxHoldMs: 300_000, synced: true })).toBe("synced");
    expect(holderStep({ heldMs: 300_000, maxHoldMs: 300_000, synced: false })).toBe("max-hold");
  });
});

describe("join gate against a simulated etcd (fake clock)", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  const secondsSince = (at: number) => (at - T0) / 1000;

  it("four joiners at once: one holds the lock at a time, each gives it back when Synced, all join", async () => {
    const etcd = new FakeEtcd();
    const said: Said[] = [];
    const addresses = ["10.0.1.3", "10.0.1.4", "10.0.1.6", "10.0.1.7"];
    const joinSeconds: Record<string, number> = { "10.0.1.3": 12, "10.0.1.4": 30, "10.0.1.6": 8, "10.0.1.7": 45 }; // longer than the TTL: refreshed
    let holding = 0;
    let most = 0;
    const order: string[] = [];
    const joiner = async (address: string) => {
      const gate = task(etcd, address, said);
      expect(await untilJoin(gate)).toBe("locked");
      holding++;
      most = Math.max(most, holding);
      order.push(address);
      await new Promise((r) => setTimeout(r, joinSeconds[address]! * 1000)); // start mariadbd, group join, SST, Synced
      holding--;
      await gate.lock!.release("synced"); // keepRegistration, in the round that finds it Synced
      await gate.lock!.kept;
    };
    const all = Promise.all(addresses.map(joiner));
    await vi.advanceTimersByTimeAsync(200_000);
    await all;

    expect(most).toBe(1);
    expect(order.slice().sort()).toEqual(addresses);
    expect(events(said, "join-lock-taken").map((e) => e.task)).toEqual(order);
    const released = events(said, "join-lock-released");
    expect(released.map((e) => [e.task, e.data.reason, e.data.deleted])).toEqual(order.map((a) => [a, "synced", true]));
    // Each next holder took the lock within one poll (0.5 s) of the release before it.
    const taken = events(said, "join-lock-taken");
    for (let i = 1; i < taken.length; i++) expect(taken[i]!.at - released[i - 1]!.at).toBeLessThanOrEqual(500);
    // The whole seed: the four joins one after another, plus at most a poll between them.
    expect(secondsSince(released.at(-1)!.at)).toBeLessThanOrEqual(12 + 30 + 8 + 45 + 2);
    // A waiter's log names who holds the lock.
    const waits = events(said, "join-lock-wait");
    expect(waits.length).toBeGreaterThanOrEqual(3);
    for (const w of waits) {
      const holder = (w.data.holder as { address: string }).address;
      const heldThen = taken.filter((t) => t.at <= w.at).at(-1)!.task;
      expect(holder).toBe(heldThen);
      expect(w.task).not.toBe(holder);
    }
    expect(etcd.keys.size).toBe(0);
  });

  it("the holder refreshes the key beyond its TTL while it joins", async () => {
    const etcd = new FakeEtcd();
    const said: Said[] = [];
    const gate = task(etcd, "10.0.1.3", said);
    expect(await untilJoin(gate)).toBe("locked");
    await vi.advanceTimersByTimeAsync(100_000); // five TTLs
    expect(gate.lock!.holding).toBe(true);
    expect((await etcd.get(KEY))?.value).toBe(gate.lock!.value);
    expect(etcd.calls.filter((c) => c.startsWith("refresh")).length).toBe(20); // every min(5 s, ttl/3) = 5 s
    await gate.lock!.release("synced");
    expect(await etcd.get(KEY)).toBeNull();
  });

  it("a holder that crashed (no refresh, no release): the lock lapses with its TTL and the next joiner takes it", async () => {
    const etcd = new FakeEtcd();
    const said: Said[] = [];
    const crashed = holderValue({ address: "10.0.1.4", task: "mysql-galera.2.gone", since: new Date(T0).toISOString() });
    etcd.plant(KEY, crashed, 20);
    const gate = task(etcd, "10.0.1.6", said);
    const joined = untilJoin(gate);
    await vi.advanceTimersByTimeAsync(19_000);
    expect(gate.lock).toBeUndefined();
    expect(events(said, "join-lock-wait")[0]!.data).toMatchObject({ holder: { address: "10.0.1.4", task: "mysql-galera.2.gone" }, ttl: 20, key: KEY });
    await vi.advanceTimersByTimeAsync(1_500);
    expect(await joined).toBe("locked");
    expect(secondsSince(events(said, "join-lock-taken")[0]!.at)).toBeGreaterThanOrEqual(20);
    expect(secondsSince(events(said, "join-lock-taken")[0]!.at)).toBeLessThanOrEqual(20.5);
    expect(gate.waitedSeconds).toBeCloseTo(20, 0);
    await gate.lock!.release("synced");
  });

  it("a holder that never becomes Synced gives the lock up after JOIN_LOCK_MAX_SECONDS, not before", async () => {
    const etcd = new FakeEtcd();
    const said: Said[] = [];
    const s = settings({ maxHoldMs: 60_000 });
    const stuck = task(etcd, "10.0.1.3", said, { settings: s }); // a looping SST
    expect(await untilJoin(stuck)).toBe("locked");
    const next = task(etcd, "10.0.1.4", said, { settings: s });
    const joined = untilJoin(next);
    await vi.advanceTimersByTimeAsync(59_000);
    expect(next.lock).toBeUndefined(); // three TTLs later, still held: refreshed
    await vi.advanceTimersByTimeAsync(1_500);
    expect(await joined).toBe("locked");
    expect(events(said, "join-lock-released").map((e) => [e.task, e.data.reason, e.data.heldSeconds])).toEqual([["10.0.1.3", "max-hold", 60]]);
    expect(stuck.lock!.holding).toBe(false);
    await stuck.lock!.kept;
    // The stuck member's later Synced (or its exit) gives back nothing that is no longer its own.
    await stuck.lock!.release("synced");
    expect(events(said, "join-lock-released")).toHaveLength(1);
    expect((await etcd.get(KEY))?.value).toBe(next.lock!.value);
    await next.lock!.release("mariadbd-exit");
  });

  it("mariadbd exiting while holding gives the lock back at once", async () => {
    const etcd = new FakeEtcd();
    const said: Said[] = [];
    const a = task(etcd, "10.0.1.3", said);
    const b = task(etcd, "10.0.1.4", said);
    expect(await untilJoin(a)).toBe("locked");
    const joined = untilJoin(b);
    await vi.advanceTimersByTimeAsync(7_000);
    await a.lock!.release("mariadbd-exit"); // startMariadbd's exit hook
    await vi.advanceTimersByTimeAsync(500);
    expect(await joined).toBe("locked");
    expect(events(said, "join-lock-released")[0]!.data).toMatchObject({ reason: "mariadbd-exit", deleted: true, heldSeconds: 7 });
    await b.lock!.release("synced");
  });

  it("etcd down at the attempt: one retry after a poll, then join without the lock (join-lock-skipped)", async () => {
    const etcd = new FakeEtcd();
    etcd.down = true;
    const said: Said[] = [];
    const gate = task(etcd, "10.0.1.6", said);
    const joined = untilJoin(gate);
    await vi.advanceTimersByTimeAsync(600);
    expect(await joined).toBe("unlocked");
    expect(gate.lock).toBeUndefined();
    expect(events(said, "join-lock-skipped")[0]!.data.reason).toMatch(/^etcd unreachable \(fetch failed .*ECONNREFUSED.*\): joining without the join lock/);
    expect(etcd.calls.filter((c) => c.startsWith("create"))).toHaveLength(2);
  });

  it("etcd going away while a joiner waits: it stops waiting and joins as without the gate", async () => {
    const etcd = new FakeEtcd();
    const said: Said[] = [];
    const holder = task(etcd, "10.0.1.3", said);
    expect(await untilJoin(holder)).toBe("locked");
    const waiter = task(etcd, "10.0.1.4", said);
    const joined = untilJoin(waiter);
    await vi.advanceTimersByTimeAsync(3_000);
    etcd.down = true;
    await vi.advanceTimersByTimeAsync(1_500);
    expect(await joined).toBe("unlocked");
    expect(secondsSince(events(said, "join-lock-skipped")[0]!.at)).toBeLessThanOrEqual(4.5);
    // The holder keeps trying to refresh and does not fail; with etcd back its key is still there (or lapsed).
    etcd.down = false;
    await holder.lock!.release("synced");
  });

  it("a release that etcd does not answer is bounded (3 s) and says so; the key then lapses with its TTL", async () => {
    const etcd = new FakeEtcd();
    const said: Said[] = [];
    const gate = task(etcd, "10.0.1.3", said);
    expect(await untilJoin(gate)).toBe("locked");
    etcd.hang = true;
    const released = gate.lock!.release("mariadbd-exit");
    await vi.advanceTimersByTimeAsync(3_000);
    await released;
    expect(events(said, "join-lock-released")[0]!.data).toMatchObject({ reason: "mariadbd-exit", deleted: false, error: expect.stringMatching(/no answer from etcd in 3 s/) });
  });

  it("waits at most JOIN_LOCK_WAIT_SECONDS in all, then joins without the lock", async () => {
    const etcd = new FakeEtcd();
    const said: Said[] = [];
    const s = settings({ maxHoldMs: 1_000_000, waitMs: 120_000 });
    const holder = task(etcd, "10.0.1.3", said, { settings: s });
    expect(await untilJoin(holder)).toBe("locked");
    const waiter = task(etcd, "10.0.1.4", said, { settings: s });
    const joined = untilJoin(waiter);
    await vi.advanceTimersByTimeAsync(120_500);
    expect(await joined).toBe("unlocked");
    expect(events(said, "join-lock-skipped")[0]!.data.reason).toMatch(/^waited 120 s for the join lock \(JOIN_LOCK_WAIT_SECONDS=120\); 10\.0\.1\.3 \(mysql-galera\.3\.task3\) still holds it/);
    // A long wait says so now and then (every 30 s), not at every poll.
    expect(events(said, "join-lock-wait").filter((e) => e.task === "10.0.1.4").length).toBe(4);
    await holder.lock!.release("synced");
  });

  it("a signal ends a wait at once", async () => {
    const etcd = new FakeEtcd();
    const said: Said[] = [];
    const holder = task(etcd, "10.0.1.3", said);
    expect(await untilJoin(holder)).toBe("locked");
    const abort = new AbortController();
    const waiter = task(etcd, "10.0.1.4", said, { signal: abort.signal });
    const joined = untilJoin(waiter, abort.signal);
    await vi.advanceTimersByTimeAsync(2_200);
    abort.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(await joined).toBe("aborted");
    expect(waiter.waitedSeconds).toBeCloseTo(2.2, 1);
    await holder.lock!.release("signal");
  });

  it("a lock under its own address (a task gone before it, same overlay address) is taken over", async () => {
    const etcd = new FakeEtcd();
    const said: Said[] = [];
    etcd.plant(KEY, holderValue({ address: "10.0.1.6", task: "mysql-galera.3.old", since: new Date(T0 - 5_000).toISOString() }), 20);
    const gate = task(etcd, "10.0.1.6", said);
    expect(await untilJoin(gate)).toBe("locked");
    expect(events(said, "join-lock-take-over")[0]!.data).toMatchObject({ holder: { task: "mysql-galera.3.old" } });
    expect(parseHolder((await etcd.get(KEY))!.value)).toMatchObject({ address: "10.0.1.6", task: "mysql-galera.6.task6" });
    await gate.lock!.release("synced");
  });

  it("a holder whose key lapsed and went to another says join-lock-lost and never deletes the other's key", async () => {
    const etcd = new FakeEtcd();
    const said: Said[] = [];
    const a = task(etcd, "10.0.1.3", said);
    expect(await untilJoin(a)).toBe("locked");
    etcd.down = true; // a's refreshes fail for longer than the TTL
    await vi.advanceTimersByTimeAsync(21_000);
    etcd.down = false;
    const b = task(etcd, "10.0.1.4", said);
    expect(await untilJoin(b)).toBe("locked");
    await vi.advanceTimersByTimeAsync(5_000);
    expect(events(said, "join-lock-lost").map((e) => e.task)).toEqual(["10.0.1.3"]);
    expect(events(said, "join-lock-lost")[0]!.data.holder).toMatchObject({ address: "10.0.1.4" });
    await a.lock!.release("synced"); // no longer its own: nothing deleted, nothing said
    expect((await etcd.get(KEY))?.value).toBe(b.lock!.value);
    await b.lock!.release("synced");
  });

  it("HeldJoinLock on its own: release is idempotent", async () => {
    const etcd = new FakeEtcd();
    const said: Said[] = [];
    const value = holderValue({ address: "10.0.1.3", since: new Date(T0).toISOString() });
    await etcd.create(KEY, value, 20);
    const lock = new HeldJoinLock({ etcd, key: KEY, settings: settings(), self: { address: "10.0.1.3" }, say: (event, data = {}) => said.push({ at: Date.now(), task: "a", event, data }) }, value);
    await Promise.all([lock.release("synced"), lock.release("mariadbd-exit")]);
    expect(said.map((s) => [s.event, s.data.reason])).toEqual([["join-lock-released", "synced"]]);
  });
});

describe("EtcdV2: compare-and-swap and compare-and-delete as etcd's v2 API takes them", () => {
  it("sends prevValue and reads 200 / 404 / 412", async () => {
    const seen: Array<{ method: string; url: string; body: string }> = [];
    const answers = [200, 412, 404, 200, 412, 404, 500];
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        seen.push({ method: req.method!, url: req.url!, body });
        const status = answers.shift()!;
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(status === 200 ? { action: "compareAndSwap", node: { key: "/x" } } : { errorCode: status === 404 ? 100 : status === 412 ? 101 : 300, message: "nope" }));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const etcd = new EtcdV2(`127.0.0.1:${(server.address() as AddressInfo).port}`);
      const value = holderValue({ address: "10.0.1.3", task: "mysql-galera.1.a b", since: "2026-12-01T10:00:00.000Z" });
      expect(await etcd.refresh(KEY, value, 20)).toBe(true);
      expect(await etcd.refresh(KEY, value, 20)).toBe(false);
      expect(await etcd.refresh(KEY, value, 20)).toBe(false);
      expect(await etcd.deleteIf(KEY, value)).toBe(true);
      expect(await etcd.deleteIf(KEY, value)).toBe(false);
      expect(await etcd.deleteIf(KEY, value)).toBe(false);
      await expect(etcd.deleteIf(KEY, value)).rejects.toThrow(/etcd DELETE \/pxc-cluster\/joining\/galera: 500 nope/);
      const put = new URL(seen[0]!.url, "http://x");
      expect([seen[0]!.method, put.pathname, put.searchParams.get("prevValue")]).toEqual(["PUT", "/v2/keys/pxc-cluster/joining/galera", value]);
      expect(Object.fromEntries(new URLSearchParams(seen[0]!.body))).toEqual({ value, ttl: "20" });
      const del = new URL(seen[3]!.url, "http://x");
      expect([seen[3]!.method, del.pathname, del.searchParams.get("prevValue")]).toEqual(["DELETE", "/v2/keys/pxc-cluster/joining/galera", value]);
    } finally {
      server.close();
    }
  });
});
