/**
 * Ctrl-C and SIGTERM for real, in a child process like a user's or a CI runner's: during `up`,
 * during a wait, and while a fault is active. The step in progress stops within 2 s, cleanup runs
 * (faults healed, lab removed), and the process exits by itself with 130 or 143.
 */
import { afterAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Docker from "dockerode";
import { waitFor } from "../../src/util/wait.js";
import { labelled } from "./helpers.js";

const BIN = fileURLToPath(new URL("../../bin/swarmlab.js", import.meta.url));

interface Child {
  output: () => string;
  signal(sig: NodeJS.Signals): number;
  exit: Promise<{ code: number | null; at: number }>;
}

function start(args: string[]): Child {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, CI: "1" } });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const exit = new Promise<{ code: number | null; at: number }>((r) => child.on("exit", (code) => r({ code, at: Date.now() })));
  return {
    output: () => output,
    signal: (sig) => (child.kill(sig), Date.now()),
    exit,
  };
}

/** The process must end by itself (no second signal): a leaked handle would keep it alive. */
async function exited(c: Child, withinMs: number) {
  const timeout = new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`still running ${withinMs / 1000} s after the signal:\n${c.output().slice(-3000)}`)), withinMs).unref());
  return Promise.race([c.exit, timeout]);
}

const made: string[] = [];
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

function scenarioFile(name: string, body: string): string {
  const dir = mkdtempSync(join(tmpdir(), "swarmlab-intr-"));
  made.push(dir);
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `name: ${name}\ntitle: interrupted on purpose\nneeds: bare\nsteps:\n${body}`);
  return file;
}

describe("interrupts", () => {
  it("SIGINT during up removes the half-made lab and exits 130 by itself", async () => {
    const lab = "intr-up";
    const c = start(["--name", lab, "up", "--swarm"]);
    await waitFor("the interrupted lab's hosts to exist", () => labelled(lab), (l) => l.containers >= 3, { timeoutMs: 180_000, intervalMs: 200 });
    c.signal("SIGINT");
    const { code } = await exited(c, 90_000);
    expect(code, c.output()).toBe(130);
    expect(c.output()).toMatch(/SIGINT: stopping and cleaning up/);
    expect(await labelled(lab)).toEqual({ containers: 0, networks: 0, volumes: 0 });
  });

  it("SIGTERM during a wait stops the wait within 2 s, removes the lab and exits 143 by itself", async () => {
    const lab = "intr-wait";
    const reportDir = mkdtempSync(join(tmpdir(), "swarmlab-intr-report-"));
    made.push(reportDir);
    // bare hosts run no task: this wait would last its whole 600 s
    const file = scenarioFile("waits-forever", "  - wait: task-log\n    service: nothing-runs-here\n    pattern: never\n    timeout: 600\n");
    const c = start(["--name", lab, "run", file, "--report", reportDir]);
    await waitFor("the wait to begin", async () => c.output(), (o) => o.includes("wait task-log"), { timeoutMs: 300_000, intervalMs: 200 });
    await new Promise((r) => setTimeout(r, 3000));
    const signalledAt = c.signal("SIGTERM");
    const { code } = await exited(c, 90_000);
    expect(code, c.output()).toBe(143);
    const report = JSON.parse(readFileSync(join(reportDir, "report.json"), "utf8"));
    expect(report.interrupted).toBe(true);
    const step = report.scenarios[0].steps[0];
    expect(step.error).toMatch(/interrupted \(interrupted by SIGTERM\)/);
    const stepEnded = Date.parse(step.startedAt) + step.seconds * 1000;
    expect(stepEnded - signalledAt, "the wait stopped within 2 s of the signal").toBeLessThan(2000);
    expect(await labelled(lab)).toEqual({ containers: 0, networks: 0, volumes: 0 });
  });

  it("SIGINT while a fault is active heals it before anything else (kept lab: docker2 thawed), exits 130 by itself", async () => {
    const lab = "intr-fault";
    const reportDir = mkdtempSync(join(tmpdir(), "swarmlab-intr-report-"));
    made.push(reportDir);
    const file = scenarioFile(
      "fault-then-wait",
      "  - fault: { kind: pause, host: docker2 }\n  - fault: { kind: ports, host: docker3, ports: [\"7946/udp\"] }\n  - wait: task-log\n    service: nothing-runs-here\n    pattern: never\n    timeout: 600\n",
    );
    const c = start(["--name", lab, "run", file, "--report", reportDir, "--keep"]);
    try {
      await waitFor("the wait after the faults to begin", async () => c.output(), (o) => o.includes("wait task-log"), { timeoutMs: 300_000, intervalMs: 200 });
      c.signal("SIGINT");
      const { code } = await exited(c, 90_000);
      expect(code, c.output()).toBe(130);
      const report = JSON.parse(readFileSync(join(reportDir, "report.json"), "utf8"));
      expect(report.interrupted).toBe(true);
      expect(report.scenarios[0].notes.join("\n")).toMatch(/teardown healed the faults still active.*unpaused docker2/);
      // --keep: the lab stays, healed: docker2 runs unpaused and docker3 has no DROP rule left
      const docker = new Docker();
      const info = await docker.getContainer(`${lab}-docker2`).inspect();
      expect(info.State.Running && !info.State.Paused).toBe(true);
      const rules = await new Promise<string>((resolve, reject) => {
        docker.getContainer(`${lab}-docker3`).exec({ Cmd: ["iptables", "-S"], AttachStdout: true, AttachStderr: true }, (err, exec) => {
          if (err || !exec) return reject(err);
          exec.start({}, (e, stream) => {
            if (e || !stream) return reject(e);
            let out = "";
            stream.on("data", (d: Buffer) => (out += d.toString()));
            stream.on("end", () => resolve(out));
          });
        });
      });
      expect(rules).not.toMatch(/--dport 7946 -j DROP/);
    } finally {
      await new Promise<void>((r) => {
        const down = spawn(process.execPath, [BIN, "--name", lab, "down"], { stdio: "ignore" });
        down.on("exit", () => r());
      });
    }
    expect(await labelled(lab)).toEqual({ containers: 0, networks: 0, volumes: 0 });
  });
});
