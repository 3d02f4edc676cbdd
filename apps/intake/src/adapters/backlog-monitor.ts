import amqp from 'amqplib';
import { ChannelSchema, PrioritySchema, type Channel, type Priority } from '@herald/contracts';
import { errMessage, type Logger } from '@herald/service';
import { channelTopic, laneTopic } from '@herald/dapr';
import { doneBetween, readInHand, type Redis, type RedisKeys } from '@herald/stores';
import { peakDrain, sustainedRate, type LaneBacklog } from '../domain/admission.js';

/** The last observation of each lane, and how old it is. */
export interface BacklogSnapshot {
  lanes: Record<Priority, LaneBacklog>;
  /** When the figures were read (ms since epoch); 0 before the first reading. */
  observedAt: number;
  /** Why the last reading failed, if it did (the figures are then the previous ones). */
  error?: string;
}

export interface BacklogMonitor {
  snapshot(): BacklogSnapshot;
  /** Counts notifications this replica accepted since the last reading (they are not in it yet). */
  noteAccepted(lane: Priority, count: number): void;
  /** Accepted by this replica since the last reading. */
  acceptedSinceReading(lane: Priority): number;
  /** Resolves once a reading has succeeded: until then, intake does not know which channel queues exist. */
  firstReading(): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

export interface BacklogMonitorOptions {
  redis: Redis;
  keys: RedisKeys;
  amqpUrl: string;
  topicPrefix: string;
  /** The dispatcher's consumer group on the lane streams (Dapr names it after the app id). */
  consumerGroup: string;
  intervalMs: number;
  log: Logger;
}

const emptyLane = (): LaneBacklog => ({ streamLag: 0, streamPending: 0, queued: 0, inHand: 0, drainPerSecond: 0 });

/**
 * Reads each lane's backlog every `intervalMs`: the lane stream's consumer-group lag and pending
 * count (Redis `XINFO GROUPS`, one read per lane), the depth of every channel queue of the
 * lane (RabbitMQ, a passive queue declare per queue), and what the channel apps hold of the lane
 * (in-hand.ts, one read per lane). Intake decides admission from these
 * figures; reading them costs a few commands per interval, not per request.
 */
export function createBacklogMonitor(opts: BacklogMonitorOptions): BacklogMonitor {
  let current: BacklogSnapshot = { lanes: { critical: emptyLane(), bulk: emptyLane() }, observedAt: 0 };
  const accepted: Record<Priority, number> = { critical: 0, bulk: 0 };
  const lastEntriesRead: Partial<Record<Priority, { entriesRead: number; at: number }>> = {};
  const lastDone: Partial<Record<Priority, { byMember: Record<string, number>; at: number }>> = {};
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let connection: amqp.ChannelModel | undefined;
  let channel: amqp.Channel | undefined;
  let loggedError: string | undefined;

  let markRead: () => void = () => undefined;
  const read1 = new Promise<void>((resolve) => (markRead = resolve));

  /** Messages waiting in `queue`; undefined when it is not declared (no channel app has subscribed to it). */
  async function queueDepth(queue: string): Promise<number | undefined> {
    if (!connection) {
      connection = await amqp.connect(opts.amqpUrl);
      connection.on('error', () => undefined);
      connection.on('close', () => {
        connection = undefined;
        channel = undefined;
      });
    }
    if (!channel) {
      channel = await connection.createChannel();
      // A passive declare of a queue not declared yet closes the channel (404).
      channel.on('error', () => undefined);
      channel.on('close', () => {
        channel = undefined;
      });
    }
    try {
      return (await channel.checkQueue(queue)).messageCount;
    } catch (err) {
      // The broker closed the channel with the error: the next queue needs a new one.
      channel = undefined;
      if (/NOT_FOUND|404/.test(errMessage(err))) return undefined;
      throw err;
    }
  }

  async function streamFigures(lane: Priority, now: number): Promise<{ lag: number; pending: number; entriesRead: number; oldestMs?: number }> {
    const stream = laneTopic(lane, opts.topicPrefix);
    let groups: Awaited<ReturnType<Redis['xInfoGroups']>>;
    try {
      groups = await opts.redis.xInfoGroups(stream);
    } catch (err) {
      // The stream appears with the first publish: until then nothing waits.
      if (/no such key/i.test(errMessage(err))) return { lag: 0, pending: 0, entriesRead: 0 };
      throw err;
    }
    const group = groups.find((g) => g.name === opts.consumerGroup);
    // Lag and entries-read are nil when Redis cannot tell (entries deleted from the stream).
    if (group) {
      const lag = group.lag ?? 0;
      const figures = { lag, pending: group.pending, entriesRead: group['entries-read'] ?? 0 };
      // The oldest entry still waiting: the first the group has not been given, or the first
      // it holds unacknowledged. A stream entry's id starts with its time in ms.
      const firstIds = await Promise.all([
        lag > 0 ? opts.redis.xRange(stream, `(${group['last-delivered-id']}`, '+', { COUNT: 1 }).then((e) => e[0]?.id) : undefined,
        group.pending > 0 ? opts.redis.xPending(stream, opts.consumerGroup).then((p) => p.firstId ?? undefined) : undefined,
      ]);
      const times = firstIds.filter((id): id is string => id !== undefined).map((id) => Number(id.split('-')[0]));
      return times.length > 0 ? { ...figures, oldestMs: Math.max(0, now - Math.min(...times)) } : figures;
    }
    // No consumer group yet (the dispatcher has not subscribed): everything in the stream waits.
    const length = await opts.redis.xLen(stream);
    return { lag: length, pending: 0, entriesRead: 0 };
  }

  async function read(): Promise<void> {
    const now = Date.now();
    const lanes = { critical: emptyLane(), bulk: emptyLane() };
    for (const lane of PrioritySchema.options) {
      const stream = await streamFigures(lane, now);
      let queued = 0;
      const channelsWithoutQueue: Channel[] = [];
      const queuedByChannel: Partial<Record<Channel, number>> = {};
      for (const ch of ChannelSchema.options) {
        const depth = await queueDepth(`channel-${ch}-${channelTopic(ch, lane, opts.topicPrefix)}`);
        if (depth === undefined) channelsWithoutQueue.push(ch);
        else queuedByChannel[ch] = depth;
        queued += depth ?? 0;
      }
      const hands = await readInHand(opts.redis, opts.keys, lane, now);
      // How fast the lane drains: the channel apps' finished dispatches, end to end; without
      // channel apps reporting, how fast the dispatcher takes the lane's events.
      const taken = lastEntriesRead[lane];
      const finished = lastDone[lane];
      let interval: { count: number; ms: number } | undefined;
      if (finished && Object.keys(hands.doneByMember).length > 0) {
        interval = { count: doneBetween(finished.byMember, hands.doneByMember), ms: now - finished.at };
      } else if (taken && stream.entriesRead >= taken.entriesRead) {
        interval = { count: stream.entriesRead - taken.entriesRead, ms: now - taken.at };
      }
      const previousRate = current.lanes[lane].drainPerSecond;
      let drainPerSecond = previousRate;
      let sustainedDrainPerSecond = current.lanes[lane].sustainedDrainPerSecond;
      let peakDrainPerSecond = current.lanes[lane].peakDrainPerSecond ?? 0;
      if (interval && interval.ms > 0) {
        const rate = (interval.count * 1000) / interval.ms;
        // Smoothed: one quiet interval must not make Retry-After jump to a minute.
        drainPerSecond = previousRate === 0 ? rate : 0.7 * previousRate + 0.3 * rate;
        sustainedDrainPerSecond = sustainedRate(sustainedDrainPerSecond, rate, interval.ms);
        peakDrainPerSecond = peakDrain(peakDrainPerSecond, sustainedDrainPerSecond, interval.ms);
      }
      lastEntriesRead[lane] = { entriesRead: stream.entriesRead, at: now };
      lastDone[lane] = { byMember: hands.doneByMember, at: now };
      lanes[lane] = {
        streamLag: stream.lag,
        streamPending: stream.pending,
        queued,
        inHand: hands.total,
        drainPerSecond,
        ...(sustainedDrainPerSecond !== undefined ? { sustainedDrainPerSecond } : {}),
        peakDrainPerSecond,
        ...(channelsWithoutQueue.length > 0 ? { channelsWithoutQueue } : {}),
        queuedByChannel,
        oldestWaitingMs: stream.oldestMs ?? 0,
      };
    }
    current = { lanes, observedAt: now };
    markRead();
    accepted.critical = 0;
    accepted.bulk = 0;
    loggedError = undefined;
  }

  function tick(): void {
    running = read()
      .catch((err: unknown) => {
        const error = errMessage(err);
        current = { ...current, error };
        // Admission keeps the last figures; say so once per distinct failure, not every tick.
        if (error !== loggedError) opts.log.warn({ err: error }, 'could not read lane backlog; admission uses the last reading');
        loggedError = error;
      })
      .finally(() => {
        running = undefined;
        if (timer) timer = setTimeout(tick, opts.intervalMs);
      });
  }

  return {
    snapshot: () => current,
    noteAccepted(lane, count) {
      accepted[lane] += count;
    },
    acceptedSinceReading: (lane) => accepted[lane],
    firstReading: () => read1,
    start() {
      timer = setTimeout(tick, 0);
    },
    async stop() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
      await connection?.close().catch(() => undefined);
    },
  };
}
