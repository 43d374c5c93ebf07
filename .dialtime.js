const { Client } = require('ssh2');
const fs = require('fs');
const key = fs.readFileSync('/var/lib/pulumi-ovs-lab/id_ed25519');
async function once(algos) {
  return new Promise((res, rej) => {
    const c = new Client(); const t0 = process.hrtime.bigint(); const marks = {};
    const m = (k) => marks[k] = Number(process.hrtime.bigint() - t0) / 1e6;
    c.on('handshake', () => m('kex'));
    c.on('ready', () => { m('ready'); c.exec('true', (e, s) => { s.on('close', () => { m('exec'); c.end(); res(marks); }); s.resume(); }); });
    c.on('error', rej);
    c.connect({ host: '198.18.0.11', username: 'povs', privateKey: key, hostVerifier: () => true, authHandler: ['publickey'], algorithms: algos, debug: process.env.D ? (s) => m(s.slice(0, 60)) : undefined });
  });
}
(async () => {
  for (const [name, algos] of [['default', undefined], ['aesgcm', { cipher: ['aes128-gcm@openssh.com'], kex: ['curve25519-sha256'] }], ['ctr', { cipher: ['aes128-ctr'], hmac: ['hmac-sha2-256'] }]]) {
    const rs = []; for (let i = 0; i < 8; i++) rs.push(await once(algos));
    const med = (k) => rs.map((r) => r[k]).sort((a, b) => a - b)[4].toFixed(1);
    console.log(name, 'kex', med('kex'), 'ready', med('ready'), 'exec', med('exec'));
  }
  if (process.env.D) console.log(JSON.stringify(await once(undefined), null, 1));
})();
