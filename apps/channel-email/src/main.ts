import { runChannelApp } from '@herald/channel-runtime';
import { createSendGridProvider } from './adapters/sendgrid-provider.js';

// A channel app is @herald/channel-runtime (its lane queues, the send ledger, the token bucket,
// the breaker, the report to the actor) with one provider: this app's is SendGrid.
//
// The email channel: SendGrid when SENDGRID_API_KEY and SENDGRID_FROM are in the secret store,
// the sandbox otherwise. SENDGRID_BASE_URL points it elsewhere (the provider simulator).
await runChannelApp('email', 3002, async ({ secret, env }) => {
  const [apiKey, from] = await Promise.all([secret('SENDGRID_API_KEY'), secret('SENDGRID_FROM')]);
  if (!apiKey || !from) return undefined;
  return createSendGridProvider({ apiKey, from, ...(env.SENDGRID_BASE_URL ? { baseUrl: env.SENDGRID_BASE_URL } : {}) });
});
