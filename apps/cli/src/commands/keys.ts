import { Command } from 'commander';
import { formatKey, formatKeys, type ApiKeyView } from '../domain/format.js';
import { apiKeyId, keyRequest, SCOPES } from '../domain/requests.js';
import type { Ctx } from '../context.js';
import { collect, examples, group, value, type On } from '../program.js';

// A tenant's API keys, through intake's API (every call needs a key with the admin scope). The
// operator's `npm run keys` is another thing: the region's key-encryption keys.

async function list(ctx: Ctx): Promise<void> {
  const { items } = (await ctx.client().call<{ items: ApiKeyView[] }>('GET', '/v1/api-keys')).body;
  ctx.out.result({ items }, formatKeys(items));
}

async function show(ctx: Ctx): Promise<void> {
  const key = (await ctx.client().call<ApiKeyView>('GET', `/v1/api-keys/${apiKeyId(ctx.args[0] ?? '')}`)).body;
  ctx.out.result(key, formatKey(key));
}

/** Prints the new key: intake shows it this once and keeps only its digest. */
async function create(ctx: Ctx): Promise<void> {
  const made = (await ctx.client().call<ApiKeyView & { key: string }>('POST', '/v1/api-keys', { body: keyRequest(ctx.options) })).body;
  const { key, ...view } = made;
  ctx.out.result(made, `${formatKey(view)}key         ${key}\n`);
  ctx.out.note('this is the only time the key is shown: keep it now (Herald keeps only its digest)');
}

async function revoke(ctx: Ctx): Promise<void> {
  const key = (await ctx.client().call<ApiKeyView>('DELETE', `/v1/api-keys/${apiKeyId(ctx.args[0] ?? '')}`)).body;
  ctx.out.result(key, `revoked ${key.id}${key.revokedAt ? ` at ${key.revokedAt}` : ''}\n`);
}

const KEY_ID = 'key_ and 16 hex digits, as `herald keys list` shows it';

export function keysCommand(on: On): Command {
  const keys = group('keys', 'the tenant\'s API keys: list, show, create, revoke (needs the admin scope)');
  keys.addCommand(examples(new Command('list').description('the tenant\'s keys (never a key itself: its last four characters)').action(on(list)), ['herald keys list']));
  keys.addCommand(new Command('show').description('one key').argument('<keyId>', KEY_ID).action(on(show)));
  keys.addCommand(
    examples(
      new Command('create')
        .description('make a key; prints it this once')
        .option('--scopes <list>', `what it may do: ${SCOPES.join(', ')} (comma-separated; may be repeated)`, collect)
        .option('--name <name>', 'what it is for', value)
        .action(on(create)),
      ["herald keys create --scopes send,read --name 'billing service'"],
    ),
  );
  keys.addCommand(examples(new Command('revoke').description('revoke a key: it stops working within seconds on every intake').argument('<keyId>', KEY_ID).action(on(revoke)), ['herald keys revoke key_3f9c0a1b2c3d4e5f']));
  return keys;
}
