import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { reapOrphans, startStack, stateFileFor } from './stack.js';

// One stack for the whole integration run; its description goes to a file the tests read.
export default async function globalSetup(): Promise<void> {
  await reapOrphans();
  const stateFile = stateFileFor();
  process.env.HERALD_STACK_FILE = stateFile;
  // Provider callback keys made for this run: the tests sign callbacks as SendGrid and Twilio would.
  const sendgrid = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const sendgridPublicKey = sendgrid.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const sendgridPrivateKey = sendgrid.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const twilioAuthToken = randomBytes(16).toString('hex');
  await startStack({
    stateFile,
    // Short delays, so tests of retries and webhook backoff take seconds, not minutes; webhooks
    // may go to the tests' own receiver on 127.0.0.1.
    appEnv: {
      RETRY_BASE_DELAY_MS: '200',
      RETRY_MAX_DELAY_MS: '1000',
      RETRY_MAX_ATTEMPTS: '4',
      WEBHOOK_BASE_DELAY_MS: '200',
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      // A dispatch unanswered for 4 s is handed over again, and the watchdog looks twice a second.
      DISPATCH_TIMEOUT_MS: '4000',
      WATCHDOG_INTERVAL_MS: '500',
    },
    // A lane message held by a sidecar that died is claimed again after seconds, not a minute.
    componentSettings: { processingTimeout: '8s', redeliverInterval: '2s' },
    secrets: { SENDGRID_WEBHOOK_PUBLIC_KEY: sendgridPublicKey, TWILIO_AUTH_TOKEN: twilioAuthToken },
    fixtures: { sendgridPrivateKey, twilioAuthToken },
  });
}
