// Clinic's sign-in and now page in Debian's Chromium (headless), as a person uses them: open the
// page, ask for a link, open the link from the mail the local SES received, press "Sign in", read
// who is on duty, the ahead and mine pages, issue a personal calendar feed, fetch it as a calendar
// client does and parse it with the independent strict parser, revoke it, sign out. Each step is
// checked and screenshotted into $SCREENSHOTS.
import { readFileSync, mkdirSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const base = process.env.CLINIC_URL;
const moto = process.env.MOTO_URL;
const address = process.env.SIGNIN_ADDRESS;
const shots = process.env.SCREENSHOTS;
const status = JSON.parse(readFileSync(process.env.STATUS_JSON, 'utf8'));
// The strict iCalendar parser (PyPI icalendar in its own venv) the Rust feed tests use too.
const icalPython = process.env.ICAL_PYTHON;
const icalCheck = fileURLToPath(new URL('../stack/ical_check.py', import.meta.url));
mkdirSync(shots, { recursive: true });

// A feed as tests/stack/ical_check.py reads it: its events, or the test fails with the parser's reasons.
function parsedFeed(text) {
  assert.ok(icalPython && existsSync(icalPython), `no iCalendar parser at ICAL_PYTHON=${icalPython} (make venv installs .venv-ical)`);
  const run = spawnSync(icalPython, [icalCheck], { input: text, encoding: 'utf8' });
  assert.equal(run.status, 0, `the strict parser refused the feed: ${run.stdout}${run.stderr}`);
  const parsed = JSON.parse(run.stdout);
  assert.deepEqual(parsed.problems, []);
  return parsed.events;
}

// The link in the last mail moto's SES accepted for `address` (quoted-printable undone).
async function mailedLink() {
  const data = await (await fetch(`${moto}/moto-api/data.json`)).json();
  const mails = (data.ses?.RawMessage ?? []).filter((m) => (m.destinations ?? []).includes(address));
  assert.ok(mails.length > 0, `no mail to ${address}`);
  const raw = mails.at(-1).raw_data.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
  const match = raw.match(/https?:\/\/[^\s"<]+\/signin\/link\?token=[A-Za-z0-9._-]+/);
  assert.ok(match, 'the mail holds no sign-in link');
  return match[0];
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-component-update', '--no-first-run'],
});
let failed = false;
try {
  // A phone-sized window: the pages must read on one.
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  const step = async (name) => {
    await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
    console.log(`ok ${name}: ${page.url()}`);
  };

  await page.goto(`${base}/now`);
  assert.equal(new URL(page.url()).pathname, '/signin', 'an anonymous reader is sent to sign in');
  await step('1-signin');

  await page.getByLabel('Your e-mail address').fill(address);
  await page.getByRole('button', { name: 'Mail me a sign-in link' }).click();
  await page.getByRole('status').waitFor();
  assert.match(await page.getByRole('status').innerText(), /If that address is on the roster/);
  await step('2-check-your-mail');

  const link = await mailedLink();
  assert.ok(link.startsWith(base), `the link ${link} points at ${base}`);
  await page.goto(link);
  await step('3-link');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/now`);
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'clinic_session');
  assert.ok(session, 'a session cookie is set');
  assert.equal(session.httpOnly, true);
  assert.equal(session.secure, true);
  assert.equal(session.sameSite, 'Lax');

  // Every page is sent uncached, unframed, scriptless and without a referrer.
  const reload = await page.reload();
  const headers = reload.headers();
  assert.equal(headers['cache-control'], 'no-store');
  assert.equal(headers['referrer-policy'], 'no-referrer');
  assert.match(headers['content-security-policy'], /default-src 'none'.*frame-ancestors 'none'/);
  // Landmarks for screen readers: banner, navigation, main, contentinfo, and a skip link.
  for (const role of ['banner', 'navigation', 'main', 'contentinfo']) {
    assert.equal(await page.getByRole(role).count(), 1, `one ${role} landmark`);
  }
  assert.equal(await page.getByRole('link', { name: 'Skip to the content' }).count(), 1);
  assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'On duty now');
  assert.equal(await page.getByRole('main').count(), 1);
  const main = await page.getByRole('main').innerText();
  let seen = 0;
  for (const rotation of status.duty) {
    const section = page.getByRole('region', { name: rotation.rotation });
    const text = await section.innerText();
    const current = rotation.current?.on_duty?.name;
    if (current) {
      assert.ok(text.includes(current), `${rotation.rotation}: ${current} is not on the page:\n${text}`);
      seen += 1;
    }
    const backup = rotation.current?.backup?.name;
    if (backup) assert.ok(text.includes(backup), `${rotation.rotation}: backup ${backup} missing`);
  }
  assert.ok(seen > 0, `the brief names nobody on duty at all:\n${main}`);
  assert.match(main, /Times are in Europe\/London/);
  await step('4-now');

  // The maintenance page: the generic reading browser.sh fed in, confirmed with its one button.
  await page.getByRole('navigation').getByRole('link', { name: 'Maintenance' }).click();
  await page.waitForURL(`${base}/maintenance`);
  const unverified = page.getByRole('region', { name: 'nordlicht-netz/NLN-2027-0042' });
  assert.match(await unverified.innerText(), /NLN-HAM-0091 \(OUTAGE\)/);
  await step('4c-maintenance');
  await unverified.getByRole('button', { name: 'Confirm as read' }).click();
  await page.waitForURL(/\/maintenance\?confirmed=/);
  assert.match(await page.getByRole('status').innerText(), /NLN-2027-0042 is confirmed as read/);
  assert.equal(await page.getByRole('button', { name: 'Confirm as read' }).count(), 0, 'still a button to press');
  await step('4d-maintenance-confirmed');

  // Ahead: each rotation's twelve weeks, the committed one marked so, the rest planned, each with why.
  await page.getByRole('navigation').getByRole('link', { name: 'Ahead' }).click();
  await page.waitForURL(`${base}/ahead`);
  assert.equal(await page.getByRole('heading', { level: 1, name: 'Duty ahead' }).count(), 1);
  const weeks = page.locator('main li.week');
  assert.ok((await weeks.count()) >= 12, 'twelve weeks per rotation');
  assert.ok((await page.locator('main li.week.committed').count()) >= 1, 'a committed week');
  assert.ok((await page.locator('main li.week.planned').count()) >= 1, 'planned weeks');
  assert.match(await page.locator('main li.week.planned .why').first().innerText(), /^primary/);
  await page.locator('main li.week.planned summary').first().focus();
  await page.keyboard.press('Enter');
  assert.ok(await page.locator('main li.week.planned details').first().evaluate((d) => d.open), 'the disclosure opens from the keyboard');
  await step('4e-ahead');

  // Mine: the reader's shifts and what needs someone.
  await page.getByRole('navigation').getByRole('link', { name: 'Mine' }).click();
  await page.waitForURL(`${base}/mine`);
  for (const name of ['Your coming shifts', 'Your past shifts', 'Tasks to triage', 'Open incidents', 'Mail to review']) {
    assert.equal(await page.getByRole('region', { name }).count(), 1, `a ${name} section`);
  }
  // The reader's coming weeks as the page shows them, for the feed to hold: "sre-clinic 2027-W02, on duty".
  const coming = await page.getByRole('region', { name: 'Your coming shifts' }).locator('li.week').evaluateAll((items) =>
    items.map((li) => ({
      heading: li.querySelector('h3').textContent,
      committed: li.classList.contains('committed'),
      start: li.querySelector('time').getAttribute('datetime'),
    })));
  assert.ok(coming.length > 0, 'the signed-in person has no coming shifts to find in a feed');
  await step('4f-mine');

  // Calendars: issue a personal feed with the page's form, read the address it shows once.
  await page.getByRole('navigation').getByRole('link', { name: 'Calendars' }).click();
  await page.waitForURL(`${base}/calendars`);
  assert.match(await page.getByRole('region', { name: 'Your feeds' }).innerText(), /no calendar feeds yet/);
  await page.getByLabel('Calendar', { exact: true }).selectOption({ label: 'My shifts' });
  await page.getByLabel(/^Alarm/).fill('30');
  await step('4g-calendars');
  await page.getByRole('button', { name: 'Issue a feed' }).click();
  await page.waitForURL(`${base}/calendars/issue`);
  assert.match(await page.getByRole('status').innerText(), /Your feed of My shifts is ready/);
  const feedUrl = await page.getByLabel('Feed address').inputValue();
  assert.match(feedUrl, new RegExp(`^${base.replace(/[.]/g, '\\.')}/feeds/[0-9a-f]{64}\\.ics$`));
  await step('4h-feed-issued');

  // As a calendar client subscribes: a plain GET, no cookie, the token in the path.
  const feed = await fetch(feedUrl, { redirect: 'manual' });
  assert.equal(feed.status, 200, `the feed answered ${feed.status}`);
  assert.match(feed.headers.get('content-type'), /^text\/calendar/);
  const events = parsedFeed(await feed.text());
  for (const week of coming) {
    const [rotation, name, ...role] = week.heading.replace(',', '').split(' ');
    const on = role.join(' ').startsWith('on duty') ? 'on duty' : 'backup';
    const event = events.find((e) => Date.parse(e.start) === Date.parse(week.start) && e.uid.includes(`-${name}@`));
    assert.ok(event, `${rotation} ${name} (on the mine page) is not in the feed: ${JSON.stringify(events)}`);
    assert.ok(event.summary.startsWith(`${rotation}: you are ${on}`), `${name}: ${event.summary}`);
    assert.equal(event.status, week.committed ? 'CONFIRMED' : 'TENTATIVE', `${name}: ${event.status}`);
    assert.deepEqual(event.alarms, [{ action: 'DISPLAY', trigger_minutes: -30 }]);
  }
  assert.ok(events.every((e) => / you are (on duty|backup)/.test(e.summary)), 'a personal feed names only the reader\'s shifts');
  // Who the brief says is on duty now: when that is the reader, the feed holds that week, confirmed.
  const me = (await page.locator('header .signout span').innerText()).replace(/^Signed in as /, '').trim();
  const now = Date.parse(process.env.AT);
  for (const rotation of status.duty) {
    const current = rotation.current;
    if (!current || ![current.on_duty?.name, current.backup?.name].includes(me)) continue;
    assert.ok(events.some((e) => e.status === 'CONFIRMED' && Date.parse(e.start) <= now && now < Date.parse(e.end)
      && e.summary.startsWith(`${rotation.rotation}:`)), `${rotation.rotation}: the duty now is not in the feed`);
  }
  console.log(`ok feed: ${events.length} events parsed strictly, ${coming.length} coming weeks of the mine page among them`);

  // Revoke it on the page: the address stops working at once.
  await page.getByRole('link', { name: 'Back to your calendars' }).click();
  await page.waitForURL(`${base}/calendars`);
  await page.getByRole('button', { name: /^Revoke the feed My shifts/ }).click();
  await page.waitForURL(`${base}/calendars?revoked=1`);
  assert.match(await page.getByRole('status').innerText(), /revoked: its address now answers 404/);
  assert.match(await page.getByRole('region', { name: 'Your feeds' }).innerText(), /no calendar feeds yet/);
  const revoked = await fetch(feedUrl, { redirect: 'manual' });
  assert.equal(revoked.status, 404, `a revoked feed answered ${revoked.status}`);
  await step('4i-feed-revoked');

  // The link again, in a second browser: spent, refused, nobody signed in.
  const other = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const replay = await other.newPage();
  await replay.goto(link);
  await replay.getByRole('button', { name: 'Sign in' }).click();
  await replay.getByRole('alert').waitFor();
  assert.match(await replay.getByRole('alert').innerText(), /used already/);
  assert.ok(!(await other.cookies()).some((c) => c.name === 'clinic_session'), 'a replayed link set a session');
  await replay.screenshot({ path: `${shots}/4b-replayed-link.png`, fullPage: true });
  console.log('ok 4b-replayed-link: refused');
  await other.close();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(`${base}/signin`);
  await page.goto(`${base}/now`);
  assert.equal(new URL(page.url()).pathname, '/signin', 'signed out, the page asks to sign in again');
  await step('5-signed-out');
  console.log(`browser test passed: screenshots in ${shots}/`);
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
