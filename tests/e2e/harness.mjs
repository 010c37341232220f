// What the browser tests share: Debian's chromium through playwright-core (or ctest's skip
// code when either is missing), free ports, and processes started and stopped.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, connect } from 'node:net';

export const SKIP = 77;  // ctest's SKIP_RETURN_CODE

// playwright-core's chromium and the browser's path; exits with SKIP when one is missing.
export async function chromiumOrSkip() {
  const path = process.env.CHROMIUM || '/usr/bin/chromium';
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    console.error('playwright-core is not installed (scripts/setup.sh installs it): ' + e.message);
    process.exit(SKIP);
  }
  if (!existsSync(path)) {
    console.error(`no chromium at ${path} (scripts/setup.sh installs it)`);
    process.exit(SKIP);
  }
  return { chromium, path };
}

export function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export async function waitPort(port) {
  for (let i = 0; i < 100; ++i) {
    const ok = await new Promise((resolve) => {
      const s = connect(port, '127.0.0.1', () => { s.end(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${port}`);
}

// Started processes, each stopped by stopAll().
export const children = [];

// Starts a process and waits for `ready` on its stdout or stderr.
export function start(cmd, args, ready, options = {}) {
  const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  children.push(p);
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd} did not start: ${out}`)), 15000);
    const seen = (d) => {
      out += d;
      if (out.includes(ready)) {
        clearTimeout(timer);
        resolve({ proc: p, output: () => out });
      }
    };
    p.stdout.on('data', seen);
    p.stderr.on('data', seen);
    p.on('exit', (code) => reject(new Error(`${cmd} exited ${code}: ${out}`)));
  });
}

export function stop(p, signal = 'SIGTERM') {
  return new Promise((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve();
    p.removeAllListeners('exit');
    p.on('exit', () => resolve());
    p.kill(signal);
  });
}

export async function stopAll() {
  for (const c of children) await stop(c);
}

// `kagami serve` on a store at a free port: the process and the console's address.
export function startConsole(kagami, store) {
  const proc = spawn(kagami, ['serve', '--store', store, '--listen', '127.0.0.1:0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const url = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('serve did not start: ' + err)), 15000);
    proc.stderr.on('data', (d) => {
      err += d;
      const m = err.match(/console at (https:\/\/[^\s/]+)\//);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
  return { proc, url };
}

// Logs in through the console's form and waits for its navigation.
export async function loginConsole(page, url, user, password) {
  await page.goto(url + '/');
  await page.waitForSelector('#login-form');
  await page.fill('#login-user', user);
  await page.fill('#login-password', password);
  await page.click('#login-submit');
  await page.waitForSelector('#nav a[href="#/search"]');
}
