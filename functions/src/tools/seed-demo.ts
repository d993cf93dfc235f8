/**
 * Writes the demo dataset (tools/demo-data.ts) into a running Firestore emulator and rolls
 * every strategy's ledger up with the real rollup stage, so `emulator-data/` (exported when
 * the emulators stop) holds tenants, strategies, ledger, marks, performance and pending
 * signals, plus the demo users (Auth accounts and their memberships). Run from the repo root: `npm run seed` (Firestore and Auth only, so no trigger
 * fires while the data goes in; the rollup is called directly instead).
 */
import type { Firestore } from "firebase-admin/firestore";
import { getAuth } from "firebase-admin/auth";
import { rollupStrategyPerformance } from "../stages/performance-rollup";
import { paths } from "../store/paths";
import { DEMO_LAST_TRADING_DAY, DEMO_PASSWORD, DEMO_USERS, buildDemoDataset } from "./demo-data";
import { emulatorDb, requireEnv } from "./emulator-client";

/** The export is reproducible: every computed_at is this instant. */
const SEEDED_AT = new Date(`${DEMO_LAST_TRADING_DAY}T23:00:00.000Z`);

async function writeAll(db: Firestore, docs: Array<[string, Record<string, unknown>]>): Promise<void> {
  for (let i = 0; i < docs.length; i += 450) {
    const batch = db.batch();
    for (const [path, data] of docs.slice(i, i + 450)) batch.set(db.doc(path), data);
    await batch.commit();
  }
}

async function main(): Promise<void> {
  const db = emulatorDb();
  const data = buildDemoDataset();
  const docs: Array<[string, Record<string, unknown>]> = [];
  for (const [t, tenant] of Object.entries(data.tenants)) {
    docs.push([paths.tenant(t), tenant]);
    docs.push([paths.config(t), data.config[t] ?? {}]);
    for (const [uid, member] of Object.entries(data.members[t] ?? {})) docs.push([paths.member(t, uid), member]);
    for (const [s, strategy] of Object.entries(data.strategies[t] ?? {})) docs.push([paths.strategy(t, s), strategy]);
    for (const [day, marks] of Object.entries(data.dailyMarks[t] ?? {})) docs.push([paths.dailyMark(t, day), marks]);
    for (const [id, trade] of Object.entries(data.ledgerTrades[t] ?? {})) {
      docs.push([paths.ledgerTrade(t, id), { ...trade, executed_at: new Date(trade.executed_at) }]);
    }
    for (const [id, signal] of Object.entries(data.signals[t] ?? {})) docs.push([paths.signal(t, id), signal]);
    // Stale by the time anyone runs the emulators: the demo writes a fresh one, as the execution side would.
    if (data.accounts[t]) docs.push([paths.accountSnapshot(t), { ...data.accounts[t], as_of: SEEDED_AT.toISOString() }]);
  }
  await writeAll(db, docs);

  requireEnv("FIREBASE_AUTH_EMULATOR_HOST");
  for (const user of DEMO_USERS) {
    await getAuth().createUser({ uid: user.uid, email: user.email, password: DEMO_PASSWORD, displayName: user.display_name, emailVerified: true });
    console.log(`created user ${user.email} (${user.role} of ${user.tenant_id})`);
  }

  for (const t of Object.keys(data.tenants)) {
    for (const s of Object.keys(data.strategies[t] ?? {})) {
      const outcome = await rollupStrategyPerformance(db, t, s, { now: SEEDED_AT });
      console.log(`rolled up ${t}/${s}: ${outcome.days} days, ${outcome.rejected_trades} rejected trades`);
    }
  }
  console.log(`seeded ${docs.length} documents`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
