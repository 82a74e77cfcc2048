// tests/lib/peers/ws_peer.js: a WebSocket server or client on npm's `ws` package
// (a real peer no one here wrote), for tests/integration/websocket.sh.
//
//   node ws_peer.js server LOG DEFLATE          prints its port, then serves
//   node ws_peer.js client URL LOG DEFLATE      runs the script below, exits
//
// DEFLATE: off, on (context takeover), or fresh (no context takeover
// either way).  Each side appends what it SENDS to LOG, one JSON object a
// line: {"from":"client"|"server","opcode":"text"|"binary"|"close"|"ping",
// "data":BASE64,"code":N}.  The client sends text, JSON, binary, a
// fragmented text, a ping, 100 KB of text, then "bye"; the server echoes
// each data message back as {"type":"echo","n":N,"len":L} (JSON text),
// and answers "bye" with a close, code 4000, reason "done".
'use strict';
const fs = require('fs');
const WebSocket = require('ws');
const [mode, a, b, c] = process.argv.slice(2);
const deflateOpt = (d) => d === 'off' ? false : {
  threshold: 0,
  serverNoContextTakeover: d === 'fresh',
  clientNoContextTakeover: d === 'fresh',
};
function logger(path, from) {
  return (opcode, data, code) => fs.appendFileSync(path, JSON.stringify({
    from, opcode, data: Buffer.from(data).toString('base64'),
    ...(code ? { code } : {}) }) + '\n');
}

if (mode === 'server') {
  const log = logger(a, 'server');
  const wss = new WebSocket.Server({ host: '127.0.0.1', port: 0,
    perMessageDeflate: deflateOpt(b) });
  wss.on('listening', () => console.log(wss.address().port));
  wss.on('connection', (ws) => {
    let n = 0;
    ws.on('message', (data, isBinary) => {
      const s = Buffer.from(data);
      if (!isBinary && s.toString() === 'bye') {
        log('close', 'done', 4000);
        ws.close(4000, 'done');
        return;
      }
      const reply = JSON.stringify({ type: 'echo', n: ++n, len: s.length });
      log('text', reply);
      ws.send(reply);
    });
  });
} else if (mode === 'client') {
  const log = logger(b, 'client');
  const ws = new WebSocket(a, { perMessageDeflate: deflateOpt(c) });
  ws.on('open', () => {
    const send = (data, opts, opcode) => { log(opcode, data); ws.send(data, opts); };
    send('hello', {}, 'text');
    send(JSON.stringify({ type: 'response.create', model: 'gpt-5.2-codex', n: 1 }), {}, 'text');
    send(Buffer.from([0, 1, 2, 255, 254]), { binary: true }, 'binary');
    // one message in two frames: logged whole
    log('text', 'frag-ment');
    ws.send('frag-', { fin: false });
    ws.send('ment', { fin: true });
    log('ping', 'p1');
    ws.ping('p1');
    send('x'.repeat(100000), {}, 'text');
    send('bye', {}, 'text');
  });
  let got = 0;
  ws.on('message', () => { got++; });
  ws.on('close', (code) => {
    console.log(JSON.stringify({ closed: code, echoes: got }));
    process.exit(0);
  });
  ws.on('error', (e) => { console.error('ws_peer client: ' + e.message); process.exit(1); });
} else {
  console.error('usage: ws_peer.js server LOG DEFLATE | client URL LOG DEFLATE');
  process.exit(2);
}
