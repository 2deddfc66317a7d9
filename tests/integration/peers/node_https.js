// An HTTPS server on Node.js, whose OpenSSL is linked into the node
// executable: 200 for any path, 503 under /fail, a 300 kB body under
// /big. Each request it answers is a line of its access log.
// usage: node node_https.js PORT CERT KEY LOG
'use strict';
const fs = require('fs');
const https = require('https');
const [port, cert, key, log] = process.argv.slice(2);
const big = Buffer.alloc(300000, 97);

https.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) }, (req, res) => {
	let status = 200;
	let body = 'hello\n';
	if (req.url.includes('/fail')) {
		status = 503;
	} else if (req.url.includes('/big')) {
		body = big;
	}
	res.writeHead(status, { 'Content-Type': 'text/plain' });
	res.end(body, () => fs.appendFileSync(log, `${req.method} ${req.url} ${status}\n`));
}).listen(Number(port), '127.0.0.1');
