// Browser end-to-end journeys in Debian's headless Chromium, driven by playwright-core
// (no browser download). The server is the real binary with the demo data on a fresh
// SQLite file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { chromium } from 'playwright-core';

const BIN = process.env.ITINERA_BIN ?? '../target/debug/itinera';
const PASSWORD = 'itinera-demo';
let server;
let browser;
let base;

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(url) {
  for (let i = 0; i < 300; i++) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server did not answer at ${url}`);
}

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'itinera-e2e-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(BIN, ['demo', '--db', `sqlite://${join(dir, 'e2e.db')}`, '--listen', `127.0.0.1:${port}`, '--participants', '300'], {
    env: { ...process.env, ITINERA_LOG: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitFor(`${base}/health`);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
});

async function login(page, user) {
  await page.goto(`${base}/login`);
  await page.getByLabel('Usuario').fill(user);
  await page.getByLabel('Contraseña').fill(PASSWORD);
  await page.getByRole('button', { name: 'Entrar' }).click();
  await page.waitForURL(`${base}/`);
}

test('log in, find a person, register one with a bad DNI then fix it, open a case, move it two phases, switch the language', async () => {
  const context = await browser.newContext({ locale: 'es-ES' });
  const page = await context.newPage();
  await login(page, 'ts.badajoz');
  assert.match(await page.locator('h1').innerText(), /Inicio/);

  // Find a person: take a surname from the list and search it from the start page.
  await page.goto(`${base}/participants`);
  const first = await page.locator('table.list tbody tr td a').first().innerText();
  const surname = first.split(',')[0].split(' ')[0];
  await page.goto(`${base}/`);
  await page.getByLabel('Nombre, apellidos o documento de identidad').fill(surname.slice(0, 4).toLowerCase());
  await page.getByRole('button', { name: 'Buscar' }).click();
  await page.waitForURL(`${base}/participants/search`);
  const found = await page.locator('table.list tbody').innerText();
  assert.ok(found.includes(surname), `search for ${surname} found it`);
  assert.match(found, /\*{6}[0-9A-Z]{3}/, 'documents are masked in lists');

  // Register a person with a bad DNI: the error stands next to the field, typed data stays.
  await page.goto(`${base}/participants/new`);
  await page.getByLabel('Nombre', { exact: false }).first().fill('Guadalupe');
  await page.locator('#surname1').fill('Merchán');
  await page.locator('#surname2').fill('Tena');
  await page.locator('#sex').selectOption('female');
  await page.locator('#birth_date').fill('1981-06-15');
  await page.locator('#labour_status').selectOption('long_term_unemployed');
  await page.locator('#labour_status_since').fill('2024-02-01');
  await page.locator('#documents-0-kind').selectOption('dni');
  await page.locator('#documents-0-number').fill('11223344A');
  await page.getByRole('button', { name: 'Guardar' }).click();
  const error = page.locator('#documents-0-number-error');
  assert.equal(await error.innerText(), 'La letra del DNI no corresponde al número.');
  assert.equal(await page.locator('#surname1').inputValue(), 'Merchán');
  assert.equal(await page.locator('#documents-0-number').getAttribute('aria-invalid'), 'true');
  await page.locator('#documents-0-number').fill('11223344B');
  await page.getByRole('button', { name: 'Guardar' }).click();
  await page.waitForURL(/\/participants\/[0-9a-f-]{36}$/);
  assert.match(await page.locator('h1').innerText(), /Guadalupe Merchán Tena/);

  // Open a case in CRISOL.
  await page.getByRole('link', { name: 'Abrir expediente' }).click();
  await page.locator('#programme_id').selectOption({ label: 'CRISOL — Programa de Crecimiento e Inserción Sociolaboral' });
  await page.getByRole('button', { name: 'Abrir expediente' }).click();
  await page.waitForURL(/\/cases\/[0-9a-f-]{36}$/);
  assert.equal(await page.locator('#case-phase').innerText(), 'Detección');

  // Move it two phases, with reasons; a missing reason is refused first.
  await page.locator('#to_phase').selectOption('preselection');
  await page.getByRole('button', { name: 'Cambiar de fase' }).click();
  assert.match(await page.locator('.field.invalid .error').first().innerText(), /obligatorio/);
  await page.locator('#to_phase').selectOption('preselection');
  await page.locator('#phase-reason').fill('Cumple los requisitos');
  await page.getByRole('button', { name: 'Cambiar de fase' }).click();
  await page.waitForURL(/#timeline$/);
  assert.equal(await page.locator('#case-phase').innerText(), 'Preselección');
  await page.locator('#to_phase').selectOption('selection');
  await page.locator('#phase-reason').fill('Seleccionada en la mesa técnica');
  await page.getByRole('button', { name: 'Cambiar de fase' }).click();
  await page.waitForURL(/#timeline$/);
  assert.equal(await page.locator('#case-phase').innerText(), 'Selección');
  assert.equal(await page.locator('[aria-current="step"]').innerText(), 'Selección');
  const timeline = await page.locator('ol.timeline').innerText();
  assert.match(timeline, /Seleccionada en la mesa técnica/);

  // Switch the language: the same page, in English, then Catalan and Italian.
  const caseUrl = page.url().replace(/#.*$/, '');
  await page.locator('#lang-switch').selectOption('en');
  await page.getByRole('button', { name: 'Cambiar idioma' }).click();
  await page.waitForURL(caseUrl);
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  assert.equal(await page.locator('#case-phase').innerText(), 'Selection');
  assert.ok(await page.getByRole('button', { name: 'Sign out' }).isVisible());
  for (const [lang, button, phase] of [['ca', 'Change language', 'Selecció'], ['it', 'Canvia l\'idioma', 'Selezione']]) {
    await page.locator('#lang-switch').selectOption(lang);
    await page.getByRole('button', { name: button }).click();
    await page.waitForURL(caseUrl);
    assert.equal(await page.locator('#case-phase').innerText(), phase);
  }
  await page.screenshot({ path: join(tmpdir(), 'itinera-e2e-case.png'), fullPage: true });
  await context.close();
});

test('pages are usable with the keyboard alone', async () => {
  const context = await browser.newContext({ locale: 'es-ES' });
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  // The user name field has the focus: sign in with the keyboard alone.
  await page.waitForFunction(() => document.activeElement?.id === 'username');
  await page.keyboard.type('orienta.badajoz');
  await page.keyboard.press('Tab');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await page.waitForURL(`${base}/`);
  // On every page the first Tab lands on the skip link, and it leads to the content.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.className), 'skip');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');
  // Every form control of the registration page has a label.
  await page.goto(`${base}/participants/new`);
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
      .filter((el) => !(el.id && document.querySelector(`label[for="${el.id}"]`)) && !el.closest('label'))
      .map((el) => el.name || el.id));
  assert.deepEqual(unlabelled, []);
  await context.close();
});
