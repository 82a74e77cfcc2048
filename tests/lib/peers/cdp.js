// cdp.js: Debian's Chromium, headless, driven over the DevTools protocol
// through a pipe (--remote-debugging-pipe: no port, no npm package), for
// the tests that look at cxrec's pages (html_check.js, view_check.js) and
// the report's benchmark.  It collects what a test asserts about every
// page it opens: the requests besides `own` (a page's own URL, or its
// origin's prefix), console messages and exceptions (a CSP violation is
// one).
//
//   const cdp = require('./cdp');
//   const b = cdp.launch(chrome, (url) => url === own);
//   const page = await b.open(url);         // loaded; page.ev(expr)
//   ... b.res.requests, b.res.console, b.res.exceptions
//   b.on('Tracing.dataCollected', (params) => ...);     // any event
//   b.close();                              // kills it, removes its profile
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function launch(chrome, own) {
	const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'cxrec-chromium-'));
	const proc = spawn(chrome, ['--headless=new', '--no-sandbox', '--disable-gpu',
		'--remote-debugging-pipe', '--user-data-dir=' + profile, '--no-first-run',
		'--no-default-browser-check', '--disable-extensions',
		'--disable-background-networking', '--disable-component-update',
		'--disable-sync', '--disable-features=Translate,MediaRouter',
		'--hide-scrollbars', 'about:blank'],
		{ stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
	const out = proc.stdio[3], inp = proc.stdio[4];
	const pending = new Map(), waiters = [], listeners = new Map();
	const res = { requests: [], console: [], exceptions: [] };
	let nextId = 1, buf = Buffer.alloc(0), errText = '';

	proc.stderr.on('data', (d) => { if (errText.length < 4000) errText += d; });
	function send(method, params, sessionId) {
		const id = nextId++;
		const msg = { id, method, params: params || {} };
		if (sessionId) msg.sessionId = sessionId;
		out.write(JSON.stringify(msg) + '\0');
		return new Promise((resolve, reject) => pending.set(id, { resolve, reject, method }));
	}
	function waitEvent(name, sessionId) {
		return new Promise((r) => waiters.push({ name, sessionId, r }));
	}
	function onMessage(m) {
		if (m.id && pending.has(m.id)) {
			const p = pending.get(m.id);
			pending.delete(m.id);
			if (m.error) p.reject(new Error(p.method + ': ' + JSON.stringify(m.error)));
			else p.resolve(m.result);
			return;
		}
		const prm = m.params || {};
		for (const fn of listeners.get(m.method) || [])
			fn(prm, m.sessionId);
		switch (m.method) {
		case 'Network.requestWillBeSent':
			if (!own(prm.request.url)) res.requests.push(prm.request.url.slice(0, 200));
			break;
		case 'Runtime.consoleAPICalled':
			res.console.push(prm.type + ': ' + (prm.args || []).map((a) => a.value ?? a.description).join(' ').slice(0, 300));
			break;
		case 'Runtime.exceptionThrown':
			res.exceptions.push(JSON.stringify(prm.exceptionDetails).slice(0, 300));
			break;
		case 'Log.entryAdded':
			res.console.push(prm.entry.level + ' (' + prm.entry.source + '): ' + prm.entry.text.slice(0, 300));
			break;
		}
		for (let i = 0; i < waiters.length; i++)
			if (waiters[i].name === m.method && (waiters[i].sessionId === undefined ||
			    waiters[i].sessionId === m.sessionId)) { waiters.splice(i, 1)[0].r(prm); i--; }
	}
	inp.on('data', (d) => {
		buf = Buffer.concat([buf, d]);
		let k;
		while ((k = buf.indexOf(0)) >= 0) {
			const s = buf.subarray(0, k).toString();
			buf = buf.subarray(k + 1);
			onMessage(JSON.parse(s));
		}
	});
	// A new tab at url, loaded (or 20 s passed): { s: its session, ev(expr):
	// the value of expr evaluated in it (promises awaited) }.
	async function open(url, width, height) {
		const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
		const { sessionId: s } = await send('Target.attachToTarget', { targetId, flatten: true });
		for (const d of ['Page', 'Runtime', 'Log', 'Network'])
			await send(d + '.enable', {}, s);
		await send('Emulation.setDeviceMetricsOverride', { width: width || 1280,
			height: height || 900, deviceScaleFactor: 1, mobile: false }, s);
		const loaded = waitEvent('Page.loadEventFired', s);
		await send('Page.navigate', { url }, s);
		await Promise.race([loaded, sleep(20000)]);
		return { s, ev: async (expr) => (await send('Runtime.evaluate',
			{ expression: expr, returnByValue: true, awaitPromise: true }, s)).result.value };
	}
	async function close() {
		await send('Browser.close').catch(() => {});
		await sleep(300);
		proc.kill('SIGKILL');
		fs.rmSync(profile, { recursive: true, force: true });
	}
	// Every event called method, to fn(params, sessionId).
	function on(method, fn) {
		listeners.set(method, (listeners.get(method) || []).concat([fn]));
	}
	return { send, waitEvent, on, open, close, res, stderr: () => errText };
}

// Run main(); print its result (or the error) as one JSON line; exit.
function run(main, b) {
	main().then((r) => {
		console.log(JSON.stringify(Object.assign({}, b.res, r)));
	}, (e) => {
		console.log(JSON.stringify({ error: String(e), stderr: b.stderr() }));
	}).finally(() => b.close().then(() => process.exit(0)));
}

module.exports = { launch, run, sleep };
