import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { collectSeedBreakdown, memberBreakdown, overlap, parseTimestamp, PHASES, seedBreakdown, timedLines, type TaskLogInput } from "../../src/checks/seed-breakdown.js";
import { breakdownMarkdown, summariseBreakdowns } from "../../src/bench/breakdown.js";
import { figure, markdownTable } from "../../src/bench/figures.js";
import { benchJson, type BenchResult } from "../../src/bench/bench.js";
import type { Host } from "../../src/hosts/host.js";

/**
 * The fixtures are a real seed's three task logs, as the lab's `docker logs --timestamps` wrote them
 * (a 30-minute soak's start state on this machine, 2026-11-30 09:04, MariaDB 10.11.18 + Galera 4.23),
 * cut down to the lines that matter plus a few others, stdout (the entrypoint's events) first and
 * stderr (mariadbd) after it, as the collector joins them. Two joiners started at once; the second
 * one's group join waited 7.5 s ("No nodes coming from primary view") and the transfers ran one
 * after another. The service's create time and the containers' start times of that run were not
 * recorded: the ones below are made up for the test.
 */
const fixture = (name: string) => readFileSync(new URL(`./fixtures/seed-breakdown/${name}.log`, import.meta.url), "utf8");
const CREATED = "2026-11-30T09:04:46.200Z";
const real: TaskLogInput[] = [
  // ps order on the hosts, not the order they finish in
  { host: "docker2", task: "mysql-galera.2.t9kbv5plk4rdh0813d7afku2j", startedAt: "2026-11-30T09:04:50.1Z", state: "running", logs: fixture("docker2.mysql-galera.2") },
  { host: "docker1", task: "mysql-galera.1.x07l7moj27y6sfpugdbgtfihh", startedAt: "2026-11-30T09:04:49.900000000Z", state: "running", logs: fixture("docker1.mysql-galera.1") },
  { host: "docker3", task: "mysql-galera.3.i0f8q8nm902h23z91if6d3shf", startedAt: "2026-11-30T09:04:49.95Z", state: "running", logs: fixture("docker3.mysql-galera.3") },
];

describe("seed breakdown: timestamps and lines", () => {
  it("reads docker's RFC3339Nano prefix, trailing zeros trimmed or not, and offsets", () => {
    const base = Date.parse("2026-11-30T09:04:52Z");
    expect(parseTimestamp("2026-11-30T09:04:52.880044875Z [swarmlab-discovery] {}")).toBeCloseTo(base + 880.044875, 6);
    expect(parseTimestamp("2026-11-30T09:04:52.88Z x")).toBeCloseTo(base + 880, 6);
    expect(parseTimestamp("2026-11-30T09:04:52Z x")).toBe(base);
    expect(parseTimestamp("2026-11-30T10:04:52.5+01:00 x")).toBe(base + 500);
    expect(parseTimestamp("2026-11-30  9:04:55 0 [Note] WSREP: Start replication")).toBeUndefined();
    expect(parseTimestamp("Version: '10.11.18-MariaDB-0+deb12u1'")).toBeUndefined();
  });

  it("sorts both streams by time, gives an untimed discovery line its own time and skips other untimed lines", () => {
    const lines = timedLines([
      "2026-11-30T09:05:01.376534830Z [swarmlab-discovery] {\"event\":\"start-mariadbd\",\"time\":\"2026-11-30T09:05:01.374Z\"}",
      "2026-11-30T09:05:01.409360430Z 2026-11-30  9:05:01 0 [Note] Starting MariaDB 10.11.18-MariaDB-0+deb12u1 as process 80",
      "2026-11-30T09:05:01.376453590Z [swarmlab-discovery] {\"event\":\"probe\",\"time\":\"2026-11-30T09:05:01.374Z\",\"port\":4567,\"peers\":[\"10.0.1.5\"],\"answering\":[\"10.0.1.5\"]}",
      "[swarmlab-discovery] {\"event\":\"own-address\",\"time\":\"2026-11-30T09:04:52.990Z\",\"own\":\"10.0.1.4\"}",
      "Version: '10.11.18-MariaDB-0+deb12u1'  socket: '/run/mysqld/mysqld.sock'  port: 3306  Debian 12",
      "",
    ]);
    expect(lines.map((l) => l.event?.event ?? "mariadbd")).toEqual(["own-address", "probe", "start-mariadbd", "mariadbd"]);
  });
});

