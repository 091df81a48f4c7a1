import type { Reporter, TestModule } from 'vitest/node';

/** Prints the plain closing line CI reads ("Tests: N passed, N failed, N skipped"). */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>) {
    const counts = { passed: 0, failed: 0, skipped: 0, pending: 0 };
    for (const m of modules) for (const t of m.children.allTests()) counts[t.result().state]++;
    process.stdout.write(`\nTests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped + counts.pending} skipped\n`);
  }
}
