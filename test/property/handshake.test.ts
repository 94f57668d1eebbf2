import { describe } from 'node:test';
import { propertiesNamed } from './properties.js';
import { runProperties } from './run.js';

describe('handshake properties', () => runProperties(propertiesNamed('handshake.')));
