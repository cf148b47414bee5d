/**
 * Entrypoint of swarmlab/galera (runs under Debian's nodejs inside the image; node built-ins only).
 * Honours the Percona image's contract: MYSQL_ROOT_PASSWORD, DISCOVERY_SERVICE, XTRABACKUP_PASSWORD,
 * CLUSTER_NAME. DISCOVERY_MODE=overlay (default) is the correct discovery; legacy re-creates the walkthrough's
 * image's (percona-docker pxc-57/pxc-entry.sh of 2016).
 * Every decision is printed as one line "[swarmlab-discovery] {json}" so checks can read it from the task log.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { promises as dns } from "node:dns";
import { constants as osConstants, hostname } from "node:os";
import { ownAddressWithoutPtr, parseDefaultRouteIfname, parseIpAddr, selectOwnAddress, type PtrAnswer } from "./address.js";
import { decide, gcomm, FIRST_REGISTRATION_POLL_MS, JOIN_LOCK_STATE_POLL_MS, JOIN_WAIT_POLL_MS, SETTLE_ANSWERS, SETTLE_INTERVAL_MS, JoinGate, joinLockKey, joinLockSettings, type HeldJoinLock, type JoinLockSettings, type Registration } from "./discovery.js";
import { connect as tcpConnect } from "node:net";
import {
  CLUSTERCHECK_SLEEP_MS,
  clustercheckCalls,
  clustercheckHealthy,
  commandSubstitution,
  legacyEntryCalls,
  legacyFromAnswers,
  legacyMysqldArgs,
  legacyOwnAddress,
  type CurlCall,
} from "./legacy.js";
import { EtcdV2, type EtcdNode } from "./etcd.js";
import { autoRecover } from "./recovery.js";

const env = process.env;
const DATADIR = "/var/lib/mysql";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function say(event: string, data: Record<string, unknown> = {}): void {
  process.stdout.write(`[swarmlab-discovery] ${JSON.stringify({ event, time: new Date().toISOString(), ...data })}\n`);
}

function fail(message: string): never {
  say("fatal", { message });
  process.stderr.write(`swarmlab/galera: ${message}\n`);
  process.exit(1);
}

function sh(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { input, encoding: "utf8" });
  if (r.status !== 0) fail(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** Like `$(cmd)` in the 2016 script: a failing command gives empty output, not an error. */
function shQuiet(cmd: string, args: string[]): string {
  return spawnSync(cmd, args, { encoding: "utf8" }).stdout ?? "";
}

function sqlString(s: string): string {
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** First start: a fresh datadir with the users the Percona image creates. */
function initDatadir(): void {
  if (existsSync(`${DATADIR}/mysql`)) return;
  const root = env.MYSQL_ROOT_PASSWORD;
  if (!root && !env.MYSQL_ALLOW_EMPTY_PASSWORD) fail("database is uninitialized and MYSQL_ROOT_PASSWORD is not set");
  sh("mariadb-install-db", ["--user=mysql", `--datadir=${DATADIR}`, "--skip-test-db", "--auth-root-authentication-method=socket"]);
  const pw = sqlString(root ?? "");
  const xb = sqlString(env.XTRABACKUP_PASSWORD ?? "");
  const sql = [
    "USE mysql;",
    "FLUSH PRIVILEGES;",
    `ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD(${pw});`,
    `CREATE USER 'root'@'%' IDENTIFIED BY ${pw};`,
    "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;",
    `CREATE USER 'xtrabackup'@'localhost' IDENTIFIED BY ${xb};`,
    "GRANT RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR ON *.* TO 'xtrabackup'@'localhost';",
    "CREATE USER 'monitor'@'%' IDENTIFIED BY 'monitor';",
    "GRANT REPLICATION CLIENT ON *.* TO 'monitor'@'%';",
  ].join("\n");
  sh("mariadbd", ["--bootstrap", "--user=mysql", `--datadir=${DATADIR}`, "--wsrep-on=OFF", "--skip-networking", "--log-error=/tmp/init.err"], sql);
  say("datadir-initialised");
}

async function ownOverlayAddress() {
  const local = parseIpAddr(sh("ip", ["-o", "-4", "addr", "show"]));
  const ptr: PtrAnswer[] = [];
  for (const l of local) {
    if (l.ifname === "lo") continue;
    // A raw PTR query: dns.reverse() came back empty here where the embedded DNS does answer.
    const arpa = `${l.address.split(".").reverse().join(".")}.in-addr.arpa`;
    const names = await dns.resolve(arpa, "PTR").catch(() => [] as string[]);
    ptr.push({ address: l.address, names });
  }
  return { own: selectOwnAddress(local, ptr, env.DISCOVERY_NETWORK || undefined), local, ptr };
}

/**
 * The task's own overlay address, asked again for a while: swarm's DNS may register a new task's
 * PTR record a moment after the task starts (seen on a loaded machine: empty answers for ~1-5 s).
 */
async function ownOverlayAddressSettled(boundMs = 20_000): Promise<Awaited<ReturnType<typeof ownOverlayAddress>> & { withoutPtr?: string }> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    try {
      return await ownOverlayAddress();
    } catch (err) {
      if (Date.now() >= deadline) return ownAddressFallback(err as Error, boundMs);
      await sleep(1000);
    }
  }
}

