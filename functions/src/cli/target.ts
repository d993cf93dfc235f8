/**
 * Which Maestro the CLI talks to: the local Emulator Suite (`--emulators`) or a Firebase
 * project (`--project` and its web API key). Pure: flags, environment and firebase.json in,
 * the endpoints out.
 */
import { usageError } from "./exit-codes";

/** The project id the emulator scripts use (scripts/emulators.sh, tools/emulator-client.ts). */
export const EMULATOR_PROJECT_ID = "demo-maestro";
/** Any key is accepted by the Auth emulator. */
export const EMULATOR_API_KEY = "demo-api-key";
export const DEFAULT_REGION = "us-central1";

export interface Target {
  kind: "emulators" | "project";
  projectId: string;
  apiKey: string;
  region: string;
  /** host:port of each emulator (null in production). */
  emulators: { auth: string; firestore: string; functions: string } | null;
  /** Where a sign-in is remembered: one profile per target, so emulator and production logins never mix. */
  profile: string;
}

export interface TargetOptions {
  emulators?: boolean;
  project?: string;
}

/** firebase.json's `emulators` block (host and port of each), as far as the CLI reads it. */
export type EmulatorPorts = Partial<Record<"auth" | "firestore" | "functions", { host?: string; port?: number }>>;

function emulatorHost(env: NodeJS.ProcessEnv, variable: string, ports: EmulatorPorts, name: keyof EmulatorPorts, fallbackPort: number): string {
  const fromEnv = env[variable];
  if (fromEnv) return fromEnv;
  const entry = ports[name];
  return `${entry?.host ?? "127.0.0.1"}:${entry?.port ?? fallbackPort}`;
}

/**
 * `--emulators` (or MAESTRO_EMULATORS=1): the hosts emulators:exec exports
 * (FIREBASE_AUTH_EMULATOR_HOST, FIRESTORE_EMULATOR_HOST, FUNCTIONS_EMULATOR_HOST), else
 * firebase.json's ports on 127.0.0.1. Otherwise a project: `--project` or MAESTRO_PROJECT,
 * and its web API key in MAESTRO_API_KEY (Project settings → Your apps).
 */
export function resolveTarget(options: TargetOptions, env: NodeJS.ProcessEnv, ports: EmulatorPorts = {}): Target {
  const region = env.MAESTRO_REGION || DEFAULT_REGION;
  const useEmulators = options.emulators === true || env.MAESTRO_EMULATORS === "1" || env.MAESTRO_EMULATORS === "true";
  if (useEmulators) {
    const projectId = options.project || env.MAESTRO_PROJECT || env.GCLOUD_PROJECT || EMULATOR_PROJECT_ID;
    return {
      kind: "emulators",
      projectId,
      apiKey: env.MAESTRO_API_KEY || EMULATOR_API_KEY,
      region,
      emulators: {
        auth: emulatorHost(env, "FIREBASE_AUTH_EMULATOR_HOST", ports, "auth", 9099),
        firestore: emulatorHost(env, "FIRESTORE_EMULATOR_HOST", ports, "firestore", 8080),
        functions: emulatorHost(env, "FUNCTIONS_EMULATOR_HOST", ports, "functions", 5001),
      },
      profile: `emulators:${projectId}`,
    };
  }
  const projectId = options.project || env.MAESTRO_PROJECT;
  if (!projectId) {
    throw usageError("no Maestro to talk to: pass --emulators for the local Emulator Suite, or --project <id> (or MAESTRO_PROJECT) with MAESTRO_API_KEY");
  }
  const apiKey = env.MAESTRO_API_KEY;
  if (!apiKey) throw usageError(`MAESTRO_API_KEY is not set: the web API key of project '${projectId}' (Firebase console → Project settings → Your apps)`);
  return { kind: "project", projectId, apiKey, region, emulators: null, profile: `project:${projectId}` };
}

/** The callable's URL: the Functions emulator's path form, or the deployed function's. */
export function callableUrl(target: Target, name: string): string {
  if (target.emulators) return `http://${target.emulators.functions}/${target.projectId}/${target.region}/${name}`;
  return `https://${target.region}-${target.projectId}.cloudfunctions.net/${name}`;
}

/** Identity Toolkit (sign-in) and Secure Token (refresh) endpoints, through the Auth emulator when there is one. */
export function authUrls(target: Target): { signIn: string; refresh: string; lookup: string } {
  const key = encodeURIComponent(target.apiKey);
  const base = target.emulators ? `http://${target.emulators.auth}/` : "https://";
  return {
    signIn: `${base}identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=${key}`,
    lookup: `${base}identitytoolkit.googleapis.com/v1/accounts:lookup?key=${key}`,
    refresh: `${base}securetoken.googleapis.com/v1/token?key=${key}`,
  };
}
