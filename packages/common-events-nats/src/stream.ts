import {
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { parseOptions } from '@vsa/common-errors';
import {
  INVALID_ARGUMENT_CODE,
  type StreamConfigConflict,
  StreamConfigConflictError,
} from './errors.js';
import { type StreamSettings, streamSettingsSchema } from './settings.js';

const NANOS_PER_MS = 1_000_000;

/** The subjects a stream of these settings captures. */
export function streamSubjects(settings: Pick<StreamSettings, 'subjectPrefix'>): string[] {
  return [`${settings.subjectPrefix}.>`];
}

/** Parses stream settings given in code (defaults filled in). */
export function resolveStreamSettings(input: unknown, where: string): StreamSettings {
  return parseOptions(streamSettingsSchema, input, { where, code: INVALID_ARGUMENT_CODE });
}

function wanted(s: StreamSettings): Partial<StreamConfig> & { name: string } {
  return {
    name: s.name,
    subjects: streamSubjects(s),
    retention:
      s.retention === 'limits'
        ? RetentionPolicy.Limits
        : s.retention === 'interest'
          ? RetentionPolicy.Interest
          : RetentionPolicy.Workqueue,
    num_replicas: s.replicas,
    duplicate_window: s.duplicateWindowMs * NANOS_PER_MS,
    max_age: s.maxAgeMs * NANOS_PER_MS,
    storage: s.storage === 'file' ? StorageType.File : StorageType.Memory,
  };
}

function conflicts(s: StreamSettings, actual: StreamConfig): StreamConfigConflict[] {
  const out: StreamConfigConflict[] = [];
  const want = streamSubjects(s);
  const have = [...(actual.subjects ?? [])].sort();
  if (JSON.stringify(have) !== JSON.stringify([...want].sort())) {
    out.push({ field: 'subjects', expected: want, actual: actual.subjects ?? [] });
  }
  if (actual.retention !== s.retention) {
    out.push({ field: 'retention', expected: s.retention, actual: actual.retention });
  }
  if (actual.num_replicas !== s.replicas) {
    out.push({ field: 'replicas', expected: s.replicas, actual: actual.num_replicas });
  }
  const windowMs = Math.round(actual.duplicate_window / NANOS_PER_MS);
  if (windowMs !== s.duplicateWindowMs) {
    out.push({ field: 'duplicateWindowMs', expected: s.duplicateWindowMs, actual: windowMs });
  }
  if (actual.storage !== s.storage) {
    out.push({ field: 'storage', expected: s.storage, actual: actual.storage });
  }
  return out;
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; code?: number; message?: string } | null;
  return (
    e?.name === 'StreamNotFoundError' ||
    e?.code === 10059 ||
    (typeof e?.message === 'string' && e.message.includes('stream not found'))
  );
}

/**
 * Creates the stream the settings describe, or checks an existing one: throws
 * `StreamConfigConflictError` (`VSA_EVENTS_NATS_STREAM_CONFLICT`) listing each differing field
 * (subjects, retention, replicas, duplicate window, storage). Never changes an existing stream.
 *
 * @example
 * const jsm = await jetstreamManager(nc);
 * await ensureStream(jsm, { name: 'ORDERS', subjectPrefix: 'vsa', replicas: 3 });
 */
export async function ensureStream(
  jsm: JetStreamManager,
  settings: Partial<StreamSettings> & { readonly name: string },
): Promise<StreamInfo> {
  const s = resolveStreamSettings(settings, 'ensureStream(settings)');
  let info: StreamInfo;
  try {
    info = await jsm.streams.info(s.name);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    try {
      return await jsm.streams.add(wanted(s));
    } catch (addError) {
      // Another process created it in between: check that one instead.
      info = await jsm.streams.info(s.name).catch(() => {
        throw addError;
      });
    }
  }
  const found = conflicts(s, info.config);
  if (found.length > 0) throw new StreamConfigConflictError(s.name, found);
  return info;
}