/** No PTR answer within the bound (a service with a healthcheck, see ownAddressWithoutPtr). */
function ownAddressFallback(ptrError: Error, boundMs: number) {
  const local = parseIpAddr(sh("ip", ["-o", "-4", "addr", "show"]));
  const routeDev = parseDefaultRouteIfname(shQuiet("ip", ["-o", "-4", "route", "show", "default"]));
  try {
    const own = ownAddressWithoutPtr(local, routeDev, env.SERVICE_NAME || undefined);
    const why = `no PTR answer in ${boundMs / 1000} s (swarm's DNS has no record of this task; a service with a healthcheck gets one only once healthy): took the address not on ${routeDev ?? "the default route"}`;
    return { own, local, ptr: [] as PtrAnswer[], withoutPtr: why };
  } catch (err) {
    return fail(`${ptrError.message} (asked for ${boundMs / 1000} s); ${(err as Error).message}`);
  }
}

async function resolveTasks(service: string): Promise<string[] | undefined> {
  if (!service) return undefined; // own address found without PTR and no SERVICE_NAME: etcd alone
  try {
    return await dns.resolve4(`tasks.${service}`);
  } catch {
    return undefined;
  }
}

function registrationsOf(dir: EtcdNode | null): Registration[] {
  return (dir?.nodes ?? []).map((n) => ({ address: n.key.split("/").pop() ?? "", ttl: n.ttl }));
}

/** Waits until `tasks.<service>` gives the same answer SETTLE_ANSWERS times in a row, SETTLE_INTERVAL_MS apart (bounded). */
async function settledTasks(service: string, boundMs = 15_000): Promise<string[]> {
  let last = "";
  let same = 0;
  let answer: string[] = [];
  const deadline = Date.now() + boundMs;
  while (Date.now() < deadline) {
    answer = ((await resolveTasks(service)) ?? []).sort();
    const key = answer.join(",");
    same = key === last ? same + 1 : 0;
    last = key;
    if (same >= SETTLE_ANSWERS - 1) break;
    await sleep(SETTLE_INTERVAL_MS);
  }
  return answer;
}

interface Plan {
  own: string;
  clusterAddress: string;
  bootstrap: boolean;
  register: (etcd: EtcdV2) => Promise<void>;
  /** JOIN_ONE_AT_A_TIME: the join lock this joiner holds until its member is Synced. */
  joinLock?: HeldJoinLock;
}

function registrationKeys(cluster: string, ip: string) {
  return `/pxc-cluster/${cluster}/${ip}`;
}

async function registerAlive(etcd: EtcdV2, cluster: string, ip: string): Promise<void> {
  const dir = registrationKeys(cluster, ip);
  await etcd.put(`${dir}/ipaddr`, { value: ip, ttl: "30" });
  await etcd.put(`${dir}/hostname`, { value: hostname(), ttl: "30" });
  await etcd.put(dir, { ttl: "30", dir: "true", prevExist: "true" });
}

const GALERA_PORT = 4567;

/** Peers that accept a TCP connection on Galera's port within 1.5 s (probed at once). */
async function answeringPeers(peers: string[]): Promise<string[]> {
  const answers = await Promise.all(
    peers.map(
      (host) =>
        new Promise<boolean>((resolve) => {
          const socket = tcpConnect({ host, port: GALERA_PORT, timeout: 1500 });
          const done = (ok: boolean) => {
            socket.destroy();
            resolve(ok);
          };
          socket.once("connect", () => done(true));
          socket.once("timeout", () => done(false));
          socket.once("error", () => done(false));
        }),
    ),
  );
  return peers.filter((_, i) => answers[i]);
}