describe("seed breakdown of a real seed: one bootstrap, two joiners that started at once", () => {
  const b = seedBreakdown({ createdAt: CREATED, observedSyncedAt: "2026-11-30T09:05:14.0Z", serviceCreatedAt: "2026-11-30T09:04:46.41Z", tasks: real });
  const [boot, first, second] = b.members;

  it("orders the members: the bootstrap, then the joiners as they became Synced", () => {
    expect(b.members.map((m) => [m.host, m.role, m.address])).toEqual([
      ["docker1", "bootstrap", "10.0.1.5"],
      ["docker3", "joiner", "10.0.1.4"],
      ["docker2", "joiner", "10.0.1.3"],
    ]);
    expect(boot!.clusterAddress).toBe("gcomm://10.0.1.3,10.0.1.4");
    expect(first!.clusterAddress).toBe("gcomm://10.0.1.5");
  });

  it("places each milestone on its own line, in seconds from service create", () => {
    expect(boot!.at).toEqual({
      containerStarted: 3.7,
      firstLine: 6.68, // datadir-initialised
      datadirInitialised: 6.68,
      ownAddress: 6.78,
      firstDecision: 9.03, // the winner's tasks.<service> settle
      decision: 9.03,
      mariadbdStart: 9.03,
      startReplication: 9.16,
      primary: 9.16, // New COMPONENT: primary = yes (a bootstrap never shifts OPEN -> PRIMARY)
      synced: 9.64, // Synchronized with group (not its early "Shifting JOINED -> SYNCED" before InnoDB starts)
      ready: 9.64,
      registered: 14.04, // the first state event Primary/Synced
    });
    expect(second!.at).toMatchObject({ decision: 15.26, startReplication: 15.34, primary: 22.86, transferStart: 22.86, transferReceived: 26.93, joined: 27.29, synced: 27.29, ready: 27.29, registered: 30.36 });
  });

  it("splits created → Synced into consecutive phases that add up to the total", () => {
    expect(boot!.phases).toEqual({ scheduling: 3.7, datadirInit: 2.98, ownAddress: 0.1, claimAndSettle: 2.25, waitForRegistration: 0, mariadbdStart: 0.13, groupJoin: 0, toSynced: 0.47 });
    expect(first!.phases).toEqual({ scheduling: 3.75, datadirInit: 2.92, ownAddress: 0.13, claimAndSettle: 0.34, waitForRegistration: 8.03, mariadbdStart: 0.06, groupJoin: 1, transfer: 3.07, toSynced: 0.21 });
    expect(second!.phases).toMatchObject({ waitForRegistration: 8.08, groupJoin: 7.52, transfer: 4.07, toSynced: 0.36 });
    for (const m of b.members) {
      const sum = Object.values(m.phases).reduce((a, x) => a + x, 0);
      expect(sum).toBeCloseTo(m.extras.total!, 1);
    }
    expect(PHASES.map((p) => p.key)).toEqual(["scheduling", "datadirInit", "ownAddress", "claimAndSettle", "waitForRegistration", "mariadbdStart", "groupJoin", "transfer", "toSynced"]);
  });

  it("tells how long the joiners waited, why, and how soon after the bootstrap's registration they joined", () => {
    expect(first!.discovery).toEqual({ waits: 4, reasons: { "no live registered member to join yet": 4 }, probes: [{ at: 15.18, peers: ["10.0.1.5"], answering: ["10.0.1.5"] }], etcdUnreachable: 0, bootstrapDeclined: 0 });
    expect(boot!.extras.registeredAfterSynced).toBe(4.4);
    expect(first!.extras.joinedAfterRegistration).toBe(1.14);
    expect(second!.extras.joinedAfterRegistration).toBe(1.22);
    expect(boot!.extras.joinedAfterRegistration).toBeUndefined();
    expect(first!.transfer).toBe("SST");
    expect(boot!.transfer).toBeUndefined();
  });

  it("says the joins and group joins ran at once, the transfers one after another", () => {
    expect(b.joins).toBe("at once");
    expect(b.groupJoins).toBe("at once");
    expect(b.transfers).toBe("one after another");
    expect(b.lastSynced).toBe(27.29);
    expect(b.observedSynced).toBe(27.8);
    expect(b.serviceCreated).toBe(0.21);
    expect(b.notes).toEqual([]);
  });
});

