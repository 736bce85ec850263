// The web UI in a real browser: Debian's Chromium, driven by
// playwright-core. Started by crates/pagerbound/tests/browser.rs, which
// runs pagerbound, makes the users, a page and an SLO, and passes them in
// the environment:
//
//   PB_BASE      the server, http://127.0.0.1:PORT
//   PB_PAGE      the id of a triggered page, for the responder to ack
//   PB_PHONE_PAGE  another triggered page, for the phone-sized test
//   PB_SLO       an SLO with events
//   PB_SCHEDULE  a schedule
//   PB_PASSWORD  the password of every user (bob responds, carol views)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const base = process.env.PB_BASE;
const password = process.env.PB_PASSWORD;
let browser;

before(async () => {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run',
    ],
  });
});

after(async () => {
  await browser?.close();
});

/** A fresh browser context (its own cookies), signed in as `user`. */
async function signedIn(user, options = {}) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await page.goto(`${base}/`);
  // No session: the sign-in form, which brings us back afterwards.
  assert.match(page.url(), /\/login\?next=%2F$/);
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/`);
  return { context, page };
}

/** Whether the document is wider than the viewport (sideways scrolling). */
async function scrollsSideways(page) {
  return page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
}

test('a wrong password is refused and the right one signs in', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.getByLabel('User name').fill('bob');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await assert.doesNotReject(
    page.getByRole('alert').filter({ hasText: 'do not match' }).waitFor(),
  );
  await context.close();

  const { context: signed, page: now } = await signedIn('bob');
  await now.getByRole('heading', { name: 'On call' }).waitFor();
  assert.equal(await now.locator('.who span').innerText(), 'bob');
  await now.getByRole('button', { name: 'Sign out' }).click();
  await now.waitForURL(/\/login$/);
  await now.goto(`${base}/pages`);
  assert.match(now.url(), /\/login\?next=/, 'signed out: pages need a session again');
  await signed.close();
});

test('a responder sees the page on Now and acknowledges it from its page', async () => {
  const { context, page } = await signedIn('bob');
  const id = process.env.PB_PAGE;
  const link = page.locator(`a[href="/pages/${id}"]`).first();
  await link.waitFor();
  await link.click();
  await page.waitForURL(`${base}/pages/${id}`);
  const state = page.locator('#page-state');
  assert.equal(await state.innerText(), 'triggered');
  await page.getByRole('button', { name: 'Acknowledge', exact: true }).click();
  // htmx swaps the updated page in: no reload, same address.
  await page.locator('#page-state', { hasText: 'acknowledged' }).waitFor();
  assert.equal(page.url(), `${base}/pages/${id}`);
  assert.match(await page.locator('.facts').innerText(), /Acknowledged by\s+bob/);
  await page.getByLabel('Add a note').fill('looking at the deploy');
  await page.getByRole('button', { name: 'Add note' }).click();
  await page.locator('.timeline', { hasText: 'looking at the deploy' }).waitFor();
  await context.close();
});

test("a viewer's ack is refused", async () => {
  const { context, page } = await signedIn('carol');
  const id = process.env.PB_PHONE_PAGE;
  await page.goto(`${base}/pages/${id}`);
  await page.getByText('you can look, not respond').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Acknowledge', exact: true }).count(), 0);
  // Even a hand-made post with the viewer's own session and token fails.
  const csrf = await page.locator('input[name="csrf"]').first().inputValue();
  const answer = await page.request.post(`${base}/pages/${id}/ack`, {
    form: { csrf },
    maxRedirects: 0,
  });
  assert.equal(answer.status(), 403);
  assert.match(await answer.text(), /responder role/);
  await page.reload();
  assert.equal(await page.locator('#page-state').innerText(), 'triggered');
  await context.close();
});

test('on a phone, Now and a page fit the screen and ack is in reach', async () => {
  const { context, page } = await signedIn('bob', {
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 3,
    isMobile: true,
    hasTouch: true,
  });
  assert.equal(await scrollsSideways(page), false, 'Now scrolls sideways');
  const id = process.env.PB_PHONE_PAGE;
  await page.goto(`${base}/pages/${id}`);
  assert.equal(await scrollsSideways(page), false, 'the page scrolls sideways');
  const ack = page.getByRole('button', { name: 'Acknowledge', exact: true });
  const box = await ack.boundingBox();
  assert.ok(box, 'the ack button is shown');
  assert.ok(box.x >= 0 && box.x + box.width <= 390, `ack is within the screen's width: ${JSON.stringify(box)}`);
  assert.ok(box.height >= 44, `ack is big enough for a thumb: ${box.height}px`);
  if (process.env.PB_SCREENSHOTS) {
    await page.screenshot({ path: `${process.env.PB_SCREENSHOTS}/phone-page.png`, fullPage: true });
    await page.goto(`${base}/`);
    await page.screenshot({ path: `${process.env.PB_SCREENSHOTS}/phone-now.png`, fullPage: true });
    await page.goto(`${base}/pages/${id}`);
  }
  await ack.tap();
  await page.locator('#page-state', { hasText: 'acknowledged' }).waitFor();
  await context.close();
});