/**
 * JOIN_ONE_AT_A_TIME: this task's gate, and the abort that a signal before mariadbd starts fires.
 * Only set while the gate is on; see joinGateSignals.
 */
let joinGate: JoinGate | undefined;
const joinGateAbort = new AbortController();

/**
 * With the gate on, a signal while the task waits for the join lock (or holds it before mariadbd
 * runs) ends the wait and gives the lock back before the task exits. Without the gate nothing is
 * installed: as before, the process does what node does with the signal. Returns the uninstaller,
 * called before mariadbd starts (startMariadbd then forwards signals to mariadbd).
 */
function joinGateSignals(): () => void {
  const installed = (["SIGTERM", "SIGINT", "SIGQUIT"] as const).map((sig) => {
    const handler = () => {
      say("signal", { signal: sig, during: "discovery (JOIN_ONE_AT_A_TIME)" });
      joinGateAbort.abort();
      const code = 128 + osConstants.signals[sig];
      // A lock is held here only between taking it and starting mariadbd (no await in between), but if so, give it back.
      if (!joinGate?.lock?.holding) process.exit(code);
      void joinGate.lock.release("signal").finally(() => process.exit(code));
    };
    process.on(sig, handler);
    return [sig, handler] as const;
  });
  return () => {
    for (const [sig, handler] of installed) process.off(sig, handler);
  };
}

async function planOverlay(etcd: EtcdV2 | null, cluster: string, joinSettings?: JoinLockSettings): Promise<Plan> {
  const { own, local, ptr, withoutPtr } = await ownOverlayAddressSettled();
  say("own-address", { mode: "overlay", own: own.address, network: own.network, service: own.service, local, ptr, ...(withoutPtr ? { withoutPtr } : {}) });
  const bootstrapKey = `/pxc-cluster/bootstrap/${cluster}`;
  const register = async (e: EtcdV2) => {
    await registerAlive(e, cluster, own.address);
    // Synced members keep the bootstrap claim alive; after a whole-cluster loss it expires.
    await e.put(bootstrapKey, { value: own.address, ttl: "30" });
  };
  let wonBootstrap = false;
  if (etcd) {
    try {
      wonBootstrap = await etcd.create(bootstrapKey, own.address, 60);
    } catch (err) {
      say("etcd-unreachable", { message: (err as Error).message });
      etcd = null;
    }
  }
  if (joinSettings) {
    if (etcd) {
      const self = { address: own.address, task: own.taskName || undefined, host: hostname() };
      joinGate = new JoinGate({ etcd, key: joinLockKey(cluster), settings: joinSettings, self, say, signal: joinGateAbort.signal });
    } else say("join-lock-skipped", { reason: "no etcd (DISCOVERY_SERVICE unset or unreachable): JOIN_ONE_AT_A_TIME needs it, joining as without it" });
  }
  const waitBound = Number(env.DISCOVERY_WAIT_SECONDS ?? 300) * 1000;
  let deadline = Date.now() + waitBound;
  for (;;) {
    const liveTasks = wonBootstrap ? await settledTasks(own.service) : await resolveTasks(own.service);
    let registrations: Registration[] = [];
    if (etcd) {
      try {
        registrations = registrationsOf(await etcd.get(`/pxc-cluster/${cluster}`, { recursive: "true", quorum: "true" }));
      } catch (err) {
        say("etcd-unreachable", { message: (err as Error).message });
      }
    } else {
      // Without etcd (its host is down) the live tasks of the service are the only source.
      registrations = (liveTasks ?? []).map((address) => ({ address }));
    }
    let decision = decide({ self: own.address, registrations, liveTasks, wonBootstrap });
    if (decision.kind === "bootstrap" && decision.peers.length) {
      // A member already answering on 4567 runs Galera with the cluster's data (maybe non-Primary
      // after losing its majority): a new cluster from this empty datadir would throw that data
      // away (seen in a 30-minute soak). Give the claim back and join, or wait, like anyone else.
      const running = await answeringPeers(decision.peers);
      if (running.length) {
        say("bootstrap-declined", { answering: running, reason: "a Galera member already runs: never bootstrap over it" });
        wonBootstrap = false;
        if (etcd) await etcd.delete(bootstrapKey).catch(() => {});
        decision = decide({ self: own.address, registrations, liveTasks, wonBootstrap });
      }
    }
    if (decision.kind === "join") {
      // A member lost with its host stays in etcd (TTL) and in the service's DNS (swarm still counts
      // its task) for a while: join only members that answer on Galera's port.
      const answering = await answeringPeers(decision.peers);
      say("probe", { port: GALERA_PORT, peers: decision.peers, answering });
      decision = answering.length ? { kind: "join", clusterAddress: gcomm(answering), peers: answering } : { kind: "wait", reason: `no registered member answers on ${GALERA_PORT} yet` };
    }
    // JOIN_ONE_AT_A_TIME: a joiner takes the join lock first, or waits (a `decision` wait naming the holder).
    const gate = decision.kind === "join" && joinGate ? await joinGate.attempt() : undefined;
    if (gate?.kind === "wait") {
      say("decision", { kind: "wait", reason: gate.reason, self: own.address, registrations, liveTasks: liveTasks ?? null, wonBootstrap, joinLock: gate.value ?? null });
      // The time spent waiting for the lock does not count against DISCOVERY_WAIT_SECONDS (it has its own bound).
      deadline += await joinGate!.waitWhileHeld(gate);
      if (joinGateAbort.signal.aborted) fail("a signal ended the wait for the join lock"); // (its handler exits first)
      continue;
    }
    say("decision", { ...decision, self: own.address, registrations, liveTasks: liveTasks ?? null, wonBootstrap, ...(gate ? { joinLock: gate.locked ? "taken" : "skipped" } : {}) });
    if (decision.kind !== "wait") {
      return { own: own.address, clusterAddress: decision.clusterAddress, bootstrap: decision.kind === "bootstrap", register, ...(joinGate?.lock ? { joinLock: joinGate.lock } : {}) };
    }
    if (Date.now() > deadline) fail(`gave up after ${waitBound / 1000}s waiting for a live member to join: ${decision.reason}`);
    await sleep(JOIN_WAIT_POLL_MS);
  }
}

