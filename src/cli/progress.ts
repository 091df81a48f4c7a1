/** Progress lines on stderr (count, rate, ETA), at most a few per second so logs stay readable. */
export function progressReporter(label: string, stream: NodeJS.WritableStream = process.stderr) {
  const start = performance.now();
  let last = 0;
  return (done: number, total?: number) => {
    const now = performance.now();
    if (now - last < 500 && done !== total) return;
    last = now;
    const secs = (now - start) / 1000;
    const rate = done / Math.max(secs, 1e-9);
    const eta = total && rate > 0 ? ` ETA ${formatSeconds((total - done) / rate)}` : '';
    const count = total ? `${done}/${total}` : `${done}`;
    stream.write(`${label}: ${count} (${rate.toFixed(1)}/s)${eta}\n`);
  };
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${Math.round(s % 60)}s` : `${Math.floor(m / 60)}h${m % 60}m`;
}
