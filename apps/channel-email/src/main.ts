import { runChannelApp } from '@herald/shared';

// The email channel. Provider adapters for real accounts arrive with the channels issue; until a
// provider is configured the app runs the sandbox.
await runChannelApp('email', 3002);