/**
 * curl as pxc-entry.sh runs it: no -L, no timeout of its own, failures ignored (set +e, entry:117).
 * `print`: the answer goes to the task log (calls not piped into jq); `errors`: so do curl's errors
 * (clustercheckcron sends both to its log file instead).
 */
async function curl(call: CurlCall, print: boolean, errors = true): Promise<string> {
  try {
    const res = await fetch(call.url, {
      method: call.method,
      body: call.data,
      headers: call.data !== undefined ? { "content-type": "application/x-www-form-urlencoded" } : undefined,
      redirect: "manual",
    });
    const text = await res.text();
    // Calls not piped into jq print etcd's answer into the task log, as curl did.
    if (print) process.stdout.write(text.endsWith("\n") || text === "" ? text : `${text}\n`);
    return text;
  } catch (err) {
    if (errors) process.stderr.write(`curl: ${call.method} ${call.url}: ${(err as Error).message}\n`);
    return "";
  }
}

interface LegacyPlan {
  own: string;
  clusterJoin: string;
  clusterAddress: string;
  bootstrap: boolean;
}

/** DISCOVERY_MODE=legacy: percona-docker pxc-57/pxc-entry.sh, line by line (see legacy.ts). */
async function planLegacy(discoveryService: string | undefined, cluster: string): Promise<LegacyPlan> {
  if (!discoveryService) {
    // entry:106-107: cluster_join=$CLUSTER_JOIN; ipaddr is never set, so --wsrep_node_address="".
    const clusterJoin = env.CLUSTER_JOIN ?? "";
    say("decision", { kind: clusterJoin === "" ? "bootstrap" : "join", clusterAddress: `gcomm://${clusterJoin}`, from: "CLUSTER_JOIN", own: "" });
    return { own: "", clusterJoin, clusterAddress: `gcomm://${clusterJoin}`, bootstrap: clusterJoin === "" };
  }
  process.stdout.write("\nRegistering in the discovery service\n\n"); // entry:110-112
  const hostnameI = shQuiet("hostname", ["-i"]);
  const eth0 = parseIpAddr(sh("ip", ["-o", "-4", "addr", "show"])).find((a) => a.ifname === "eth0")?.address ?? "";
  // entry:119 takes the first word of `hostname -i`. On the walkthrough's Docker 1.12 that was eth0's
  // address (the ingress network's); today's engines write the service network's address into
  // /etc/hosts instead. LEGACY_OWN_ADDRESS=eth0 gives the answer the walkthrough's image got.
  const source = env.LEGACY_OWN_ADDRESS ?? "hostname-i";
  if (source !== "hostname-i" && source !== "eth0") fail(`LEGACY_OWN_ADDRESS must be hostname-i or eth0, not "${source}"`);
  const own = source === "eth0" ? eth0 : legacyOwnAddress(hostnameI);
  const host = commandSubstitution(shQuiet("hostname", [])); // entry:120
  say("own-address", { mode: "legacy", source, own, hostnameI: hostnameI.trim(), hostnameCapitalI: shQuiet("hostname", ["-I"]).trim(), eth0 });
  const calls = legacyEntryCalls(discoveryService, cluster, own, host);
  await curl(calls.queuePost, true);
  // No sorted=true (entry:125): etcd lists the queue in its own order.
  const queueAnswer = await curl(calls.queueGet, false);
  for (const c of calls.register) await curl(c, true);
  const listAnswer = await curl(calls.listGet, false);
  const r = legacyFromAnswers(own, queueAnswer, listAnswer);
  process.stdout.write(`Joining cluster ${r.clusterJoin}\n`); // entry:144
  say("decision", {
    kind: r.bootstrap ? "bootstrap" : "join",
    clusterAddress: r.clusterAddress,
    queueValues: r.queueText === "" ? [] : r.queueText.split("\n"),
    registered: r.registeredText === "" ? [] : r.registeredText.split("\n"),
    i1: r.i1,
    i2: r.i2,
  });
  return { own, clusterJoin: r.clusterJoin, clusterAddress: r.clusterAddress, bootstrap: r.bootstrap };
}

