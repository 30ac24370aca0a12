// Swaps and cover in Debian's Chromium (headless), as two people use them: the person on duty next
// week signs in, asks for cover of that week on /swaps; a colleague it was offered to signs in in a
// second browser context, opens the offer from their mail, accepts; then the VictorOps API fake's
// overrides for that week name the colleague. Each page is checked and screenshotted into $SCREENSHOTS.
import { mkdirSync, readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const base = process.env.CLINIC_URL;
const moto = process.env.MOTO_URL;
const victorops = process.env.VICTOROPS_FAKE_URL;
const shots = process.env.SCREENSHOTS;
const status = JSON.parse(readFileSync(process.env.STATUS_JSON, 'utf8'));
const rotation = process.env.SWAP_ROTATION;
mkdirSync(shots, { recursive: true });

const duty = status.duty.find((r) => r.rotation === rotation);
assert.ok(duty?.next?.on_duty, `nobody is committed next in ${rotation}`);
const week = duty.next.week;
const requester = duty.next.on_duty;

async function mails() {
  const data = await (await fetch(`${moto}/moto-api/data.json`)).json();
  return (data.ses?.RawMessage ?? []).map((m) => ({
    to: m.destinations ?? [],
    raw: m.raw_data.replace(/=\r?\n/g, '').replace(/=3D/g, '='),
  }));
}

// The last sign-in link mailed to `address`.
async function signinLink(address) {
  const theirs = (await mails()).filter((m) => m.to.includes(address));
  const match = theirs.at(-1)?.raw.match(/https?:\/\/[^\s"<]+\/signin\/link\?token=[A-Za-z0-9._-]+/);
  assert.ok(match, `no sign-in link mailed to ${address}`);
  return match[0];
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-component-update', '--no-first-run'],
});

async function signedIn(address, name) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await page.goto(`${base}/signin`);
  await page.getByLabel('Your e-mail address').fill(address);
  await page.getByRole('button', { name: 'Mail me a sign-in link' }).click();
  await page.getByRole('status').waitFor();
  await page.goto(await signinLink(address));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/now`);
  console.log(`ok ${name} signed in as ${address}`);
  return { context, page };
}

let failed = false;
try {
  const a = await signedIn(requester.email, 'requester');
  const shot = async (page, name) => {
    await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
    console.log(`ok ${name}: ${page.url()}`);
  };

  await a.page.getByRole('navigation').getByRole('link', { name: 'Swaps' }).click();
  await a.page.waitForURL(`${base}/swaps`);
  assert.equal(await a.page.getByRole('heading', { level: 1 }).innerText(), 'Swaps and cover');
  for (const name of ['Offered to you', 'Your requests', 'Ask for cover or a swap']) {
    assert.equal(await a.page.getByRole('region', { name }).count(), 1, `a ${name} section`);
  }
  await shot(a.page, 's1-swaps');
  await a.page.getByLabel('Your week').selectOption(`${rotation}/${week}`);
  await a.page.getByLabel('Cover: someone takes my week').check();
  await a.page.getByLabel('A note for those asked (optional)').fill('family <event>');
  await a.page.getByRole('button', { name: 'Ask' }).click();
  await a.page.waitForURL(/\/swaps\/[0-9a-f]{32}\?asked=1$/);
  const id = new URL(a.page.url()).pathname.split('/').at(-1);
  assert.match(await a.page.getByRole('status').innerText(), /offered by mail/);
  const request = a.page.getByRole('region', { name: new RegExp(`Cover · ${rotation} ${week}`) });
  assert.match(await request.innerText(), /family <event>/);
  assert.equal(await a.page.getByRole('button', { name: 'Withdraw' }).count(), 1);
  assert.equal(await a.page.getByRole('button', { name: 'Accept' }).count(), 0, 'the requester cannot accept');
  // Times in the requester's own roster zone, not UTC: the week's start at its local hour.
  assert.ok(requester.timezone && requester.timezone !== 'UTC', `the requester's zone: ${requester.timezone}`);
  const local = new Intl.DateTimeFormat('en-GB', {
    timeZone: requester.timezone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).format(new Date(duty.next.start));
  assert.match(await request.innerText(), new RegExp(`Week starts\\s+\\w+ \\d+ \\w+ \\d{4}, ${local} [A-Z+0-9-]+`));
  assert.ok(!(await request.innerText()).includes('UTC'), 'a time shown in UTC');
  assert.match(await a.page.getByRole('main').innerText(), new RegExp(`Times are in ${requester.timezone}`));
  await shot(a.page, 's2-asked');

  // The offer, as mailed: its link leads to the request.
  const offers = (await mails()).filter((m) => m.raw.includes(`/swaps/${id}`) && m.raw.includes('.offer.'));
  assert.ok(offers.length > 0, 'nobody was offered the request');
  assert.ok(!offers.some((m) => m.to.includes(requester.email)), 'the requester was offered their own week');
  const colleague = offers[0].to[0];
  const link = offers[0].raw.match(new RegExp(`https?://[^\\s"<]+/swaps/${id}`))[0];
  assert.ok(link.startsWith(base), `the offer links ${link}`);

  const b = await signedIn(colleague, 'colleague');
  await b.page.goto(link);
  await shot(b.page, 's3-offer');
  await b.page.getByRole('button', { name: 'Accept' }).click();
  await b.page.getByRole('status').waitFor();
  assert.match(await b.page.getByRole('status').innerText(), /it is applied/);
  assert.match(await b.page.getByRole('region', { name: /Cover/ }).innerText(), /applied/);
  assert.equal(await b.page.getByRole('button', { name: 'Accept' }).count(), 0, 'nothing left to accept');
  await shot(b.page, 's4-accepted');

  // The requester's page now says who took it; their Withdraw button is gone.
  await a.page.reload();
  assert.equal(await a.page.getByRole('button', { name: 'Withdraw' }).count(), 0);
  await shot(a.page, 's5-requester-sees-it-taken');

  // VictorOps: every scheduled override covering the week hands its time to the colleague (an
  // override's `user` is whose on-call time it takes; its assignments say who is paged instead).
  const start = Date.parse(duty.next.start);
  const end = Date.parse(duty.next.end);
  const overrides = await (await fetch(`${victorops}/_fake/overrides`)).json();
  const covering = overrides.filter((o) => Date.parse(o.start) < end && Date.parse(o.end) > start);
  assert.ok(covering.length > 0, `no VictorOps override covers ${week}: ${JSON.stringify(overrides)}`);
  const colleagueId = colleague.split('@')[0];
  for (const o of covering) {
    for (const a of o.assignments) {
      assert.equal(a.user, colleagueId, `an override of ${week} pages ${a.user}: ${JSON.stringify(covering)}`);
    }
  }
  console.log(`ok victorops: ${covering.length} override(s) of ${week} page ${colleagueId}`);
  await a.context.close();
  await b.context.close();
  console.log(`swap browser test passed: screenshots in ${shots}/`);
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
