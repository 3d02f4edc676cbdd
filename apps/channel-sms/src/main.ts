import { runChannelApp } from '@herald/channel-runtime';
import { createTwilioProvider } from './adapters/twilio-provider.js';

// A channel app is @herald/channel-runtime (its lane queues, the send ledger, the token bucket,
// the breaker, the report to the actor) with one provider: this app's is Twilio.
//
// The SMS channel: Twilio when TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM (or
// TWILIO_MESSAGING_SERVICE_SID) are in the secret store, the sandbox otherwise. Delivery
// callbacks go to PUBLIC_BASE_URL (intake); TWILIO_BASE_URL points it elsewhere (the simulator).
await runChannelApp('sms', 3003, async ({ secret, env }) => {
  const [accountSid, authToken, from, messagingServiceSid] = await Promise.all(
    ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM', 'TWILIO_MESSAGING_SERVICE_SID'].map(secret),
  );
  if (!accountSid || !authToken || !(from || messagingServiceSid)) return undefined;
  return createTwilioProvider({
    accountSid,
    authToken,
    ...(from ? { from } : {}),
    ...(messagingServiceSid ? { messagingServiceSid } : {}),
    ...(env.PUBLIC_BASE_URL ? { statusCallbackBase: env.PUBLIC_BASE_URL } : {}),
    ...(env.TWILIO_BASE_URL ? { baseUrl: env.TWILIO_BASE_URL } : {}),
  });
});
