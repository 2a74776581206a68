import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { waitFor } from '../../helpers/sabre-process.js';

// SIGINT ends a `--source stdin` job even while stdin stays open: it drains, prints its summary and exits (issue 13, item 7).
describe('SIGINT with stdin held open', () => {
  it('drains, prints the summary and exits 0 within a few seconds', async () => {
    const child = spawn('node', ['bin/sabre.js', 'run', '--source', 'stdin', '--window', 'tumbling:10ms', '--agg', 'count',
      '--sink', 'null', '--http-port', '0', '--progress', '50ms', '--workers', '1', '--partitions', '1'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      child.stdin!.write('{"key":"a","ts":1}\n{"key":"a","ts":2}\n{"key":"b","ts":30}\n'); // and stdin stays open
      // The progress line says the three records were read: the source now waits on the open pipe.
      await waitFor('the records read', () => /\] [\d.]+s in 3 \(/.test(stderr), undefined, 30_000);
      child.kill('SIGINT');
      const t0 = Date.now();
      const code = await Promise.race([exit, new Promise<'running'>((r) => setTimeout(() => r('running'), 5_000))]);
      expect(code, `${Date.now() - t0} ms after SIGINT; stderr:\n${stderr}`).toBe(0);
      expect(stderr).toContain('SIGINT: draining');
      expect(stderr).toMatch(/\[sabre\] done in .*: 3 records/);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      child.stdin!.destroy();
    }
  });
});