describe("seed breakdown: missing lines are never filled in", () => {
  const without = (logs: string, re: RegExp) =>
    logs
      .split("\n")
      .filter((l) => !re.test(l))
      .join("\n");
  const joiner = real[2]!;

  it("a transfer without its end leaves transfer and toSynced undefined, not counted from Primary", () => {
    const m = memberBreakdown({ ...joiner, logs: without(joiner.logs as string, /SST received|SST completed on joiner|SST succeeded|Installed new state/) }, Date.parse(CREATED));
    expect(m.at.transferStart).toBe(16.24);
    expect(m.at.transferReceived).toBeUndefined();
    expect(m.phases.transfer).toBeUndefined();
    expect(m.phases.toSynced).toBeUndefined();
    expect(m.extras.total).toBe(19.52);
  });

  it("falls back from MariaDB's Synchronized line to the server status change, then to Galera's shift", () => {
    const a = memberBreakdown({ ...joiner, logs: without(joiner.logs as string, /Synchronized with group/) }, Date.parse(CREATED));
    expect(a.at.synced).toBe(19.52);
    const b = memberBreakdown({ ...joiner, logs: without(joiner.logs as string, /Synchronized with group|Server status change joined -> synced/) }, Date.parse(CREATED));
    expect(b.at.synced).toBe(19.52);
    const c = memberBreakdown({ ...joiner, logs: without(joiner.logs as string, /Synchronized with group|joined -> synced|JOINED -> SYNCED/) }, Date.parse(CREATED));
    expect(c.at.synced).toBeUndefined();
    expect(c.extras.total).toBeUndefined();
  });

  it("without the container's start time, scheduling and datadirInit are unknown but created → first line is not", () => {
    const m = memberBreakdown({ ...joiner, startedAt: undefined }, Date.parse(CREATED));
    expect(m.phases.scheduling).toBeUndefined();
    expect(m.phases.datadirInit).toBeUndefined();
    expect(m.extras.toFirstLine).toBe(6.67);
    expect(m.phases.ownAddress).toBe(0.13);
  });

  it("without discovery lines the role comes from Galera's bootstrap option, and discovery phases are undefined", () => {
    const m = memberBreakdown({ ...real[1]!, logs: without(real[1]!.logs as string, /swarmlab-discovery/) }, Date.parse(CREATED));
    expect(m.role).toBe("bootstrap");
    expect(m.phases.ownAddress).toBeUndefined();
    expect(m.phases.waitForRegistration).toBeUndefined();
    expect(m.phases.mariadbdStart).toBeUndefined();
    expect(m.phases.groupJoin).toBe(0);
    expect(m.at.registered).toBeUndefined();
  });

  it("a task that died in discovery is listed with its fatal line and noted", () => {
    const dead: TaskLogInput = {
      host: "docker3",
      task: "mysql-galera.3.aaaaaaaaaaaaaaaaaaaaaaaaa",
      state: "exited 1",
      logs: [
        '2026-11-30T09:04:52.9Z [swarmlab-discovery] {"event":"datadir-initialised","time":"2026-11-30T09:04:52.856Z"}',
        '2026-11-30T09:04:53.0Z [swarmlab-discovery] {"event":"etcd-unreachable","time":"2026-11-30T09:04:53.0Z","message":"fetch failed"}',
        '2026-11-30T09:09:53.1Z [swarmlab-discovery] {"event":"fatal","time":"2026-11-30T09:09:53.1Z","message":"gave up after 300s waiting for a live member to join: no live registered member to join yet"}',
      ],
    };
    const b = seedBreakdown({ createdAt: CREATED, tasks: [real[1]!, dead] });
    expect(b.members[1]).toMatchObject({ task: dead.task, fatal: expect.stringMatching(/^gave up after 300s/), discovery: { etcdUnreachable: 1 } });
    expect(b.members[1]!.role).toBeUndefined();
    expect(b.notes).toEqual([`docker3 ${dead.task}: no Synced line in its log (exited 1); fatal: gave up after 300s waiting for a live member to join: no live registered member to join yet`]);
    expect(b.joins).toBeUndefined();
  });
});

