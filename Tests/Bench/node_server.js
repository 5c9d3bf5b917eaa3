// Benchmark-only: the stack the original widget ran on, Node.js `http`, answering every request with
// the same bytes the responder serves (body and its response headers, captured by bench.py).
//
//   node node_server.js PORT BODY_FILE HEADERS_JSON_FILE
'use strict';
const fs = require('fs');
const http = require('http');

const [port, bodyFile, headersFile] = process.argv.slice(2);
const body = fs.readFileSync(bodyFile);
const headers = JSON.parse(fs.readFileSync(headersFile, 'utf8'));
headers['Content-Length'] = String(body.length);

const server = http.createServer((req, res) => {
  res.writeHead(200, headers);
  res.end(body);
});
server.listen(Number(port), '127.0.0.1', () => {
  process.stdout.write(`listening on 127.0.0.1:${port}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
  });
}
