import { createLogger } from '@herald/service';
import { startSimServer } from './adapters/server.js';
import { loadConfig } from './config.js';
import { createSimulator } from './domain/simulator.js';

const config = loadConfig();
const log = createLogger('provider-sim', config.LOG_LEVEL);
const simulator = createSimulator(config.SIM_CONFIG);
const sim = await startSimServer({ simulator, log }, config.PORT, config.HOST);
log.info({ url: sim.url, config: simulator.config() }, 'provider-sim ready');

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log.info({ signal }, 'provider-sim stopping');
    sim.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'close failed');
        process.exit(1);
      },
    );
    setTimeout(() => process.exit(0), 5_000).unref();
  });
}
