/**
 * The ssh host against a real SSH server (ssh2's own, in this process) behind a "cable" this test
 * can freeze, cut and mend: a machine whose sshd freezes mid-command is declared lost after its
 * keepalives and one reconnect, naming it; a connection reset on a machine that is still there is
 * not a lost host; a lost host fails at once for a while, then is tried again. No Docker, timers short.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer, type AddressInfo, type Server as NetServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ssh2 from "ssh2";
import { SshHost, type SshTiming } from "../../src/hosts/ssh/ssh-host.js";
import { HostUnreachableError } from "../../src/hosts/lost-host.js";
import { CommandError } from "../../src/util/errors.js";
import type { InventoryHost } from "../../src/hosts/ssh/inventory.js";

const FAST: Partial<SshTiming> = { handshakeMs: 600, keepaliveIntervalMs: 100, keepaliveCountMax: 2, reconnectPauseMs: 20, lostRetryMs: 60_000 };

/** An SSH server: `echo hi` answers at once, `sleep ...` never does (a long command). */
function sshServer(): Promise<{ port: number; close(): void }> {
  const server = new ssh2.Server({ hostKeys: [ssh2.utils.generateKeyPairSync("ed25519").private] }, (client) => {
    client.on("error", () => {});
    client.on("authentication", (ctx) => (ctx.method === "publickey" ? ctx.accept() : ctx.reject(["publickey"])));
    client.on("ready", () => {
      client.on("session", (accept) => {
        accept().on("exec", (acceptExec, _reject, info) => {
          const stream = acceptExec();
          if (info.command.includes("sleep")) return;
          stream.write("hi\n");
          stream.exit(0);
          stream.end();
        });
      });
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ port: (server.address() as AddressInfo).port, close: () => server.close() })));
}

/** A TCP cable between the ssh host and the server: `freeze` stops every byte (a frozen sshd: TCP up, nothing answers), `reset` cuts the open connections only. */
function cable(upstreamPort: number): Promise<{ port: number; freeze(): void; mend(): void; reset(): void; close(): void }> {
  let frozen = false;
  const pairs: Array<[Socket, Socket | undefined]> = [];
  const server: NetServer = createServer((down) => {
    down.on("error", () => {});
    if (frozen) {
      // Accepted by the kernel, never greeted: what a frozen sshd's listening socket does.
      pairs.push([down, undefined]);
      return;
    }
    const up = connect(upstreamPort, "127.0.0.1");
    up.on("error", () => {});
    down.pipe(up);
    up.pipe(down);
    down.on("close", () => up.destroy());
    up.on("close", () => down.destroy());
    pairs.push([down, up]);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        freeze() {
          frozen = true;
          for (const [down, up] of pairs) {
            down.unpipe();
            up?.unpipe();
            down.pause();
            up?.pause();
          }
        },
        mend() {
          frozen = false;
          for (const [down, up] of pairs.splice(0)) {
            down.destroy();
            up?.destroy();
          }
        },
        reset() {
          for (const [down, up] of pairs.splice(0)) {
            down.destroy();
            up?.destroy();
          }
        },
        close() {
          for (const [down, up] of pairs.splice(0)) {
            down.destroy();
            up?.destroy();
          }
          server.close();
        },
      }),
    ),
  );
}
const dir = mkdtempSync(join(tmpdir(), "swarmlab-ssh-unit-"));
const keyFile = join(dir, "id_ed25519");
writeFileSync(keyFile, ssh2.utils.generateKeyPairSync("ed25519").private, { mode: 0o600 });
const spec = (port: number): InventoryHost => ({ name: "docker3", address: "127.0.0.1", ssh: { user: "root", port, key: keyFile }, keyFile });

let server: Awaited<ReturnType<typeof sshServer>>;
const opened: Array<{ close(): void }> = [];
beforeAll(async () => {
  server = await sshServer();
});
afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  for (const o of opened.splice(0)) o.close();
});

async function setup(timing: Partial<SshTiming> = FAST) {
  const c = await cable(server.port);
  const host = new SshHost(spec(c.port), { inventoryFile: "/tmp/inv.yaml", timing });
  opened.push(c, host);
  return { c, host };
}

