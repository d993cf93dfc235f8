/**
 * Where the CLI puts a secret on disk (the stored sign-in, an agent's custom token): a file
 * only its owner can read, created before the secret exists so an unwritable path is
 * refused first, and in place only once it is whole.
 */
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { prepareSecretFile } from "../../src/cli/credentials";

const dir = () => mkdtempSync(join(tmpdir(), "maestro-secret-"));

describe("prepareSecretFile", () => {
  test("the secret lands at the path with mode 0600, even over a file anyone could read", () => {
    const d = dir();
    const path = join(d, "agent.token");
    writeFileSync(path, "old");
    chmodSync(path, 0o644);
    const file = prepareSecretFile(path);
    expect(readFileSync(path, "utf8")).toBe("old");
    file.write("s3cret\n");
    expect(readFileSync(path, "utf8")).toBe("s3cret\n");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(d)).toEqual(["agent.token"]);
  });

  test("before the secret exists, a path in a missing directory, or a directory, is refused with its code", () => {
    const d = dir();
    expect(() => prepareSecretFile(join(d, "missing", "agent.token"))).toThrow(expect.objectContaining({ code: "ENOENT" }));
    expect(() => prepareSecretFile(d)).toThrow(expect.objectContaining({ code: "EISDIR" }));
  });

  test("discarded, it leaves nothing behind", () => {
    const d = dir();
    const path = join(d, "agent.token");
    prepareSecretFile(path).discard();
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(d)).toEqual([]);
  });
});
