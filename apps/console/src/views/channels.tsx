import { useState } from 'preact/hooks';
import { admin, type RecentEvent } from '../api.js';
import { age, json, secondsSince } from '../format.js';
import { usePoll } from '../poll.js';

/** Channels, and a live tail of the chosen one: type, key, position, age, payload. */
export function ChannelsView(props: { onError: (error: Error) => void }) {
  const channels = usePoll(
    () => admin<{ channels: { channel: string; types: string[] }[] }>('/channels'),
    60_000,
    props.onError,
  );
  const list = channels.data?.channels ?? [];
  const [chosen, setChosen] = useState<string | undefined>(undefined);
  const channel = chosen ?? list[0]?.channel;
  return (
    <section aria-labelledby="channels-title">
      <h1 id="channels-title">Channels</h1>
      <label for="channel-select">Channel</label>{' '}
      <select
        id="channel-select"
        value={channel ?? ''}
        onChange={(event) => setChosen((event.target as HTMLSelectElement).value)}
      >
        {list.map((c) => (
          <option key={c.channel} value={c.channel}>
            {c.channel} ({c.types.join(', ')})
          </option>
        ))}
      </select>
      {channel !== undefined && <Tail key={channel} channel={channel} onError={props.onError} />}
    </section>
  );
}

function Tail(props: { channel: string; onError: (error: Error) => void }) {
  const tail = usePoll(
    () =>
      admin<{ events: RecentEvent[] }>(
        `/events/${encodeURIComponent(props.channel)}/recent?limit=50`,
      ),
    2000,
    props.onError,
    props.channel,
  );
  const events = tail.data?.events;
  const now = tail.at ?? Date.now();
  return (
    <>
      <h2>Recent events of {props.channel}</h2>
      {events === undefined ? (
        <p>Loading…</p>
      ) : events.length === 0 ? (
        <p>No events on this channel yet.</p>
      ) : (
        <table aria-label={`Recent events of ${props.channel}`}>
          <thead>
            <tr>
              <th scope="col">Type</th>
              <th scope="col">Key</th>
              <th scope="col">Position</th>
              <th scope="col">Age</th>
              <th scope="col">Payload</th>
            </tr>
          </thead>
          <tbody>
            {events.map((event) => (
              <tr key={event.id}>
                <td>
                  {event.type} <span class="muted">v{event.version}</span>
                </td>
                <td>
                  <code>{event.key ?? '—'}</code>
                </td>
                <td>{event.seq}</td>
                <td>
                  <time dateTime={event.recordedAt} title={event.recordedAt}>
                    {age(secondsSince(event.recordedAt, now))}
                  </time>
                </td>
                <td>
                  <details>
                    <summary>
                      Payload <span class="visually-hidden">of event {event.seq}</span>
                    </summary>
                    <pre>{json(event.payload)}</pre>
                  </details>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
