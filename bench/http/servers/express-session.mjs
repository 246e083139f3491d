// Express 5 + express-session with its MemoryStore. Plain JavaScript, so express-session's type
// declarations stay out of the type-checked program (tessera/express declares `req.session` too).
// With SESSION_STORE=redis and REDIS_URL: connect-redis (ioredis) as the store, and a 3-item cart in the session.
import RedisStore from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { Redis } from 'ioredis';

const store =
  process.env.SESSION_STORE === 'redis' && process.env.REDIS_URL
    ? new RedisStore({ client: new Redis(process.env.REDIS_URL), prefix: `sess${process.pid}:` })
    : undefined;

const CART = {
  cart: [
    { sku: 'SKU-10442', name: 'Espresso beans, 1 kg', qty: 2, priceCents: 2490 },
    { sku: 'SKU-20017', name: 'Ceramic mug', qty: 1, priceCents: 1200 },
    { sku: 'SKU-31808', name: 'Milk frother', qty: 1, priceCents: 3999 },
  ],
};
const query = (url) => new URLSearchParams(url.split('?')[1] ?? '');

const app = express();
app.use(
  session({
    secret: 'a bench secret',
    store,
    resave: false,
    saveUninitialized: false,
    cookie: { secure: false, httpOnly: true, sameSite: 'lax' },
  }),
);
app.get('/me', (req, res) => {
  if (!req.session.userId) {
    res.status(401).json({ error: 'unauthenticated' });
    return;
  }
  res.json({ userId: req.session.userId });
});
app.get('/bench-login', (req, res, next) => {
  req.session.regenerate((err) => {
    if (err) return next(err);
    req.session.userId = 'alice';
    if (query(req.url).get('cart') === '1') req.session.cart = CART.cart;
    res.status(204).end();
  });
});
// N more logged-in sessions with the cart, written straight into the store (for the peak-RSS figure).
app.get('/bench-seed', (req, res) => {
  const n = Math.min(100_000, Number(query(req.url).get('n')) || 0);
  const cookie = { originalMaxAge: null, expires: null, httpOnly: true, path: '/', sameSite: 'lax' };
  for (let i = 0; i < n; i++)
    req.sessionStore.set(`seed-${i}`, { cookie, userId: `seed-${i}`, cart: CART.cart }, () => {});
  res.status(204).end();
});
const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port, pid: process.pid })}\n`);
});
