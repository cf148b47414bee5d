#!/usr/bin/env node
// `npm run test:real-kernel`: the lab's cgroup v2 host mode and the IPVS routing mesh on a REAL
// Debian kernel, booted with qemu's software emulation (this kind of machine has no usable KVM).
// Opt-in and slow (minutes); not part of `npm test`.
//
//   node scripts/real-kernel.mjs [--release bookworm|trixie] [--fresh] [--rebuild] [--boot-timeout S]
//
// 1. builds the guest image once (scripts/real-kernel/build-image.sh: debootstrap with the kernel,
//    docker.io, sshd preinstalled; a sparse raw ext4 image) in $SWARMLAB_HOME/real-kernel/<release>
//    (~/.swarmlab by default); runs write to a qcow2 overlay on it (state.qcow2; --fresh drops it);
// 2. boots it headless (Debian's kernel with -kernel/-initrd, cgroup v2), waits for its sshd on a
//    port of 127.0.0.1 (qemu's user network, restrict=on: the guest reaches nothing outside);
// 3. copies the lab's images in (`docker save … | ssh … docker load`; skipped when the guest has the
//    same image IDs);
// 4. runs scripts/real-kernel/guest-steps.sh inside, step by step: ip_vs, three privileged hosts with
//    nested cgroups, swarm, mynet, task-to-task, the routing mesh on every host, the walkthrough's
//    `-p 3306:3306` unchanged;
// 5. prints a table, writes reports/real-kernel/result.json (one row per release), powers the guest
//    off. Exit 0 only when every step passed.
import { execa } from "execa";
import Table from "cli-table3";
import { createServer } from "node:net";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync, appendFileSync, rmSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const project = dirname(here);
const helpers = join(here, "real-kernel");
const IMAGES = ["swarmlab/dind:latest", "swarmlab/galera:latest", "swarmlab/etcd:latest"];
const RELEASES = ["bookworm", "trixie"];

// ---- options ------------------------------------------------------------------------------------
function parseArgs(argv) {
  const o = { release: "bookworm", fresh: false, rebuild: false, bootTimeout: 900, asIs: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    if (a === "--release") o.release = value();
    else if (a.startsWith("--release=")) o.release = a.slice("--release=".length);
    else if (a === "--fresh") o.fresh = true;
    else if (a === "--rebuild") o.rebuild = o.fresh = true;
    else if (a === "--boot-timeout") o.bootTimeout = Number(value());
    else if (a === "--as-is") o.asIs = true;
    else if (a === "-h" || a === "--help") usage();
    else usage(`unknown option ${a}`);
  }
  if (!RELEASES.includes(o.release)) usage(`--release ${o.release}: one of ${RELEASES.join(", ")}`);
  if (!(o.bootTimeout > 0)) usage("--boot-timeout: seconds, above 0");
  return o;
}

function usage(problem) {
  const text = `usage: npm run test:real-kernel -- [--release bookworm|trixie] [--fresh] [--rebuild] [--boot-timeout SECONDS] [--as-is]
  --release   the guest's Debian (bookworm: kernel 6.1, docker.io 20.10; trixie: kernel 6.12, docker.io 26.1)
  --fresh     drop the guest's run state (the overlay with the loaded images) and start from the built image
  --rebuild   build the guest image again (implies --fresh)
  --boot-timeout  seconds to wait for the guest's sshd (default 900)
  --as-is     run the hosts from swarmlab/dind as it is even where the guest kernel has AppArmor on and
              the image has no apparmor_parser (containers inside the hosts then fail to start); by
              default the guest derives swarmlab/dind:apparmor with Debian's apparmor package
Cache: \${SWARMLAB_HOME:-~/.swarmlab}/real-kernel/<release>; report: reports/real-kernel/result.json`;
  if (problem) {
    console.error(`real-kernel: ${problem}\n${text}`);
    process.exit(2);
  }
  console.log(text);
  process.exit(0);
}

