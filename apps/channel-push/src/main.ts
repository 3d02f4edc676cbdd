import { runChannelApp } from '@herald/shared';

// The push channel. Provider adapters for real accounts arrive with the channels issue; until a
// provider is configured the app runs the sandbox.
await runChannelApp('push', 3004);
