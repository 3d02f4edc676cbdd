// Erasing a customer (`DELETE /v1/customers/<id>`), in the order docs/privacy.md ("Erasure")
// gives: their data key first, so that from then on nothing of theirs opens anywhere; then their
// profile and preferences; then each of their notifications, through its own actor. The request
// waits for the key (and tries the profile and preferences once): the rest runs here in the
// background, kept going across failures and restarts until it is done, and only then is the
// erasure reported completed.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { notificationIdOf, timeOrderedBytes, type Erasure } from '@herald/contracts';
import { NOTIFICATION_ACTOR, StateConflict, type ActorPort, type BindingPort, type StatePort } from '@herald/dapr';
import { errMessage, type Logger } from '@herald/service';
import {
  createErasureRuns,
  type CustomerStore,
  type DataKeys,
  type NotificationHistory,
  type PreferencesStore,
} from '@herald/stores';
import { mapLimit } from './routes/common.js';

export interface ErasureService {
  /**
   * Erases a customer: destroys their data key first (from then on nothing of theirs opens,
   * anywhere), then removes their profile and preferences and strips their notifications in the
   * background. Resolves once the key is destroyed and the erasure recorded, with the record. A
   * customer with an erasure still running gets that one back (a second DELETE is harmless).
   */
  erase(tenantId: string, customerId: string, requestedBy: string): Promise<Erasure>;
  /** An erasure of this tenant, or undefined (another tenant's is not found either). */
  get(tenantId: string, erasureId: string): Promise<Erasure | undefined>;
  /** Takes up the erasures a stopped intake left running. */
  resume(): Promise<void>;
  /** Stops taking up new work; resolves when the work in hand has stopped. */
  stop(): Promise<void>;
}

export interface ErasureServiceDeps {
  sidecar: StatePort & BindingPort & ActorPort;
  dataKeys: Pick<DataKeys, 'destroy' | 'forgetEverywhere'>;
  customers: Pick<CustomerStore, 'removeProfile' | 'getErasure' | 'putErasure'>;
  preferences: Pick<PreferencesStore, 'remove'>;
  history: NotificationHistory;
  log: Logger;
  /** How long an erasure record, the audit record, is kept. */
  retentionSeconds: number;
  /** The SQL binding on the records' database, and the records' table: where erasures left running are found. */
  sql: { binding: string; recordsTable: string };
  /** Milliseconds since the epoch. */
  now?: () => number;
  /** Notifications erased per page of the customer's history (8 actor calls at a time). */
  pageSize?: number;
  /** How long a replica's hold on an erasure lasts unless renewed; also how often running ones are looked for. */
  leaseMs?: number;
  /** The wait before trying again what failed, doubling from `firstMs` up to `maxMs`. */
  retry?: { firstMs: number; maxMs: number };
}

/** What the notification actor's `erase` answers. */
const EraseAnswerSchema = z.discriminatedUnion('outcome', [
  z.object({ outcome: z.literal('erased'), canceled: z.boolean() }),
  z.object({ outcome: z.literal('not_found') }),
]);
type EraseAnswer = z.infer<typeof EraseAnswerSchema>;

/** `ers_` and 26 characters, time-ordered: the notification ids' encoding, under its own prefix. */
export const newErasureId = (nowMs: number): string => `ers_${notificationIdOf(timeOrderedBytes(nowMs)).slice('ntf_'.length)}`;

/** Why a run let go of its erasure before the end: the service is stopping, or another process holds it now. */
class RunHalted extends Error {
  constructor(readonly why: 'stopping' | 'lease_lost') {
    super(`erasure run halted: ${why}`);
    this.name = new.target.name;
  }
}

const ACTOR_CALLS_AT_ONCE = 8;
const SWEEP_BATCH = 100;
const iso = (ms: number): string => new Date(ms).toISOString();
/** `forgottenBy`: when no process can still hold the destroyed key in its cache (DataKeys.forgetEverywhere). */
type Started = { forgottenBy: number; saved: boolean };
const withErased = (e: Erasure, erased: Partial<Erasure['erased']>): Erasure => ({ ...e, erased: { ...e.erased, ...erased } });

