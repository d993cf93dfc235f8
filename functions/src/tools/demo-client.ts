/**
 * The demo's client-app part: what a dashboard does, with the `firebase` web SDK against
 * the emulators, signed in as the demo users (DEMO_USERS, exported in emulator-data/).
 */
import { DEMO_PASSWORD, DEMO_USERS, type DemoUser } from "./demo-data";
import { webClient } from "./web-client";

async function asUser<T>(user: DemoUser, work: (call: (name: string, data: unknown) => Promise<any>) => Promise<T>): Promise<T> {
  const client = await webClient({ email: user.email, password: DEMO_PASSWORD });
  try {
    return await work(client.call);
  } finally {
    await client.close();
  }
}

async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "allowed";
  } catch (error) {
    return `${(error as { code?: string }).code}: ${(error as Error).message}`;
  }
}

export async function clientAppDemo(tenantId: string): Promise<void> {
  console.log(`\nClient app (firebase web SDK, signed in through the Auth emulator; password '${DEMO_PASSWORD}')`);
  for (const user of DEMO_USERS) console.log(`  ${user.email.padEnd(32)} ${user.role.padEnd(7)} of ${user.tenant_id}`);
  const viewer = DEMO_USERS.find((u) => u.tenant_id === tenantId && u.role === "viewer")!;
  const outsider = DEMO_USERS.find((u) => u.tenant_id !== tenantId)!;
  await asUser(viewer, async (call) => {
    const weights = await call("getStrategyWeights", { tenant_id: tenantId });
    const logs = await call("listOrchestrationLogs", { tenant_id: tenantId, page_size: 3 });
    console.log(`  ${viewer.email}: getStrategyWeights → ${weights.strategies.length} strategies (fresh: ${weights.fresh}); ` +
      `listOrchestrationLogs → ${logs.logs.length} log(s), newest seq ${logs.logs[0]?.seq ?? "-"}`);
    console.log(`  ${viewer.email}: orchestrateNow → ${await outcome(call("orchestrateNow", { tenant_id: tenantId }))}`);
  });
  await asUser(outsider, async (call) => {
    console.log(`  ${outsider.email}: getStrategyWeights(${tenantId}) → ${await outcome(call("getStrategyWeights", { tenant_id: tenantId }))}`);
  });
}

/** How to operate the demo desk with the `maestro` CLI while the emulators run (README, "Operating Maestro"). */
export function operatorCliHint(tenantId: string): void {
  const admin = DEMO_USERS.find((u) => u.tenant_id === tenantId && u.role === "admin")!;
  const viewer = DEMO_USERS.find((u) => u.tenant_id === tenantId && u.role === "viewer")!;
  console.log(`\nTry the operator CLI (from the repository root, in another terminal while the emulators run):`);
  for (const line of [
    `npx maestro login --emulators --email ${viewer.email} --password ${DEMO_PASSWORD} --tenant ${tenantId}`,
    "npx maestro status --emulators                 # trading session, health, locks, last cycle",
    "npx maestro strategies --emulators --sort-by sharpe --detailed",
    "npx maestro metrics --emulators --period 7d    # or --json for scripts",
    "npx maestro monitor --emulators --live         # Firestore listeners; Ctrl-C to leave",
    "npx maestro report --emulators --period 30d --output report.pdf",
    `npx maestro emergency-stop --emulators --reason "drill"   # exit 4: a viewer may not; log in as ${admin.email}`,
    "npx maestro --help                             # every command, the global options and the exit codes",
  ]) {
    console.log(`  ${line}`);
  }
}
