/**
 * Where `maestro login` remembers a sign-in: $MAESTRO_CONFIG_DIR, else
 * $XDG_CONFIG_HOME/maestro, else ~/.config/maestro; one file, credentials.json, readable by
 * its owner only (0600), one profile per target (the emulators, each project). It holds the
 * refresh token (never the password) and the last ID token while it is valid.
 */
import { closeSync, existsSync, fchmodSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, join } from "node:path";
import { z } from "zod";

export const StoredLoginSchema = z.object({
  uid: z.string(),
  email: z.string().nullable(),
  refresh_token: z.string(),
  id_token: z.string(),
  id_token_expires_at: z.string(),
  /** The tenant named at login, used when --tenant and MAESTRO_TENANT are absent. */
  tenant_id: z.string().nullable(),
  /** The role the membership had at login (for display; the server checks the role on every call). */
  role: z.string().nullable(),
  signed_in_at: z.string(),
});
export type StoredLogin = z.infer<typeof StoredLoginSchema>;

const CredentialsFileSchema = z.object({ profiles: z.record(z.string(), StoredLoginSchema) });

export function configDir(env: NodeJS.ProcessEnv): string {
  if (env.MAESTRO_CONFIG_DIR) return env.MAESTRO_CONFIG_DIR;
  const base = env.XDG_CONFIG_HOME || join(homedir(), ".config");
  return join(base, "maestro");
}

export function credentialsPath(dir: string): string {
  return join(dir, "credentials.json");
}

function readAll(dir: string): Record<string, StoredLogin> {
  const file = credentialsPath(dir);
  if (!existsSync(file)) return {};
  try {
    const parsed = CredentialsFileSchema.safeParse(JSON.parse(readFileSync(file, "utf8")));
    return parsed.success ? parsed.data.profiles : {};
  } catch {
    return {};
  }
}

export interface SecretFile {
  /** Writes the secret and puts the file in place. */
  write(text: string): void;
  /** Leaves nothing behind (the secret never came). */
  discard(): void;
}

/**
 * A file for a secret, readable by its owner only (0600). A fresh file beside `file` is
 * created at once, before the secret exists, so a path that cannot be written is refused
 * first; `write` fills it and renames it over `file`, so no reader sees it half-written,
 * nor with the looser mode an existing `file` may have had. Throws the fs error (its
 * `code`: EACCES, ENOENT, EISDIR) when the file cannot be created.
 */
export function prepareSecretFile(file: string): SecretFile {
  if (existsSync(file) && statSync(file).isDirectory()) throw Object.assign(new Error(`${file} is a directory`), { code: "EISDIR" });
  const temporary = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  rmSync(temporary, { force: true });
  const fd = openSync(temporary, "wx", 0o600);
  let open = true;
  const close = () => {
    if (open) closeSync(fd);
    open = false;
  };
  try {
    fchmodSync(fd, 0o600); // whatever the umask
  } catch (error) {
    close();
    rmSync(temporary, { force: true });
    throw error;
  }
  return {
    write: (text) => {
      try {
        writeFileSync(fd, text);
      } finally {
        close();
      }
      renameSync(temporary, file);
    },
    discard: () => {
      close();
      rmSync(temporary, { force: true });
    },
  };
}

function writeAll(dir: string, profiles: Record<string, StoredLogin>): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  prepareSecretFile(credentialsPath(dir)).write(`${JSON.stringify({ profiles }, null, 2)}\n`);
}

export function readLogin(dir: string, profile: string): StoredLogin | null {
  return readAll(dir)[profile] ?? null;
}

export function saveLogin(dir: string, profile: string, login: StoredLogin): void {
  writeAll(dir, { ...readAll(dir), [profile]: login });
}

/** Forgets the profile's sign-in; true when there was one. Removes the file when no profile is left. */
export function removeLogin(dir: string, profile: string): boolean {
  const all = readAll(dir);
  if (!(profile in all)) return false;
  delete all[profile];
  if (Object.keys(all).length === 0) rmSync(credentialsPath(dir), { force: true });
  else writeAll(dir, all);
  return true;
}
