// What the Lighthouse scripts share (run.mjs, compare.mjs): a throwaway stack
// (confab-stack: PostgreSQL, Redis, the backend serving a built app) on a free port, and
// two people with a direct chat to look at.
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A port nobody listens on now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts confab-stack serving the app in `dist` and resolves once it says it is ready. */
export function startStack(port, dist = 'dist') {
  const stack = spawn(
    'cargo',
    ['run', '--quiet', '-p', 'confab-test-support', '--bin', 'confab-stack', '--', '--port', String(port), '--dist', dist],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    let seen = '';
    stack.stdout.on('data', (chunk) => {
      seen += chunk;
      if (seen.includes('confab-stack ready on')) resolve(stack);
    });
    stack.on('exit', (code) => reject(new Error(`confab-stack exited (${code}) before it was ready`)));
  });
}

/** Calls the API as the holder of `cookie`; returns the JSON body and any new cookie. */
async function call(base, method, route, body, cookie) {
  const response = await fetch(`${base}${route}`, {
    method,
    headers: { 'content-type': 'application/json', origin: base, ...(cookie ? { cookie } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${await response.text()}`);
  const setCookie = response.headers.get('set-cookie');
  const text = await response.text();
  return { json: text ? JSON.parse(text) : null, cookie: setCookie?.split(';')[0] };
}

/** Alice and Bob with a direct chat of a dozen messages (some Markdown, a mention). */
export async function seed(base) {
  const suffix = Date.now().toString(36);
  const register = (username, display_name) =>
    call(base, 'POST', '/api/auth/register', { username, display_name, password: 'correct horse battery' });
  const alice = await register(`alice_${suffix}`, 'Alice Liddell');
  const bob = await register(`bob_${suffix}`, 'Bob Builder');
  const chat = (
    await call(base, 'POST', '/api/chats', { kind: 'direct', user_id: bob.json.user.id }, alice.cookie)
  ).json;
  const lines = [
    [alice, 'Morning! Did the **release notes** go out?'],
    [bob, 'Not yet, waiting on the changelog.'],
    [alice, `@bob_${suffix} can you paste the link here when it's up?`],
    [bob, 'Sure: `docs/changelog.md`, then the blog post.'],
    [alice, 'Thanks 🙏'],
  ];
  for (let round = 0; round < 2; round += 1) {
    for (const [who, body] of lines) {
      await call(base, 'POST', `/api/chats/${chat.id}/messages`, { client_id: crypto.randomUUID(), body }, who.cookie);
    }
  }
  return { cookie: alice.cookie, chatId: chat.id };
}
