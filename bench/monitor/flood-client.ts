/** The flooder of the flood bench: creates anonymous sessions as fast as it can, each from a new IPv6 /64. */
import { randomBytes } from 'node:crypto';

const [url, seconds] = process.argv.slice(2);
const end = Date.now() + Number(seconds) * 1000;
let made = 0;
let refused = 0;
await Promise.all(
  Array.from({ length: 16 }, async () => {
    while (Date.now() < end) {
      const ip = `2001:db8:${randomBytes(6).toString('hex').match(/.{4}/g)!.join(':')}::1`;
      const r = await fetch(`${url}/cart`, { method: 'POST', headers: { 'x-client-ip': ip, origin: url! } });
      await r.arrayBuffer();
      if (r.status === 200) made++;
      else refused++;
    }
  }),
);
process.stdout.write(`${JSON.stringify({ made, refused })}\n`);
