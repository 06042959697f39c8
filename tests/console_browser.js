// The staff console in a real browser: Debian's Chromium driven through
// the DevTools protocol (puppeteer-core), axe-core on every page, and
// screenshots in the four languages and on a tablet. Run by check_console:
//   node console_browser.js BASE_URL USER PASSWORD PROMISE_DATE OUT_DIR \
//        DISPUTE RESOLUTION SENT_JSON
// DISPUTE is an open dispute the browser rejects with the text RESOLUTION;
// SENT_JSON the database's count of reminders sent per "track / step /
// channel" in November 2026, which the dashboard's chart must show.
// Prints what it did; exits 1 with the reasons when anything fails.
'use strict';
const puppeteer = require('puppeteer-core');
const axe = require('axe-core');
const path = require('path');

const [, , base, user, password, promiseDate, outDir, dispute, resolution, sentJson] =
	process.argv;
const failures = [];
const audited = [];

function fail(msg) {
	failures.push(msg);
}

async function audit(page, name) {
	// The console's CSP forbids scripts; the test's own page may run axe.
	await page.addScriptTag({ content: axe.source });
	const res = await page.evaluate(async () => {
		/* global axe */
		return await axe.run(document, { resultTypes: ['violations'] });
	});
	const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
	audited.push(`${name}:${bad.length}`);
	for (const v of bad)
		fail(`axe ${name}: ${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

async function submit(page, selector) {
	await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(selector)]);
}

// On the tablet nothing may scroll sideways: the page fits its width.
async function fits(page, name) {
	const [sw, iw] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
	if (sw > iw) fail(`${name}: ${sw}px wide in a ${iw}px window (horizontal scroll)`);
}

function pathOf(page) {
	return new URL(page.url()).pathname;
}

(async () => {
	const browser = await puppeteer.launch({
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		headless: true,
		args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
	});
	try {
		const page = await browser.newPage();
		await page.setBypassCSP(true);
		await page.setViewport({ width: 1280, height: 900 });
		// Signed out: the console sends the browser to the login form.
		await page.goto(`${base}/console/`, { waitUntil: 'load' });
		if (pathOf(page) !== '/console/login') fail(`GET /console/ ended at ${page.url()}`);
		await audit(page, 'login');
		await page.type('#user', user);
		await page.type('#password', password);
		await submit(page, 'form[action="/console/login"] button');
		if (pathOf(page) !== '/console/queue') fail(`after sign-in: ${page.url()}`);
		await audit(page, 'queue');
		// Next task: claimed, and its page opens.
		await submit(page, 'form[action="/console/queue/next"] button');
		const task = pathOf(page);
		if (!/^\/console\/task\/\d+$/.test(task)) fail(`next task: ${page.url()}`);
		await audit(page, 'task');
		const shown = await page.$eval('main', (m) => m.innerText);
		if (!shown.includes(user)) fail('the task is not assigned to the signed-in person');
		// Record a promise to pay.
		await page.select('#outcome', 'promise_to_pay');
		await page.$eval('#until', (e, d) => { e.value = d; }, promiseDate);
		await submit(page, `form[action="${task}/outcome"] button`);
		const after = await page.$eval('main', (m) => m.innerText);
		if (!after.includes('Recorded.')) fail(`promise not recorded: ${after.slice(0, 400)}`);
		await audit(page, 'task_done');
		// The customer's case, the search and the disputes list.
		await page.goto(`${base}/console/find?q=A-1`, { waitUntil: 'load' });
		await audit(page, 'find');
		await page.goto(`${base}/console/case/A-1`, { waitUntil: 'load' });
		await audit(page, 'case');
		await page.goto(`${base}/console/disputes`, { waitUntil: 'load' });
		await audit(page, 'disputes');
		// The complaint procedure: reject the dispute with a resolution
		// the customer is sent.
		await page.goto(`${base}/console/dispute/${dispute}`, { waitUntil: 'load' });
		await audit(page, 'dispute');
		await page.type('#resolution', resolution);
		await page.select('#outcome', 'rejected');
		await submit(page, `form[action="/console/dispute/${dispute}/resolve"] button`);
		const resolved = await page.$eval('main', (m) => m.innerText);
		if (!resolved.includes('Recorded.')) fail(`dispute not resolved: ${resolved.slice(0, 400)}`);
		if (!resolved.includes(resolution)) fail('the resolution is not on the dispute page');
		await audit(page, 'dispute_resolved');
		await page.goto(`${base}/console/dashboard?from=2026-11-01&to=2026-11-30`, { waitUntil: 'load' });
		await audit(page, 'dashboard');
		const bars = await page.$$eval('svg.chart rect', (r) => r.length);
		if (bars < 1) fail('the dashboard draws no chart');
		// The chart of reminders sent shows the database's figures.
		const want = JSON.parse(sentJson || '{}');
		const drawn = await page.$$eval('svg[data-chart="sent"] g[data-label]', (gs) =>
			Object.fromEntries(gs.map((g) => [g.dataset.label, Number(g.dataset.value)])));
		const desc = await page.$eval('svg[data-chart="sent"] desc', (d) => d.textContent).catch(() => '');
		if (Object.keys(want).length < 1) fail('no reminders sent in the database to compare');
		for (const [label, n] of Object.entries(want)) {
			if (drawn[label] !== n) fail(`chart sent ${label}: drawn ${drawn[label]}, database ${n}`);
			if (!desc.includes(`${label}: ${n}`)) fail(`chart sent: its <desc> lacks "${label}: ${n}"`);
		}
		if (Object.keys(drawn).length !== Object.keys(want).length)
			fail(`chart sent has bars ${JSON.stringify(drawn)}, database ${sentJson}`);
		await page.screenshot({ path: path.join(outDir, 'console-dashboard-en.png'), fullPage: true });
		// The policy in force and its templates, readable by every role.
		await page.goto(`${base}/console/policy`, { waitUntil: 'load' });
		await audit(page, 'policy');
		const steps = await page.$$eval('main table tbody tr', (r) => r.length);
		if (steps < 1) fail('the policy page shows no step');
		// Each language, chosen in the header: the queue and the task.
		for (const lang of ['en', 'ko', 'ja', 'zh']) {
			await page.goto(`${base}/console/queue`, { waitUntil: 'load' });
			await page.select('#lang', lang);
			await submit(page, 'form[action="/console/prefs"] button');
			const htmlLang = await page.$eval('html', (h) => h.lang);
			if (htmlLang !== lang) fail(`language ${lang}: page says ${htmlLang}`);
			await audit(page, `queue_${lang}`);
			await page.screenshot({ path: path.join(outDir, `console-queue-${lang}.png`), fullPage: true });
			await page.goto(`${base}${task}`, { waitUntil: 'load' });
			await audit(page, `task_${lang}`);
			await page.screenshot({ path: path.join(outDir, `console-task-${lang}.png`), fullPage: true });
		}
		// A tablet (820x1180): every page readable without sideways
		// scrolling, and axe-clean there too.
		await page.goto(`${base}/console/queue`, { waitUntil: 'load' });
		await page.select('#lang', 'en');
		await submit(page, 'form[action="/console/prefs"] button');
		await page.setViewport({ width: 820, height: 1180 });
		const tabletPages = {
			queue: '/console/queue', task, find: '/console/find?q=A-1', case: '/console/case/A-1',
			disputes: '/console/disputes', dispute: `/console/dispute/${dispute}`,
			dashboard: '/console/dashboard?from=2026-11-01&to=2026-11-30',
		};
		for (const [name, url] of Object.entries(tabletPages)) {
			await page.goto(`${base}${url}`, { waitUntil: 'load' });
			await fits(page, `tablet ${name}`);
			await audit(page, `tablet_${name}`);
			await page.screenshot({ path: path.join(outDir, `console-${name}-tablet.png`), fullPage: true });
		}
		await page.setViewport({ width: 1280, height: 900 });
		// Signed out again: the queue is gone.
		await page.goto(`${base}/console/queue`, { waitUntil: 'load' });
		await submit(page, 'form[action="/console/logout"] button');
		await page.goto(`${base}/console/queue`, { waitUntil: 'load' });
		if (pathOf(page) !== '/console/login') fail(`after sign-out: ${page.url()}`);
	} catch (e) {
		fail(`browser: ${e && e.stack ? e.stack : e}`);
	} finally {
		await browser.close();
	}
	console.log(`console_browser: audited ${audited.join(' ')}`);
	if (failures.length) {
		for (const f of failures) console.log(`FAIL ${f}`);
		process.exit(1);
	}
	console.log('console_browser: ok');
})();
