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
