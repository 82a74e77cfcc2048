// html_open.js: how long an HTML report takes to open in headless Chromium,
// for scripts/bench/html_open.sh (docs/performance.md, "Issue 17").
// Drives Chromium over the DevTools protocol through a pipe with
// tests/lib/peers/cdp.js, as the page tests do; a fresh profile and a fresh
// browser a run.  Prints one JSON object:
//
//   load_ms, dcl_ms, fcp_ms, fp_ms, lcp_ms: navigation start to the load
//       event's end, DOMContentLoaded's end, first (contentful) paint,
//       largest contentful paint (the page's own Performance entries);
//   ready_ms: navigation start to the first frame after the load event, and
//       a task after it (requestAnimationFrame, then setTimeout 0): the
//       main thread free again, the page usable;
//   wall_ms: Page.navigate sent to Page.loadEventFired seen (node's clock);
//   open_body_ms: opening the last exchange's request body (<details>,
//       scrolled to): until the next frame and a task after it;
//   search_ms: typing a string found nowhere in the search box: until the
//       counter shows the result, less the script's 120 ms debounce;
//   data_ms: for a variant carrying the bodies as data (html_variant.py),
//       decoding all of them (base64, gunzip, JSON.parse, the differences
//       applied), else null;
//   articles, bytes_text: what the DOM holds (the page was parsed whole);
//   breakdown (with --breakdown): the renderer main thread's time in tasks
//       (busy: wall, cpu: the thread's CPU time) and its self time per
//       trace event name, ms, from navigation to ready (a devtools.timeline
//       trace; tracing costs time itself, so its run is not timed).
//
//   node html_open.js CHROMIUM FILE.html [--breakdown]
'use strict';
const path = require('path');
const cdp = require('../../tests/lib/peers/cdp');

const [chrome, file, opt] = process.argv.slice(2);
const breakdown = opt === '--breakdown';
const url = 'file://' + path.resolve(file);
const b = cdp.launch(chrome, () => true);
const { send, waitEvent } = b, sleep = cdp.sleep;
const traceEvents = [];
b.on('Tracing.dataCollected', (p) => { for (const e of p.value) traceEvents.push(e); });
const NEXT_FRAME = 'new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)))';

// Self time per event name on the main thread of renderer pid, between t0
// and t1 (trace clock, µs): complete events (ph X) nested by time.
function selfTimes(pid, t0, t1) {
	const threads = new Map();
	for (const e of traceEvents)
		if (e.ph === 'M' && e.name === 'thread_name' && e.args && e.args.name === 'CrRendererMain' && e.pid === pid)
			threads.set(e.pid + ':' + e.tid, true);
	const evs = traceEvents.filter((e) => e.ph === 'X' && threads.has(e.pid + ':' + e.tid) &&
		e.ts >= t0 && e.ts <= t1 && typeof e.dur === 'number')
		.sort((a, b) => a.ts - b.ts || b.dur - a.dur);
	const self = {}, stack = [];
	let busy = 0, cpu = 0;
	for (const e of evs) {
		while (stack.length && stack[stack.length - 1].ts + stack[stack.length - 1].dur <= e.ts)
			stack.pop();
		if (stack.length)
			self[stack[stack.length - 1].name] -= Math.min(e.dur,
				stack[stack.length - 1].ts + stack[stack.length - 1].dur - e.ts);
		else {
			busy += e.dur;
			cpu += e.tdur || 0;
		}
		self[e.name] = (self[e.name] || 0) + e.dur;
		stack.push(e);
	}
	const r = { main_thread_busy: Math.round(busy / 1000), main_thread_cpu: Math.round(cpu / 1000) };
	for (const [k, v] of Object.entries(self).sort((a, b) => b[1] - a[1]))
		if (v >= 5000) r[k] = Math.round(v / 1000);
	return r;
}