/** pxc-57/clustercheckcron as the entrypoint starts it (entry:147): check at once, then every 5 s. */
async function legacyClustercheckCron(discoveryService: string, cluster: string, own: string): Promise<void> {
  const calls = clustercheckCalls(discoveryService, cluster, own, commandSubstitution(shQuiet("hostname", [])));
  let lastState = "";
  for (;;) {
    const s = wsrepStatus();
    const state = `${s.wsrep_cluster_status ?? "down"}/${s.wsrep_local_state_comment ?? "-"}`;
    if (state !== lastState) say("state", { state, size: s.wsrep_cluster_size ?? null });
    lastState = state;
    // Its curl output goes to /var/lib/mysql/clustercheck.log, not to the task log.
    for (const c of clustercheckHealthy(s) ? calls.refresh : [calls.remove]) await curl(c, false, false);
    await sleep(CLUSTERCHECK_SLEEP_MS);
  }
}

function wsrepStatus(): Record<string, string> {
  const r = spawnSync("mariadb", ["-uroot", "--protocol=socket", "-N", "-B", "-e", "SHOW GLOBAL STATUS LIKE 'wsrep_%'"], {
    encoding: "utf8",
    timeout: 5000,
  });
  const out: Record<string, string> = {};
  for (const line of (r.stdout ?? "").split("\n")) {
    const [k, v] = line.split("\t");
    if (k) out[k] = v ?? "";
  }
  return out;
}

/**
 * Like Percona's clustercheckcron: keep the TTL'd keys while Primary and Synced, delete them otherwise.
 * Until its first registration, and while a joiner holds the join lock (JOIN_ONE_AT_A_TIME), it asks every second instead of every 5 s; a lock holder
 * gives the lock back in the round that first finds it Primary and Synced, once registered.
 */
