import { invalidArgument } from './errors.js';

/** Validates a LISTEN/NOTIFY channel name and quotes it as an identifier (case kept). */
export function quoteChannel(channel: string): string {
  if (
    typeof channel !== 'string' ||
    channel.length === 0 ||
    channel.length > 63 ||
    channel.includes('\0')
  ) {
    throw invalidArgument(
      `Invalid channel ${JSON.stringify(channel)}: use a non-empty name of at most 63 characters`,
    );
  }
  return `"${channel.replaceAll('"', '""')}"`;
}
