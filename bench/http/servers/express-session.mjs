// Express 5 + express-session with its MemoryStore. Plain JavaScript, so express-session's type
// declarations stay out of the type-checked program (tessera/express declares `req.session` too).
// With REDIS_URL: connect-redis (ioredis) as the store, and a 3-item cart in the session.
import RedisStore from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { Redis } from 'ioredis';

const store = process.env.REDIS_URL
  ? new RedisStore({ client: new Redis(process.env.REDIS_URL), prefix: `sess${process.pid}:` })
  : undefined;

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
    if (process.env.BENCH_CART === '1') req.session.cart = ['book', 'pen', 'mug'];
    res.status(204).end();
  });
});
const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port, pid: process.pid })}\n`);
});
