// test/e2e/flow_client.mjs: the JavaScript client example of the flow document
// (shared/seeds/xtrader-flow.ko.md, "클라이언트 구현 예시") run as written against the real server,
// with xtrader.rest_auth = off (the example sends no API key).
//
//   node --experimental-websocket test/e2e/flow_client.mjs
//
// Node 20 has fetch; WebSocket is global behind --experimental-websocket (Node >= 20.10).
// What differs from the document, and why:
//   - fetch needs an absolute URL outside a browser: XT_REST_URL (http://127.0.0.1:7000);
//   - the document's `websocket` is an open connection made beforehand: here it is opened first
//     (XT_WS_URL, ws://127.0.0.1:7001/v1/ws);
//   - the symbol is XT_FLOW_SYMBOL (default the document's BTC-KRW): test/e2e/run.sh passes a fresh
//     symbol of its run on which a resting sell of 0.001 at 50000000 waits, so the buy fills;
//   - the Execution can arrive before the POST's answer has been read (it is pushed once durable,
//     and so is the answer), so messages that come before order_id is known are kept and handed to
//     the document's onmessage handler once it is installed (the handler itself is verbatim).
// Exit status 0 only if the Execution of this order arrived with order_status "Filled" and the
// GET afterwards says "Filled".
const BASE = process.env.XT_REST_URL ?? 'http://127.0.0.1:7000';
const WS_URL = process.env.XT_WS_URL ?? 'ws://127.0.0.1:7001/v1/ws';
const SYMBOL = process.env.XT_FLOW_SYMBOL ?? 'BTC-KRW';
const TIMEOUT_MS = Number(process.env.XT_FLOW_TIMEOUT_MS ?? 15000);

const fail = (why) => {
  console.error(`flow client: FAILED: ${why}`);
  process.exit(1);
};
const timer = setTimeout(() => fail(`no result within ${TIMEOUT_MS} ms`), TIMEOUT_MS);

if (typeof WebSocket === 'undefined')
  fail('no global WebSocket: run node with --experimental-websocket (Node >= 20.10)');

// the connection the document's `websocket` stands for
const websocket = new WebSocket(WS_URL);
await new Promise((resolve, reject) => {
  websocket.onopen = resolve;
  websocket.onerror = () => reject(new Error(`cannot connect to ${WS_URL}`));
}).catch((e) => fail(e.message));
websocket.onclose = (e) => fail(`the WebSocket closed (code ${e.code})`);
const early = [];
websocket.onmessage = (event) => early.push(event);

const executions = [];      // what the document's handler matched

// ---- the document's example -----------------------------------------------------------------
// 1. 주문 제출 (즉시 응답)
const orderResponse = await fetch(`${BASE}/v1/order`, {
  method: 'POST',
  body: JSON.stringify({
    symbol: SYMBOL,
    side: 'Buy',
    order_type: 'Limit',
    price: 50000000,
    quantity: 0.001
  })
});
if (orderResponse.status !== 200)
  fail(`POST /v1/order: HTTP ${orderResponse.status} ${await orderResponse.text()}`);
const { order_id, status } = await orderResponse.json();
console.log(`주문 접수: ${order_id}, 상태: ${status}`);

// 2. WebSocket으로 실시간 체결 결과 수신
websocket.onmessage = (event) => {
  const message = JSON.parse(event.data);
  if (message.type === 'Execution' && message.execution_report.order_id === order_id) {
    console.log(`체결 완료: ${message.order_status}`);
    console.log(`체결 가격: ${message.execution_report.price}`);
    console.log(`체결 수량: ${message.execution_report.quantity}`);
    executions.push(message);
  }
};
// ---- (end of the first part; step 3 follows once the Execution is here) ----------------------

for (const event of early)
  websocket.onmessage(event);

if (typeof order_id !== 'number' || !Number.isSafeInteger(order_id))
  fail(`order_id is not an integer number: ${JSON.stringify(order_id)}`);
if (status !== 'ACCEPTED')
  fail(`status ${JSON.stringify(status)}, expected "ACCEPTED"`);

// wait (bounded by the timer) until the handler saw this order's Execution
while (!executions.some((m) => m.order_status === 'Filled'))
  await new Promise((r) => setTimeout(r, 20));
const report = executions.find((m) => m.order_status === 'Filled').execution_report;
if (report.price !== '50000000' || report.quantity !== '0.001' || report.role !== 'taker'
    || report.remaining_quantity !== '0' || report.side !== 'Buy' || report.symbol !== SYMBOL)
  fail(`unexpected Execution ${JSON.stringify(report)}`);

// 3. 필요시 상태 조회
const statusResponse = await fetch(`${BASE}/v1/order/${order_id}`);
const orderStatus = await statusResponse.json();
console.log(`현재 상태: ${orderStatus.status}`);

if (statusResponse.status !== 200)
  fail(`GET /v1/order/${order_id}: HTTP ${statusResponse.status} ${JSON.stringify(orderStatus)}`);
if (orderStatus.status !== 'Filled' || orderStatus.order_id !== order_id
    || orderStatus.filled_quantity !== '0.001' || orderStatus.remaining_quantity !== '0')
  fail(`GET /v1/order/${order_id}: ${JSON.stringify(orderStatus)}`);
if (executions.length !== 1)
  fail(`${executions.length} Execution messages for order ${order_id}, expected 1`);

clearTimeout(timer);
websocket.onclose = null;
websocket.close();
console.log('flow client: ok');
process.exit(0);
