import { admin, type ConsumerStatus, type GroupStatus, type LagHistory } from '../api.js';
import type { Confirmation } from '../confirm-dialog.js';
import { age } from '../format.js';
import { usePoll } from '../poll.js';
import { Sparkline } from '../sparkline.js';

/** Seconds behind after which a group with lag counts as stalled. */
const STALLED_AFTER_SECONDS = 10;

function isStalled(group: GroupStatus): boolean {
  return group.partitionStatus.some(
    (p) =>
      p.blockedSeq !== null ||
      (p.lagEvents > 0 && (p.oldestUnprocessedAgeSeconds ?? 0) > STALLED_AFTER_SECONDS),
  );
}

/** Consumer groups: partitions, members, lag, a sparkline, and what blocks a stalled one. */
export function GroupsView(props: {
  onError: (error: Error) => void;
  confirm: (ask: Confirmation) => void;
}) {
  const poll = usePoll(
    async () => {
      const [status, history] = await Promise.all([
        admin<ConsumerStatus>('/status/consumers'),
        admin<LagHistory>('/status/lag-history'),
      ]);
      return { status, history };
    },
    2000,
    props.onError,
  );
  const status = poll.data?.status;
  const history = poll.data?.history;
  const replay = (group: GroupStatus) => {
    const id = `replay-from-${group.group}-${group.channel}`;
    const defaultTime = new Date(Date.now() - 10 * 60_000 - new Date().getTimezoneOffset() * 60_000)
      .toISOString()
      .slice(0, 16);
    props.confirm({
      title: `Replay ${group.group}`,
      action: 'Replay',
      body: (
        <>
          <p>
            Every partition of <strong>{group.group}</strong> on <strong>{group.channel}</strong>{' '}
            goes back to the given time; its handler sees those events again.
          </p>
          <label class="field">
            Replay from (local time){' '}
            <input id={id} type="datetime-local" required value={defaultTime} />
          </label>
        </>
      ),
      run: async () => {
        const input = document.getElementById(id) as HTMLInputElement | null;
        const time = input?.value ? new Date(input.value) : undefined;
        if (time === undefined || Number.isNaN(time.getTime())) throw new Error('Give a time');
        await admin(`/groups/${encodeURIComponent(group.group)}/reset`, {
          channel: group.channel,
          to: { time: time.toISOString() },
        });
        poll.refresh();
      },
    });
  };
  return (
    <section aria-labelledby="groups-title">
      <h1 id="groups-title">Consumer groups</h1>
      {status === undefined ? (
        <p>Loading…</p>
      ) : status.groups.length === 0 ? (
        <p>No consumer group has started yet.</p>
      ) : (
        <table aria-label="Consumer groups">
          <thead>
            <tr>
              <th scope="col">Group</th>
              <th scope="col">Channel</th>
              <th scope="col">Partitions</th>
              <th scope="col">Members</th>
              <th scope="col">Lag (events)</th>
              <th scope="col">Lag (s)</th>
              <th scope="col">Last minutes</th>
              <th scope="col">Dead letters</th>
              <th scope="col">State</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {status.groups.map((group) => {
              const samples = history?.groups[`${group.group}/${group.channel}`] ?? [];
              const lagSeconds = Math.max(0, ...group.partitionStatus.map((p) => p.lagSeconds));
              const stalled = isStalled(group);
              const minutes = Math.max(
                1,
                Math.round((samples.length * (history?.bucketSeconds ?? 5)) / 60),
              );
              return (
                <tr key={`${group.group}/${group.channel}`} class={stalled ? 'stalled' : ''}>
                  <th scope="row">{group.group}</th>
                  <td>{group.channel}</td>
                  <td>{group.partitions}</td>
                  <td>{group.members}</td>
                  <td>{group.lagEvents}</td>
                  <td>{lagSeconds.toFixed(1)}</td>
                  <td>
                    <Sparkline
                      values={samples.map((s) => s.lagEvents)}
                      label={`Lag of ${group.group} over the last ${minutes} min: ${
                        samples
                          .map((s) => s.lagEvents)
                          .slice(-5)
                          .join(', ') || 'no samples yet'
                      }`}
                    />
                  </td>
                  <td>{group.deadLetters}</td>
                  <td>
                    {stalled ? (
                      <Blocked group={group} status={status} />
                    ) : (
                      <span class="ok">Delivering</span>
                    )}
                  </td>
                  <td>
                    <button
                      type="button"
                      aria-label={`Replay ${group.group} from a time`}
                      onClick={() => replay(group)}
                    >
                      Replay…
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {status !== undefined && status.oldestTransactions.length > 0 && (
        <>
          <h2 id="held-title">Open transactions holding events back</h2>
          <p class="muted">
            Their events reach no consumer until they commit; end one with
            pg_terminate_backend(pid).
          </p>
          <ul aria-labelledby="held-title">
            {status.oldestTransactions.map((tx) => (
              <li key={tx.pid}>
                pid {tx.pid}, open {age(tx.ageSeconds)} ({tx.state ?? 'unknown state'})
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function Blocked(props: { group: GroupStatus; status: ConsumerStatus }) {
  const blocked = props.group.partitionStatus.filter((p) => p.blockedSeq !== null);
  const tx = props.status.oldestTransactions[0];
  return (
    <div class="warn">
      <strong>Stalled</strong>
      <ul>
        {blocked.map((p) => (
          <li key={p.partition}>
            partition {p.partition} waits at event {p.blockedSeq}
          </li>
        ))}
        {tx !== undefined && (
          <li>
            held transaction pid {tx.pid}, open {age(tx.ageSeconds)}
          </li>
        )}
        {blocked.length === 0 && tx === undefined && <li>handler is slow or failing (retries)</li>}
      </ul>
    </div>
  );
}
