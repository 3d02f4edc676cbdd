import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type RequestHandler } from 'express';
import type { Erasure } from '@herald/contracts';
import { createLogger } from '@herald/service';
import type { ApiError } from '../../domain/api-error.js';
import type { ErasureService } from '../erasure.js';
import { mountErasureRoutes } from './erasures.js';

// The erasure routes on a small express app of their own, with an in-memory erasure service:
// what they answer, not how an erasure runs (erasure.test.ts).

const ERASURE_ID = 'ers_0123456789abcdefghjkmnpqrs';

/** Keeps erasures in memory, one a customer; `failure` makes every call fail as a store outage would. */
class MemoryErasures implements ErasureService {
  readonly erasures = new Map<string, Erasure>();
  readonly calls: Array<[string, string, string]> = [];
  failure: Error | undefined;

  async erase(tenantId: string, customerId: string, requestedBy: string): Promise<Erasure> {
    this.calls.push([tenantId, customerId, requestedBy]);
    if (this.failure) throw this.failure;
    const erasure: Erasure = {
      id: ERASURE_ID, tenantId, customerId, status: 'running', requestedAt: '2026-12-01T12:00:00.000Z', requestedBy,
      erased: { dataKey: true, profile: true, preferences: false, notificationsFound: 0, notificationsErased: 0, notificationsCanceled: 0 },
    };
    this.erasures.set(erasure.id, erasure);
    return erasure;
  }
  async get(tenantId: string, erasureId: string): Promise<Erasure | undefined> {
    if (this.failure) throw this.failure;
    const e = this.erasures.get(erasureId);
    return e?.tenantId === tenantId ? e : undefined;
  }
  async resume(): Promise<void> {}
  async stop(): Promise<void> {}
}

/** `Bearer key-a` is tenant A with key fingerprint fp-a; `Bearer key-legacy` is tenant L, with no fingerprint. */
const auth: RequestHandler = (req, res, next) => {
  const caller = ({ 'Bearer key-a': ['tenant-a', 'fp-a'], 'Bearer key-b': ['tenant-b', 'fp-b'], 'Bearer key-legacy': ['tenant-l', undefined] } as const)[
    (req.header('authorization') ?? '') as 'Bearer key-a'
  ];
  if (!caller) {
    res.status(401).json({ error: { code: 'unauthorized' } });
    return;
  }
  res.locals.tenantId = caller[0];
  if (caller[1]) res.locals.keyId = caller[1];
  next();
};

let server: Server;
let baseUrl: string;
let erasures: MemoryErasures;

beforeAll(async () => {
  const app = express();
  const router = express.Router();
  mountErasureRoutes(router, auth, express.json(), {
    erasures: { erase: (...a) => erasures.erase(...a), get: (...a) => erasures.get(...a), resume: async () => {}, stop: async () => {} },
    log: createLogger('erasure-routes-test', 'silent'),
  });
  app.use(router);
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

beforeEach(() => {
  erasures = new MemoryErasures();
});

async function call<T = ApiError>(method: string, path: string, key: string | null = 'key-a'): Promise<{ status: number; headers: Headers; body: T }> {
  const res = await fetch(baseUrl + path, { method, headers: key ? { authorization: `Bearer ${key}` } : {} });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text === '' ? undefined : JSON.parse(text)) as T };
}

describe('DELETE /v1/customers/:customerId', () => {
  it('starts the erasure: 202, the erasure, and where to follow it', async () => {
    const res = await call<Erasure>('DELETE', '/v1/customers/cust-1');
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toBe(`/v1/erasures/${ERASURE_ID}`);
    expect(res.body).toEqual(erasures.erasures.get(ERASURE_ID));
    expect(erasures.calls).toEqual([['tenant-a', 'cust-1', 'fp-a']]);
  });

  it('names the asker "unknown" when its key has no fingerprint', async () => {
    expect((await call('DELETE', '/v1/customers/cust-1', 'key-legacy')).status).toBe(202);
    expect(erasures.calls).toEqual([['tenant-l', 'cust-1', 'unknown']]);
  });

  it('refuses a customer id that is not one, naming the field', async () => {
    const res = await call('DELETE', '/v1/customers/not%20an%20id');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_customer_id', field: 'customerId' });
    expect(erasures.calls).toEqual([]);
  });

  it('answers 503 with Retry-After when the erasure could not start', async () => {
    erasures.failure = new Error('state store unavailable');
    const res = await call('DELETE', '/v1/customers/cust-1');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(res.body.error.code).toBe('unavailable');
  });

  it('needs an API key', async () => {
    expect((await call('DELETE', '/v1/customers/cust-1', null)).status).toBe(401);
    expect(erasures.calls).toEqual([]);
  });
});

describe('GET /v1/erasures/:erasureId', () => {
  it("shows the tenant's own erasure", async () => {
    await call('DELETE', '/v1/customers/cust-1');
    const res = await call<Erasure>('GET', `/v1/erasures/${ERASURE_ID}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(erasures.erasures.get(ERASURE_ID));
  });

  it("answers 404 erasure_not_found for another tenant's erasure and for an unknown one", async () => {
    await call('DELETE', '/v1/customers/cust-1');
    const other = await call('GET', `/v1/erasures/${ERASURE_ID}`, 'key-b');
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe('erasure_not_found');
    const unknown = await call('GET', '/v1/erasures/ers_00000000000000000000000000');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('erasure_not_found');
  });

  it('refuses a malformed erasure id', async () => {
    for (const id of ['ers_short', 'ntf_0123456789abcdefghjkmnpqrs', 'ers_0123456789ABCDEFGHJKMNPQRS']) {
      const res = await call('GET', `/v1/erasures/${id}`);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'invalid_erasure_id', field: 'erasureId' });
    }
  });

  it('answers 503 with Retry-After when the store is unavailable', async () => {
    erasures.failure = new Error('state store unavailable');
    const res = await call('GET', `/v1/erasures/${ERASURE_ID}`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('2');
  });
});
