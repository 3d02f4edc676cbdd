import { randomBytes } from 'node:crypto';
import type { SealedDispatch } from '@herald/contracts';
import { SidecarError, StateConflict, type StatePort } from '@herald/dapr';
import { createDataKeys, parseKeyRing, seal, type DataKey } from '@herald/stores';
import { createDispatchOpener } from './dispatch-opener.js';

/** The state API over a map; `down` makes every call fail as an unreachable store does. */
function memoryState() {
  const values = new Map<string, unknown>();
  const state = { down: false };
  const reachable = () => {
    if (state.down) throw new SidecarError('state get', 500, '{"errorCode":"ERR_STATE_GET","message":"connection refused"}');
  };
  const port: StatePort = {
    async getState<T>(_store: string, key: string) {
      reachable();
      return values.has(key) ? { value: values.get(key) as T, etag: '1' } : undefined;
    },
    async getBulkState() {
      throw new Error('not used');
    },
    async saveState(_store, key, value, opts = {}) {
      reachable();
      if (opts.onlyIfAbsent && values.has(key)) throw new StateConflict(key, undefined);
      values.set(key, value);
    },
    async deleteState(_store, key) {
      reachable();
      values.delete(key);
    },
  };
  return { port, state };
}

const ring = parseKeyRing('KEY_ENCRYPTION_KEYS', JSON.stringify({ primary: 'k1', keys: { k1: randomBytes(32).toString('base64') } }));
const owner = { tenantId: 'acme', customerId: 'cus_1' };

function sealedFor(key: DataKey): SealedDispatch {
  return {
    schemaVersion: 2,
    notificationId: 'ntf_01jd0000000000000000000000',
    ...owner,
    attempt: 1,
    channel: 'push',
    priority: 'critical',
    to: { devices: [{ id: 'dev-1', platform: 'apns', token: seal(key, owner, 'a'.repeat(64)) }, { id: 'dev-2', platform: 'fcmv1', token: seal(key, owner, 'fcm-token-1') }] },
    content: seal(key, owner, JSON.stringify({ title: 'Sign-in', text: 'New sign-in' })),
  };
}

describe('dispatch opener over the data keys', () => {
  it('opens a dispatch sealed under the customer\'s key, devices included', async () => {
    const { port } = memoryState();
    const keys = createDataKeys({ state: port, ring });
    const sealed = sealedFor(await keys.forSealing(owner.tenantId, owner.customerId));
    keys.forget(); // read back through the store, as another replica would
    await expect(createDispatchOpener(keys).open(sealed)).resolves.toEqual({
      ...sealed,
      to: { devices: [{ platform: 'apns', token: 'a'.repeat(64) }, { platform: 'fcmv1', token: 'fcm-token-1' }] },
      content: { title: 'Sign-in', text: 'New sign-in' },
    });
  });

  it('answers erased once the key is destroyed, and still once a new key was made for the customer', async () => {
    const { port } = memoryState();
    const keys = createDataKeys({ state: port, ring });
    const sealed = sealedFor(await keys.forSealing(owner.tenantId, owner.customerId));
    const opener = createDispatchOpener(keys);
    await keys.destroy(owner.tenantId, owner.customerId);
    await expect(opener.open(sealed)).resolves.toBe('erased');
    await keys.forSealing(owner.tenantId, owner.customerId);
    await expect(opener.open(sealed)).resolves.toBe('erased');
  });

  it('answers undecryptable for tampered content, and for a key its ring cannot unwrap', async () => {
    const { port } = memoryState();
    const keys = createDataKeys({ state: port, ring });
    const sealed = sealedFor(await keys.forSealing(owner.tenantId, owner.customerId));
    const flipped = sealed.content.at(-5) === 'A' ? 'B' : 'A';
    const tampered = { ...sealed, content: `${sealed.content.slice(0, -5)}${flipped}${sealed.content.slice(-4)}` };
    await expect(createDispatchOpener(keys).open(tampered)).resolves.toBe('undecryptable');
    const otherRing = parseKeyRing('KEY_ENCRYPTION_KEYS', JSON.stringify({ primary: 'k9', keys: { k9: randomBytes(32).toString('base64') } }));
    await expect(createDispatchOpener(createDataKeys({ state: port, ring: otherRing })).open(sealed)).resolves.toBe('undecryptable');
  });

  it('throws while the key store cannot be read: the dispatch may open later', async () => {
    const { port, state } = memoryState();
    const keys = createDataKeys({ state: port, ring });
    const sealed = sealedFor(await keys.forSealing(owner.tenantId, owner.customerId));
    keys.forget();
    state.down = true;
    await expect(createDispatchOpener(keys).open(sealed)).rejects.toBeInstanceOf(SidecarError);
    state.down = false;
    await expect(createDispatchOpener(keys).open(sealed)).resolves.toMatchObject({ content: { text: 'New sign-in' } });
  });
});
