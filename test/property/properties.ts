/**
 * Every named property of issue #6 ("hostile input is bounded"), shared by
 * the property tests (small, seeded run counts in `npm test`) and by
 * `npm run fuzz` (the same properties for minutes, with a random seed).
 */
import { amfProperties } from './amf-properties.js';
import { inputProperties } from './input-properties.js';
import { enhancedProperties } from './enhanced-properties.js';
import { mediaProperties } from './media-properties.js';
import { rtmpProperties } from './rtmp-properties.js';
import { sessionProperties } from './session-properties.js';
import type { NamedProperty } from './harness.js';

export type { NamedProperty } from './harness.js';

/** All properties, in a stable order. */
export const properties: NamedProperty[] = [...amfProperties, ...rtmpProperties, ...sessionProperties, ...mediaProperties, ...inputProperties, ...enhancedProperties];

/** The properties whose name starts with `prefix` (e.g. `amf0.`, `chunk.`). */
export function propertiesNamed(prefix: string): NamedProperty[] {
  return properties.filter((p) => p.name.startsWith(prefix));
}
