import { runChannelApp } from '@herald/channel-runtime';
import { createNotificationHubsProvider } from './adapters/notification-hubs-provider.js';

// A channel app is @herald/channel-runtime (its lane queues, the send ledger, the token bucket,
// the breaker, the report to the actor) with one provider: this app's is Notification Hubs.
//
// The push channel: Azure Notification Hubs when AZURE_NH_CONNECTION_STRING and
// AZURE_NH_HUB_NAME are in the secret store, the sandbox otherwise. An `Endpoint=http://…`
// in the connection string points it at the provider simulator.
await runChannelApp('push', 3004, async ({ secret, env }) => {
  const [connectionString, hubName] = await Promise.all([secret('AZURE_NH_CONNECTION_STRING'), secret('AZURE_NH_HUB_NAME')]);
  if (!connectionString || !hubName) return undefined;
  return createNotificationHubsProvider({ connectionString, hubName, platform: env.AZURE_NH_PLATFORM === 'apple' ? 'apple' : 'fcmv1' });
});
