import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Lab } from "../lab.js";

/** Every host's dockerd log and every task container's log (all services), written to `dir`. */
export async function collectLogs(lab: Lab, dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  const write = (name: string, text: string) => {
    const f = join(dir, name);
    writeFileSync(f, text);
    files.push(f);
  };
  for (const h of lab.nodes) {
    const d = await h.exec(["cat", "/var/log/dockerd.log"], { allowFailure: true, timeoutMs: 30_000 }).catch((e: Error) => ({ stdout: "", stderr: e.message }));
    write(`${h.name}.dockerd.log`, d.stdout || d.stderr);
    const ps = await h.docker(["ps", "-a", "--format", "{{.ID}} {{.Names}}"], { allowFailure: true, timeoutMs: 30_000 }).catch(() => ({ stdout: "" }));
    for (const line of ps.stdout.split("\n").filter(Boolean)) {
      const [id, name] = line.split(" ");
      const l = await h.docker(["logs", "--timestamps", id!], { allowFailure: true, timeoutMs: 30_000 }).catch((e: Error) => ({ stdout: "", stderr: e.message }));
      write(`${h.name}.${name}.log`, `${l.stdout}\n${l.stderr}`);
    }
  }
  return files;
}
