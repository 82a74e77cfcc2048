// tests/lib/peers/sdk_client.js: the official `openai` npm SDK (a real client no one
// here wrote) against tests/lib/mocks/mock_upstream.py, directly or through a relay.
//
//   NODE_PATH=$(scripts/install-npm.sh openai VERSION) \
//   OPENAI_BASE_URL=https://127.0.0.1:PORT/v1 OPENAI_API_KEY=sk-test-... \
//   NODE_EXTRA_CA_CERTS=certs/ca.pem node tests/lib/peers/sdk_client.js
//
// 1. Chat Completions, streamed with usage: the mock calls the one tool
//    offered (run_command), this script "runs" it (it only knows the mock's
//    echo), sends the output back as a `tool` message, and the second
//    stream is the final text.
// 2. The same round trip once more without streaming.
// 3. A streamed Responses call without tools (responses.stream): text.
// Prints one line per step, `chat-stream: <final text>` and so on, plus the
// usage the SDK saw; exits non-zero if a step did not end as expected.
'use strict';
const OpenAI = require('openai');

const client = new OpenAI({ maxRetries: 0, timeout: 20000 });
const tools = [{
  type: 'function',
  function: {
    name: 'run_command',
    description: 'Run a shell command and return its output.',
    parameters: {
      type: 'object',
      properties: { command: { type: 'string' } },
      required: ['command'],
    },
  },
}];

function runCommand(args) {
  const { command } = JSON.parse(args);
  // The mock only ever asks for `echo cxrec-mock-tool-ok`: answer as a shell would.
  const m = /^echo (.*)$/.exec(command);
  return m ? m[1] + '\n' : 'unsupported command: ' + command;
}

async function chatStreamed() {
  const messages = [{ role: 'user', content: 'run the tool' }];
  // Turn 1: a tool call assembled from the streamed deltas.
  const calls = [];
  let usage = null;
  const s1 = await client.chat.completions.create({
    model: 'gpt-5.2', messages, tools, stream: true,
    stream_options: { include_usage: true },
  });
  for await (const chunk of s1) {
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices) {
      for (const d of choice.delta.tool_calls || []) {
        const c = calls[d.index] || (calls[d.index] = { id: '', name: '', arguments: '' });
        if (d.id) c.id = d.id;
        if (d.function && d.function.name) c.name += d.function.name;
        if (d.function && d.function.arguments) c.arguments += d.function.arguments;
      }
    }
  }
  if (calls.length !== 1 || calls[0].name !== 'run_command') {
    throw new Error('chat-stream: expected one run_command call, got ' + JSON.stringify(calls));
  }
  if (!usage) throw new Error('chat-stream: no usage chunk');
  messages.push({
    role: 'assistant', content: null,
    tool_calls: calls.map((c) => ({ id: c.id, type: 'function',
      function: { name: c.name, arguments: c.arguments } })),
  });
  messages.push({ role: 'tool', tool_call_id: calls[0].id, content: runCommand(calls[0].arguments) });
  // Turn 2: the final text, streamed.
  let text = '';
  const s2 = await client.chat.completions.create({
    model: 'gpt-5.2', messages, tools, stream: true,
    stream_options: { include_usage: true },
  });
  for await (const chunk of s2) {
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices) text += choice.delta.content || '';
  }
  console.log('chat-stream: ' + text + ' (tool call ' + calls[0].arguments +
    ', usage ' + usage.total_tokens + ' tokens)');
  return text;
}

async function chatPlain() {
  const messages = [{ role: 'user', content: 'run the tool' }];
  const r1 = await client.chat.completions.create({ model: 'gpt-5.2', messages, tools });
  const msg = r1.choices[0].message;
  if (r1.choices[0].finish_reason !== 'tool_calls' || !msg.tool_calls) {
    throw new Error('chat: expected tool_calls, got ' + JSON.stringify(r1.choices[0]));
  }
  messages.push(msg);
  for (const c of msg.tool_calls) {
    messages.push({ role: 'tool', tool_call_id: c.id, content: runCommand(c.function.arguments) });
  }
  const r2 = await client.chat.completions.create({ model: 'gpt-5.2', messages, tools });
  const text = r2.choices[0].message.content;
  console.log('chat: ' + text + ' (usage ' + r2.usage.total_tokens + ' tokens)');
  return text;
}

async function responsesStreamed() {
  const stream = client.responses.stream({ model: 'gpt-5.2', input: 'say hello' });
  let deltas = 0;
  stream.on('response.output_text.delta', () => { deltas += 1; });
  const final = await stream.finalResponse();
  console.log('responses-stream: ' + final.output_text + ' (' + deltas + ' deltas, usage ' +
    final.usage.total_tokens + ' tokens)');
  return final.output_text;
}

(async () => {
  const ok = [];
  ok.push((await chatStreamed()).includes('cxrec-mock-tool-ok'));
  ok.push((await chatPlain()).includes('cxrec-mock-tool-ok'));
  ok.push((await responsesStreamed()).length > 0);
  if (ok.includes(false)) {
    console.error('sdk_client: a step did not end as expected: ' + JSON.stringify(ok));
    process.exit(1);
  }
})().catch((err) => {
  console.error('sdk_client: ' + (err && err.stack ? err.stack : err));
  process.exit(1);
});
