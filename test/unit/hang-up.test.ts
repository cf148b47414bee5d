import { describe, expect, it } from "vitest";
import type mysql from "mysql2/promise";
import { hangUp } from "../../src/checks/galera.js";

describe("hangUp", () => {
  it("destroys the socket itself, not only mysql2's half-close (a removed host never answers the FIN)", () => {
    const calls: string[] = [];
    const fake = { destroy: () => calls.push("mysql2 destroy (stream.end)"), connection: { stream: { destroy: () => calls.push("socket destroy") } } };
    hangUp(fake as unknown as mysql.Connection);
    expect(calls).toEqual(["mysql2 destroy (stream.end)", "socket destroy"]);
  });

  it("copes with a connection whose socket is already gone", () => {
    expect(() => hangUp({ destroy: () => {} } as unknown as mysql.Connection)).not.toThrow();
  });
});
