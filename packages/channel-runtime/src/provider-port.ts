import type { ChannelDispatch, DeliveryOutcome } from '@herald/contracts';

/**
 * One provider behind one interface: SendGrid, Twilio, Notification Hubs, the sandbox and the
 * simulator client each implement it. Expected failures are outcomes, not exceptions.
 */
export interface ProviderPort {
  readonly name: string;
  send(message: ChannelDispatch): Promise<DeliveryOutcome>;
}
