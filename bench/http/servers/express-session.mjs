// Express 5 + express-session with its MemoryStore. Plain JavaScript, so express-session's type
// declarations stay out of the type-checked program (tessera/express declares `req.session` too).
import express from 'express';
import session from 'express-session';

const app = express();
app.use(
  session({
    secret: 'a bench secret',
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
    res.status(204).end();
  });
});
const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port, pid: process.pid })}\n`);
});