test('a responder adds an override in the schedule view', async () => {
  const { context, page } = await signedIn('bob');
  const schedule = process.env.PB_SCHEDULE;
  await page.getByRole('link', { name: 'Schedules' }).click();
  await page.waitForURL(`${base}/schedules`);
  await page.locator('main').getByRole('link', { name: schedule }).click();
  await page.waitForURL(`${base}/schedules/${schedule}`);
  // Far enough ahead that no earlier test's override is in the way.
  await page.getByLabel('Who covers').selectOption('carol');
  await page.getByLabel(/^From/).fill('2027-03-10T08:00');
  await page.getByLabel(/^Until/).fill('2027-03-10T20:00');
  await page.getByLabel('Note').fill('covering for a dentist visit');
  await page.getByRole('button', { name: 'Add override' }).click();
  await page.waitForURL(/date=2027-03-10/);
  const override = page.locator('.calendar .shift.override', { hasText: 'carol' });
  await override.first().waitFor();
  assert.match(await override.first().innerText(), /08:00–20:00 carol/);
  // The week view shows the layers too, told apart from the override.
  assert.ok(await page.locator('.calendar .shift.layer').count() > 0);
  assert.match(await page.locator('a.feed').getAttribute('href'), /calendar\.ics\?token=/);
  if (process.env.PB_SCREENSHOTS) {
    await page.screenshot({ path: `${process.env.PB_SCREENSHOTS}/schedule-week.png`, fullPage: true });
  }
  await context.close();
});

test('an SLO shows its error-budget chart', async () => {
  const { context, page } = await signedIn('carol');
  const slo = process.env.PB_SLO;
  await page.getByRole('link', { name: 'SLOs' }).click();
  await page.waitForURL(`${base}/slos`);
  await page.getByRole('link', { name: slo }).click();
  await page.waitForURL(`${base}/slos/${slo}`);
  const chart = page.getByRole('img', { name: /Error budget remaining/ });
  await chart.waitFor();
  const box = await chart.boundingBox();
  assert.ok(box && box.width > 200 && box.height > 80, `the chart is drawn: ${JSON.stringify(box)}`);
  // Axes a person can read: titled, with units.
  assert.match(await chart.innerHTML(), /budget remaining, %/);
  if (process.env.PB_SCREENSHOTS) {
    await page.screenshot({ path: `${process.env.PB_SCREENSHOTS}/slo.png`, fullPage: true });
  }
  // The pushed events are drawn: a line, or a dot where a point stands
  // alone (an hour of events in a 30-day window).
  assert.ok(
    await chart.locator('path.line, .dots circle').count() > 0,
    await chart.innerHTML(),
  );
  await context.close();
});

test('a responder creates a silence after previewing what it silences', async () => {
  const { context, page } = await signedIn('bob');
  await page.getByRole('link', { name: 'Silences' }).click();
  await page.waitForURL(`${base}/silences`);
  await page.goto(`${base}/silences/new`);
  await page.locator('textarea[name="matchers"]').fill('alertname="CheckoutBurn"');
  await page.getByRole('button', { name: 'Preview' }).click();
  const preview = page.locator('#preview');
  await preview.getByText('It would silence 1 alert firing now').waitFor();
  const listed = await preview.innerText();
  assert.match(listed, /CheckoutBurn/);
  assert.doesNotMatch(listed, /CheckoutLatencyBurn/, 'only what the matchers match');
  // The preview was swapped in place: what was typed is still there.
  assert.equal(await page.locator('textarea[name="matchers"]').inputValue(), 'alertname="CheckoutBurn"');
  await page.locator('input[name="duration"]').fill('2h');
  await page.locator('textarea[name="comment"]').fill('deploying the fix');
  await page.getByRole('button', { name: 'Create silence' }).click();
  await page.waitForURL(/\/silences#.+/);
  const id = new URL(page.url()).hash.slice(1);
  const silence = page.locator(`li[id="${id}"]`);
  assert.match(await silence.innerText(), /deploying the fix/);
  await page.goto(`${base}/alerts?state=silenced`);
  const silenced = await page.locator('main').innerText();
  assert.match(silenced, /CheckoutBurn/);
  assert.match(silenced, /deploying the fix/);
  await context.close();
});
