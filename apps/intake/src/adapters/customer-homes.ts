import { createHmac, randomUUID } from 'node:crypto';
import { StateConflict, type StatePort } from '@herald/dapr';
import { setBounded } from '@herald/service';
import { RECORD_STORE } from '@herald/stores';

// Where each customer lives. Herald runs one independent stack per region, and a customer's
// data stays in their home region: the region whose intake first received them (or the one a
// `PUT /v1/customers/<id>` named). The regions learn of one another's customers from one
// directory they share (the `homes` component), which holds a keyed hash of the tenant and
// customer id and a region name: no customer id, nothing personal. Intake of another region
// answers `421 wrong_region` and writes nothing.
//
// The directory is the one store the regions share, so its failure is handled the safe way:
// a customer this replica has not looked up before, while the directory cannot be read, is
// refused (503), never guessed. A directory that was lost and started again empty would make
// every customer look new and let any region claim them; it is recognised by its marker
// (`home|directory`, an id made once), which every region also keeps in its own records: a
// region that finds the marker gone, or another one, claims no one until an operator looks.

/** Where a customer lives, seen from this region. */
export type Home = { here: true } | { here: false; region: string; baseUrl: string | undefined };

/** The directory could not be read, or is not the one this region knows: intake refuses, it does not guess. */
export class HomeUnavailable extends Error {}

export interface CustomerHomes {
  /** This region's name. */
  readonly region: string;
  /**
   * Where the customer lives. With `claim`, a customer no region has yet becomes this region's;
   * without, they are answered as this region's and nothing is written. Throws HomeUnavailable.
   */
  homeOf(tenantId: string, customerId: string, opts: { claim: boolean }): Promise<Home>;
  /** Reads the directory's marker (making it, in a new directory of a new deployment) and checks it is the one this region knows. */
  verifyDirectory(): Promise<void>;
}

export interface CustomerHomesOptions {
  state: StatePort;
  region: string;
  /** Every region's public base URL, by name: the 421 answer points the caller there. */
  regions: Record<string, string>;
  /** The secret the directory's keys are made with (HOME_DIRECTORY_KEY): the same in every region. */
  key: Buffer;
  /** The directory component, `homes` unless told. */
  store?: string;
  /** Where this region keeps its copy of the directory's marker: its own records. */
  recordStore?: string;
  /** Customers whose home is kept in memory (a home never moves: nothing to expire). */
  cacheSize?: number;
  now?: () => Date;
}

const MARKER_KEY = 'home|directory';
/** How long a read that finds no home trusts a marker it found right. */
const VERIFIED_FOR_MS = 5_000;
const REGION_MARKER_KEY = 'herald|home-directory';

interface Marker {
  id: string;
  createdAt: string;
}

const isMarker = (v: unknown): v is Marker => typeof (v as Marker | undefined)?.id === 'string';
const regionIn = (v: unknown): string | undefined => {
  const region = (v as { region?: unknown } | undefined)?.region;
  return typeof region === 'string' && region !== '' ? region : undefined;
};

export function createCustomerHomes(opts: CustomerHomesOptions): CustomerHomes {
  const store = opts.store ?? 'homes';
  const recordStore = opts.recordStore ?? RECORD_STORE;
  const cacheSize = opts.cacheSize ?? 200_000;
  const now = opts.now ?? (() => new Date());
  const known = new Map<string, string>();

  const entryKey = (tenantId: string, customerId: string): string =>
    `home|${createHmac('sha256', opts.key).update(tenantId).update('\u0000').update(customerId).digest('hex').slice(0, 40)}`;

  const answer = (region: string): Home => (region === opts.region ? { here: true } : { here: false, region, baseUrl: opts.regions[region] });

  async function verifyDirectory(): Promise<void> {
    const [directory, ours] = await Promise.all([opts.state.getState<unknown>(store, MARKER_KEY), opts.state.getState<unknown>(recordStore, REGION_MARKER_KEY)]);
    const theirs = isMarker(directory?.value) ? directory.value : undefined;
    const mine = isMarker(ours?.value) ? ours.value : undefined;
    if (theirs && mine) {
      if (theirs.id !== mine.id) throw new HomeUnavailable(`the customer directory is not the one region ${opts.region} knows (marker ${theirs.id}, expected ${mine.id}): was it replaced?`);
      return;
    }
    if (!theirs && mine) throw new HomeUnavailable(`the customer directory has lost its marker (${mine.id}): was it emptied? Region ${opts.region} claims no customer until it is restored`);
    // A new region: adopt the directory's marker, or make the first one (a new deployment).
    let marker = theirs;
    if (!marker) {
      const made = { id: randomUUID(), createdAt: now().toISOString() };
      try {
        await opts.state.saveState(store, MARKER_KEY, made, { onlyIfAbsent: true });
        marker = made;
      } catch (err) {
        if (!(err instanceof StateConflict)) throw err;
        const again = (await opts.state.getState<unknown>(store, MARKER_KEY))?.value;
        if (!isMarker(again)) throw new HomeUnavailable('the customer directory\'s marker could not be read');
        marker = again;
      }
    }
    try {
      await opts.state.saveState(recordStore, REGION_MARKER_KEY, marker, { onlyIfAbsent: true });
    } catch (err) {
      // Another replica of this region adopted it at the same moment: checked again next time.
      if (!(err instanceof StateConflict)) throw err;
    }
  }

  // When the marker was last found right: a read that finds no home trusts the directory this long.
  let verifiedAt = Number.NEGATIVE_INFINITY;
  async function verifiedRecently(): Promise<void> {
    if (now().getTime() - verifiedAt < VERIFIED_FOR_MS) return;
    await verifyDirectory();
    verifiedAt = now().getTime();
  }

  async function lookUp(key: string): Promise<string | undefined> {
    return regionIn((await opts.state.getState<unknown>(store, key))?.value);
  }

  async function claim(key: string): Promise<string> {
    // Every claim checks the marker first: claims are rare (once a customer), and a claim in an
    // emptied directory is exactly the guess this must never make.
    await verifyDirectory();
    try {
      await opts.state.saveState(store, key, { region: opts.region, since: now().toISOString() }, { onlyIfAbsent: true });
      return opts.region;
    } catch (err) {
      if (!(err instanceof StateConflict)) throw err;
      // Another region (or replica) claimed them first: theirs it is.
      const region = await lookUp(key);
      if (!region) throw new HomeUnavailable('the customer was claimed at once elsewhere, and the claim cannot be read');
      return region;
    }
  }

  return {
    region: opts.region,
    verifyDirectory,
    async homeOf(tenantId, customerId, { claim: mayClaim }) {
      const key = entryKey(tenantId, customerId);
      const cached = known.get(key);
      if (cached) return answer(cached);
      let region: string | undefined;
      try {
        region = await lookUp(key);
        // No home: a new customer, or a directory that lost them. A claim checks the marker; so
        // does a read, before it answers "here" (an erasure sent to the wrong region of an emptied
        // directory would otherwise report done while the data stays at home).
        if (!region) {
          if (mayClaim) region = await claim(key);
          else await verifiedRecently();
        }
      } catch (err) {
        if (err instanceof HomeUnavailable) throw err;
        throw new HomeUnavailable(`the customer directory cannot be read: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (!region) return { here: true };
      setBounded(known, key, region, cacheSize);
      return answer(region);
    },
  };
}

/** The keys of the directory's marker and of this region's copy of it. */
export const DIRECTORY_KEYS = { marker: MARKER_KEY, regionMarker: REGION_MARKER_KEY };
