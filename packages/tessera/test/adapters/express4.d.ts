// `express4` is an npm alias of express@4 (tests run the Express adapter on both majors); its API
// is typed with @types/express, which covers what the tests use.
declare module 'express4' {
  import express from 'express';
  export default express;
}
