/** Express 5 + Tessera (`@tessera-sessions/core/express`): `GET /me` behind `requireAuth()`. */

import { expressSessions, requireAuth, sessionErrorHandler } from '@tessera-sessions/core/express';
import express from 'express';
import { benchManager, benchQuery, CART, HOST, PUBLIC_ORIGIN, ready, seedSessions, USER } from './common.ts';

const app = express();
const manager = await benchManager();
app.use(expressSessions(manager, { publicOrigin: PUBLIC_ORIGIN }));
app.get('/me', requireAuth(), (req, res) => {
  res.json({ userId: req.session.userId });
});
app.get('/bench-login', async (req, res, next) => {
  try {
    await req.session.login(USER);
    if (benchQuery(req.url).cart) await req.session.set(CART);
    res.status(204).end();
  } catch (err) {
    next(err);
  }
});
app.get('/bench-seed', async (req, res, next) => {
  try {
    await seedSessions(manager, benchQuery(req.url).n, req.headers['user-agent'] ?? null);
    res.status(204).end();
  } catch (err) {
    next(err);
  }
});
app.use(sessionErrorHandler());
const server = app.listen(0, HOST, () => ready(server.address()));