const opts = parseArgs(process.argv.slice(2));
const home = process.env.SWARMLAB_HOME ?? join(homedir(), ".swarmlab");
const base = join(home, "real-kernel");
const dir = join(base, opts.release);
const key = join(base, "id_ed25519");
const debs = join(base, "debs");
const reportDir = join(project, "reports", "real-kernel");
const logFile = join(reportDir, `${opts.release}.log`);
const consoleLog = join(dir, "console.log");
mkdirSync(dir, { recursive: true });
mkdirSync(reportDir, { recursive: true });
writeFileSync(logFile, `# npm run test:real-kernel -- --release ${opts.release}, ${new Date().toISOString()}\n`);

const log = (text) => appendFileSync(logFile, text.endsWith("\n") ? text : `${text}\n`);
const say = (text) => {
  console.log(text);
  log(text);
};

// ---- helpers ------------------------------------------------------------------------------------
class StepError extends Error {}

/** Runs a command; on failure the error names the command and carries its output (tail). */
async function sh(file, args, { timeout, input, inputFile, quiet } = {}) {
  const shown = [file, ...args].join(" ");
  log(`$ ${shown}`);
  const r = await execa(file, args, {
    reject: false,
    all: true,
    timeout: timeout ? timeout * 1000 : undefined,
    input,
    inputFile,
    stripFinalNewline: true,
  });
  if (r.all) log(r.all);
  if (r.failed) {
    const why = r.timedOut ? `did not finish within ${timeout} s` : r.exitCode !== undefined ? `exit ${r.exitCode}` : r.shortMessage;
    throw new StepError(`${shown.length > 300 ? `${shown.slice(0, 300)}…` : shown}: ${why}\n${tail(r.all ?? "", 25)}`);
  }
  if (!quiet && r.all) console.log(indent(tail(r.all, 12)));
  return r.stdout ?? "";
}

const mkdir = (d) => mkdirSync(d, { recursive: true });
const findDeb = () => readdirSync(debs).find((f) => /^apparmor_.*_amd64\.deb$/.test(f));
const tail = (text, n) => text.split("\n").slice(-n).join("\n");
const indent = (text) => text.replace(/^/gm, "    ");
const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

let port = 0;
const sshArgs = () => [
  "-i", key, "-p", String(port),
  "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
  "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=15", "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=8",
  "root@127.0.0.1",
];
const ssh = (command, o = {}) => sh("ssh", [...sshArgs(), command], o);

function consoleTail(n = 30) {
  try {
    return tail(readFileSync(consoleLog, "utf8").replace(/\r/g, ""), n);
  } catch {
    return "(no console log)";
  }
}

// ---- qemu -----------------------------------------------------------------------------------------
let qemu = null;
let qemuExited = null;

function bootGuest() {
  const args = [
    "-n", "19", "qemu-system-x86_64",
    "-name", `swarmlab-real-kernel-${opts.release}`,
    "-accel", "tcg,thread=multi", "-cpu", "max", "-smp", "2", "-m", "4096",
    "-kernel", join(dir, "vmlinuz"), "-initrd", join(dir, "initrd.img"),
    "-append", "root=/dev/vda rw console=ttyS0 net.ifnames=0 systemd.unified_cgroup_hierarchy=1",
    "-drive", `file=${join(dir, "state.qcow2")},if=virtio,format=qcow2`,
    // restrict=on: the guest reaches nothing but what is forwarded to it (its sshd).
    "-netdev", `user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:${port}-:22`,
    "-device", "virtio-net-pci,netdev=n0",
    "-device", "virtio-rng-pci",
    "-display", "none", "-monitor", "none", "-serial", `file:${consoleLog}`,
    "-no-reboot",
  ];
  log(`$ nice ${args.join(" ")}`);
  qemu = execa("nice", args, { reject: false, all: true });
  qemuExited = qemu.then((r) => {
    log(`qemu exited: ${r.exitCode ?? r.signal} ${r.all ?? ""}`);
    qemu = null;
    return r;
  });
}