describe("seed breakdown: joins one after another", () => {
  // Composed from the entrypoint's events and MariaDB 10.11's lines: the second joiner finds only the
  // bootstrap answering at first (docker3's 4567 not yet), waits, joins when the first joiner is Synced.
  const t = (s: number) => new Date(Date.parse("2026-11-30T14:33:40Z") + s * 1000).toISOString().replace("Z", "123Z");
  const ev = (s: number, event: string, data: Record<string, unknown> = {}) => `${t(s)} [swarmlab-discovery] ${JSON.stringify({ event, time: new Date(Date.parse(t(s))).toISOString(), ...data })}`;
  const galera = (s: number, text: string) => `${t(s)} 2026-11-30 14:33:${String(40 + Math.floor(s)).padStart(2, "0")} 0 [Note] ${text}`;
  const joinerLog = (from: number, self: string) => [
    ev(from, "datadir-initialised"),
    ev(from + 0.1, "own-address", { own: self }),
    ev(from + 0.4, "decision", { kind: "join", clusterAddress: "gcomm://10.0.1.5", self }),
    ev(from + 0.4, "start-mariadbd", { bootstrap: false }),
    galera(from + 0.5, "WSREP: Start replication"),
    galera(from + 1.5, "WSREP: Shifting OPEN -> PRIMARY (TO: 2)"),
    galera(from + 1.5, "WSREP: Prepared SST request: rsync|" + self + ":4444/rsync_sst"),
    galera(from + 4.5, "WSREP: SST received: 1c46d5da-ec9d-11f1-9441-e3a9e0bcdb3b:2"),
    galera(from + 5, "WSREP: Shifting JOINER -> JOINED (TO: 2)"),
    galera(from + 5, "WSREP: Shifting JOINED -> SYNCED (TO: 2)"),
  ];
  const b = seedBreakdown({
    createdAt: t(0),
    tasks: [
      { host: "docker2", task: "mysql-galera.2.x", logs: joinerLog(3, "10.0.1.3") },
      { host: "docker3", task: "mysql-galera.3.y", logs: joinerLog(10, "10.0.1.4") },
    ],
  });
  it("says so, takes Galera's shift to SYNCED when MariaDB's own line is absent, and the older Prepared SST request line", () => {
    expect(b.joins).toBe("one after another");
    expect(b.transfers).toBe("one after another");
    expect(b.members.map((m) => m.at.synced)).toEqual([8, 15]);
    expect(b.members[0]!.phases).toMatchObject({ groupJoin: 1, transfer: 3, toSynced: 0.5 });
    expect(overlap([[1, 2], [2, 3]])).toBe("one after another");
    expect(overlap([[1, 2.5], [2, 3]])).toBe("at once");
    expect(overlap([[1, undefined], [2, 3]])).toBeUndefined();
  });
});

