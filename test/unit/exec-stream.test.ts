/**
 * ExecStream's own logic (engine-relay.ts): both directions, the failure it reports, the idle
 * timeout. A stand-in `docker` on PATH runs the command it is given in place of `docker exec -i
 * <container>`; the real path (the engine, dial-stdio, socat) is test/integration/engine-relay.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExecStream } from "../../src/hosts/dind/engine-relay.js";

const dir = mkdtempSync(join(tmpdir(), "swarmlab-exec-stream-"));
const savedPath = process.env.PATH;

beforeAll(() => {
  // docker exec -i <container> argv... -> argv...
  writeFileSync(join(dir, "docker"), '#!/bin/sh\nshift 3\nexec "$@"\n');
  chmodSync(join(dir, "docker"), 0o755);
  process.env.PATH = `${dir}:${savedPath}`;
});

afterAll(() => {
  process.env.PATH = savedPath;
  rmSync(dir, { recursive: true, force: true });
});

const collect = (s: NodeJS.ReadableStream) =>
  new Promise<Buffer>((resolve, reject) => {
    const parts: Buffer[] = [];
    s.on("data", (d: Buffer) => parts.push(d));
    s.on("end", () => resolve(Buffer.concat(parts)));
    s.on("error", reject);
  });

describe("ExecStream: a byte stream over docker exec -i", () => {
  it("carries bytes both ways, binary included, and ends when the command ends", async () => {
    const s = new ExecStream("docker1", ["cat"]);
    const bytes = Buffer.from([0, 255, 10, 13, 1, 2, 3]);
    const read = collect(s);
    s.write("hello ");
    s.end(bytes);
    expect(await read).toEqual(Buffer.concat([Buffer.from("hello "), bytes]));
  });

  it("fails with the command, the container and what it printed when it exits badly", async () => {
    const s = new ExecStream("lab-docker1", ["sh", "-c", "echo 'Error response from daemon: No such container: lab-docker1' >&2; exit 1"]);
    const err = await new Promise<Error>((resolve) => s.on("error", resolve));
    expect(err.message).toMatch(/^docker exec -i lab-docker1 sh -c .* exited 1: Error response from daemon: No such container: lab-docker1$/);
  });

  it("a write to a command that already ended reports the exit, not EPIPE", async () => {
    const s = new ExecStream("lab-docker2", ["sh", "-c", "echo 'connection refused' >&2; exit 3"]);
    const err = new Promise<Error>((resolve) => s.on("error", resolve));
    await new Promise((r) => setTimeout(r, 300));
    s.write(Buffer.alloc(1 << 16));
    expect((await err).message).toMatch(/^docker exec -i lab-docker2 sh -c .* (exited 3|ended before its input was written .*): connection refused$/);
  });

  it("emits 'timeout' after the idle time set, as a socket does", async () => {
    const s = new ExecStream("docker1", ["sleep", "5"]);
    const t0 = Date.now();
    await new Promise<void>((resolve) => s.setTimeout(150, () => resolve()));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    s.destroy();
  });
});