function killQemu() {
  if (qemu?.pid) {
    try {
      process.kill(qemu.pid, "SIGKILL");
    } catch {}
  }
}
process.on("exit", killQemu);
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    console.error(`real-kernel: ${sig}: stopping the guest`);
    killQemu();
    process.exit(130);
  });
}

async function waitForSsh(limit) {
  const start = Date.now();
  let last = "";
  while ((Date.now() - start) / 1000 < limit) {
    if (!qemu) {
      const r = await qemuExited;
      throw new StepError(`qemu exited (${r.exitCode ?? r.signal}) before the guest's sshd answered: ${tail(r.all ?? "", 10)}\nconsole (${consoleLog}):\n${consoleTail()}`);
    }
    const r = await execa("ssh", [...sshArgs(), "true"], { reject: false, all: true, timeout: 30_000 });
    if (!r.failed) return;
    last = r.all ?? r.shortMessage;
    await sleep(3000);
  }
  throw new StepError(`the guest's sshd did not answer on 127.0.0.1:${port} within ${limit} s (last: ${last.trim()})\nconsole (${consoleLog}), last lines:\n${consoleTail()}`);
}

// ---- steps ----------------------------------------------------------------------------------------
const facts = {};
const rows = [];

async function step(name, what, fn) {
  const start = Date.now();
  say(`\n== ${name}: ${what}`);
  try {
    const detail = await fn();
    const seconds = Math.round((Date.now() - start) / 100) / 10;
    rows.push({ step: name, what, seconds, pass: true, ...(detail ? { detail } : {}) });
    say(`   pass (${seconds} s)${detail ? `: ${detail}` : ""}`);
    return true;
  } catch (err) {
    const seconds = Math.round((Date.now() - start) / 100) / 10;
    const message = err instanceof StepError ? err.message : (err?.stack ?? String(err));
    rows.push({ step: name, what, seconds, pass: false, error: message });
    say(`   FAIL (${seconds} s): ${message}`);
    return false;
  }
}

/** A step of guest-steps.sh inside the guest; its FACT lines go to the report. */
async function guestStep(name, what, timeout) {
  return step(name, what, async () => {
    const out = await ssh(`AS_IS=${opts.asIs ? 1 : 0} bash /root/guest-steps.sh ${name}`, { timeout });
    const found = [...out.matchAll(/^FACT ([\w.]+)=(.*)$/gm)];
    for (const m of found) facts[m[1]] = m[2];
    return found.map((m) => `${m[1]}=${m[2].trim()}`).join("; ") || undefined;
  });
}

function skip(name, what, why) {
  rows.push({ step: name, what, seconds: 0, pass: false, skipped: why });
  say(`\n== ${name}: ${what}\n   not run: ${why}`);
}

async function imageIds(list) {
  const ids = {};
  for (const line of list.split("\n")) {
    const [ref, id] = line.trim().split(/\s+/);
    if (ref && id) ids[ref] = id;
  }
  return ids;
}

// ---- the run ----------------------------------------------------------------------------------------
const started = new Date();
const plan = [];
let ok = true;

say(`real-kernel: Debian ${opts.release} under qemu (TCG), cache ${dir}, log ${logFile}`);