describe("the bench's seedBreakdown", () => {
  const one = seedBreakdown({ createdAt: CREATED, observedSyncedAt: "2026-11-30T09:05:14.0Z", tasks: real });
  const two = seedBreakdown({ createdAt: Date.parse(CREATED) - 2000, tasks: real });
  const s = summariseBreakdowns([one, two]);

  it("takes medians per member position and phase across runs", () => {
    expect(s.runs).toBe(2);
    expect(s.positions.map((p) => [p.position, p.hosts])).toEqual([
      ["bootstrap", ["docker1", "docker1"]],
      ["joiner 1", ["docker3", "docker3"]],
      ["joiner 2", ["docker2", "docker2"]],
    ]);
    expect(s.positions[0]!.figures.scheduling).toEqual(figure([3.7, 5.7]));
    expect(s.positions[2]!.figures.groupJoin).toEqual(figure([7.52, 7.52]));
    expect(s.positions[0]!.figures.registeredAfterSynced).toEqual(figure([4.4, 4.4]));
    expect(s.lastSynced).toEqual(figure([27.29, 29.29]));
    expect(s.observedSynced).toEqual(figure([27.8]));
    expect(s.joins).toEqual({ "at once": 2 });
    expect(s.transfers).toEqual({ "one after another": 2 });
  });

  it("writes a Markdown section with a row per phase and what the joins did", () => {
    const md = breakdownMarkdown({ summary: s, runs: [one, two] });
    expect(md).toContain("| phase | bootstrap | joiner 1 | joiner 2 | from → to |");
    expect(md).toMatch(/\| scheduling \| 4\.7 \(3\.7–5\.7\) \| 4\.75 \(3\.75–5\.75\) \|/);
    expect(md).toMatch(/\| groupJoin \| 0 \| 1 \| 7\.52 \|/);
    expect(md).toMatch(/\| transfer \|  \| 3\.07 \| 4\.07 \|/);
    expect(md).toContain("joins (decision → Synced): at once in 2 of 2; group joins (Start replication → Primary): at once in 2 of 2; state transfers: one after another in 2 of 2");
    expect(md).toContain("- run 1: bootstrap docker1 (mysql-galera.1, Synced at 9.64 s); joiner 1 docker3 (mysql-galera.3, Synced at 19.52 s); joiner 2 docker2 (mysql-galera.2, Synced at 27.29 s); joiner 1 waited 4×");
  });

  it("bench --json keeps every figure key, the Tuned ones and details, and adds seedBreakdown and suiteSeconds", () => {
    const r: BenchResult = {
      date: "2026-11-30T15:00:00.000Z",
      machine: { cpus: 2, memGiB: 24, kernel: "6.18", engine: "20.10.24" },
      runs: 2,
      figures: { warmUpSeconds: figure([5.5, 6]), coldUpSeconds: undefined },
      tuned: { nodeStopToSyncedSeconds: figure([9]) },
      notes: [],
      seedBreakdown: { summary: s, runs: [one, two] },
    };
    const j = benchJson(r);
    expect(Object.keys(j)).toEqual([
      "warmUpSeconds",
      "coldUpSeconds",
      "nodeStopToSyncedSecondsTuned",
      "seedBreakdown",
      "suiteSeconds",
      // issue 15's scale phase (null here: no phase, as with --no-scale)
      "scaleUpSeconds",
      "scalePeakRssMiB",
      "scaleSeedToSyncedSeconds",
      "scaleUpRatio7to3",
      "scaleRssPerHostMiB",
      "scaleRssLinear",
      "details",
    ]);
    expect(j).toMatchObject({ warmUpSeconds: 5.75, coldUpSeconds: null, nodeStopToSyncedSecondsTuned: 9, seedBreakdown: s, suiteSeconds: null, details: r });
    expect(benchJson({ ...r, seedBreakdown: undefined }).seedBreakdown).toBeNull();
  });
});

describe("bench figures against issue 14's targets", () => {
  it("shows each stricter target with its own verdict, beside the earlier one", () => {
    const t = markdownTable(
      { warmUpSeconds: figure([6.04]), seedToSyncedSeconds: figure([11.5]), coldUpSeconds: figure([98.77]), nodeStopToSyncedSeconds: figure([23.7]), partitionHealToPrimarySeconds: figure([4.6]) },
      { nodeStopToSyncedSeconds: figure([11.8]), partitionHealToPrimarySeconds: figure([2.9]) },
    );
    expect(t).toContain("| target | issue 14 target |");
    expect(t).toContain("| warmUpSeconds | 6.04 (6.04–6.04) ✓ |  | ≤ 20 s | ≤ 5 s ✗ |");
    expect(t).toContain("| seedToSyncedSeconds | 11.5 (11.5–11.5) ✓ |  | ≤ 45 s | ≤ 12 s ✓ |");
    expect(t).toContain("| coldUpSeconds | 98.77 (98.77–98.77) |  |  | ≤ 90 s ✗ |");
    expect(t).toContain("| nodeStopToSyncedSeconds | 23.7 (23.7–23.7) ✓ | 11.8 (11.8–11.8) ✓ | ≤ 30 s (tuned ≤ 15) | ≤ 25 s ✓, tuned ≤ 8 ✗ |");
    expect(t).toContain("| partitionHealToPrimarySeconds | 4.6 (4.6–4.6) ✓ | 2.9 (2.9–2.9) ✓ | ≤ 15 s (tuned ≤ 5) | ≤ 5 s ✓, tuned ≤ 3 ✓ |");
    expect(t).toMatch(/\| seedRunSeconds \| not measured \|  \| ≤ 90 s \| ≤ 20 s \|/);
  });
});

