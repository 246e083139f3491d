/** Express 5 + Tessera (`@tessera-sessions/core/express`): `GET /me` behind `requireAuth()`. */

import { expressSessions, requireAuth, sessionErrorHandler } from '@tessera-sessions/core/express';
import express from 'express';
import { benchManager, CART, HOST, ready, USER } from './common.ts';

const app = express();
app.use(expressSessions(await benchManager()));
app.get('/me', requireAuth(), (req, res) => {
  res.json({ userId: req.session.userId });
});
app.get('/bench-login', async (req, res, next) => {
  try {
    await req.session.login(USER);
    if (process.env.BENCH_CART === '1') await req.session.set(CART);
    res.status(204).end();
  } catch (err) {
    next(err);
  }
});
app.use(sessionErrorHandler());
const server = app.listen(0, HOST, () => ready(server.address()));
