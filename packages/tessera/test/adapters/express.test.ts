import { createServer } from 'node:http';
import express from 'express';
import express4 from 'express4';
import { createApp } from '../../../../examples/express/server.ts';
import { expressContractApp } from './contract-apps.ts';
import { defineContractSuite } from './contract-suite.ts';
import { defineDbscSuite } from './dbsc-suite.ts';
import { listen } from './helpers.ts';
import { defineAdapterSuite } from './suite.ts';

defineAdapterSuite('express 5', (manager) => listen(createServer(createApp(manager))));
defineAdapterSuite('express 4', (manager) => listen(createServer(createApp(manager, express4))));
defineDbscSuite('express 5', (manager, o) => listen(createServer(createApp(manager, express, o))));
defineDbscSuite('express 4', (manager, o) =>
  listen(createServer(createApp(manager, express4 as unknown as typeof express, o))),
);
defineContractSuite('express 5', expressContractApp());
defineContractSuite('express 4', expressContractApp(express4 as unknown as typeof express));
