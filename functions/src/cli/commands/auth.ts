/**
 * login, logout, whoami: who the CLI is signed in as. The password goes to Firebase Auth
 * and nowhere else; what is stored is the refresh token (credentials.ts, 0600).
 */
import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import type { CommandModule } from "../app";
import { signInWithPassword } from "../auth";
import { connect, type Connection } from "../connection";
import { credentialsPath, removeLogin, saveLogin } from "../credentials";
import { CliError, EXIT, usageError } from "../exit-codes";
import { keyValues } from "../format";
import type { Target } from "../target";

/** Reads a password from the terminal without echoing it. */
async function promptPassword(question: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write: (chunk, _encoding, done) => {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  process.stderr.write(question);
  muted = true;
  const answer = await new Promise<string>((resolve) => rl.question("", resolve));
  rl.close();
  process.stderr.write("\n");
  return answer;
}

function targetName(target: Target): string {
  return target.kind === "emulators" ? `the emulators (project ${target.projectId})` : `project ${target.projectId}`;
}

/** The caller's role in the tenant, read from their own membership document (the rules let a member read it). */
async function membershipRole(connection: Connection, tenantId: string): Promise<string | null> {
  const db = await connection.firestore();
  const { doc, getDoc } = await import("firebase/firestore");
  try {
    const snap = await getDoc(doc(db, "tenants", tenantId, "members", connection.identity.uid));
    return snap.exists() ? String(snap.get("role")) : null;
  } catch (error) {
    if ((error as { code?: string }).code === "permission-denied") return null;
    throw new CliError(EXIT.UNAVAILABLE, `could not read the membership of tenant '${tenantId}': ${(error as Error).message}`);
  }
}

export const authCommands: CommandModule = (program, action) => {
  program
    .command("login")
    .description("sign in as a Maestro user and remember it (refresh token in ~/.config/maestro/credentials.json, 0600)")
    .option("--email <email>", "the user's email (default: MAESTRO_EMAIL)")
    .option("--password <password>", "the password (default: MAESTRO_PASSWORD, else asked for on a terminal)")
    .addHelpText("after", "\nName the tenant with the global --tenant to remember it; the membership and role are checked.\nExample: maestro login --emulators --email admin@demo-fund.maestro.test --password maestro-demo --tenant demo-fund")
    .action(
      action<{ email?: string; password?: string }>(async (ctx, options) => {
        const target = ctx.target();
        const email = options.email ?? ctx.env.MAESTRO_EMAIL;
        if (!email) throw usageError("--email: is required (or MAESTRO_EMAIL)");
        let password = options.password ?? ctx.env.MAESTRO_PASSWORD;
        if (!password) {
          if (!process.stdin.isTTY) throw usageError("--password: is required (or MAESTRO_PASSWORD) when not at a terminal");
          password = await promptPassword(`Password for ${email}: `);
        }
        const user = await ctx.out.spin(`Signing in to ${targetName(target)}…`, () => signInWithPassword(target, email, password!));
        const tenantId = ctx.globals.tenant || ctx.env.MAESTRO_TENANT || null;
        let role: string | null = null;
        if (tenantId) {
          const connection = connect(target, { uid: user.uid, email: user.email, idToken: user.idToken, source: "login" });
          try {
            role = await ctx.out.spin(`Checking the membership of ${tenantId}…`, () => membershipRole(connection, tenantId));
          } finally {
            await connection.close();
          }
          if (!role) throw new CliError(EXIT.PERMISSION_DENIED, `${email} is not a member of tenant '${tenantId}': nothing was remembered`, "PERMISSION_DENIED");
        }
        saveLogin(ctx.configDir(), target.profile, {
          uid: user.uid,
          email: user.email,
          refresh_token: user.refreshToken ?? "",
          id_token: user.idToken,
          id_token_expires_at: user.expiresAt,
          tenant_id: tenantId,
          role,
          signed_in_at: new Date().toISOString(),
        });
        const file = credentialsPath(ctx.configDir());
        ctx.out.result({ target: target.profile, uid: user.uid, email: user.email, tenant_id: tenantId, role, credentials_file: file }, (c) =>
          [
            `${c.green("Signed in")} to ${targetName(target)} as ${c.bold(user.email ?? user.uid)} (uid ${user.uid})` +
              (tenantId ? `: ${c.bold(role!)} of ${c.bold(tenantId)}` : ""),
            `Remembered in ${file} (readable by you only).` + (tenantId ? "" : " Name a tenant with --tenant on each command, or log in again with --tenant."),
          ].join("\n"),
        );
      }),
    );

  program
    .command("logout")
    .description("forget the stored sign-in of this target (--emulators or --project)")
    .action(
      action(async (ctx) => {
        const target = ctx.target();
        const removed = removeLogin(ctx.configDir(), target.profile);
        ctx.out.result({ target: target.profile, signed_out: removed }, () =>
          removed ? `Signed out of ${targetName(target)}.` : `Not signed in to ${targetName(target)}; nothing to forget.`,
        );
      }),
    );

  program
    .command("whoami")
    .description("who the CLI is signed in as, where, and the role in the tenant")
    .action(
      action(async (ctx) => {
        const target = ctx.target();
        const connection = await ctx.connect();
        const stored = ctx.storedLogin();
        let tenantId: string | null = null;
        try {
          tenantId = ctx.tenant();
        } catch {
          tenantId = null;
        }
        const role = tenantId ? await ctx.out.spin("Reading the membership…", () => membershipRole(connection, tenantId!)) : null;
        const { uid, email, source } = connection.identity;
        ctx.out.result({ target: target.profile, uid, email, source, tenant_id: tenantId, role, signed_in_at: stored?.signed_in_at ?? null }, (c) =>
          keyValues(
            [
              ["Target", targetName(target)],
              ["User", `${email ?? "(no email)"} (uid ${uid}, from ${source === "login" ? "maestro login" : source === "token" ? "--token / MAESTRO_TOKEN" : "MAESTRO_EMAIL / MAESTRO_PASSWORD"})`],
              ["Tenant", tenantId ?? "(none: pass --tenant)"],
              ["Role", role ?? (tenantId ? c.red("not a member") : "–")],
            ],
            c,
          ),
        );
        return tenantId && !role ? EXIT.PERMISSION_DENIED : EXIT.OK;
      }),
    );
};
