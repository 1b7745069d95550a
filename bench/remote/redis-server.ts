/**
 * A private redis-server for the BullMQ suite and the specs: 127.0.0.1, a free port, no
 * persistence, started by `startRedis()` and stopped with `redis.stop()` when done. Readiness is
 * the server's own "Ready to accept connections" line, then a PING, so nothing waits on a clock.
 * (The specs reach it through spec/support/redis-server.ts.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer, Socket } from 'node:net';

export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly process: ChildProcess;
  /** Stops the server (SIGTERM, then waits for its exit). Safe to call twice. */
  stop(): Promise<void>;
}

const binary = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';

export async function startRedis(): Promise<RedisServer> {
  if (!existsSync(binary)) {
    throw new Error(
      `Expected redis-server at ${binary}, got no such file. Install it (apt-get install redis-server) ` +
        'or set REDIS_SERVER to its path; or leave the bullmq suite out with --only.',
    );
  }
  // Another process may take the free port between our probe and redis-server's bind: try again then.
  let lastError: unknown;
  for (let i = 0; i < 5; i++) {
    try {
      return await startOn(await freePort());
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function startOn(port: number): Promise<RedisServer> {
  const child = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--loglevel',
      'notice',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = once(child, 'exit');
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        child.stdout!.off('data', onData);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.once('error', reject);
    void exited.then(([code]) => reject(new Error(`redis-server exited with code ${code}:\n${output}`)));
  });
  child.stdout!.resume();
  child.stderr!.resume();
  await ping(port);
  let stopping: Promise<void> | undefined;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    process: child,
    stop: () =>
      (stopping ??=
        child.exitCode !== null || child.signalCode !== null
          ? Promise.resolve()
          : (child.kill('SIGTERM'), exited.then(() => undefined))),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

// One inline PING over a raw socket: the server says it is ready, and answers.
async function ping(port: number): Promise<void> {
  const socket = new Socket();
  socket.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write('PING\r\n');
  const [reply] = (await once(socket, 'data')) as [Buffer];
  socket.destroy();
  if (!reply.toString().startsWith('+PONG'))
    throw new Error(`redis-server answered PING with ${reply.toString()}`);
}
