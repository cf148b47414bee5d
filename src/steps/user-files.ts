/** A user's own files in the lab: copied into hosts, and stack files deployed on a manager. */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import type { Host } from "../hosts/host.js";
import { run } from "../util/run.js";

/** Copies a file or a folder from this machine to `to` on each host (through tar on stdin: any provider). */
export async function copyInto(hosts: readonly Host[], from: string, to: string, signal?: AbortSignal): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), "swarmlab-copy-"));
  const tar = join(dir, "files.tar");
  try {
    const isDir = statSync(from).isDirectory();
    // A folder's contents go into `to`; a file keeps its name inside `to` unless `to` names a file.
    if (isDir) await run(["tar", "-C", from, "-cf", tar, "."], { signal });
    else await run(["tar", "-C", dirname(from), "-cf", tar, basename(from)], { signal });
    const done: string[] = [];
    await Promise.all(
      hosts.map(async (h) => {
        await h.execWithInput(["sh", "-c", `mkdir -p '${to}' && tar -x -C '${to}'`], tar, { timeoutMs: 300_000, signal });
        done.push(`${h.name}:${to}`);
      }),
    );
    return done;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `docker stack deploy -c` on a manager: the stack file's folder is copied there first (so its
 * configs and secrets files come along), environment variables reach the file's ${...}.
 */
export async function deployStack(manager: Host, file: string, name: string, env: Record<string, string>, signal?: AbortSignal): Promise<{ command: string; output: string }> {
  const remoteDir = `/tmp/swarmlab-stacks/${name}`;
  await manager.exec(["rm", "-rf", remoteDir], { signal });
  await copyInto([manager], dirname(file), remoteDir, signal);
  const command = `docker stack deploy --with-registry-auth -c ${remoteDir}/${basename(file)} ${name}`;
  // Docker's own message is the error when it refuses (CommandError carries the output).
  const r = await manager.sh(`cd ${remoteDir} && ${command}`, { timeoutMs: 300_000, signal }, env);
  return { command, output: [r.stdout, r.stderr].filter(Boolean).join("\n") };
}
