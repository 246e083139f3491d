import { createApp } from '../../../../examples/node/server.ts';
import { listen } from './helpers.ts';
import { defineAdapterSuite } from './suite.ts';

defineAdapterSuite('node:http', (manager) => listen(createApp(manager)));
