import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const packageRoot = fileURLToPath(new URL('../..', import.meta.url));
const workerScript = fileURLToPath(new URL('../consumer/test-support/worker.mjs', import.meta.url));

/** A consumer worker process (see consumer/test-support/worker.mjs). */
export interface WorkerProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves with the exit code or signal name. */
  readonly exited: Promise<string>;
  /** Output on stderr so far (for failure messages). */
  stderr(): string;
}

/** Starts a worker running `node --import tsx worker.mjs` with `config` in `VSA_WORKER`. */
export function spawnWorker(config: Record<string, unknown>): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', workerScript], {
    cwd: packageRoot,
    env: { ...process.env, VSA_WORKER: JSON.stringify(config) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<string>((resolve) => {
    child.on('exit', (code, signal) => resolve(signal ?? String(code)));
  });
  return { pid: child.pid as number, child, exited, stderr: () => err };
}

/** SIGTERMs (graceful) or SIGKILLs every live worker and waits for their exit. */
export async function stopWorkers(
  workers: readonly WorkerProcess[],
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  await Promise.all(
    workers.map(async (w) => {
      if (w.child.exitCode === null && w.child.signalCode === null) {
        w.child.kill('SIGCONT');
        w.child.kill(signal);
      }
      await w.exited;
    }),
  );
}
