#!/usr/bin/env node
// An SMTP server that accepts every message and keeps nothing but a count: where the benchmarks send
// mail, so that storing and indexing it (MailDev's work) is not part of what they measure.
//   node tools/bench/smtp-sink.mjs <port>     prints "listening" once ready, the count on SIGTERM
import net from 'node:net';

const port = Number(process.argv[2] ?? 0);
let messages = 0;

const server = net.createServer((socket) => {
  socket.setEncoding('latin1');
  let buffer = '';
  let inData = false;
  socket.write('220 smtp-sink ESMTP\r\n');
  socket.on('data', (chunk) => {
    buffer += chunk;
    for (;;) {
      if (inData) {
        const end = buffer.indexOf('\r\n.\r\n');
        if (end === -1) {
          // Keep only what could still hold the start of the terminator.
          if (buffer.length > 8) buffer = buffer.slice(-8);
          return;
        }
        buffer = buffer.slice(end + 5);
        inData = false;
        messages += 1;
        socket.write('250 2.0.0 accepted\r\n');
        continue;
      }
      const line = buffer.indexOf('\r\n');
      if (line === -1) return;
      const command = buffer.slice(0, line).toUpperCase();
      buffer = buffer.slice(line + 2);
      if (command.startsWith('EHLO')) socket.write('250-smtp-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n');
      else if (command.startsWith('HELO')) socket.write('250 smtp-sink\r\n');
      else if (command.startsWith('DATA')) {
        inData = true;
        socket.write('354 end with <CRLF>.<CRLF>\r\n');
      } else if (command.startsWith('QUIT')) {
        socket.end('221 bye\r\n');
        return;
      } else socket.write('250 ok\r\n'); // MAIL, RCPT, RSET, NOOP
    }
  });
  socket.on('error', () => {});
});
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : port}\n`);
});
process.on('SIGTERM', () => {
  process.stdout.write(`messages ${messages}\n`);
  process.exit(0);
});
