import { render } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { admin, adminToken, UnauthorizedError } from './api.js';
import { type Confirmation, ConfirmDialog } from './confirm-dialog.js';
import { ChannelsView } from './views/channels.js';
import { DeadLettersView } from './views/dead-letters.js';
import { GroupsView } from './views/groups.js';
import './styles.css';

const VIEWS = [
  { hash: '#/channels', name: 'Channels' },
  { hash: '#/groups', name: 'Consumer groups' },
  { hash: '#/dead-letters', name: 'Dead letters' },
] as const;

function currentHash(): string {
  return VIEWS.some((v) => v.hash === location.hash) ? location.hash : '#/channels';
}

function Login(props: { onSignedIn: () => void; reason: string | undefined }) {
  const [error, setError] = useState(props.reason);
  const [busy, setBusy] = useState(false);
  return (
    <main class="login">
      <h1>Events console</h1>
      <form
        aria-label="Sign in"
        onSubmit={async (event) => {
          event.preventDefault();
          const input = (event.currentTarget as HTMLFormElement).elements.namedItem(
            'token',
          ) as HTMLInputElement;
          setBusy(true);
          try {
            // Checked before it is kept: a wrong token never reaches sessionStorage.
            await admin('/channels', undefined, input.value);
            adminToken.set(input.value);
            props.onSignedIn();
          } catch (e) {
            setError(e instanceof UnauthorizedError ? 'That token was refused.' : String(e));
          } finally {
            setBusy(false);
          }
        }}
      >
        <label class="field">
          Admin token
          <input name="token" type="password" autocomplete="current-password" required />
        </label>
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}

function App() {
  const [signedIn, setSignedIn] = useState(adminToken.get() !== null);
  const [reason, setReason] = useState<string | undefined>(undefined);
  const [hash, setHash] = useState(currentHash());
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const [ask, setAsk] = useState<Confirmation | undefined>(undefined);
  const [askError, setAskError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const onHash = () => setHash(currentHash());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  const signOut = useCallback((why?: string) => {
    adminToken.clear();
    setReason(why);
    setSignedIn(false);
  }, []);
  const onError = useCallback(
    (error: Error) => {
      if (error instanceof UnauthorizedError) signOut('The token was refused; sign in again.');
      else setProblem(error.message);
    },
    [signOut],
  );
  const confirm = useCallback((next: Confirmation) => {
    setAskError(undefined);
    setAsk(next);
  }, []);
  if (!signedIn) {
    return (
      <Login
        reason={reason}
        onSignedIn={() => {
          setProblem(undefined);
          setSignedIn(true);
        }}
      />
    );
  }
  const views = { onError, confirm };
  return (
    <>
      <header>
        <span class="brand">vsa events</span>
        <nav aria-label="Views">
          {VIEWS.map((v) => (
            <a key={v.hash} href={v.hash} aria-current={hash === v.hash ? 'page' : undefined}>
              {v.name}
            </a>
          ))}
        </nav>
        <button type="button" onClick={() => signOut()}>
          Sign out
        </button>
      </header>
      <main>
        {problem && (
          <p role="alert" class="error">
            {problem}{' '}
            <button type="button" onClick={() => setProblem(undefined)}>
              Dismiss
            </button>
          </p>
        )}
        {hash === '#/groups' ? (
          <GroupsView {...views} />
        ) : hash === '#/dead-letters' ? (
          <DeadLettersView {...views} />
        ) : (
          <ChannelsView onError={onError} />
        )}
      </main>
      <ConfirmDialog
        ask={ask}
        error={askError}
        busy={busy}
        onDone={() => setAsk(undefined)}
        onConfirm={async () => {
          if (ask === undefined) return;
          setBusy(true);
          try {
            await ask.run();
            setAsk(undefined);
          } catch (e) {
            if (e instanceof UnauthorizedError) signOut('The token was refused; sign in again.');
            setAskError(e instanceof Error ? e.message : String(e));
          } finally {
            setBusy(false);
          }
        }}
      />
    </>
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
