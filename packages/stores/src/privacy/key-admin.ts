// Key rotation, the part that walks the store: how many data keys each KEK version wraps, and
// re-wrapping every one under the primary. The state API cannot list keys, so the walk reads
// the `datakeys` table through the SQL binding (as the customer history does); each re-wrap
// itself goes through the state API, at the version it read.
import type { BindingPort } from '@herald/dapr';
import { checkedTable } from '../records/history.js';
import type { DataKeys } from './data-keys.js';

export interface KeyAdminOptions {
  sidecar: BindingPort;
  /** The SQL binding on the database of the `datakeys` component. */
  binding: string;
  /** The component's table (datakeys.yaml: data_keys). */
  table: string;
}

/** How many customers' data keys each KEK version wraps. */
export async function dataKeysByVersion(opts: KeyAdminOptions): Promise<Record<string, number>> {
  const sql = `SELECT value->>'kek', count(*) FROM ${checkedTable(opts.table)} GROUP BY 1 ORDER BY 1`;
  const rows = parseRows(await opts.sidecar.invokeBinding(opts.binding, 'query', undefined, { sql, params: '[]' }));
  return Object.fromEntries(rows.map(([version, count]) => [String(version), Number(count)]));
}

export interface RewrapReport {
  rewrapped: number;
  /** Keys that could not be re-wrapped (a KEK version missing from the ring): named by tenant and customer id, never more. */
  failed: { tenantId: string; customerId: string; error: string }[];
}

/**
 * Re-wraps every data key not under `primary`, in key order, a page at a time. Safe to run
 * while Herald serves, and again after an interruption: a key already under the primary is
 * left alone, and a key erased meanwhile stays erased (the re-wrap writes at the version read).
 */
export async function rewrapAll(
  opts: KeyAdminOptions & { dataKeys: DataKeys; primary: string; pageSize?: number; onPage?: (report: RewrapReport) => void },
): Promise<RewrapReport> {
  const report: RewrapReport = { rewrapped: 0, failed: [] };
  const pageSize = opts.pageSize ?? 500;
  let after = '';
  for (;;) {
    const sql = `SELECT key FROM ${checkedTable(opts.table)} WHERE value->>'kek' <> $1 AND key > $2 ORDER BY key LIMIT ${pageSize}`;
    const rows = parseRows(await opts.sidecar.invokeBinding(opts.binding, 'query', undefined, { sql, params: JSON.stringify([opts.primary, after]) }));
    if (rows.length === 0) return report;
    for (const [key] of rows) {
      after = String(key);
      const owner = ownerOf(after);
      if (!owner) continue;
      try {
        if (await opts.dataKeys.rewrap(owner.tenantId, owner.customerId)) report.rewrapped++;
      } catch (err) {
        report.failed.push({ ...owner, error: err instanceof Error ? err.message : String(err) });
      }
    }
    opts.onPage?.(report);
  }
}

/** `dek|<tenant>|<customer>`: a customer id never holds a `|`, so the last one splits them. */
function ownerOf(key: string): { tenantId: string; customerId: string } | undefined {
  if (!key.startsWith('dek|')) return undefined;
  const rest = key.slice(4);
  const cut = rest.lastIndexOf('|');
  return cut > 0 ? { tenantId: rest.slice(0, cut), customerId: rest.slice(cut + 1) } : undefined;
}

function parseRows(text: string): unknown[][] {
  return (text === '' ? [] : JSON.parse(text)) as unknown[][];
}
