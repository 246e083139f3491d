import { createServer } from 'node:http';
import express4 from 'express4';
import { createApp } from '../../../../examples/express/server.ts';
import { listen } from './helpers.ts';
import { defineAdapterSuite } from './suite.ts';

defineAdapterSuite('express 5', (manager) => listen(createServer(createApp(manager))));
defineAdapterSuite('express 4', (manager) => listen(createServer(createApp(manager, express4))));