async function keepRegistration(etcd: EtcdV2, cluster: string, plan: Plan): Promise<void> {
  let lastState = "";
  // Every quarter second until the first registration: joiners wait for it (the bench's seedBreakdown
  // saw them wait 7 s while a first 5 s sleep ran), then every 5 s as clustercheckcron does.
  let registered = false;
  for (;;) {
    await sleep(!registered ? FIRST_REGISTRATION_POLL_MS : plan.joinLock?.holding ? JOIN_LOCK_STATE_POLL_MS : CLUSTERCHECK_SLEEP_MS);
    const s = wsrepStatus();
    const healthy = s.wsrep_cluster_status === "Primary" && s.wsrep_local_state_comment === "Synced";
    const state = `${s.wsrep_cluster_status ?? "down"}/${s.wsrep_local_state_comment ?? "-"}`;
    if (state !== lastState) say("state", { state, size: s.wsrep_cluster_size ?? null });
    lastState = state;
    try {
      if (healthy) {
        await plan.register(etcd);
        registered = true;
      }
      else await etcd.delete(registrationKeys(cluster, plan.own), { recursive: "true" });
    } catch {
      /* etcd away (its host stopped): try again next round */
    }
    if (healthy && plan.joinLock?.holding) await plan.joinLock.release("synced");
  }
}

/** Settings the Percona image had in its my.cnf and node.cnf; MariaDB + galera-4 paths. */
/** mariadbd's arguments for a member of `cluster` at `clusterAddress` (overlay and dns-once modes). */
function galeraArgs(cluster: string, clusterAddress: string, own: string): string[] {
  const [datadir, bind, wsrepOn, provider, ...engine] = configArgs();
  const args = [
    "--user=mysql",
    datadir!,
    bind!,
    wsrepOn!,
    provider!,
    `--wsrep-cluster-name=${cluster}`,
    `--wsrep-cluster-address=${clusterAddress}`,
    `--wsrep-sst-method=${env.WSREP_SST_METHOD ?? "rsync"}`,
    `--wsrep-sst-auth=xtrabackup:${env.XTRABACKUP_PASSWORD ?? ""}`,
    ...engine,
  ];
  if (own) args.push(`--wsrep-node-address=${own}`);
  if (env.WSREP_PROVIDER_OPTIONS) args.push(`--wsrep-provider-options=${env.WSREP_PROVIDER_OPTIONS}`);
  return args;
}

function configArgs(): string[] {
  return [
    `--datadir=${DATADIR}`,
    "--bind-address=0.0.0.0",
    "--wsrep-on=ON",
    "--wsrep-provider=/usr/lib/galera/libgalera_smm.so",
    "--binlog-format=ROW",
    "--default-storage-engine=InnoDB",
    "--innodb-autoinc-lock-mode=2",
    "--innodb-flush-log-at-trx-commit=0",
    "--innodb-buffer-pool-size=64M",
    "--performance-schema=OFF",
  ];
}

/**
 * mariadbd runs under libfaketime with a control file the lab's `clock` fault writes ("+300",
 * "+0 x2.0"); "+0" (the start) is real time. Only the wall clock is faked: Galera's timers use the
 * monotonic clock. Set SWARMLAB_FAKETIME=off to run without it.
 */
export const FAKETIME_FILE = "/run/swarmlab/faketime";
function clockEnv(): Record<string, string> {
  const lib = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";
  if (env.SWARMLAB_FAKETIME === "off" || !existsSync(lib)) return {};
  mkdirSync("/run/swarmlab", { recursive: true });
  if (!existsSync(FAKETIME_FILE)) writeFileSync(FAKETIME_FILE, "+0\n");
  return {
    LD_PRELOAD: lib,
    FAKETIME_TIMESTAMP_FILE: FAKETIME_FILE,
    FAKETIME_CACHE_DURATION: "1",
    FAKETIME_DONT_FAKE_MONOTONIC: "1",
  };
}

/** `beforeExit`: run (bounded by its own means) after mariadbd exits and before the task does. */
function startMariadbd(args: string[], plan: { own: string; clusterAddress: string; bootstrap: boolean }, keep: (() => Promise<void>) | null, beforeExit?: () => Promise<void>): void {
  say("start-mariadbd", { clusterAddress: plan.clusterAddress, nodeAddress: plan.own, bootstrap: plan.bootstrap, args });
  writeFileSync("/tmp/swarmlab-plan.json", JSON.stringify(plan));
  const child = spawn("mariadbd", args, { stdio: "inherit", env: { ...process.env, ...clockEnv() } });
  for (const sig of ["SIGTERM", "SIGINT", "SIGQUIT"] as const) process.on(sig, () => child.kill(sig));
  if (keep) void keep();
  child.on("exit", (code, signal) => {
    say("mariadbd-exit", { code, signal });
    if (!beforeExit) process.exit(code ?? 1);
    else void beforeExit().finally(() => process.exit(code ?? 1));
  });
}