describe("the ssh host when its machine goes away", () => {
  it("runs commands over the cable", async () => {
    const { host } = await setup();
    expect((await host.exec(["echo", "hi"])).stdout).toBe("hi");
    expect(host.lost).toBeUndefined();
  });

  it("sshd frozen mid-command: keepalives notice, one reconnect gets no greeting, the host is declared lost by name", async () => {
    const { c, host } = await setup();
    await host.exec(["echo", "hi"]);
    const t0 = Date.now();
    const running = host.sh("sleep 97", { allowFailure: true, timeoutMs: 30_000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    await new Promise((r) => setTimeout(r, 100));
    c.freeze();
    const err = await running;
    expect(err).toBeInstanceOf(HostUnreachableError);
    const e = err as HostUnreachableError;
    // Keepalives (3 × 0.1 s) + one reconnect's greeting (0.6 s), far below the command's own 30 s.
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(e.host).toBe("docker3");
    expect(e.facts.phase).toBe("drop");
    expect(e.facts.command).toBe("sleep 97");
    expect(e.message).toMatch(new RegExp(`^docker3 lost: SSH to root@127\\.0\\.0\\.1:${c.port} broke while it ran \`sleep 97\`: no answer to SSH keepalives for 0\\.3 s \\(Keepalive timeout\\); one new connection failed too: no SSH greeting within 0\\.6 s`));
    expect(e.hint).toMatch(new RegExp(`ssh -i ${keyFile.replace(/[.]/g, "\\.")} -p ${c.port} root@127\\.0\\.0\\.1 true`));
    expect(host.lost).toBe(e);
    // Declared lost: the next command fails at once, naming the same loss (heal goes on to the others).
    const t1 = Date.now();
    const next = await host.exec(["iptables", "-D", "INPUT"], { timeoutMs: 15_000 }).catch((x: unknown) => x);
    expect(Date.now() - t1).toBeLessThan(100);
    expect(next).toBeInstanceOf(HostUnreachableError);
    expect((next as Error).message).toMatch(/^docker3 lost: .*`iptables -D INPUT`.*declared lost \d+ s ago/);
  });

  it("after the wait a lost host is tried again; back, it is no longer lost", async () => {
    const { c, host } = await setup({ ...FAST, lostRetryMs: 300 });
    await host.exec(["echo", "hi"]);
    c.freeze();
    await expect(host.sh("sleep 97", { timeoutMs: 30_000 })).rejects.toBeInstanceOf(HostUnreachableError);
    expect(host.lost).toBeDefined();
    c.mend();
    await new Promise((r) => setTimeout(r, 350));
    expect((await host.exec(["echo", "hi"])).stdout).toBe("hi");
    expect(host.lost).toBeUndefined();
  });

  it("a connection reset while the machine is still there is not a lost host: the command's outcome is unknown", async () => {
    const { c, host } = await setup();
    await host.exec(["echo", "hi"]);
    const running = host.sh("sleep 97", { allowFailure: true, timeoutMs: 30_000 }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    c.reset();
    const err = await running;
    expect(err).toBeInstanceOf(CommandError);
    expect(err).not.toBeInstanceOf(HostUnreachableError);
    expect((err as Error).message).toMatch(/broke while the command ran .*a new one opened at once, so docker3 is up, but whether the command finished is unknown/);
    expect(host.lost).toBeUndefined();
    expect((await host.exec(["echo", "hi"])).stdout).toBe("hi");
  });

  it("nothing listening: refused twice (one reconnect), then it cannot be reached, named", async () => {
    const c = await cable(server.port);
    const port = c.port;
    c.close();
    const host = new SshHost(spec(port), { timing: FAST });
    opened.push(host);
    const err = await host.exec(["true"]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostUnreachableError);
    expect((err as Error).message).toMatch(new RegExp(`^cannot reach docker3 over SSH \\(root@127\\.0\\.0\\.1:${port}\\) to run \`true\`: connection refused: .*; one new connection failed too: connection refused`));
  });
});
