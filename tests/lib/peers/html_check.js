// html_check.js: open an HTML report in headless Chromium over the DevTools
// protocol (--remote-debugging-pipe: no port, no npm package) and print what
// a test asserts, as one JSON object: the requests the page made besides its
// own document, console messages and exceptions (a CSP violation is one),
// whether the page's script and style ran, what the DOM holds, and how the
// search box filtered.  Saves a screenshot when asked.
//
//   node html_check.js CHROMIUM FILE.html SEARCH [SCREENSHOT.png]
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const [chrome, file, search, shot] = process.argv.slice(2);
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'cxrec-chromium-'));
const proc = spawn(chrome, ['--headless=new', '--no-sandbox', '--disable-gpu',
	'--remote-debugging-pipe', '--user-data-dir=' + profile, '--no-first-run',
	'--no-default-browser-check', '--disable-extensions',
	'--disable-background-networking', '--disable-component-update',
	'--disable-sync', '--disable-features=Translate,MediaRouter',
	'--hide-scrollbars', 'about:blank'],
	{ stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
let errText = '';
proc.stderr.on('data', (d) => { if (errText.length < 4000) errText += d; });
const out = proc.stdio[3], inp = proc.stdio[4];
let nextId = 1, buf = Buffer.alloc(0);
const pending = new Map(), waiters = [];
const res = { requests: [], console: [], exceptions: [] };

function send(method, params, sessionId) {
	const id = nextId++;
	const msg = { id, method, params: params || {} };
	if (sessionId) msg.sessionId = sessionId;
	out.write(JSON.stringify(msg) + '\0');
	return new Promise((resolve, reject) => pending.set(id, { resolve, reject, method }));
}
function waitEvent(name) { return new Promise((r) => waiters.push({ name, r })); }
function onMessage(m) {
	if (m.id && pending.has(m.id)) {
		const p = pending.get(m.id);
		pending.delete(m.id);
		if (m.error) p.reject(new Error(p.method + ': ' + JSON.stringify(m.error)));
		else p.resolve(m.result);
		return;
	}
	const prm = m.params || {};
	switch (m.method) {
	case 'Network.requestWillBeSent':
		if (prm.request.url !== url) res.requests.push(prm.request.url.slice(0, 200));
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
		if (waiters[i].name === m.method) { waiters.splice(i, 1)[0].r(prm); i--; }
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
const url = 'file://' + path.resolve(file);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
	const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
	const { sessionId: s } = await send('Target.attachToTarget', { targetId, flatten: true });
	for (const d of ['Page', 'Runtime', 'Log', 'Network'])
		await send(d + '.enable', {}, s);
	await send('Emulation.setDeviceMetricsOverride', { width: 1280, height: 900, deviceScaleFactor: 1, mobile: false }, s);
	const loaded = waitEvent('Page.loadEventFired');
	await send('Page.navigate', { url }, s);
	await Promise.race([loaded, sleep(20000)]);
	await sleep(300);
	const ev = async (expr) => (await send('Runtime.evaluate', { expression: expr, returnByValue: true, awaitPromise: true }, s)).result.value;
	res.dom = await ev(`(() => ({
		pwned: typeof window.PWNED,
		scripts: [...document.scripts].filter((e) => e.type !== 'application/json').length,
		images: document.images.length,
		iframes: document.querySelectorAll('iframe,object,embed,frame').length,
		onattrs: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => /^on/i.test(a.name))).length,
		jslinks: [...document.querySelectorAll('[href],[src],[action]')].filter((e) => !/^#/.test(e.getAttribute('href') || '#')).length,
		styled: getComputedStyle(document.querySelector('header')).position,
		overflow: document.documentElement.scrollWidth - window.innerWidth,
		turns: document.querySelectorAll('article.turn').length,
		exchanges: document.querySelectorAll('article.ex').length,
		tlbars: document.querySelectorAll('#timeline svg a.bar').length,
		tllanes: document.querySelectorAll('#timeline svg g.lane').length,
		tllinked: [...document.querySelectorAll('#timeline svg a.bar')].filter((a) => document.getElementById((a.getAttribute('href') || '').slice(1)) !== null).length,
		tltitles: [...document.querySelectorAll('#timeline svg a.bar > title')].map((e) => e.textContent).join('\\n').slice(0, 20000),
		tlwidth: (document.querySelector('#timeline svg') || { getBoundingClientRect: () => ({ width: 0 }) }).getBoundingClientRect().width,
		arrcharts: document.querySelectorAll('svg.arr').length,
		arrpoints: document.querySelectorAll('svg.arr circle.sp').length,
		arrevents: [...document.querySelectorAll('svg.arr')].reduce((n, s) => n + s.closest('details').querySelectorAll('ol.events > li').length, 0),
		turnbars: document.querySelectorAll('#usage svg a.turnbar').length,
		ctxpoints: document.querySelectorAll('#usage svg a.pt').length,
		calls: document.querySelectorAll('.item.call').length,
		pairs: [...document.querySelectorAll('.pair')].filter((p) => p.querySelector(':scope > .item.call') && p.querySelector(':scope > .item.result')).length,
		results: document.querySelectorAll('.item.result').length,
		resultText: [...document.querySelectorAll('.item.result pre')].map((e) => e.textContent).join('\\n').slice(0, 400000),
		text: document.body.textContent.length,
		summary: document.querySelector('#summary').textContent.replace(/\\s+/g, ' ').slice(0, 2000),
	}))()`);
	if (shot) {
		// The summary, the usage and the conversation's start (the
		// usage tables folded): 1280 x 1600 from the top.
		await ev(`document.querySelectorAll('#usage details:not(.charts)').forEach((d) => { d.open = false; })`);
		const { data } = await send('Page.captureScreenshot', { format: 'png',
			captureBeyondViewport: true, clip: { x: 0, y: 0, width: 1280, height: 1600, scale: 1 } }, s);
		await ev(`document.querySelectorAll('#usage details:not(.charts)').forEach((d) => { d.open = true; })`);
		fs.writeFileSync(shot, Buffer.from(data, 'base64'));
	}
	// The timeline's first bar: its rect drawn with its style (a fill from
	// the hashed style sheet), and what a click on it opens.
	res.bar = await ev(`(() => {
		const a = document.querySelector('#timeline svg a.bar');
		if (!a) return null;
		const r = a.querySelector('rect');
		a.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true }));
		return { fill: getComputedStyle(r).fill, height: r.getBoundingClientRect().height, hash: location.hash };
	})()`);
	// The filters: "errors only", then the status class 2xx; count the
	// exchanges and the timeline's bars left shown, and those whose keys
	// match (data-x, data-s), then reset.
	res.filters = await ev(`(() => {
		const ex = () => [...document.querySelectorAll('article.ex')];
		const shown = () => ex().filter((e) => !e.hidden).length;
		const bars = () => [...document.querySelectorAll('#timeline svg a.bar')].filter((b) => getComputedStyle(b).display !== 'none').length;
		const x = document.getElementById('fx'), s = document.getElementById('fs');
		const r = { all: ex().length, options: [...document.querySelectorAll('header select option')].map((o) => o.value) };
		x.checked = true; x.dispatchEvent(new Event('change'));
		r.errors = { shown: shown(), bars: bars(), want: ex().filter((e) => e.getAttribute('data-x') === '1').length,
			counter: document.getElementById('qn').textContent };
		x.checked = false; x.dispatchEvent(new Event('change'));
		// 2xx, or the first class the page offers (a WebSocket session: 1xx).
		const cls = [...s.options].some((o) => o.value === '2') ? '2' : [...s.options].map((o) => o.value).find((v) => v !== '');
		s.value = cls; s.dispatchEvent(new Event('change'));
		r.ok2xx = { cls, shown: shown(), bars: bars(), want: ex().filter((e) => e.getAttribute('data-s') === cls).length };
		s.value = ''; s.dispatchEvent(new Event('change'));
		r.reset = shown();
		return r;
	})()`);
	// The search box: type, wait for its debounce, count what is shown.
	res.search = await ev(`new Promise((ok) => {
		const q = document.getElementById('q');
		const all = document.querySelectorAll('.f').length;
		q.value = ${JSON.stringify(search)};
		q.dispatchEvent(new Event('input'));
		setTimeout(() => {
			const shown = [...document.querySelectorAll('.f')].filter((e) => !e.hidden).length;
			const counter = document.getElementById('qn').textContent;
			const bars = [...document.querySelectorAll('#timeline svg a.bar')].filter((b) => getComputedStyle(b).display !== 'none').length;
			const exShown = [...document.querySelectorAll('article.ex')].filter((e) => !e.hidden).length;
			q.value = 'no such text cxrec-xyzzy';
			q.dispatchEvent(new Event('input'));
			setTimeout(() => ok({ all, shown, counter, bars, exShown,
				none: [...document.querySelectorAll('.f')].filter((e) => !e.hidden).length }), 400);
		}, 400);
	})`);
	// The JSON bodies: open each, its tree drawn (members, keys, values
	// as text); the first one's raw view; then what the DOM holds again
	// (the trees are built from the trace's data).
	res.trees = await ev(`new Promise((ok) => {
		const jb = [...document.querySelectorAll('details.jb')];
		jb.forEach((d) => { d.open = true; });
		// Then every member, level by level (each drawn when opened).
		let rounds = 0;
		const deeper = () => {
			const closed = document.querySelectorAll('.jt details.jn:not([open])');
			closed.forEach((d) => { d.open = true; });
			if (closed.length > 0 && ++rounds < 12) setTimeout(deeper, 60);
			else setTimeout(done, 100);
		};
		setTimeout(deeper, 100);
		const done = () => {
			const r = { bodies: jb.length,
				drawn: jb.filter((d) => d.querySelector('.jt > details.jn, .jt > div.jl')).length,
				nodes: document.querySelectorAll('.jt .jn, .jt .jl').length,
				keys: jb.length ? [...jb[0].querySelectorAll('.jt > details > .jk > * .jkey')].slice(0, 40).map((e) => e.textContent) : [],
				text: [...document.querySelectorAll('.jt .jl')].map((e) => e.textContent).join('\\n').slice(0, 600000) };
			const b = jb.length ? jb[0].querySelector('.rawb') : null;
			if (b) {
				b.click();
				const pre = jb[0].querySelector('.jt > pre');
				try { JSON.parse(pre.textContent); r.raw = 'json'; } catch (e) { r.raw = String(e); }
				r.treeHidden = jb[0].querySelector('.jt > details.jn').hidden;
			}
			r.pwned = typeof window.PWNED;
			r.images = document.images.length;
			r.onattrs = [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => /^on/i.test(a.name))).length;
			r.overflow = document.documentElement.scrollWidth - window.innerWidth;
			ok(r);
		};
	})`);
	await sleep(200);
	await send('Browser.close').catch(() => {});
}
main().then(() => {
	console.log(JSON.stringify(res));
}, (e) => {
	console.log(JSON.stringify({ error: String(e), stderr: errText }));
}).finally(() => {
	setTimeout(() => { proc.kill('SIGKILL'); fs.rmSync(profile, { recursive: true, force: true }); process.exit(0); }, 500);
});