async function main(): Promise<void> {
  const cluster = env.CLUSTER_NAME;
  if (!cluster) fail("You need to specify CLUSTER_NAME");
  const mode = env.DISCOVERY_MODE ?? "overlay";
  // The clock fault's control file exists from the start, so a clock fault on a task still in
  // discovery takes effect when mariadbd starts (it found none there and stopped a soak).
  clockEnv();
  // DISCOVERY_HOLD_UNTIL (any mode) and DISCOVERY_MODE=dns-once, the naive DNS discovery: see dns-once.ts.
  if ((mode === "dns-once" || env.DISCOVERY_HOLD_UNTIL) && (await (await import("./dns-once.js")).dnsOnceDispatch(mode, cluster, { say, fail, initDatadir, galeraArgs, startMariadbd }))) return;
  if (mode !== "overlay" && mode !== "legacy") fail(`DISCOVERY_MODE must be overlay, legacy or dns-once, not "${mode}"`);
  initDatadir();

  if (mode === "legacy") {
    const ds = env.DISCOVERY_SERVICE || undefined;
    const plan = await planLegacy(ds, cluster);
    const args = [
      ...configArgs(),
      ...legacyMysqldArgs({
        cluster,
        clusterJoin: plan.clusterJoin,
        ipaddr: plan.own,
        xtrabackupPassword: env.XTRABACKUP_PASSWORD ?? "",
        // entry:153 says xtrabackup-v2, which MariaDB 10.11 does not ship.
        sstMethod: env.WSREP_SST_METHOD ?? "rsync",
        argv: process.argv.slice(2),
      }),
    ];
    // Not in the Percona image: the lab's tuned-profile knob, passed only when the service sets it.
    if (env.WSREP_PROVIDER_OPTIONS) args.push(`--wsrep-provider-options=${env.WSREP_PROVIDER_OPTIONS}`);
    // entry:147 starts clustercheckcron (only with a discovery service) just before exec mysqld.
    startMariadbd(args, plan, ds ? () => legacyClustercheckCron(ds, cluster, plan.own) : null);
    return;
  }

  const etcd = env.DISCOVERY_SERVICE ? new EtcdV2(env.DISCOVERY_SERVICE) : null;
  // JOIN_ONE_AT_A_TIME=1: one joiner at a time (off by default: then nothing below changes).
  let joinSettings: JoinLockSettings | undefined;
  try {
    joinSettings = joinLockSettings(env);
  } catch (err) {
    fail((err as Error).message);
  }
  const uninstallJoinGateSignals = joinSettings && etcd ? joinGateSignals() : () => {};
  let plan: Plan;
  if (!etcd && env.CLUSTER_JOIN !== undefined) {
    const own = legacyOwnAddress(shQuiet("hostname", ["-i"]));
    say("decision", { kind: env.CLUSTER_JOIN === "" ? "bootstrap" : "join", clusterAddress: `gcomm://${env.CLUSTER_JOIN}`, from: "CLUSTER_JOIN", own });
    plan = { own, clusterAddress: `gcomm://${env.CLUSTER_JOIN}`, bootstrap: env.CLUSTER_JOIN === "", register: async () => {} };
  } else {
    // AUTO_RECOVER=1: after a whole-cluster loss, elect the member with the highest seqno first (recovery.ts).
    if (etcd && env.AUTO_RECOVER === "1") await autoRecover({ etcd, cluster, datadir: DATADIR, say, fail, resolveTasks, answeringPeers, hostname: hostname(), self: async () => (await ownOverlayAddressSettled()).own });
    plan = await planOverlay(etcd, cluster, joinSettings);
  }
  const args = galeraArgs(cluster, plan.clusterAddress, plan.own);
  // overlay mode lists the other tasks in its address, so bootstrapping must be explicit
  if (plan.bootstrap) args.push("--wsrep-new-cluster");
  args.push(...process.argv.slice(2));
  const p = plan;
  uninstallJoinGateSignals();
  const lock = p.joinLock;
  startMariadbd(args, { own: p.own, clusterAddress: p.clusterAddress, bootstrap: p.bootstrap }, etcd ? () => keepRegistration(etcd, cluster, p) : null, lock ? () => lock.release("mariadbd-exit") : undefined);
}

await main();