async function main() {
	const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
	const { sessionId: s } = await send('Target.attachToTarget', { targetId, flatten: true });
	await send('Page.enable', {}, s);
	await send('Runtime.enable', {}, s);
	await send('Emulation.setDeviceMetricsOverride', { width: 1280, height: 900, deviceScaleFactor: 1, mobile: false }, s);
	const ev = async (expr) => {
		const r = await send('Runtime.evaluate', { expression: expr, returnByValue: true, awaitPromise: true }, s);
		if (r.exceptionDetails) throw new Error(JSON.stringify(r.exceptionDetails).slice(0, 300));
		return r.result.value;
	};
	// Largest contentful paint is only reported to an observer.
	await send('Page.addScriptToEvaluateOnNewDocument', { source:
		'window.__lcp = 0; new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__lcp = e.startTime; })' +
		'.observe({ type: "largest-contentful-paint", buffered: true });' }, s);
	if (breakdown) {
		await send('Tracing.start', { transferMode: 'ReportEvents',
			traceConfig: { includedCategories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink', 'loading', 'toplevel', 'blink.user_timing', '__metadata'] } });
	}
	const loaded = waitEvent('Page.loadEventFired');
	const t0 = process.hrtime.bigint();
	await send('Page.navigate', { url }, s);
	const got = await Promise.race([loaded.then(() => true), sleep(180000).then(() => false)]);
	if (!got) throw new Error('no load event in 180 s');
	const wall = Number(process.hrtime.bigint() - t0) / 1e6;
	const res = await ev(`(async () => {
		await ${NEXT_FRAME};
		const ready = performance.now();
		const nav = performance.getEntriesByType('navigation')[0];
		// Paint timings arrive with the frame's presentation: wait for
		// them a little (they are stamped with the paint's time).
		for (let i = 0; i < 100 && !performance.getEntriesByName('first-contentful-paint').length; i++)
			await new Promise((r) => setTimeout(r, 10));
		const paint = {};
		for (const e of performance.getEntriesByType('paint')) paint[e.name] = e.startTime;
		return { load_ms: nav.loadEventEnd, dcl_ms: nav.domContentLoadedEventEnd,
			fcp_ms: paint['first-contentful-paint'] ?? null, fp_ms: paint['first-paint'] ?? null,
			lcp_ms: window.__lcp, ready_ms: ready, time_origin: performance.timeOrigin,
			articles: document.querySelectorAll('article').length,
			bytes_text: document.body.textContent.length };
	})()`);
	res.wall_ms = wall;
	if (breakdown) {
		const done = waitEvent('Tracing.tracingComplete');
		await send('Tracing.end');
		await done;
		// The renderer: the one that parsed the file; the navigation's
		// start on the trace clock: its navigationStart mark.
		const parse = traceEvents.find((e) => e.name === 'ParseHTML' &&
			/^file:/.test(((e.args || {}).beginData || {}).url || ''));
		if (!parse) throw new Error('no ParseHTML of a file: URL in the trace');
		const nav = traceEvents.filter((e) => e.name === 'navigationStart' &&
			e.pid === parse.pid && e.ts <= parse.ts);
		if (!nav.length) throw new Error('no navigationStart in the renderer in the trace');
		const n0 = nav.reduce((a, e) => (e.ts > a.ts ? e : a));
		res.breakdown = selfTimes(n0.pid, n0.ts, n0.ts + res.ready_ms * 1000);
		res.trace_events = traceEvents.length;
	}
	res.open_body_ms = await ev(`(async () => {
		const ds = [...document.querySelectorAll('article.ex details')]
			.filter((d) => /^Request body/.test(d.querySelector('summary').textContent));
		if (!ds.length) return null;
		const d = ds[ds.length - 1], t = performance.now();
		d.open = true;
		d.scrollIntoView();
		await ${NEXT_FRAME};
		return performance.now() - t;
	})()`);
	// A variant carrying its bodies as data (html_variant.py data,
	// data_gz): what decoding all of them at once costs.
	res.data_ms = await ev(`(async () => {
		const el = document.getElementById('bench-data');
		if (!el) return null;
		const t = performance.now();
		let text = el.textContent;
		if (el.dataset.gz) {
			const bin = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
			const st = new Blob([bin]).stream().pipeThrough(new DecompressionStream('gzip'));
			text = await new Response(st).text();
		}
		let a = JSON.parse(text);
		if (el.dataset.delta) {
			// Every body rebuilt from the differences, as a page
			// showing the last one would.
			let prev = '';
			a = a.map(([p, s, mid]) => (prev = prev.slice(0, p) + mid + prev.slice(prev.length - s)));
		}
		return a.length >= 0 ? performance.now() - t : null;
	})()`);
	res.search_ms = await ev(`(async () => {
		const q = document.getElementById('q'), n = document.getElementById('qn');
		if (!q || !n) return null;
		const t = performance.now();
		q.value = 'zq-not-there-qz';
		q.dispatchEvent(new Event('input'));
		while (!/shown/.test(n.textContent)) await new Promise((r) => setTimeout(r, 5));
		await ${NEXT_FRAME};
		return performance.now() - t - 120;
	})()`);
	for (const k of Object.keys(res))
		if (typeof res[k] === 'number' && k !== 'time_origin') res[k] = Math.round(res[k] * 10) / 10;
	delete res.time_origin;
	return res;
}

main().then((res) => {
	process.stdout.write(JSON.stringify(res) + '\n');
}, (e) => {
	process.stdout.write(JSON.stringify({ error: String(e.message || e), stderr: b.stderr().slice(0, 1000) }) + '\n');
	process.exitCode = 1;
}).finally(() => b.close().then(() => process.exit()));
