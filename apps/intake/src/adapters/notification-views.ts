import { NotificationViewSchema, type NotificationView } from '@herald/contracts';
import { openStoredMetadata, type DataKeys } from '@herald/stores';

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
  // A history page is one customer's notifications: their concurrent reads of one key share one
  // request (DataKeys does), and it is kept once read.
  return Promise.all(
    views.map(async (raw): Promise<NotificationView> => {
      const { metadata, ...view } = NotificationViewSchema.parse(raw);
      if (metadata === undefined || view.customerId === undefined) return view;
      const opened = await openStoredMetadata(keys, { tenantId: view.tenantId, customerId: view.customerId }, metadata);
      return opened ? { ...view, metadata: opened } : view;
    }),
  );
}

/** A view without its metadata (for when the keys cannot be read and the answer cannot wait). */
export function viewWithoutMetadata(raw: unknown): NotificationView {
  const { metadata: _metadata, ...view } = NotificationViewSchema.parse(raw);
  return view;
}
