import { admin, type DeadLetter } from '../api.js';
import type { Confirmation } from '../confirm-dialog.js';
import { age, json, secondsSince } from '../format.js';
import { usePoll } from '../poll.js';

/** Dead letters: error, attempts, payload; retry one or all (each after a confirmation). */
export function DeadLettersView(props: {
  onError: (error: Error) => void;
  confirm: (ask: Confirmation) => void;
}) {
  const poll = usePoll(
    () => admin<{ deadLetters: DeadLetter[] }>('/dead-letters?limit=200'),
    2000,
    props.onError,
  );
  const letters = poll.data?.deadLetters;
  const retryOne = (letter: DeadLetter) =>
    props.confirm({
      title: `Retry dead letter ${letter.id}`,
      action: 'Retry',
      body: (
        <p>
          {letter.group} gets event {letter.seq} ({letter.event?.type ?? 'pruned event'}) again.
        </p>
      ),
      run: async () => {
        await admin('/dead-letters/redrive', { ids: [letter.id] });
        poll.refresh();
      },
    });
  const retryAll = (all: DeadLetter[]) => {
    const groups = [...new Map(all.map((l) => [`${l.group}/${l.channel}`, l])).values()];
    props.confirm({
      title: 'Retry all dead letters',
      action: 'Retry all',
      body: (
        <p>
          Every dead letter of {groups.map((l) => l.group).join(', ')} ({all.length} shown) is
          delivered again.
        </p>
      ),
      run: async () => {
        for (const l of groups) {
          await admin('/dead-letters/redrive', { group: l.group, channel: l.channel });
        }
        poll.refresh();
      },
    });
  };
  return (
    <section aria-labelledby="dead-title">
      <h1 id="dead-title">Dead letters</h1>
      {letters === undefined ? (
        <p>Loading…</p>
      ) : letters.length === 0 ? (
        <p>No dead letters.</p>
      ) : (
        <>
          <p>
            <button type="button" class="danger" onClick={() => retryAll(letters)}>
              Retry all
            </button>
          </p>
          <table aria-label="Dead letters">
            <thead>
              <tr>
                <th scope="col">Id</th>
                <th scope="col">Group</th>
                <th scope="col">Event</th>
                <th scope="col">Error</th>
                <th scope="col">Attempts</th>
                <th scope="col">Age</th>
                <th scope="col">Payload</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {letters.map((letter) => (
                <tr key={letter.id}>
                  <td>{letter.id}</td>
                  <th scope="row">
                    {letter.group} <span class="muted">on {letter.channel}</span>
                  </th>
                  <td>
                    {letter.event?.type ?? '(pruned)'} <span class="muted">#{letter.seq}</span>
                    {letter.event?.key ? <code> {letter.event.key}</code> : null}
                  </td>
                  <td class="error">
                    <strong>{letter.error.name}</strong>: {letter.error.message}
                    {letter.error.code ? <code> {letter.error.code}</code> : null}
                  </td>
                  <td>{letter.attempts}</td>
                  <td>{age(secondsSince(letter.createdAt))}</td>
                  <td>
                    <details>
                      <summary>
                        Payload <span class="visually-hidden">of dead letter {letter.id}</span>
                      </summary>
                      <pre>{json(letter.event?.payload ?? null)}</pre>
                    </details>
                  </td>
                  <td>
                    <button
                      type="button"
                      aria-label={`Retry dead letter ${letter.id}`}
                      onClick={() => retryOne(letter)}
                    >
                      Retry
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
