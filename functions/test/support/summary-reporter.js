/**
 * Prints one plain closing line per jest run, e.g. "unit: 209 passed, 0 failed", so a
 * log reader (or CI) can tell how many tests ran without parsing jest's summary table.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const project = results.testResults.find((r) => r.displayName)?.displayName?.name ?? "tests";
    const skipped = results.numPendingTests + results.numTodoTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    console.log(`\n${project}: ${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
  }
}
module.exports = SummaryReporter;
