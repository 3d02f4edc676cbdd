/**
 * Sets `key` in a Map used as a bounded cache, oldest first: the key moves to the newest place,
 * and the oldest entries go while the map holds more than `max` (a Map keeps insertion order).
 */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) map.delete(map.keys().next().value as K);
}
