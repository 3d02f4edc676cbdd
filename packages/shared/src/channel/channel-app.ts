import { z } from 'zod';
import { baseEnvSchema, parseEnv, portSchema } from '../config.js';
import type { Channel } from '../contracts/notification-request.js';
import { channelInBinding } from '../dapr/names.js';
import { createSidecar } from '../dapr/sidecar.js';
import { createLogger } from '../log.js';
import { startChannelServer } from './channel-server.js';
import { createChannelWorker } from './channel-worker.js';
import type { ProviderPort } from './provider-port.js';
import { createSandboxProvider } from './sandbox-provider.js';

const channelEnvSchema = baseEnvSchema.extend({ APP_PORT: portSchema, APP_HOST: z.string().default('127.0.0.1') });

/**
 * Starts a channel app: its provider (the sandbox unless one is given), the worker, and the
 * server its sidecar delivers queue messages to. Each apps/channel-* main calls this with its
 * own channel and provider.
 */
export async function runChannelApp(channel: Channel, defaultPort: number, provider?: ProviderPort): Promise<void> {
  const config = parseEnv(channelEnvSchema.extend({ APP_PORT: portSchema.default(defaultPort) }));
  const log = createLogger(`channel-${channel}`, config.LOG_LEVEL);
  const sidecar = createSidecar(config.DAPR_HOST, config.DAPR_HTTP_PORT);
  const sandbox = createSandboxProvider(channel);
  const chosen = provider ?? sandbox;
  const inSandbox = chosen === sandbox;
  if (inSandbox) log.warn({ provider: sandbox.name }, 'no provider configured: running the sandbox (records, sends nothing)');

  const worker = createChannelWorker({ channel, provider: chosen, sidecar, log });
  const routes = inSandbox ? { '/sandbox/messages': () => ({ total: sandbox.count(), recent: sandbox.recent() }) } : {};
  const server = await startChannelServer({
    host: config.APP_HOST,
    port: config.APP_PORT,
    binding: channelInBinding(channel),
    worker,
    log,
    routes,
  });
  log.info({ port: config.APP_PORT, provider: chosen.name }, `channel-${channel} ready`);

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log.info({ signal }, 'stopping');
      server.close(() => process.exit(0));
      setTimeout(() => process.exit(0), 5_000).unref();
    });
  }
}
