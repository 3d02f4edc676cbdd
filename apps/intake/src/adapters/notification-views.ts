import { NotificationViewSchema, type NotificationView } from '@herald/contracts';
import { openMetadata, sealedKeyId, Undecryptable, type DataKey, type DataKeys } from '@herald/stores';

// A notification keeps its metadata values sealed under its customer's data key, wherever it is
// stored; the status views intake answers with carry them opened. When they no longer open (the
// customer was erased and their key is gone, or a value fails authentication) the view goes out
// without metadata: never with a sealed string, and never with a half-opened map.

/**
 * The views as callers see them: only the view's own fields (a recipient or content that came
 * along is dropped by the schema), the metadata opened or left out. Throws when the key store
 * cannot be read (the caller answers 503): an absent key and a key that cannot be read are not
 * the same answer.
 */
export async function openViews(keys: Pick<DataKeys, 'forOpening'>, views: readonly unknown[]): Promise<NotificationView[]> {
  // A history page is one customer's notifications: mostly one key, read once.
  const opening = new Map<string, Promise<DataKey | undefined>>();
  const keyFor = (tenantId: string, customerId: string, keyId: string): Promise<DataKey | undefined> => {
    const k = `${tenantId}\u0000${customerId}\u0000${keyId}`;
    let key = opening.get(k);
    if (!key) {
      // A wrapped key that does not unwrap opens nothing, as an absent one.
      key = keys.forOpening(tenantId, customerId, keyId).catch((err: unknown) => {
        if (err instanceof Undecryptable) return undefined;
        throw err;
      });
      opening.set(k, key);
    }
    return key;
  };

  return Promise.all(
    views.map(async (raw): Promise<NotificationView> => {
      const { metadata, ...view } = NotificationViewSchema.parse(raw);
      if (metadata === undefined || view.customerId === undefined) return view;
      const first = Object.values(metadata)[0];
      if (first === undefined) return { ...view, metadata };
      let keyId: string;
      try {
        keyId = sealedKeyId(first);
      } catch {
        return view;
      }
      const key = await keyFor(view.tenantId, view.customerId, keyId);
      if (!key) return view;
      try {
        return { ...view, metadata: openMetadata(key, { tenantId: view.tenantId, customerId: view.customerId }, metadata) };
      } catch (err) {
        if (err instanceof Undecryptable) return view;
        throw err;
      }
    }),
  );
}

/** A view without its metadata (for when the keys cannot be read and the answer cannot wait). */
export function viewWithoutMetadata(raw: unknown): NotificationView {
  const { metadata: _metadata, ...view } = NotificationViewSchema.parse(raw);
  return view;
}
