/** Express 5 + Tessera (`@tessera-sessions/core/express`): `GET /me` behind `requireAuth()`. */

import { expressSessions, requireAuth, sessionErrorHandler } from '@tessera-sessions/core/express';
import express from 'express';
import { benchManager, HOST, PUBLIC_ORIGIN, ready, USER } from './common.ts';

const app = express();
app.use(expressSessions(benchManager(), { publicOrigin: PUBLIC_ORIGIN }));
app.get('/me', requireAuth(), (req, res) => {
  res.json({ userId: req.session.userId });
});
app.get('/bench-login', async (req, res, next) => {
  try {
    await req.session.login(USER);
    res.status(204).end();
  } catch (err) {
    next(err);
  }
});
app.use(sessionErrorHandler());
const server = app.listen(0, HOST, () => ready(server.address()));
