/**
 * `npm run bench` (from functions/): the core benchmarks, then — under the emulators, which
 * the script starts — Firestore reads and writes per market cycle and the publish → audit
 * latency, then the ledger rollup (one new trade into 10,000; a 10,000-trade burst), then the
 * scheduled fan-out to 200 tenants. `npm run bench:core` runs the core part alone, without the emulators.
 */
import { printCoreBenchmarks, runCoreBenchmarks } from "./bench-core";
import { runEmulatorBenchmarks, runFanOutBenchmark } from "./bench-emulator";
import { runRollupBenchmarks } from "./bench-rollup";

async function main(): Promise<void> {
  printCoreBenchmarks(runCoreBenchmarks());
  console.log("");
  if (!process.env.FIRESTORE_EMULATOR_HOST) {
    console.log("Emulator figures skipped: no emulator running (`npm run bench` from functions/ starts one).");
    return;
  }
  await runEmulatorBenchmarks();
  console.log("");
  if (process.env.MAESTRO_BENCH_SKIP_ROLLUP !== "1") {
    await runRollupBenchmarks();
    console.log("");
  }
  await runFanOutBenchmark();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
