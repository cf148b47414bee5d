import { renameSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";

/**
 * Makes `file` through a temporary name of this process's own, then renames it into place: two
 * labs started at once on one machine may write the same archive (the same content), and neither
 * may see the other's half-written file or lose its temporary name.
 */
export async function writeAtomically(file: string, produce: (tmp: string) => Promise<unknown>): Promise<string> {
  const tmp = `${file}.${process.pid}-${randomBytes(4).toString("hex")}.part`;
  try {
    await produce(tmp);
    renameSync(tmp, file);
  } finally {
    rmSync(tmp, { force: true });
  }
  return file;
}