export function createErasureService(deps: ErasureServiceDeps): ErasureService {
  const now = deps.now ?? Date.now;
  const pageSize = deps.pageSize ?? 50;
  const leaseMs = deps.leaseMs ?? 60_000;
  const retry = deps.retry ?? { firstMs: 1_000, maxMs: 60_000 };
  const ttl = deps.retentionSeconds;
  const log = deps.log;
  const runs = createErasureRuns(deps.sidecar, { binding: deps.sql.binding, table: deps.sql.recordsTable });
  /** This process, as the holder of a lease. */
  const runner = randomBytes(9).toString('base64url');
  const stopping = new AbortController();
  /** Erasures this process is starting or running: never taken up twice here. */
  const busy = new Set<string>();
  const inHand = new Map<string, Promise<void>>();
  let sweepTimer: NodeJS.Timeout | undefined;

  /** Waits `ms`, or less when the service stops. */
  const pause = (ms: number): Promise<void> => sleep(ms, undefined, { signal: stopping.signal }).catch(() => undefined);

  /**
   * Takes the customer's lease for `e`: free, already this erasure's and expired (or ours), or
   * left by an erasure no longer running. When another erasure of theirs runs, that one.
   */
  async function acquire(e: Erasure): Promise<{ held: true } | { held: false; running?: Erasure }> {
    for (let tries = 0; tries < 3; tries++) {
      const current = await runs.lease(e.tenantId, e.customerId);
      if (current?.lease.erasureId === e.id) {
        if (current.lease.runner !== runner && current.lease.until > now()) return { held: false, running: e };
      } else if (current) {
        const other = await deps.customers.getErasure(e.tenantId, current.lease.erasureId);
        if (other?.status === 'running') return { held: false, running: other };
      }
      try {
        await runs.putLease(e.tenantId, e.customerId, { erasureId: e.id, runner, until: now() + leaseMs }, current?.etag ?? null, ttl);
        return { held: true };
      } catch (err) {
        if (!(err instanceof StateConflict)) throw err;
      }
    }
    return { held: false };
  }

  /** Deletes the customer's lease when it is still ours for `e` (the erasure is done, or never started). */
  async function releaseLease(e: Erasure): Promise<void> {
    const current = await runs.lease(e.tenantId, e.customerId);
    if (current?.lease.erasureId === e.id && current.lease.runner === runner) await runs.removeLease(e.tenantId, e.customerId, current.etag);
  }

  /** Renews the lease while the run works; `check` throws once it must stop. */
  function hold(e: Erasure) {
    let lost = false;
    const renew = async (until: number): Promise<void> => {
      const current = await runs.lease(e.tenantId, e.customerId);
      if (current?.lease.erasureId !== e.id || current.lease.runner !== runner) {
        lost = true;
        return;
      }
      await runs.putLease(e.tenantId, e.customerId, { ...current.lease, until }, current.etag, ttl);
    };
    let renewing = Promise.resolve();
    const timer = setInterval(() => {
      renewing = renew(now() + leaseMs).catch((err: unknown) => {
        if (err instanceof StateConflict) lost = true;
        else log.warn({ erasureId: e.id, err: errMessage(err) }, 'erasure lease renewal failed');
      });
    }, Math.max(1, Math.floor(leaseMs / 3)));
    return {
      check(): void {
        if (stopping.signal.aborted) throw new RunHalted('stopping');
        if (lost) throw new RunHalted('lease_lost');
      },
      /** Stops renewing; resolves once a renewal in flight is done, so it cannot undo what follows. */
      async end(): Promise<void> {
        clearInterval(timer);
        await renewing;
      },
      /** Lets another process take the erasure up at once (this one is stopping). */
      handBack: () => renew(0),
    };
  }
  type Hold = ReturnType<typeof hold>;

  /** Runs `work` until it succeeds, waiting longer after each failure; only stopping ends it early. */
  async function persist<T>(what: string, e: Erasure, h: Hold, work: () => Promise<T>): Promise<T> {
    for (let delay = retry.firstMs; ; delay = Math.min(delay * 2, retry.maxMs)) {
      h.check();
      try {
        return await work();
      } catch (err) {
        log.warn({ erasureId: e.id, err: errMessage(err) }, `erasure: ${what} failed; trying again`);
      }
      await pause(delay);
    }
  }

  async function removeRecords(e: Erasure): Promise<Erasure> {
    const [profile, preferences] = await Promise.all([deps.customers.removeProfile(e.tenantId, e.customerId), deps.preferences.remove(e.tenantId, e.customerId)]);
    return withErased(e, { profile: e.erased.profile || profile, preferences: e.erased.preferences || preferences });
  }

  async function eraseOne(e: Erasure, notificationId: string): Promise<EraseAnswer | undefined> {
    try {
      return EraseAnswerSchema.parse(await deps.sidecar.invokeActor(NOTIFICATION_ACTOR, notificationId, 'erase', { tenantId: e.tenantId }));
    } catch (err) {
      log.warn({ erasureId: e.id, notificationId, err: errMessage(err) }, 'erasure: a notification could not be erased; it is tried again');
      return undefined;
    }
  }

  /**
   * Erases the customer's notifications created before `until`, a page at a time. An erased
   * notification drops out of their history, so the first page is always the rest of the work:
   * no cursor to lose, and a restart simply lists again. Newer ones are left alone: they were
   * sealed under a key made after the erasure (the old one could no longer be used by then),
   * and the loop ends even while the tenant keeps sending to this customer. One that fails, or
   * still lists after its actor said it was erased, is tried again after a growing wait.
   */
  async function eraseNotifications(start: Erasure, until: number, h: Hold, seen: { found: Set<string>; done: Set<string> }): Promise<Erasure> {
    let e = start;
    for (let delay = retry.firstMs; ; ) {
      h.check();
      let advanced = false;
      try {
        const page = await deps.history.list(e.tenantId, e.customerId, { limit: pageSize, now: new Date(now()), before: { at: iso(until) } });
        if (page.items.length === 0) return e;
        const answers = await mapLimit(page.items, ACTOR_CALLS_AT_ONCE, (n) => eraseOne(e, n.id));
        const count = { ...e.erased };
        let failed = false;
        let fresh = false;
        for (const [i, n] of page.items.entries()) {
          if (!seen.found.has(n.id)) {
            seen.found.add(n.id);
            count.notificationsFound++;
          }
          // `not_found`: the notification's state is gone (expired meanwhile), nothing of it is left to strip.
          const answer = answers[i];
          if (!answer) failed = true;
          if (!answer || seen.done.has(n.id)) continue;
          seen.done.add(n.id);
          fresh = true;
          count.notificationsErased++;
          if (answer.outcome === 'erased' && answer.canceled) count.notificationsCanceled++;
        }
        e = { ...e, erased: count };
        if (!failed && !fresh) log.warn({ erasureId: e.id, listed: page.items.length }, 'erasure: notifications still listed after their actors erased them; trying again');
        advanced = fresh && !failed;
        // Progress is worth keeping but not worth waiting for: the next page saves it again.
        await deps.customers.putErasure(e, ttl).catch((err: unknown) => log.warn({ erasureId: e.id, err: errMessage(err) }, 'erasure: saving progress failed'));
      } catch (err) {
        log.warn({ erasureId: e.id, err: errMessage(err) }, 'erasure: reading the history failed; trying again');
      }
      if (advanced) {
        delay = retry.firstMs;
      } else {
        await pause(delay);
        delay = Math.min(delay * 2, retry.maxMs);
      }
    }
  }

  async function waitUntil(ms: number, h: Hold): Promise<void> {
    for (let left = ms - now(); left > 0; left = ms - now()) {
      h.check();
      await pause(Math.min(left, 250));
    }
    h.check();
  }

  /**
   * The background part of an erasure. `started` says what erase() did already (`saved`: the
   * profile and preferences removed and the record saved so). Without it the erasure is being
   * taken up again, and its key is destroyed now unless the record says it was (destroying is
   * idempotent), and every process is told again to forget it. The wait for the caches then
   * counts from now, as when the key was first destroyed is not recorded: later is the safe
   * side, at the cost of also erasing notifications made for the customer in between.
   */
  async function run(first: Erasure, started?: Started): Promise<void> {
    const h = hold(first);
    // Found so far: those erased. One found but not erased yet is still in the history, and is
    // counted again when this run finds it.
    let e = withErased(first, { notificationsFound: first.erased.notificationsErased });
    try {
      let until = started?.forgottenBy;
      if (until === undefined) {
        if (!e.erased.dataKey) {
          const destroyed = await persist('destroying the data key', e, h, () => deps.dataKeys.destroy(e.tenantId, e.customerId));
          e = withErased(e, { dataKey: destroyed });
        }
        until = now() + (await deps.dataKeys.forgetEverywhere(e.tenantId, e.customerId));
      }
      if (!started?.saved) {
        e = await persist('removing profile and preferences', e, h, () => removeRecords(e));
        const saved = e;
        await persist('saving progress', e, h, () => deps.customers.putErasure(saved, ttl));
      }
      const seen = { found: new Set<string>(), done: new Set<string>() };
      e = await eraseNotifications(e, until, h, seen);
      await waitUntil(until, h);
      // Once more: a notification accepted just before the key was destroyed may have reached
      // its actor's state only after the first pass.
      e = await eraseNotifications(e, until, h, seen);
      const completed: Erasure = { ...e, status: 'completed', completedAt: iso(now()) };
      await persist('completing', e, h, () => deps.customers.putErasure(completed, ttl));
      await h.end();
      await releaseLease(e).catch((err: unknown) => log.warn({ erasureId: e.id, err: errMessage(err) }, 'erasure: releasing its lease failed; it expires'));
      log.info({ tenantId: e.tenantId, erasureId: e.id, erased: completed.erased }, 'customer erased');
    } catch (err) {
      await h.end();
      if (err instanceof RunHalted && err.why === 'stopping') {
        await h.handBack().catch(() => undefined);
      } else if (!(err instanceof RunHalted)) {
        log.error({ erasureId: e.id, err: errMessage(err) }, 'erasure run failed; it stays running and is taken up again');
      }
    }
  }

  function start(e: Erasure, started?: Started): void {
    busy.add(e.id);
    const work = run(e, started).finally(() => {
      busy.delete(e.id);
      inHand.delete(e.id);
    });
    inHand.set(e.id, work);
  }

  /** Runs an erasure found running, unless another process holds it. */
  async function takeUp(e: Erasure): Promise<void> {
    if (busy.has(e.id) || stopping.signal.aborted) return;
    busy.add(e.id);
    try {
      if ((await acquire(e)).held && !stopping.signal.aborted) {
        start(e);
        return;
      }
    } catch (err) {
      log.warn({ erasureId: e.id, err: errMessage(err) }, 'erasure could not be taken up');
    }
    busy.delete(e.id);
  }

  async function sweep(): Promise<void> {
    let running: Erasure[];
    try {
      running = await runs.running(SWEEP_BATCH);
    } catch (err) {
      log.warn({ err: errMessage(err) }, 'looking for running erasures failed');
      return;
    }
    for (const e of running) await takeUp(e);
  }

  /** The customer's erasure that is running, if any; one whose runner is gone is taken up here. */
  async function runningFor(tenantId: string, customerId: string): Promise<Erasure | undefined> {
    const current = await runs.lease(tenantId, customerId);
    if (!current) return undefined;
    const e = await deps.customers.getErasure(tenantId, current.lease.erasureId);
    if (e?.status !== 'running') return undefined;
    if (current.lease.until <= now()) void takeUp(e);
    return e;
  }

  /** Undoes an erasure that never got as far as its key (best effort: a leftover is run by a sweep). */
  async function discard(e: Erasure, leaseToo: boolean): Promise<void> {
    try {
      if (leaseToo) await releaseLease(e);
      await runs.removeErasure(e.tenantId, e.id);
    } catch (err) {
      log.warn({ erasureId: e.id, err: errMessage(err) }, 'erasure: undoing a failed start failed');
    }
  }

  return {
    async erase(tenantId, customerId, requestedBy) {
      if (stopping.signal.aborted) throw new Error('the erasure service is stopping');
      const running = await runningFor(tenantId, customerId);
      if (running) return running;
      const at = now();
      let e: Erasure = {
        id: newErasureId(at), tenantId, customerId, status: 'running', requestedAt: iso(at), requestedBy,
        erased: { dataKey: false, profile: false, preferences: false, notificationsFound: 0, notificationsErased: 0, notificationsCanceled: 0 },
      };
      busy.add(e.id);
      try {
        // Recorded before anything is destroyed: whatever happens next, a sweep finds it and finishes it.
        await deps.customers.putErasure(e, ttl);
        const claim = await acquire(e).catch(async (err: unknown) => {
          await discard(e, false);
          throw err;
        });
        if (!claim.held) {
          await discard(e, false);
          if (claim.running) return claim.running;
          throw new Error('the customer\'s erasure lease is contended');
        }
        try {
          e = withErased(e, { dataKey: await deps.dataKeys.destroy(tenantId, customerId) });
        } catch (err) {
          await discard(e, true);
          throw err;
        }
        const forgottenBy = now() + (await deps.dataKeys.forgetEverywhere(tenantId, customerId));
        let saved = false;
        try {
          e = await removeRecords(e);
          await deps.customers.putErasure(e, ttl);
          saved = true;
        } catch (err) {
          // The key is gone, which is what the caller waits for; the run finishes the rest.
          log.warn({ erasureId: e.id, err: errMessage(err) }, 'erasure: profile and preferences not removed yet; the run tries again');
        }
        start(e, { forgottenBy, saved });
        return e;
      } finally {
        if (!inHand.has(e.id)) busy.delete(e.id);
      }
    },

    async get(tenantId, erasureId) {
      const e = await deps.customers.getErasure(tenantId, erasureId);
      return e?.tenantId === tenantId ? e : undefined;
    },

    async resume() {
      if (stopping.signal.aborted) return;
      await runs.ensureIndex().catch((err: unknown) => log.warn({ err: errMessage(err) }, 'could not make the running erasures index; the look-up stays correct but slower'));
      await sweep();
      // Again every lease period: an erasure whose replica died, and that no restart took up,
      // is found once its lease has run out.
      const again = (): void => {
        sweepTimer = setTimeout(() => {
          void sweep().finally(() => {
            if (!stopping.signal.aborted) again();
          });
        }, leaseMs);
        sweepTimer.unref();
      };
      again();
    },

    async stop() {
      stopping.abort();
      clearTimeout(sweepTimer);
      await Promise.allSettled([...inHand.values()]);
    },
  };
}
