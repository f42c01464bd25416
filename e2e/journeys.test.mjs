// Browser end-to-end journeys in Debian's headless Chromium, driven by playwright-core
// (no browser download). The server is the real binary with the demo data on a fresh
// SQLite file, or on the empty PostgreSQL database named by ITINERA_E2E_DB.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { inflateRawSync } from 'node:zlib';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { chromium } from 'playwright-core';

// The server runs on the real clock: dates are typed relative to today — the server's
// today, in its time zone (Europe/Madrid by default), not UTC's.
const dayIn = (n) =>
  new Date(Date.now() + n * 86400000).toLocaleDateString('sv-SE', { timeZone: 'Europe/Madrid' });
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
  const db = process.env.ITINERA_E2E_DB || `sqlite://${join(dir, 'e2e.db')}`;
  server = spawn(BIN, ['demo', '--db', db, '--listen', `127.0.0.1:${port}`, '--participants', '300'], {
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
  // The case is titled by the person; it says what is next; "new phase" proposes the next.
  assert.match(await page.locator('h1').innerText(), /Guadalupe Merchán Tena/);
  assert.match(await page.title(), /Guadalupe Merchán Tena/);
  assert.match(await page.locator('#next').innerText(), /Lo siguiente/);
  assert.match(await page.locator('#next-contact').innerText(), /Aún no hay contactos/);
  assert.equal(await page.locator('#to_phase').inputValue(), 'preselection');

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

test('assess a person, read the profile and the radar chart, build an itinerary with two services, sign and print the agreement, record a joint interview', async () => {
  const context = await browser.newContext({ locale: 'es-ES' });
  const page = await context.newPage();
  await login(page, 'ts.badajoz');

  // A new person with a case, and the employment counsellor on the case team.
  await page.goto(`${base}/participants/new`);
  await page.getByLabel('Nombre', { exact: false }).first().fill('Esperanza');
  await page.locator('#surname1').fill('Barrena');
  await page.locator('#surname2').fill('Cuadrado');
  await page.locator('#sex').selectOption('female');
  await page.locator('#birth_date').fill('1979-03-02');
  await page.locator('#labour_status').selectOption('long_term_unemployed');
  await page.locator('#documents-0-kind').selectOption('dni');
  await page.locator('#documents-0-number').fill('44556677L');
  await page.getByRole('button', { name: 'Guardar' }).click();
  await page.waitForURL(/\/participants\/[0-9a-f-]{36}$/);
  await page.getByRole('link', { name: 'Abrir expediente' }).click();
  await page.locator('#programme_id').selectOption({ label: 'CRISOL — Programa de Crecimiento e Inserción Sociolaboral' });
  await page.getByRole('button', { name: 'Abrir expediente' }).click();
  await page.waitForURL(/\/cases\/[0-9a-f-]{36}$/);
  const caseUrl = page.url();
  const counsellor = await page.locator('#professional option', { hasText: 'Orientador laboral · Badajoz' }).first().getAttribute('value');
  await page.locator('#professional').selectOption(counsellor);
  await page.locator('#member-role').selectOption('employment_reference');
  await page.getByRole('button', { name: 'Añadir', exact: true }).click();
  await page.waitForURL(/#team$/);

  // Assess: a missing domain is named, the chosen levels stay; then the profile says why.
  await page.getByRole('navigation', { name: 'Secciones del expediente' }).getByRole('link', { name: 'Diagnóstico' }).click();
  await page.getByRole('link', { name: 'Nueva valoración' }).click();
  const levels = { income: '2', employment: '2', education_skills: '3', housing: '4', health: '4', mental_health: '4', addictions: 'na', family_care: '3', social_network: '3', legal: '5', mobility: '2', digital: '2', language: '5' };
  for (const [domain, level] of Object.entries(levels)) {
    if (domain !== 'income') await page.locator(`#scores-${domain}-${level}`).check();
  }
  await page.getByRole('button', { name: 'Guardar valoración' }).click();
  assert.equal(await page.locator('#scores-income-error').innerText(), 'Elija un nivel para este ámbito.');
  assert.ok(await page.locator('#scores-digital-2').isChecked(), 'the typed levels are kept');
  await page.locator('#scores-income-2').check();
  await page.locator('#scores-employment-note').fill('Sin experiencia reciente');
  await page.getByRole('button', { name: 'Guardar valoración' }).click();
  await page.waitForURL(/\/assessments$/);
  assert.equal(await page.locator('#profile-name').innerText(), 'Necesita trabajo prelaboral');
  const because = await page.locator('#profile-because').innerText();
  for (const d of ['Empleo', 'Movilidad', 'Competencias digitales']) assert.match(because, new RegExp(d));
  assert.equal(await page.locator('figure.radar svg[role="img"]').count(), 1);
  assert.equal(await page.locator('figure.radar svg polygon.latest').count(), 1);
  assert.equal(await page.locator('#comparison-table tbody tr').count(), 13);
  await page.screenshot({ path: join(tmpdir(), 'itinera-e2e-diagnosis.png'), fullPage: true });

  // The itinerary: a goal from a suggested domain, actions owned by two services.
  await page.getByRole('navigation', { name: 'Secciones del expediente' }).getByRole('link', { name: 'Itinerario' }).click();
  await page.locator('#goal-domain').selectOption('employment');
  await page.locator('#goal-description').fill('Conseguir un empleo de al menos seis meses');
  await page.getByRole('button', { name: 'Añadir objetivo' }).click();
  await page.waitForURL(/#goals$/);
  const me = await page.locator('#action-responsible option', { hasText: 'Trabajadora social · Badajoz' }).first().getAttribute('value');
  const other = await page.locator('#action-responsible option', { hasText: 'Orientador laboral · Badajoz' }).first().getAttribute('value');
  // Due before it starts: refused, with the typed values kept.
  await page.locator('#action-kind').selectOption('social_support');
  await page.locator('#action-service').selectOption('social');
  await page.locator('#action-description').fill('Acompañamiento para la solicitud del ingreso mínimo');
  await page.locator('#action-responsible').selectOption(me);
  await page.locator('#action-starts').fill(dayIn(-2));
  await page.locator('#action-due').fill(dayIn(-30));
  await page.getByRole('button', { name: 'Añadir acción' }).click();
  assert.equal(await page.locator('#action-due-error').innerText(), 'El vencimiento es anterior al inicio.');
  assert.equal(await page.locator('#action-description').inputValue(), 'Acompañamiento para la solicitud del ingreso mínimo');
  await page.locator('#action-due').fill(dayIn(60));
  await page.getByRole('button', { name: 'Añadir acción' }).click();
  await page.waitForURL(/#actions$/);
  await page.locator('#action-kind').selectOption('orientation');
  await page.locator('#action-service').selectOption('employment');
  await page.locator('#action-description').fill('Orientación laboral y búsqueda de ofertas');
  await page.locator('#action-responsible').selectOption(other);
  await page.locator('#action-starts').fill(dayIn(-2));
  await page.locator('#action-due').fill(dayIn(87));
  await page.getByRole('button', { name: 'Añadir acción' }).click();
  await page.waitForURL(/#actions$/);
  assert.equal(await page.locator('#actions-table tbody tr').count(), 2);
  await page.locator('#commitments').fill('Acudir a las citas acordadas\nAvisar si no puedo asistir');
  await page.getByRole('button', { name: 'Guardar', exact: true }).click();
  await page.waitForURL(/#plan$/);

  // Print the agreement (draft), then sign it: version 1, frozen.
  await page.getByRole('link', { name: 'Ver e imprimir el acuerdo' }).click();
  await page.waitForURL(/\/itinerary\/agreement$/);
  const agreement = await page.locator('article.agreement').innerText();
  assert.match(agreement, /Esperanza Barrena Cuadrado/);
  assert.match(agreement, /Servicios sociales/);
  assert.match(agreement, /Empleo/);
  assert.match(agreement, /Avisar si no puedo asistir/);
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('header.top').isVisible(), false, 'the print layout hides the navigation');
  assert.ok(await page.locator('.signatures').isVisible());
  await page.emulateMedia({ media: 'screen' });
  await page.goBack();
  await page.locator('#signatories').fill('Esperanza Barrena Cuadrado\nTrabajadora social · Badajoz\nOrientador laboral · Badajoz');
  await page.getByRole('button', { name: 'Registrar la firma' }).click();
  await page.waitForURL(/#agreement$/);
  assert.equal(await page.locator('#versions tbody tr').count(), 1);
  await page.locator('#versions tbody tr a').first().click();
  assert.match(await page.locator('article.agreement').innerText(), /Versión firmada 1/);

  // A joint interview needs two services.
  await page.goto(caseUrl.replace(/#.*$/, '') + '/contacts');
  await page.locator('#kind').selectOption('joint_interview');
  await page.locator('#summary').fill('Entrevista conjunta de acogida con el orientador');
  await page.getByRole('button', { name: 'Guardar contacto' }).click();
  assert.equal(await page.locator('#professionals-error').innerText(), 'Una entrevista conjunta necesita profesionales de dos o más servicios.');
  assert.equal(await page.locator('#summary').inputValue(), 'Entrevista conjunta de acogida con el orientador');
  await page.getByLabel('Orientador laboral · Badajoz', { exact: false }).check();
  await page.getByRole('button', { name: 'Guardar contacto' }).click();
  await page.waitForURL(/\/contacts$/);
  const log = await page.locator('#contacts').innerText();
  assert.match(log, /Entrevista conjunta/);
  assert.match(log, /Orientador laboral · Badajoz/);
  await page.screenshot({ path: join(tmpdir(), 'itinera-e2e-itinerary.png'), fullPage: true });
  await context.close();
});

test('import a municipal export: upload, check the columns, try it, import the valid rows, then decide a possible duplicate side by side', async () => {
  const context = await browser.newContext({ locale: 'es-ES' });
  const page = await context.newPage();
  await login(page, 'ts.badajoz');
  const csv = '\ufeffNº Expediente;Nombre;Apellidos;Sexo;F. Nacimiento;DNI/NIE\n'
    + 'E2E-1;Francisco;Ruiz Gómez;H;07/03/1980;71234567W\n'
    + 'E2E-2;Francisco;Ruiz;H;1980-07-03;\n'
    + 'E2E-3;Rosa;Vidal;M;31/02/1980;\n';
  await page.goto(`${base}/imports`);
  await page.getByLabel('Sistema de origen').fill('SIUSS prueba');
  await page.setInputFiles('#file', { name: 'siuss.csv', mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf8') });
  await page.getByRole('button', { name: 'Subir y revisar columnas' }).click();
  await page.waitForURL(/\/imports\/uploads\//);
  // The columns were recognised from their headers.
  assert.equal(await page.locator('#target-2').inputValue(), 'surnames');
  assert.equal(await page.locator('#target-4').inputValue(), 'birth_date');
  await page.locator('#default_labour_status').selectOption('unemployed');
  await page.getByRole('button', { name: 'Probar sin guardar' }).click();
  await page.getByText('Prueba: no se ha guardado nada.').waitFor({ timeout: 20000 });
  const tried = await page.locator('#lines').innerText();
  assert.match(tried, /F\. Nacimiento: Esa fecha no existe/);
  assert.match(tried, /posible duplicado en revisión/);
  await page.getByRole('button', { name: 'Importar solo las filas correctas' }).click();
  await page.getByText('Importación guardada.').waitFor({ timeout: 20000 });

  // The doubtful pair waits in the queue; side by side, with each field's level.
  await page.goto(`${base}/links`);
  await page.getByRole('link', { name: 'Revisar' }).first().click();
  const why = await page.locator('#explanation').innerText();
  assert.match(why, /día y mes intercambiados/);
  assert.match(why, /Fecha de nacimiento/);
  await page.getByLabel('No, son personas distintas').check();
  await page.getByRole('button', { name: 'Guardar' }).click();
  await page.waitForURL(`${base}/links`);
  assert.match(await page.locator('main').innerText(), /No hay parejas pendientes de revisión/);
  await context.close();
});

test('convene a case table, plan a meeting with two cases, record attendance, minutes and an agreement, see it in the owner\'s work list, mark it done at the next meeting', async () => {
  const context = await browser.newContext({ locale: 'es-ES' });
  const page = await context.newPage();
  await login(page, 'gestora.badajoz');
  await page.locator('header nav').getByRole('link', { name: 'Coordinación', exact: true }).click();
  await page.getByLabel('Nombre').fill('Mesa técnica de casos — Badajoz');
  await page.locator('#level').selectOption('3');
  await page.locator('#frequency').selectOption('fortnightly');
  await page.getByRole('button', { name: 'Crear la mesa' }).click();
  await page.waitForURL(/\/bodies\/[0-9a-f-]{36}$/);
  const bodyUrl = page.url();

  // The reference technicians: the social worker and the employment counsellor.
  for (const [org, user] of [['Servicios Sociales de Atención Social Básica de Badajoz', 'ts.badajoz'], ['Centro de Empleo SEXPE Badajoz', 'orienta.badajoz']]) {
    await page.locator('#organisation_id').selectOption({ label: org });
    await page.locator('#username').fill(user);
    await page.locator('#role').selectOption('reference_technician');
    await page.getByRole('button', { name: 'Añadir miembro' }).click();
    await page.waitForURL(/#members$/);
  }
  assert.match(await page.locator('#members').innerText(), /técnico\/a de referencia/);
  await context.close();

  // The social worker plans a meeting with two of her cases on the agenda.
  const context2 = await browser.newContext({ locale: 'es-ES' });
  const sw = await context2.newPage();
  await login(sw, 'ts.badajoz');
  await sw.goto(bodyUrl);
  await meetingJourney(sw, bodyUrl);
  await context2.close();
});

async function meetingJourney(page, bodyUrl) {
  await page.locator('#date').fill(dayIn(0));
  await page.locator('#starts').fill('10:00');
  await page.locator('#ends').fill('11:30');
  await page.locator('#place').fill('Centro de Servicios Sociales de Badajoz');
  await page.locator('#topics').fill('Coordinación con el empleo');
  const cases = page.locator('input[name="cases"]');
  await cases.nth(0).check();
  await cases.nth(1).check();
  await page.getByRole('button', { name: 'Planificar la reunión' }).click();
  await page.waitForURL(/\/meetings\/[0-9a-f-]{36}$/);
  const meetingUrl = page.url();
  assert.equal(await page.locator('#agenda li').count(), 3);

  // Attendance and the minutes of all three items, saved with one button; the agreement
  // being typed meanwhile is not lost: it comes back, marked, not saved yet.
  for (const select of await page.locator('#attendance select').all()) {
    await select.selectOption('present');
  }
  const minutes = ['Se revisan las ofertas de empleo de diciembre.', 'Primera persona: empieza el curso de cocina.', 'Segunda persona: cita con la orientadora.'];
  const areas = page.locator('#agenda textarea');
  assert.equal(await areas.count(), 3);
  for (let i = 0; i < 3; i++) await areas.nth(i).fill(minutes[i]);
  await page.locator('#text').fill('Enviar las ofertas de cocina a las dos personas');
  await page.getByRole('button', { name: 'Guardar acta y asistencia' }).click();
  await page.waitForURL(/#agenda$/);
  for (let i = 0; i < 3; i++) assert.equal(await areas.nth(i).inputValue(), minutes[i]);
  for (const select of await page.locator('#attendance select').all()) {
    assert.equal(await select.inputValue(), 'present');
  }
  assert.equal(await page.locator('#text').inputValue(), 'Enviar las ofertas de cocina a las dos personas');
  assert.equal(await page.locator('#text.unsaved').count(), 1);
  assert.match(await page.locator('main .notice.warning').innerText(), /aún no están guardados/);
  const sexpe = await page.locator('#owner option', { hasText: 'SEXPE' }).getAttribute('value');
  await page.locator('#owner').selectOption(sexpe);
  // Due in three days: within the owner's work-list horizon, whenever this runs.
  const soon = dayIn(3);
  await page.locator('#due_on').fill(soon);
  await page.getByRole('button', { name: 'Añadir el acuerdo' }).click();
  await page.waitForURL(/#agreements$/);
  assert.match(await page.locator('#agreements').innerText(), /Enviar las ofertas de cocina/);

  // The owner sees it in the work list.
  const other = await browser.newContext({ locale: 'es-ES' });
  const counsellor = await other.newPage();
  await login(counsellor, 'orienta.badajoz');
  assert.match(await counsellor.locator('#worklist').innerText(), /Enviar las ofertas de cocina/);
  await other.close();

  // The next meeting starts by following it up; there it is done.
  await page.goto(bodyUrl);
  await page.locator('#date').fill(dayIn(14));
  await page.locator('#place').fill('Centro de Servicios Sociales de Badajoz');
  await page.getByRole('button', { name: 'Planificar la reunión' }).click();
  await page.waitForURL(/\/meetings\/[0-9a-f-]{36}$/);
  assert.notEqual(page.url(), meetingUrl);
  assert.match(await page.locator('#agenda li').first().innerText(), /Seguimiento del acuerdo: Enviar las ofertas de cocina/);
  await page.goto(meetingUrl);
  await page.getByRole('button', { name: 'Marcar como cumplido' }).click();
  await page.waitForURL(/#agreements$/);
  assert.match(await page.locator('#agreements').innerText(), /cumplido/);

  // The minutes are approved by who runs the table (its chair), not by a member.
  assert.equal(await page.getByRole('link', { name: 'Aprobar el acta' }).count(), 0);
  const chairContext = await browser.newContext({ locale: 'es-ES' });
  const chair = await chairContext.newPage();
  await login(chair, 'gestora.badajoz');
  await chair.goto(meetingUrl);
  // Approving asks first (no JavaScript needed); cancelling changes nothing.
  await chair.getByRole('link', { name: 'Aprobar el acta' }).click();
  await chair.waitForURL(/\/approval$/);
  assert.match(await chair.locator('main').innerText(), /no se puede cambiar/);
  await chair.getByRole('link', { name: 'Cancelar' }).click();
  await chair.waitForURL(meetingUrl);
  assert.equal(await chair.locator('#agenda textarea').count(), 3);
  await chair.getByRole('link', { name: 'Aprobar el acta' }).click();
  await chair.getByRole('button', { name: 'Aprobar el acta' }).click();
  await chair.waitForURL(meetingUrl);
  assert.equal(await chair.locator('#agenda textarea').count(), 0);
  assert.match(await chair.locator('#agenda').innerText(), /Primera persona: empieza el curso de cocina/);
  await chairContext.close();
}

test('withdraw a consent through its confirmation page: a date before it was given is refused with the note kept, then it is withdrawn with its date and note', async () => {
  const context = await browser.newContext({ locale: 'es-ES' });
  const page = await context.newPage();
  await login(page, 'ts.badajoz');
  await page.goto(`${base}/participants`);
  const people = await page.locator('table.list tbody tr td a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  let found = false;
  for (const href of people.slice(0, 40)) {
    await page.goto(`${base}${href}`);
    if (await page.locator('#consents a', { hasText: 'Retirar' }).count() > 0) { found = true; break; }
  }
  assert.ok(found, 'a person of hers with a consent in force');
  const personUrl = page.url();
  const before = await page.locator('#consents tbody tr', { hasText: 'Vigente' }).count();
  await page.locator('#consents a', { hasText: 'Retirar' }).first().click();
  await page.waitForURL(/\/consents\/[0-9a-f-]{36}\/withdraw/);
  assert.match(await page.locator('h1').innerText(), /Retirar el consentimiento/);
  assert.match(await page.locator('main').innerText(), /dejan de ver a esta persona/);
  assert.equal(await page.locator('#withdrawn_on').inputValue(), dayIn(0));
  // Nothing has changed yet: cancelling goes back with the consent in force.
  await page.locator('#withdrawn_on').fill('1990-01-01');
  await page.locator('#note').fill('Lo retira por escrito en la entrevista de hoy');
  await page.getByRole('button', { name: 'Retirar el consentimiento' }).click();
  await page.waitForSelector('.error-summary');
  assert.equal(await page.locator('#note').inputValue(), 'Lo retira por escrito en la entrevista de hoy');
  assert.equal(await page.locator('#withdrawn_on').inputValue(), '1990-01-01');
  await page.locator('#withdrawn_on').fill(dayIn(0));
  await page.getByRole('button', { name: 'Retirar el consentimiento' }).click();
  await page.waitForURL(/#consents$/);
  assert.equal(page.url().split('#')[0], personUrl.split('#')[0]);
  assert.equal(await page.locator('#consents tbody tr', { hasText: 'Vigente' }).count(), before - 1);
  assert.ok(await page.locator('#consents tbody tr', { hasText: 'Retirado' }).count() >= 1);
  await context.close();
});

test('on a phone (390 px): the header stays within a fifth of the screen and its menu works, my cases and the case page fit the width', async () => {
  const context = await browser.newContext({ locale: 'es-ES', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await login(page, 'ts.badajoz');
  const fits = async () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
  const header = await page.locator('header.top').boundingBox();
  assert.ok(header.height <= 844 / 5, `header ${header.height}px high`);
  assert.ok(await fits(), 'the home page fits the width');
  // The search box is seen without scrolling.
  const q = await page.locator('#q').boundingBox();
  assert.ok(q.y + q.height <= 844, `the search box ends at ${q.y + q.height}px`);
  // Touch targets: the menu's links and the page's controls are at least 24 px high.
  const small = await page.evaluate(() => [...document.querySelectorAll('header a, header button, main button, main input:not([type=hidden]), main select, main a.button')]
    .filter((e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height < 24; })
    .map((e) => `${e.outerHTML.slice(0, 80)} ${e.getBoundingClientRect().height}px`));
  assert.deepEqual(small, [], 'touch targets under 24 px');
  // The menu: every link reachable, none drawn off the blue bar.
  const nav = await page.locator('header.top nav').boundingBox();
  assert.ok(nav.x >= 0 && nav.x + nav.width <= 391, `nav ${nav.x}+${nav.width}`);
  await page.locator('header.top nav').getByRole('link', { name: 'Mis casos' }).click();
  await page.waitForURL(/\/caseload$/);
  assert.ok(await fits(), 'my cases fit the width');
  assert.ok((await page.locator('#caseload tbody tr').count()) > 0, 'her cases are listed');
  const first = page.locator('#caseload tbody tr th a').first();
  const box = await first.boundingBox();
  assert.ok(box.height >= 20, 'a touchable link');
  await first.click();
  await page.waitForURL(/\/cases\/[0-9a-f-]{36}$/);
  assert.ok(await fits(), 'the case page fits the width');
  assert.match(await page.locator('#next').innerText(), /Lo siguiente/);
  await context.close();
});

// axe-core, evaluated in the page through the browser's protocol (the pages' CSP
// allows no injected script tag, and needs none).
const AXE = readFileSync(new URL('./node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');
async function axeProblems(page) {
  await page.evaluate(AXE);
  const r = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const res = await axe.run(document, { resultTypes: ['violations'] });
    return res.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  });
  return r;
}

test('the main pages have no serious or critical accessibility problem (axe-core), on a desktop and on a phone', async () => {
  for (const viewport of [{ width: 1280, height: 900 }, { width: 390, height: 844 }]) {
    const context = await browser.newContext({ locale: 'es-ES', viewport });
    const page = await context.newPage();
    await login(page, 'ts.badajoz');
    const pages = ['/', '/caseload', '/participants', '/participants/new', '/referrals', '/calendar'];
    await page.goto(`${base}/caseload`);
    const caseHref = await page.locator('#caseload tbody tr th a').first().getAttribute('href');
    pages.push(caseHref, `${caseHref}/itinerary`, `${caseHref}/contacts`, `${caseHref}/assessments`);
    await page.goto(`${base}${caseHref}`);
    pages.push(await page.locator('p.lead a[href^="/participants/"]').first().getAttribute('href'));
    const found = [];
    for (const path of pages) {
      await page.goto(`${base}${path}`);
      for (const p of await axeProblems(page)) found.push(`${viewport.width}px ${path}: ${p}`);
    }
    await context.close();
    assert.deepEqual(found, [], found.join('\n'));
  }
});

test('open an improvement board, post and vote cards as two members, turn a card into an agreement', async () => {
  const inDays = dayIn;
  const context = await browser.newContext({ locale: 'es-ES' });
  const page = await context.newPage();
  await login(page, 'gestora.badajoz');
  await page.locator('header nav').getByRole('link', { name: 'Coordinación', exact: true }).click();
  await page.getByLabel('Nombre').fill('Grupo de coordinación, seguimiento y evaluación');
  await page.locator('#level').selectOption('3');
  await page.locator('#frequency').selectOption('monthly');
  await page.getByRole('button', { name: 'Crear la mesa' }).click();
  await page.waitForURL(/\/bodies\/[0-9a-f-]{36}$/);
  const bodyUrl = page.url();
  for (const [org, user] of [['Servicios Sociales de Atención Social Básica de Badajoz', 'ts.badajoz'], ['Centro de Empleo SEXPE Badajoz', 'orienta.badajoz']]) {
    await page.locator('#organisation_id').selectOption({ label: org });
    await page.locator('#username').fill(user);
    await page.locator('#role').selectOption('member');
    await page.getByRole('button', { name: 'Añadir miembro' }).click();
    await page.waitForURL(/#members$/);
  }
  // A meeting to adopt agreements at.
  await page.locator('#date').fill(inDays(5));
  await page.locator('#place').fill('Sala de reuniones del SEXPE');
  await page.getByRole('button', { name: 'Planificar la reunión' }).click();
  await page.waitForURL(/\/meetings\/[0-9a-f-]{36}$/);

  // The board: the question, the default columns, open today for two weeks.
  await page.goto(bodyUrl);
  await page.getByRole('link', { name: 'Abrir un panel de mejora' }).click();
  await page.getByLabel('Pregunta').fill('¿Qué propones para mejorar la comunicación y la coordinación entre ambos programas?');
  assert.match(await page.locator('#columns').inputValue(), /COMUNICACIÓN\nCOORDINACIÓN\nOTRAS APORTACIONES/);
  await page.getByRole('button', { name: 'Abrir el panel' }).click();
  await page.waitForURL(/\/boards\/[0-9a-f-]{36}$/);
  const boardUrl = page.url();

  // Two members post (one card anonymously) and vote for each other's cards.
  const members = {};
  for (const user of ['ts.badajoz', 'orienta.badajoz']) {
    const c = await browser.newContext({ locale: 'es-ES' });
    members[user] = await c.newPage();
    await login(members[user], user);
    await members[user].goto(boardUrl);
  }
  const post = async (p, column, text, anonymous) => {
    await p.locator('#column_id').selectOption({ label: column });
    await p.locator('#text').fill(text);
    if (anonymous) await p.locator('#anonymous').check();
    await p.getByRole('button', { name: 'Publicar', exact: true }).click();
    await p.waitForURL(/#card-/);
  };
  await post(members['ts.badajoz'], 'COMUNICACIÓN', 'Un canal común de mensajería entre técnicos', false);
  await post(members['ts.badajoz'], 'COORDINACIÓN', 'Reuniones mensuales de casos compartidos', true);
  await post(members['orienta.badajoz'], 'COMUNICACIÓN', 'Un directorio de referentes por servicio', false);
  const card = (p, text) => p.locator('li.board-card', { hasText: text });
  await card(members['orienta.badajoz'], 'Un canal común').getByRole('button', { name: 'Votar' }).click();
  await members['orienta.badajoz'].waitForURL(/#card-/);
  await card(members['ts.badajoz'], 'Un canal común').getByRole('button', { name: 'Votar' }).click();
  await members['ts.badajoz'].waitForURL(/#card-/);
  await card(members['ts.badajoz'], 'Un directorio').getByRole('button', { name: 'Votar' }).click();
  await members['ts.badajoz'].waitForURL(/#card-/);
  const anonymous = await card(members['orienta.badajoz'], 'Reuniones mensuales').innerText();
  assert.match(anonymous, /Anónima/);
  assert.doesNotMatch(anonymous, /Trabajadora social|Servicios Sociales/);
  assert.match(await card(members['ts.badajoz'], 'Un canal común').innerText(), /Votos: 2/);
  // The most voted card leads its column.
  assert.match(await members['ts.badajoz'].locator('.board-column').first().locator('li.board-card').first().innerText(), /Un canal común/);

  // The convener turns the most voted card into an agreement owned by the SEXPE.
  await page.goto(boardUrl);
  await card(page, 'Un canal común').getByRole('link', { name: 'Convertir en acuerdo' }).click();
  await page.waitForURL(/\/cards\/[0-9a-f-]{36}\/agreement/);
  assert.match(await page.locator('#text').inputValue(), /Un canal común de mensajería/);
  const sexpe = await page.locator('#owner option', { hasText: 'SEXPE' }).first().getAttribute('value');
  await page.locator('#owner').selectOption(sexpe);
  await page.locator('#due_on').fill(inDays(4));
  await page.getByRole('button', { name: 'Registrar el acuerdo' }).click();
  await page.waitForURL(/\/boards\/[0-9a-f-]{36}#card-/);
  assert.match(await card(page, 'Un canal común').innerText(), /convertida en acuerdo/);
  await page.goto(bodyUrl);
  assert.match(await page.locator('#agreements').innerText(), /Un canal común de mensajería/);
  // And the counsellor finds it in the work list.
  await members['orienta.badajoz'].goto(new URL('/', boardUrl).href);
  assert.match(await members['orienta.badajoz'].locator('#worklist').innerText(), /Un canal común de mensajería/);
  for (const p of Object.values(members)) await p.context().close();
  await context.close();
});

// A server of its own on a copy of the demo, so that it can be started again as if it
// were three months later (`itinera demo --today`: the injected clock of the binary).
async function startDemo(dbFile, today, env = {}) {
  const port = await freePort();
  const args = ['demo', '--db', `sqlite://${dbFile}`, '--listen', `127.0.0.1:${port}`, '--participants', '120'];
  if (today) args.push('--today', today);
  const proc = spawn(BIN, args, { env: { ...process.env, ITINERA_LOG: 'warn', ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/health`);
  return { proc, url };
}

async function stopDemo(d) {
  await new Promise((resolve) => { d.proc.once('exit', resolve); d.proc.kill('SIGTERM'); });
}

async function loginAt(page, url, user) {
  await page.goto(`${url}/login`);
  await page.getByLabel('Usuario').fill(user);
  await page.getByLabel('Contraseña').fill(PASSWORD);
  await page.getByRole('button', { name: 'Entrar' }).click();
  await page.waitForURL(`${url}/`);
}

test('register a contract with a bad end then fix it, report an incident the social worker sees at once on her home page, and three months later find the retention check in the work list and record it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'itinera-e2e-work-'));
  const dbFile = join(dir, 'work.db');
  let demo = await startDemo(dbFile);
  // A failing step must not leave the server running (it would keep the run alive).
  t.after(() => { if (demo.proc.exitCode === null) demo.proc.kill('SIGKILL'); });
  const context = await browser.newContext({ locale: 'es-ES' });
  const page = await context.newPage();
  await loginAt(page, demo.url, 'orienta.badajoz');

  // A case of the counsellor's team managed by the Badajoz social worker.
  await page.goto(`${demo.url}/participants`);
  const people = await page.locator('table.list tbody tr td a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  let caseId = null;
  for (const href of people.slice(0, 40)) {
    await page.goto(`${demo.url}${href}`);
    const cases = await page.locator('a[href^="/cases/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    for (const c of cases) {
      await page.goto(`${demo.url}${c}`);
      if (!(await page.locator('main').innerText()).includes('Trabajadora social · Badajoz')) continue;
      await page.goto(`${demo.url}${c}/contracts`);
      if (await page.locator('#contract-form').count() === 1 && await page.locator('article.contract').count() === 0) { caseId = c.split('/')[2]; break; }
    }
    if (caseId) break;
  }
  assert.ok(caseId, 'a case of the counsellor\'s team without a contract');
  const person = (await page.locator('p.lead a').first().innerText()).trim();

  // A contract that ends before it starts is refused next to the field; what was typed stays.
  await page.locator('#employer_id').selectOption({ label: 'Reciclajes Guadiana, Empresa de Inserción (Empresa de inserción)' });
  await page.locator('#contract_type').selectOption('es_indefinido');
  await page.getByLabel('Puesto').fill('Peón de clasificación');
  await page.getByLabel('Ocupación (código CIUO-08)').fill('9613');
  await page.getByLabel('Horas semanales').fill('30');
  await page.locator('#planned_end_on').fill(dayIn(-1));
  await page.getByRole('button', { name: 'Guardar el contrato' }).click();
  assert.equal(await page.locator('#planned_end_on-error').innerText(), 'El fin es anterior al inicio del contrato.');
  assert.equal(await page.locator('#position_title').inputValue(), 'Peón de clasificación');
  assert.equal(await page.locator('#planned_end_on').getAttribute('aria-invalid'), 'true');
  await page.locator('#planned_end_on').fill('');
  await page.getByRole('button', { name: 'Guardar el contrato' }).click();
  await page.waitForURL(/\/contracts#contract-[0-9a-f-]{36}$/);
  const contract = page.locator('article.contract').first();
  assert.match(await contract.innerText(), /Peón de clasificación · Reciclajes Guadiana/);
  assert.equal(await contract.locator('tbody tr').count(), 3, 'checks at 3, 6 and 12 months');

  // An incident: the case manager is told at once.
  await page.getByRole('link', { name: 'Incidencias' }).click();
  await page.locator('#kind').selectOption('absenteeism');
  await page.locator('#severity').selectOption('high');
  await page.locator('#reporter').selectOption('workplace_tutor');
  await page.getByLabel('Qué ha pasado').fill('Tres ausencias sin justificar esta semana');
  await page.getByRole('button', { name: 'Comunicar la incidencia' }).click();
  await page.waitForURL(/\/incidents#incident-[0-9a-f-]{36}$/);
  assert.match(await page.locator('article.incident').first().innerText(), /sin respuesta/);
  const social = await browser.newContext({ locale: 'es-ES' });
  const sp = await social.newPage();
  await loginAt(sp, demo.url, 'ts.badajoz');
  const notices = await sp.locator('#notifications').innerText();
  assert.match(notices, /Nueva incidencia en un caso suyo: Absentismo/);
  assert.ok(!notices.includes(person), 'a notice names no person');
  const open = await sp.locator('#work-incidents_open + table').innerText();
  assert.ok(open.includes(person), 'the incident is in her work list');
  // The header counts the unread notices on every page; the centre lists them.
  assert.match(await sp.locator('header a.notices').innerText(), /Avisos \d+/);
  await sp.locator('header a.notices').click();
  await sp.waitForURL(`${demo.url}/notifications`);
  assert.match(await sp.locator('#notifications').innerText(), /Nueva incidencia en un caso suyo: Absentismo/);
  await sp.getByRole('button', { name: 'Marcar los avisos como leídos' }).click();
  await sp.waitForURL(`${demo.url}/`);
  assert.equal(await sp.locator('header a.notices .badge').count(), 0, 'no unread notices left');
  await social.close();
  await context.close();

  // Three months later (less two days): the 3-month check is in the counsellor's work list.
  await stopDemo(demo);
  demo = await startDemo(dbFile, dayIn(88));
  const later = await browser.newContext({ locale: 'es-ES' });
  const lp = await later.newPage();
  await loginAt(lp, demo.url, 'orienta.badajoz');
  const checks = lp.locator('#work-retention_due + table');
  const row = checks.locator('tr', { hasText: person });
  assert.equal(await row.count(), 1, 'the 3-month check of the new contract is due');
  assert.match(await row.innerText(), /Permanencia a los 3 meses/);
  await row.getByRole('link').first().click();
  await lp.waitForURL(/\/contracts#retention-[0-9a-f-]{36}$/);
  const id = lp.url().split('#retention-')[1];
  await lp.locator(`#outcome-${id}`).selectOption('same_employer');
  await lp.locator(`#retention-${id}`).getByRole('button', { name: 'Guardar' }).click();
  await lp.waitForURL(/#retention-/);
  assert.match(await lp.locator(`#retention-${id}`).innerText(), /Sigue en la misma empresa/);
  await later.close();
  await stopDemo(demo);
});

test('create a course, preselect a person and select her jointly with the employment service, enrol her, take attendance for the group, and see the third unjustified absence of a month reach the social worker\'s home page', async () => {
  const context = await browser.newContext({ locale: 'es-ES' });
  const page = await context.newPage();
  await login(page, 'ts.badajoz');
  await page.locator('header nav').getByRole('link', { name: 'Formación', exact: true }).click();
  await page.waitForURL(`${base}/courses`);
  await page.getByLabel('Título').fill('Atención sociosanitaria a personas dependientes');
  await page.getByLabel('Especialidad (código del certificado)').fill('SSCS0208');
  await page.locator('#programme_id').selectOption({ label: 'CRISOL — Programa de Crecimiento e Inserción Sociolaboral' });
  await page.locator('#provider_id').selectOption({ label: 'Asociación Puentes de Inclusión' });
  await page.getByLabel('Horas de teoría').fill('100');
  await page.getByLabel('Horas de prácticas').fill('80');
  await page.locator('#start_on').fill(dayIn(-13));
  await page.locator('#end_on').fill(dayIn(-20));
  await page.getByLabel('Plazas').fill('5');
  await page.getByRole('button', { name: 'Crear el curso' }).click();
  assert.equal(await page.locator('#end_on-error').innerText(), 'La fecha de fin es anterior a la de inicio.');
  assert.equal(await page.locator('#title').inputValue(), 'Atención sociosanitaria a personas dependientes');
  await page.locator('#end_on').fill(dayIn(30));
  await page.getByRole('button', { name: 'Crear el curso' }).click();
  await page.waitForURL(/\/courses\/[0-9a-f-]{36}$/);
  const courseUrl = page.url();

  // Preselect a person whose team has the Badajoz counsellor, managed by this social worker:
  // the programme's cases are searched when asked.
  await page.getByRole('button', { name: 'Buscar casos' }).click();
  await page.waitForURL(/pool=true/);
  const pool = await page.locator('#pool tbody a').evaluateAll((as) => as.map((a) => [a.getAttribute('href'), a.textContent]));
  let person = null;
  for (const [href, name] of pool.slice(0, 30)) {
    await page.goto(`${base}${href}`);
    const text = await page.locator('main').innerText();
    if (text.includes('Orientador laboral · Badajoz') && text.includes('Trabajadora social · Badajoz')) { person = name.trim(); break; }
  }
  assert.ok(person, 'a shared case in the pool');
  await page.goto(`${courseUrl}?pool=true`);
  await page.getByRole('button', { name: `Preseleccionar ${person}` }).click();
  await page.waitForURL(/#candidate-/);
  const row = page.locator('#candidates tbody tr', { hasText: person });
  await row.locator('select[name="decision"]').selectOption('approve');
  await row.locator('input[name="reason"]').fill('Red de apoyo para la conciliación');
  await row.getByRole('button', { name: 'Registrar la decisión' }).click();
  await page.waitForURL(/#candidate-/);
  assert.match(await page.locator('#candidates tbody tr', { hasText: person }).innerText(), /Aprueba: Red de apoyo/);

  // The employment service decides too: selected.
  const sexpe = await browser.newContext({ locale: 'es-ES' });
  const sp = await sexpe.newPage();
  await login(sp, 'orienta.badajoz');
  await sp.goto(courseUrl);
  const srow = sp.locator('#candidates tbody tr', { hasText: person });
  await srow.locator('select[name="decision"]').selectOption('approve');
  await srow.locator('input[name="reason"]').fill('Perfil adecuado a la especialidad');
  await srow.getByRole('button', { name: 'Registrar la decisión' }).click();
  await sp.waitForURL(/#candidate-/);
  assert.match(await sp.locator('#candidates tbody tr', { hasText: person }).innerText(), /seleccionada/);
  await sexpe.close();

  // Enrol her.
  await page.goto(courseUrl);
  const erow = page.locator('#candidates tbody tr', { hasText: person });
  await erow.locator('select[name="status"]').selectOption('enrolled');
  await erow.getByRole('button', { name: 'Aplicar' }).click();
  await page.waitForURL(/#candidate-/);
  assert.match(await page.locator('#candidates tbody tr', { hasText: person }).innerText(), /matriculada/);

  // Three absences in sessions of one month: the third raises the incident.
  const links = await page.locator('#sessions a[href^="/sessions/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  const dates = await page.locator('#sessions tbody tr').evaluateAll((trs) => trs.map((tr) => tr.cells[0].textContent.trim()));
  const past = dates.slice(0, links.length).map((d, i) => ({ month: d.slice(3), href: links[i] }));
  const byMonth = {};
  for (const p of past) (byMonth[p.month] ??= []).push(p.href);
  const month = Object.values(byMonth).find((l) => l.length >= 3);
  assert.ok(month, 'three past sessions in one month');
  let last = '';
  for (const href of month.slice(0, 3)) {
    await page.goto(`${base}${href}`);
    const line = page.locator('#sheet tbody tr', { hasText: person });
    await line.getByLabel('Falta', { exact: true }).check();
    await page.getByRole('button', { name: 'Guardar la asistencia de todo el grupo' }).click();
    await page.waitForURL(/\?saved=/);
    last = await page.locator('#saved').innerText();
  }
  assert.match(last, /incidencias de absentismo abiertas: 1/);

  // A justified absence needs its reason: refused next to the line, what was typed stays.
  await page.goto(`${base}${month[0]}`);
  const line = page.locator('#sheet tbody tr', { hasText: person });
  await line.getByLabel('Falta justificada', { exact: true }).check();
  await page.getByRole('button', { name: 'Guardar la asistencia de todo el grupo' }).click();
  assert.match(await page.locator('#sheet tbody tr', { hasText: person }).locator('.error').innerText(), /motivo/);
  assert.equal(await page.locator('#sheet tbody tr', { hasText: person }).getByLabel('Falta justificada', { exact: true }).isChecked(), true);

  // With the keyboard alone: arrows move between the marks of a person, Enter saves.
  const other = links.find((h) => !month.slice(0, 3).includes(h));
  if (other) {
    await page.goto(`${base}${other}`);
    await page.locator('#sheet tbody tr', { hasText: person }).getByLabel('Presente', { exact: true }).focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\?saved=/);
    assert.equal(await page.locator('#sheet tbody tr', { hasText: person }).getByLabel('Falta', { exact: true }).isChecked(), true);
  }

  // Her home page shows the incident among her cases'.
  await page.goto(`${base}/`);
  const open = await page.locator('#work-incidents_open + table').innerText();
  assert.ok(open.includes(person) && open.includes('Absentismo'), 'the absenteeism incident is on her home page');
  await context.close();
});

test('a trainer sees only the group of her course, takes its attendance in one go and reports an incident the social worker is told of', async () => {
  const context = await browser.newContext({ locale: 'es-ES' });
  const page = await context.newPage();
  await login(page, 'formador.badajoz');
  // No people or cases for her: her course, what she reported.
  assert.equal(await page.locator('header nav').getByRole('link', { name: 'Personas', exact: true }).count(), 0);
  await page.locator('header nav').getByRole('link', { name: 'Formación', exact: true }).click();
  await page.waitForURL(`${base}/courses`);
  const courses = page.locator('#courses tbody tr');
  assert.equal(await courses.count(), 1, 'only the course she trains');
  await courses.first().getByRole('link').first().click();
  await page.waitForURL(/\/courses\/[0-9a-f-]{36}$/);
  const courseUrl = page.url();
  const group = page.locator('#candidates tbody tr');
  assert.ok(await group.count() >= 1, 'the people enrolled who consented');
  const text = await page.locator('#candidates').innerText();
  assert.ok(!text.includes('Red de apoyo') && !text.includes('Perfil adecuado'), 'no decisions or reasons');
  assert.equal(await page.locator('#candidates a[href^="/cases/"]').count(), 0, 'no way to the case');
  assert.equal(await page.locator('#pool').count(), 0, 'no pool of cases');

  // The last session held: the whole group, marked with the keyboard-friendly radios, saved at once.
  await page.locator('#sessions a[href$="/attendance"]').last().click();
  await page.waitForURL(/\/sessions\/[0-9a-f-]{36}\/attendance$/);
  const n = await page.locator('#sheet tbody tr').count();
  for (let i = 0; i < n; i++) await page.locator(`#line-${i}-present`).check();
  await page.getByRole('button', { name: 'Guardar la asistencia de todo el grupo' }).click();
  await page.waitForURL(/saved=/);
  assert.match(await page.locator('#saved').innerText(), new RegExp(`personas: ${n}`));

  // An incident of one person of the group; a rejected form keeps what was typed.
  await page.goto(courseUrl);
  const first = group.first();
  const person = (await first.locator('td').first().innerText()).trim();
  await first.getByRole('link', { name: 'Comunicar una incidencia' }).click();
  await page.waitForURL(/\/incident$/);
  assert.match(await page.locator('p.lead').innerText(), new RegExp(person));
  await page.getByLabel('Qué ha pasado').fill('Sale antes para recoger a sus hijos del colegio');
  await page.getByRole('button', { name: 'Comunicar la incidencia' }).click();
  assert.ok(await page.locator('#kind-error').isVisible());
  assert.equal(await page.locator('#description').inputValue(), 'Sale antes para recoger a sus hijos del colegio');
  await page.locator('#kind').selectOption('conciliation');
  await page.locator('#severity').selectOption('medium');
  await page.getByRole('button', { name: 'Comunicar la incidencia' }).click();
  await page.waitForURL(/\/incidents\/reported#incident-[0-9a-f-]{36}$/);
  const incident = page.url().split('#incident-')[1];
  assert.match(await page.locator(`#incident-${incident}`).innerText(), /sin respuesta/);
  const refused = await page.goto(`${base}/participants`);
  assert.ok(refused.status() >= 400, 'no list of people');
  await context.close();

  // The social worker is told at once, on her home page, with no person named.
  const social = await browser.newContext({ locale: 'es-ES' });
  const sp = await social.newPage();
  await login(sp, 'ts.badajoz');
  const link = sp.locator(`#notifications a[href$="#incident-${incident}"]`);
  assert.equal(await link.count(), 1, 'the new incident is among her notices');
  assert.match(await link.innerText(), /Nueva incidencia en un caso suyo: Conciliación/);
  assert.ok(!(await link.innerText()).includes(person));
  await social.close();
});

test('refer a case from social services to the employment office after recording the missing consent, accept it there, close it with an outcome, and see every step on the sender\'s side', async () => {
  const context = await browser.newContext({ locale: 'es-ES' });
  const page = await context.newPage();
  await login(page, 'ts.badajoz');
  // A case of hers with no referral yet.
  await page.goto(`${base}/participants`);
  const people = await page.locator('table.list tbody tr td a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  let caseUrl = null;
  for (const href of people.slice(0, 40)) {
    await page.goto(`${base}${href}`);
    const cases = await page.locator('a[href^="/cases/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    for (const c of cases) {
      await page.goto(`${base}${c}/referrals`);
      if (await page.locator('#refer').count() === 1 && await page.locator('#referrals tbody tr').count() === 0) { caseUrl = `${base}${c}`; break; }
    }
    if (caseUrl) break;
  }
  assert.ok(caseUrl, 'a case of hers without referrals');
  const person = (await page.locator('p.lead a').first().innerText()).trim();

  // The receiver first: the page says whether the consent covers it.
  await page.locator('#to').selectOption({ label: 'Centro de Empleo SEXPE Badajoz (Servicio público de empleo · Badajoz)' });
  await page.getByRole('button', { name: 'Comprobar el consentimiento' }).click();
  await page.waitForURL(/referrals\?to=/);
  if (await page.locator('#referral-form').count() === 0) {
    assert.match(await page.locator('#consent-check').innerText(), /no cubre compartir sus datos con Centro de Empleo SEXPE Badajoz/);
    await page.getByRole('link', { name: 'Registrar el consentimiento' }).click();
    await page.waitForURL(/consents\/new/);
    await page.getByLabel('Evidencia (documento firmado, grabación…)').fill('Firma en la entrevista de hoy');
    await page.getByRole('button', { name: 'Guardar' }).click();
    await page.waitForURL(/referrals\?to=/);
  }
  assert.match(await page.locator('#consent-check').innerText(), /cubre a Centro de Empleo SEXPE Badajoz/);
  // A referral without its reason comes back with what was ticked.
  await page.locator('#urgency').selectOption('urgent');
  await page.getByLabel('Datos de contacto').check();
  await page.getByRole('button', { name: 'Enviar la derivación' }).click();
  assert.ok(await page.locator('#reason-error').isVisible());
  assert.equal(await page.locator('#urgency').inputValue(), 'urgent');
  assert.ok(await page.getByLabel('Datos de contacto').isChecked());
  await page.getByLabel('Motivo de la derivación').fill('Inscripción como demandante y orientación hacia hostelería');
  await page.getByRole('button', { name: 'Enviar la derivación' }).click();
  await page.waitForURL(/\/referrals\/[0-9a-f-]{36}$/);
  const referralUrl = page.url();
  assert.match(await page.locator('#referral-status').innerText(), /Enviada/);

  // The employment office: in its work list, accepted, worked, closed with an outcome.
  const sexpe = await browser.newContext({ locale: 'es-ES' });
  const xp = await sexpe.newPage();
  await login(xp, 'orienta.badajoz');
  const waiting = xp.locator('#work-referrals_waiting + table tr', { hasText: person });
  assert.equal(await waiting.count(), 1, 'the referral waits in her work list');
  await waiting.getByRole('link').first().click();
  await xp.waitForURL(referralUrl);
  assert.match(await xp.locator('#details').innerText(), /hostelería/);
  await xp.getByRole('button', { name: 'Aceptar' }).click();
  await xp.waitForURL(referralUrl);
  assert.match(await xp.locator('#referral-status').innerText(), /Aceptada/);
  await xp.getByRole('button', { name: 'Marcar en curso' }).click();
  await xp.waitForURL(referralUrl);
  await xp.getByRole('button', { name: 'Cerrar con este resultado' }).click();
  assert.ok(await xp.locator('#close-form .error-summary').isVisible(), 'an outcome is required');
  await xp.locator('#outcome').selectOption('service_given');
  await xp.getByLabel('Observaciones').fill('Inscrita; cita con la orientadora el lunes');
  await xp.getByRole('button', { name: 'Cerrar con este resultado' }).click();
  await xp.waitForURL(referralUrl);
  assert.match(await xp.locator('#referral-outcome').innerText(), /Servicio prestado/);
  await sexpe.close();

  // The sender sees every step, with its time and who took it.
  await page.goto(referralUrl);
  const steps = await page.locator('#steps').innerText();
  for (const s of ['Enviada', 'Aceptada', 'En curso', 'Finalizada']) assert.match(steps, new RegExp(s));
  assert.match(steps, /Centro de Empleo SEXPE Badajoz/);
  assert.match(await page.locator('#notifications, header a.notices').first().innerText(), /Avisos|derivación/);
  await page.goto(`${caseUrl}/referrals`);
  assert.match(await page.locator('#referrals').innerText(), /Finalizada/);
  await context.close();
});

test('import an HSDS catalogue file (a bad one first, then a dry run, then for real), and find its resource from a case\'s referral form', async () => {
  const context = await browser.newContext({ locale: 'es-ES' });
  const page = await context.newPage();
  await login(page, 'coordina.crisol');
  // The employment office as the catalogue names it, from the export.
  const exported = await (await page.request.get(`${base}/resources/hsds/export.json`)).json();
  const sexpe = exported.contents.map((s) => s.organization).find((o) => o.name === 'Centro de Empleo SEXPE Badajoz');
  assert.ok(sexpe, 'the employment office is in the exported catalogue');
  const service = {
    id: '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b',
    name: 'Taller de carretillero con prácticas',
    description: 'Manejo de carretillas elevadoras, con prácticas en empresas de logística.',
    status: 'active',
    eligibility_description: 'Personas desempleadas inscritas',
    minimum_age: 18,
    organization: sexpe,
    service_areas: [{ id: '0b1c2d3e-4f50-4a6b-8c7d-8e9f0a1b2c3d', name: 'Badajoz' }],
    attributes: [
      { id: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d', link_entity: 'service', taxonomy_term: { id: '2b3c4d5e-6f70-4b8c-9d0e-1f2a3b4c5d6e', code: 'course', name: 'course', description: 'Curso', taxonomy: 'itinera-kind' } },
      { id: '3c4d5e6f-7081-4c9d-8e0f-2a3b4c5d6e7f', link_entity: 'service', taxonomy_term: { id: '4d5e6f70-8192-4dae-8f10-3b4c5d6e7f80', code: 'training', name: 'training', description: 'Formación', taxonomy: 'itinera-category' } },
    ],
  };
  const upload = async (doc, dryRun) => {
    await page.goto(`${base}/resources/hsds`);
    await page.setInputFiles('#file', { name: 'carretillero.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(doc, null, 2), 'utf8') });
    if (dryRun) await page.getByLabel('Solo comprobar (no guardar nada)').check();
    else await page.getByLabel('Solo comprobar (no guardar nada)').uncheck();
    await page.getByRole('button', { name: 'Importar', exact: true }).click();
    await page.waitForSelector('#report');
    return page.locator('#report').innerText();
  };
  // A bad file: refused whole, each problem with its file, line and field.
  const bad = await upload({ contents: [{ ...service, email: 'no-es-un-correo', status: 'abierto' }] }, true);
  assert.match(bad, /no se ha guardado nada/);
  assert.match(bad, /carretillero\.json/);
  assert.match(bad, /\/contents\/0\/email/);
  assert.match(bad, /\/contents\/0\/status/);
  const line = await page.locator('#report tbody tr', { hasText: '/contents/0/email' }).locator('td').nth(1).innerText();
  assert.ok(Number(line) > 1, `the line of the bad e-mail (${line})`);
  // A dry run saves nothing; then the import.
  assert.match(await upload({ contents: [service] }, true), /Comprobación correcta/);
  await page.goto(`${base}/resources?q=carretillero`);
  assert.match(await page.locator('#results').innerText(), /No hay recursos/);
  const done = await upload({ contents: [service] }, false);
  assert.match(done, /Importación guardada/);
  assert.match(done, /Recursos nuevos\s*1/);
  await context.close();

  // A social worker finds it from a case's referral form.
  const sw = await browser.newContext({ locale: 'es-ES' });
  const p = await sw.newPage();
  await login(p, 'ts.badajoz');
  await p.goto(`${base}/participants`);
  const people = await p.locator('table.list tbody tr td a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  let caseUrl = null;
  for (const href of people.slice(0, 40)) {
    await p.goto(`${base}${href}`);
    const cases = await p.locator('a[href^="/cases/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    for (const c of cases) {
      await p.goto(`${base}${c}/referrals`);
      if (await p.locator('#refer').count() === 1 && !(await p.locator('#referrals').innerText()).includes('SEXPE')) { caseUrl = `${base}${c}`; break; }
    }
    if (caseUrl) break;
  }
  assert.ok(caseUrl, 'a case of hers with no referral to the employment office');
  await p.getByLabel('Buscar en el catálogo').fill('carretillero');
  await p.getByRole('button', { name: 'Buscar recurso' }).click();
  await p.waitForURL(/referrals\?q=carretillero/);
  await p.locator('#catalogue-results').getByRole('link', { name: 'Taller de carretillero con prácticas' }).click();
  await p.waitForURL(/resource=/);
  assert.match(await p.locator('#chosen-resource').innerText(), /Taller de carretillero/);
  assert.equal(await p.locator('#to').inputValue(), sexpe.id, 'the receiver is the resource\'s provider');
  if (await p.locator('#referral-form').count() === 0) {
    await p.getByRole('link', { name: 'Registrar el consentimiento' }).click();
    await p.waitForURL(/consents\/new/);
    await p.getByLabel('Evidencia (documento firmado, grabación…)').fill('Firma en la entrevista');
    await p.getByRole('button', { name: 'Guardar' }).click();
    await p.waitForURL(/resource=/);
  }
  await p.getByLabel('Motivo de la derivación').fill('Quiere formarse en logística');
  await p.getByRole('button', { name: 'Enviar la derivación' }).click();
  await p.waitForURL(/\/referrals\/[0-9a-f-]{36}$/);
  assert.match(await p.locator('#referral-resource').innerText(), /Taller de carretillero con prácticas/);
  await sw.close();
});

// The entries of a ZIP file (an XLSX workbook), read with node's zlib: name → text.
function unzip(buf) {
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const files = {};
  for (let i = 0; i < count; i++) {
    const method = buf.readUInt16LE(p + 10);
    const size = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extra = buf.readUInt16LE(p + 30);
    const comment = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(start, start + size);
    files[name] = (method === 8 ? inflateRawSync(data) : data).toString('utf8');
    p += 46 + nameLen + extra + comment;
  }
  return files;
}

test('set an objective on a programme (a bad target first, kept as typed), read it against its target, open the ESF+ indicators, export them as XLSX and read the workbook back, then filter the dashboard by city and download a chart\'s table', async () => {
  const context = await browser.newContext({ locale: 'es-ES' });
  const page = await context.newPage();
  await login(page, 'programa.junta');
  await page.getByRole('link', { name: /^CRISOL — / }).first().click();
  await page.waitForURL(/\/overview$/);
  await page.getByRole('link', { name: 'Cuadro de objetivos' }).click();
  await page.waitForURL(/\/indicators$/);
  await page.locator('#code').fill('OB-E2E');
  await page.locator('#description').fill('Personas atendidas en el año');
  await page.locator('#unit').fill('personas');
  await page.locator('#measure').selectOption('participants_taken_in_charge');
  await page.locator('#target').fill('muchas');
  await page.getByRole('button', { name: 'Guardar objetivo' }).click();
  await page.waitForSelector('.error-summary');
  // Nothing typed is lost.
  assert.equal(await page.locator('#code').inputValue(), 'OB-E2E');
  assert.equal(await page.locator('#target').inputValue(), 'muchas');
  assert.match(await page.locator('.error-summary').innerText(), /Meta|número/i);
  await page.locator('#target').fill('20');
  await page.getByRole('button', { name: 'Guardar objetivo' }).click();
  await page.waitForURL(/indicators#o-/);
  const row = page.locator('tr', { hasText: 'OB-E2E' });
  assert.match(await row.innerText(), /≥ 20 personas/);
  assert.match(await row.innerText(), /Cumplido|No cumplido/);
  await row.getByText('Cómo se calcula').click();
  assert.match(await row.innerText(), /personas con un caso abierto en el periodo/);

  // The ESF+ table of this year, and its workbook read back.
  await page.getByRole('link', { name: 'Indicadores FSE de participantes' }).click();
  await page.waitForURL(/\/esf$/);
  const total = await page.locator('tr#EECO01').innerText();
  assert.match(total, /Número total de participantes/);
  const href = await page.getByRole('link', { name: 'Descargar XLSX' }).getAttribute('href');
  const res = await page.request.get(`${base}${href}`);
  assert.equal(res.status(), 200);
  const files = unzip(await res.body());
  const text = Object.values(files).join('\n');
  assert.match(text, /EECO01/);
  assert.match(text, /Número total de participantes/);
  assert.match(text, /FSE\+ 2021–2027/);
  // The older set for the same programme.
  await page.getByLabel('Conjunto de indicadores').selectOption('esf_2014_2020');
  await page.getByRole('button', { name: 'Ver' }).click();
  await page.waitForURL(/set=esf_2014_2020/);
  assert.match(await page.locator('tr#CO01').innerText(), /Desempleados/);

  // The dashboard, filtered to one city: its charts come with tables and CSVs.
  await page.getByRole('link', { name: 'Cuadro de mando' }).click();
  await page.waitForURL(/\/dashboard$/);
  const everywhere = await page.locator('#chart-groups-table tbody tr').first().innerText();
  await page.locator('#territory_id').selectOption({ label: 'Badajoz' });
  await page.getByRole('button', { name: 'Ver' }).click();
  await page.waitForURL(/territory_id=[0-9a-f-]{36}/);
  assert.equal(await page.locator('#territory_id option:checked').innerText(), 'Badajoz');
  const here = await page.locator('#chart-groups-table tbody tr').first().innerText();
  assert.notEqual(here, everywhere, 'the city has fewer entries than the programme');
  assert.match(await page.locator('#chart-funnel-table').innerText(), /Detección/);
  // Progress per domain between the first and the latest assessment, with its mean.
  const progress = await page.locator('#chart-progress-table').innerText();
  assert.match(progress, /Vivienda/);
  assert.match(progress, /Cambio medio de nivel/);
  assert.equal(await page.locator('#chart-funnel svg[role="img"]').count(), 1);
  const csvHref = await page.locator('#chart-funnel').getByRole('link', { name: 'Descargar la tabla (CSV)' }).getAttribute('href');
  assert.match(csvHref, /territory_id=[0-9a-f-]{36}/);
  const csv = await page.request.get(`${base}${csvHref.replaceAll('&amp;', '&')}`);
  assert.equal(csv.status(), 200);
  const csvText = await csv.text();
  assert.match(csvText, /Fase/);
  assert.match(csvText, /Detección/);
  await context.close();
});

test('the data-protection office answers a person\'s request to see their record: a missing reference is refused with the document kept, then the answer lists the record and who read it, and its JSON file is handed over; then it restricts the record (gone for its own service), lifts it, and erases it with a confirmation', async () => {
  const n = 55667788;
  const dni = `${n}${'TRWAGMYFPDXBNJZSQVHLCKE'[n % 23]}`;
  // A social worker registers the person and reads the record.
  const sw = await browser.newContext({ locale: 'es-ES' });
  const p1 = await sw.newPage();
  await login(p1, 'ts.badajoz');
  await p1.goto(`${base}/participants/new`);
  await p1.getByLabel('Nombre', { exact: false }).first().fill('Remedios');
  await p1.locator('#surname1').fill('Lozano');
  await p1.locator('#surname2').fill('Cid');
  await p1.locator('#sex').selectOption('female');
  await p1.locator('#birth_date').fill('1977-03-09');
  await p1.locator('#labour_status').selectOption('unemployed');
  await p1.locator('#documents-0-kind').selectOption('dni');
  await p1.locator('#documents-0-number').fill(dni);
  await p1.getByRole('button', { name: 'Guardar' }).click();
  await p1.waitForURL(/\/participants\/[0-9a-f-]{36}$/);
  await sw.close();

  const dpo = await browser.newContext({ locale: 'es-ES' });
  const page = await dpo.newPage();
  await login(page, 'auditoria');
  await page.getByRole('link', { name: 'Derecho de acceso' }).click();
  await page.waitForURL(`${base}/privacy/access`);
  await page.locator('#document').fill(dni);
  await page.getByRole('button', { name: 'Ver la respuesta' }).click();
  assert.equal(await page.locator('#document').inputValue(), dni, 'the document is kept');
  assert.equal(await page.locator('#reference').getAttribute('aria-invalid'), 'true');
  await page.locator('#reference').fill('RE-2026/0077');
  await page.getByRole('button', { name: 'Ver la respuesta' }).click();
  const report = await page.locator('#report').innerText();
  assert.match(report, /Remedios Lozano Cid/);
  assert.match(report, /Quién ha consultado o modificado estos datos/);
  assert.match(report, /Trabajadora social · Badajoz/);
  // The same answer as a file to take away.
  const csrf = await page.locator('input[name="csrf"]').first().getAttribute('value');
  const res = await page.request.post(`${base}/privacy/access`, {
    form: { csrf, document: dni, reference: 'RE-2026/0077', format: 'json' },
  });
  assert.equal(res.status(), 200);
  assert.match(res.headers()['content-disposition'], /attachment/);
  const json = await res.json();
  assert.equal(json.records[0].participant.given_name, 'Remedios');
  assert.ok(json.records[0].accesses.length >= 2, 'who read and who registered');

  // The person asks to restrict the processing, then (registered by mistake) to erase.
  await page.getByRole('link', { name: 'Limitar, bloquear o suprimir este registro' }).click();
  await page.waitForURL(/\/privacy\/records\/[0-9a-f-]{36}/);
  const record = page.url();
  const pid = record.split('/').pop();
  await page.locator('#restrict #reference').fill('RE-2026/0078');
  await page.getByRole('button', { name: 'Limitar el registro' }).click();
  assert.equal(await page.locator('#restrict #reason').getAttribute('aria-invalid'), 'true', 'the reason is asked for');
  assert.equal(await page.locator('#restrict #reference').inputValue(), 'RE-2026/0078', 'the reference is kept');
  await page.locator('#restrict #reason').fill('Reclamación pendiente');
  await page.getByRole('button', { name: 'Limitar el registro' }).click();
  assert.match(await page.locator('#done').innerText(), /limitado/);
  const sw2 = await browser.newContext({ locale: 'es-ES' });
  const p2 = await sw2.newPage();
  await login(p2, 'ts.badajoz');
  const frozen = await p2.goto(`${base}/participants/${pid}`);
  assert.equal(frozen.status(), 404, 'frozen for its own service too');
  await page.locator('#restrict #reference').fill('RE-2026/0079');
  await page.locator('#restrict #reason').fill('Reclamación resuelta');
  await page.getByRole('button', { name: 'Levantar la limitación' }).click();
  assert.match(await page.locator('#done').innerText(), /levantado/);
  await page.locator('#erase-reference').fill('SU-2026/0012');
  await page.locator('#erase-reason').fill('Registrada por error');
  await page.getByRole('button', { name: 'Anonimizar el registro' }).click();
  assert.equal(await page.locator('#erase-reason').inputValue(), 'Registrada por error', 'kept without the confirmation');
  await page.getByLabel('Entiendo que la anonimización no se puede deshacer.').check();
  await page.getByRole('button', { name: 'Anonimizar el registro' }).click();
  assert.match(await page.locator('#done').innerText(), /anonimizado/i);
  const gone = await p2.goto(`${base}/participants/${pid}`);
  assert.equal(gone.status(), 200);
  assert.match(await p2.locator('h1').innerText(), /Persona anonimizada/);
  assert.doesNotMatch(await p2.content(), /Remedios|Lozano/);
  await sw2.close();
  await dpo.close();
});

// RFC 6238 as an authenticator app computes it (HMAC-SHA-1, six digits, 30 s).
function totp(secretBase32, at = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bytes = [];
  let bits = 0;
  let value = 0;
  for (const c of secretBase32.replace(/[\s=]/g, '')) {
    value = ((value << 5) | alphabet.indexOf(c)) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30000)));
  const h = createHmac('sha1', Buffer.from(bytes)).update(counter).digest();
  const o = h[h.length - 1] & 15;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, '0');
}

test('a deployment that requires a second factor: set it up at the first sign-in with an authenticator app, keep the recovery codes, and sign in again with one of them after a wrong code', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'itinera-e2e-2fa-'));
  const demo = await startDemo(join(dir, '2fa.db'), null, { ITINERA_SECOND_FACTOR: 'required' });
  t.after(() => stopDemo(demo));
  const signIn = async (page) => {
    await page.goto(`${demo.url}/login`);
    await page.getByLabel('Usuario').fill('ts.badajoz');
    await page.getByLabel('Contraseña').fill(PASSWORD);
    await page.getByRole('button', { name: 'Entrar' }).click();
    await page.waitForURL(`${demo.url}/login/second-factor`);
  };
  const first = await browser.newContext({ locale: 'es-ES' });
  const page = await first.newPage();
  await signIn(page);
  const secret = await page.locator('#secret').innerText();
  assert.match(await page.locator('a[href^="otpauth://totp/"]').getAttribute('href'), /secret=[A-Z2-7]{32}/);
  await page.getByLabel('Código').fill(totp(secret));
  await page.getByRole('button', { name: 'Continuar' }).click();
  await page.waitForURL(`${demo.url}/login/second-factor`);
  const codes = await page.locator('#recovery-codes code').allInnerTexts();
  assert.equal(codes.length, 10);
  await page.getByRole('link', { name: 'He guardado los códigos: continuar' }).click();
  await page.waitForURL(`${demo.url}/`);
  assert.match(await page.locator('h1').innerText(), /Inicio|Itinera/);
  await first.close();

  const second = await browser.newContext({ locale: 'es-ES' });
  const again = await second.newPage();
  await signIn(again);
  assert.equal(await again.locator('#secret').count(), 0, 'the secret is never shown again');
  await again.getByLabel('Código').fill('000000');
  await again.getByRole('button', { name: 'Continuar' }).click();
  assert.match(await again.locator('.error-summary').innerText(), /El código no es correcto/);
  await again.getByLabel('Código').fill(codes[0].toLowerCase());
  await again.getByRole('button', { name: 'Continuar' }).click();
  await again.waitForURL(`${demo.url}/`);
  await second.close();
});
