// The keys of the records Herald keeps through Dapr's state API, in one place. The component has
// no key prefix (records.yaml: `keyPrefix: none`), so every app reads the same key; tenant and
// customer ids are part of it, so one tenant's records never collide with another's. The
// separator is one `|`: the state API refuses `||` (Dapr's own, in actor keys), and no customer
// or notification id can contain a `|`.

export const recordKeys = {
  preferences: (tenantId: string, customerId: string) => `prefs|${tenantId}|${customerId}`,
  webhookEndpoints: (tenantId: string) => `webhooks|${tenantId}`,
  /** A tenant's API keys (their digests, scopes and names; never a key). */
  apiKeys: (tenantId: string) => `apikeys|${tenantId}`,
  idempotency: (tenantId: string, notificationId: string) => `idem|${tenantId}|${notificationId}`,
  profile: (tenantId: string, customerId: string) => `profile|${tenantId}|${customerId}`,
  erasure: (tenantId: string, erasureId: string) => `erasure|${tenantId}|${erasureId}`,
  /** Which erasure of a customer runs, and who runs it: present only while one runs. */
  erasing: (tenantId: string, customerId: string) => `erasing|${tenantId}|${customerId}`,
};

/** The state component of Herald's records (records.yaml), beside the actors' store. */
export const RECORD_STORE = 'records';