describe("collecting the breakdown from the hosts", () => {
  /** A host whose docker CLI answers from a table (argv joined by spaces -> output), with every call recorded. */
  function fakeHost(name: string, answers: Record<string, { stdout?: string; stderr?: string; exitCode?: number } | Error>, calls: Array<{ host: string; argv: string; timeoutMs?: number }>): Host {
    return {
      name,
      docker: async (argv: readonly string[], opts?: { timeoutMs?: number }) => {
        calls.push({ host: name, argv: argv.join(" "), timeoutMs: opts?.timeoutMs });
        const a = answers[argv.join(" ")];
        if (a instanceof Error) throw a;
        return { stdout: a?.stdout ?? "", stderr: a?.stderr ?? "", exitCode: a?.exitCode ?? (a ? 0 : 1) };
      },
    } as unknown as Host;
  }
  const split = (logs: string) => {
    const lines = logs.split("\n");
    return { stdout: lines.filter((l) => l.includes("[swarmlab-discovery]")).join("\n"), stderr: lines.filter((l) => !l.includes("[swarmlab-discovery]")).join("\n") };
  };
  const ps = "ps -a --no-trunc --filter label=com.docker.swarm.service.name=mysql-galera --format {{.ID}} {{.Names}}";

  it("reads every container of the service on each host, with bounded calls, and leaves out a host that does not answer", async () => {
    const calls: Array<{ host: string; argv: string; timeoutMs?: number }> = [];
    const docker1 = fakeHost(
      "docker1",
      {
        "service inspect --format {{json .CreatedAt}} mysql-galera": { stdout: '"2026-11-30T09:04:46.41Z"\n' },
        [ps]: { stdout: "c1full mysql-galera.1.x07l7moj27y6sfpugdbgtfihh\n" },
        "inspect --format {{json .State}} c1full": { stdout: JSON.stringify({ Status: "running", ExitCode: 0, StartedAt: "2026-11-30T09:04:49.9Z" }) },
        "logs -t c1full": split(real[1]!.logs as string),
      },
      calls,
    );
    const docker3 = fakeHost(
      "docker3",
      {
        [ps]: { stdout: "c3full mysql-galera.3.i0f8q8nm902h23z91if6d3shf\n" },
        "inspect --format {{json .State}} c3full": { stdout: JSON.stringify({ Status: "exited", ExitCode: 137, StartedAt: "2026-11-30T09:04:49.95Z" }) },
        "logs -t c3full": split(real[2]!.logs as string),
      },
      calls,
    );
    const docker2 = fakeHost("docker2", { [ps]: new Error("command timed out after 5000ms on docker2: docker ps") }, calls);
    const b = await collectSeedBreakdown([docker1, docker2, docker3], "mysql-galera", { createdAt: CREATED, manager: docker1, timeoutMs: 5000 });
    expect(calls.every((c) => c.timeoutMs === 5000)).toBe(true);
    expect(calls.filter((c) => c.argv.startsWith("logs -t")).map((c) => c.host)).toEqual(["docker1", "docker3"]);
    expect(b.members.map((m) => [m.host, m.role, m.state])).toEqual([
      ["docker1", "bootstrap", "running"],
      ["docker3", "joiner", "exited 137"],
    ]);
    expect(b.members[0]!.phases.scheduling).toBe(3.7);
    expect(b.serviceCreated).toBe(0.21);
    expect(b.notes).toEqual(["docker2: docker ps did not answer: command timed out after 5000ms on docker2: docker ps"]);
  });

  it("takes swarm's CreatedAt of the service when no create time is given, and refuses without either", async () => {
    const calls: Array<{ host: string; argv: string; timeoutMs?: number }> = [];
    const m = fakeHost("docker1", { "service inspect --format {{json .CreatedAt}} mysql-galera": { stdout: '"2026-11-30T09:04:46.2Z"' }, [ps]: { stdout: "" } }, calls);
    const b = await collectSeedBreakdown([m], "mysql-galera", { manager: m });
    expect(b.createdAt).toBe("2026-11-30T09:04:46.200Z");
    expect(calls[0]!.timeoutMs).toBe(20_000);
    await expect(collectSeedBreakdown([m], "mysql-galera")).rejects.toThrow(/no time for `docker service create` of mysql-galera/);
  });
});
