import { parseJson, type Logger } from '@herald/service';
import type { Simulator } from '../domain/simulator.js';
import { simConfigPatchSchema } from '../domain/sim-config.js';
import { empty, json, type Reply } from './http-io.js';

/**
 * The simulator's own API: `GET|PUT /_sim/config`, `GET /_sim/stats`, `POST /_sim/reset`,
 * `GET /healthz`. Answers undefined for any other path.
 */
export function controlReply(method: string, path: string, body: string, simulator: Simulator, log: Logger): Reply | undefined {
  switch (path) {
    case '/healthz':
      return method === 'GET' ? json(200, { status: 'ok' }) : notAllowed('GET');
    case '/_sim/config':
      if (method === 'GET') return json(200, simulator.config());
      if (method === 'PUT') return configure(body, simulator, log);
      return notAllowed('GET, PUT');
    case '/_sim/stats':
      return method === 'GET' ? json(200, simulator.stats()) : notAllowed('GET');
    case '/_sim/reset':
      if (method !== 'POST') return notAllowed('POST');
      simulator.reset();
      log.info('statistics reset');
      return empty(204);
    default:
      return undefined;
  }
}

function configure(body: string, simulator: Simulator, log: Logger): Reply {
  const parsed = simConfigPatchSchema.safeParse(parseJson(body));
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
    return json(400, { error: 'invalid_config', issues });
  }
  const config = simulator.configure(parsed.data);
  log.info({ config }, 'configuration changed');
  return json(200, config);
}

export const notAllowed = (allow: string): Reply => json(405, { error: 'method_not_allowed', allow }, { Allow: allow });