ok &&= await step("tools", "qemu-system-x86_64, qemu-img, debootstrap, mkfs.ext4 on this machine; the lab's images on its engine", async () => {
  const need = { "qemu-system-x86_64": "qemu-system-x86", "qemu-img": "qemu-utils", debootstrap: "debootstrap", "mkfs.ext4": "e2fsprogs", ssh: "openssh-client" };
  const missing = [];
  for (const [tool, pkg] of Object.entries(need)) {
    const r = await execa("sh", ["-c", `command -v ${tool}`], { reject: false });
    if (r.failed) missing.push(pkg);
  }
  if (missing.length) {
    if (process.getuid?.() !== 0) throw new StepError(`missing: ${missing.join(" ")}: run apt-get install ${missing.join(" ")}`);
    say(`   installing Debian's ${missing.join(" ")}`);
    const install = ["install", "-y", "--no-install-recommends", ...missing];
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    let r = await execa("apt-get", install, { reject: false, all: true, env });
    if (r.failed) {
      await execa("apt-get", ["update"], { reject: false, env });
      r = await execa("apt-get", install, { reject: false, all: true, env });
    }
    if (r.failed) throw new StepError(`apt-get ${install.join(" ")}: exit ${r.exitCode}\n${tail(r.all ?? "", 15)}`);
  }
  // Debian's apparmor package (the hosts' image is bookworm's): see step_apparmor in guest-steps.sh.
  mkdir(debs);
  if (!findDeb()) {
    let r = await execa("apt-get", ["download", "apparmor"], { cwd: debs, reject: false, all: true });
    if (r.failed) {
      await execa("apt-get", ["update"], { reject: false });
      r = await execa("apt-get", ["download", "apparmor"], { cwd: debs, reject: false, all: true });
    }
    if (r.failed || !findDeb()) throw new StepError(`apt-get download apparmor (in ${debs}): exit ${r.exitCode}\n${tail(r.all ?? "", 10)}`);
  }
  facts.apparmor_deb = findDeb();
  const have = await imageIds(await sh("docker", ["image", "ls", "--no-trunc", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}", "swarmlab/*"], { quiet: true, timeout: 60 }));
  const absent = IMAGES.filter((i) => !have[i]);
  if (absent.length) throw new StepError(`not on this machine's engine: ${absent.join(", ")}: run \`swarmlab setup\` (or \`npm test\`) first`);
  facts.qemu = (await sh("qemu-system-x86_64", ["--version"], { quiet: true })).split("\n")[0];
  plan.push(...IMAGES.map((i) => `${i} ${have[i]}`));
  return facts.qemu;
});

if (ok) {
  ok &&= await step("build-image", `guest image (debootstrap ${opts.release}, kernel, docker.io, sshd; sparse raw ext4), cached`, async () => {
    if (!existsSync(key)) await sh("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "swarmlab-real-kernel", "-f", key], { quiet: true });
    if (opts.rebuild) rmSync(join(dir, "stamp"), { force: true });
    const out = await sh("nice", ["-n", "19", "bash", join(helpers, "build-image.sh"), opts.release, dir, `${key}.pub`], { timeout: 3600, quiet: true });
    const cached = /^cached:/m.test(out);
    if (opts.fresh) rmSync(join(dir, "state.qcow2"), { force: true });
    if (!existsSync(join(dir, "state.qcow2"))) {
      await sh("qemu-img", ["create", "-q", "-f", "qcow2", "-b", join(dir, "disk.raw"), "-F", "raw", join(dir, "state.qcow2")], { quiet: true });
    }
    const used = Math.round((statSync(join(dir, "disk.raw")).blocks * 512) / 2 ** 20);
    facts.image_used_mib = String(used);
    return `${cached ? "cached" : "built"}: disk.raw ${used} MiB used of ${Math.round(statSync(join(dir, "disk.raw")).size / 2 ** 30)} GiB`;
  });
}

let booted = false;
if (ok) {
  ok &&= await step("boot", "qemu -accel tcg,thread=multi -cpu max -smp 2 -m 4096, Debian's kernel; until its sshd answers", async () => {
    port = await freePort();
    rmSync(consoleLog, { force: true });
    bootGuest();
    booted = true;
    await waitForSsh(opts.bootTimeout);
    const analyze = await ssh("systemd-analyze 2>&1 | head -1 || true", { quiet: true, timeout: 120 });
    facts.guest_systemd_analyze = analyze.trim();
    return `ssh on 127.0.0.1:${port}; ${analyze.trim()}`;
  });
}

if (ok) {
  ok &&= await step("facts", "guest kernel, docker, cgroup v2 (stat -f /sys/fs/cgroup, docker info)", async () => {
    await sh("ssh", [...sshArgs(), "cat > /root/guest-steps.sh"], { inputFile: join(helpers, "guest-steps.sh"), timeout: 120 });
    await sh("ssh", [...sshArgs(), "cat > /root/apparmor.deb"], { inputFile: join(debs, facts.apparmor_deb), timeout: 300 });
    const out = await ssh("bash /root/guest-steps.sh facts", { timeout: 300 });
    for (const m of out.matchAll(/^FACT ([\w.]+)=(.*)$/gm)) facts[m[1]] = m[2];
    return `${facts.os}, kernel ${facts.kernel}, docker ${facts.docker}, cgroup ${facts.cgroup} (${facts.cgroup_fs}, driver ${facts.cgroup_driver})`;
  });
}

/**
 * Each image's shell starts in the guest. The same image IDs do not prove the files are whole: a
 * guest stopped mid-load (no clean poweroff) can keep a layer's record with empty files, and docker
 * load then skips that layer as present.
 */
async function imagesStart() {
  for (const image of IMAGES) {
    await ssh(`docker run --rm --network none --entrypoint /bin/sh ${image} -c true`, { quiet: true, timeout: 300 }).catch((err) => {
      const damaged = /exec format error/.test(err.message);
      throw new StepError(
        `${image} does not start in the guest: ${err.message}\n${damaged ? "its layers in the guest are damaged (empty files: an earlier run stopped before the guest wrote them to disk): run again with --fresh, which drops the guest's run state and loads the images anew" : "see the guest's dockerd log (journalctl -u docker)"}`,
      );
    });
  }
}

if (ok) {
  ok &&= await step("load-images", `docker save ${IMAGES.join(" ")} | ssh … docker load`, async () => {
    const guest = await imageIds(await ssh("docker image ls --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}'", { quiet: true, timeout: 120 }));
    const want = Object.fromEntries(plan.map((l) => l.split(" ")));
    const stale = IMAGES.filter((i) => guest[i] !== want[i]);
    if (stale.length === 0) {
      await imagesStart();
      return "already in the guest (same image IDs), each starts";
    }
    const cmd = `set -o pipefail; docker save ${IMAGES.join(" ")} | ssh ${sshArgs().map((a) => `'${a}'`).join(" ")} docker load`;
    await sh("bash", ["-c", cmd], { timeout: 3600 });
    // On disk before anything else: a guest stopped before ext4 wrote the layers out keeps the
    // images' records with empty files (seen: /usr/bin/dash of 0 bytes, "exec format error").
    await ssh("sync", { quiet: true, timeout: 600 });
    const after = await imageIds(await ssh("docker image ls --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}'", { quiet: true, timeout: 120 }));
    const still = IMAGES.filter((i) => after[i] !== want[i]);
    if (still.length) throw new StepError(`after docker load the guest still lacks ${still.join(", ")} with this machine's IDs`);
    await imagesStart();
    return `loaded ${IMAGES.length} images (were missing or older: ${stale.join(", ")}), each starts`;
  });
}

const guestPlan = [
  ["reset", "remove a previous run's hosts and bridge (their volumes, with the images loaded into them, stay)", 300],
  ["ipvs", "modprobe ip_vs; /proc/sys/net/ipv4/vs exists", 120],
  ["apparmor", "AppArmor in the guest kernel; apparmor_parser in swarmlab/dind, else swarmlab/dind:apparmor derived in the guest (unless --as-is)", 900],
  ["hosts", "three swarmlab/dind hosts --privileged --cgroupns=private on a bridge 192.168.10.0/24 (.201-.203); the entrypoint nests cgroups; inner dockerd on cgroup v2", 1200],
  ["host-images", "swarmlab/etcd into each host's engine, swarmlab/galera into docker3's (kept between runs); a nested container runs", 2400],
  ["swarm", "swarm init on docker1, docker2 and docker3 join as managers: three Ready", 600],
  ["overlay", "docker network create --driver overlay mynet", 300],
  ["task-to-task", "etcd-a on docker1, etcd-b on docker2 (mynet): curl from etcd-b's task to etcd-a's task IP and to the service VIP", 900],
  ["mesh", "service -p 8080:2379 (ingress), 1 replica on docker3; curl http://192.168.10.20{1,2,3}:8080/version from the guest", 900],
  ["walkthrough-3306", "the walkthrough's etcd and `docker service create … -p 3306:3306 --network mynet … swarmlab/galera` (1 replica, on docker3), NOT rewritten; MySQL greeting through each host's :3306", 1800],
];
for (const [name, what, timeout] of guestPlan) {
  if (ok) ok &&= await guestStep(name, what, timeout);
  else skip(name, what, "an earlier step failed");
}

// ---- power off ---------------------------------------------------------------------------------
if (booted && qemu) {
  await step("poweroff", "systemctl poweroff in the guest; qemu exits", async () => {
    await execa("ssh", [...sshArgs(), "systemctl poweroff"], { reject: false, timeout: 60_000 });
    const exited = await Promise.race([qemuExited.then(() => true), sleep(240_000).then(() => false)]);
    if (!exited) {
      killQemu();
      throw new StepError(`qemu did not exit within 240 s of poweroff: killed. Console:\n${consoleTail(10)}`);
    }
  });
}

// ---- report ------------------------------------------------------------------------------------------
const passed = rows.every((r) => r.pass);
const boot = rows.find((r) => r.step === "boot");
const result = {
  release: opts.release,
  date: started.toISOString(),
  passed,
  seconds_total: Math.round((Date.now() - started.getTime()) / 1000),
  boot_seconds: boot?.pass ? boot.seconds : null,
  guest: {
    os: facts.os ?? null,
    kernel: facts.kernel ?? null,
    docker: facts.docker ?? null,
    cgroup: facts.cgroup ?? null,
    cgroup_driver: facts.cgroup_driver ?? null,
    inner_docker: facts.inner_docker ?? null,
    inner_cgroup: facts.inner_cgroup ?? null,
    apparmor: facts.apparmor_kernel ?? null,
  },
  host_image: facts.host_image ?? null,
  machine: { qemu: facts.qemu ?? null, accel: "tcg,thread=multi", cpu: "max", smp: 2, memory_mib: 4096 },
  images: plan,
  facts,
  steps: rows,
  log: logFile,
  console: consoleLog,
};
const resultFile = join(reportDir, "result.json");
let all = { runs: {} };
try {
  all = JSON.parse(readFileSync(resultFile, "utf8"));
  if (!all || typeof all.runs !== "object") all = { runs: {} };
} catch {}
all.runs[opts.release] = result;
all.updated = new Date().toISOString();
writeFileSync(resultFile, `${JSON.stringify(all, null, 2)}\n`);

const table = new Table({ head: ["step", "result", "seconds", "detail"], colWidths: [18, 9, 9, 72], wordWrap: true, style: { head: [], border: [] } });
for (const r of rows) {
  table.push([r.step, r.pass ? "pass" : r.skipped ? "not run" : "FAIL", r.seconds, r.detail ?? r.skipped ?? (r.error ?? "").split("\n")[0]]);
}
console.log(`\n${table.toString()}`);
console.log(
  `guest: ${facts.os ?? "?"}, kernel ${facts.kernel ?? "?"}, docker ${facts.docker ?? "?"}, cgroup ${facts.cgroup ?? "?"}; ` +
    `hosts' engine ${facts.inner_docker ?? "?"} (cgroup ${facts.inner_cgroup ?? "?"})`,
);
console.log(`${passed ? "PASS" : "FAIL"}: ${rows.filter((r) => r.pass).length} passed, ${rows.filter((r) => !r.pass).length} failed; ${resultFile}; log ${logFile}`);
process.exitCode = passed ? 0 : 1;
