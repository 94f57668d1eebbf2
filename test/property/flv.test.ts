import { describe } from 'node:test';
import { propertiesNamed } from './properties.js';
import { runProperties } from './run.js';

describe('FLV reader/writer properties', () => runProperties(propertiesNamed('flv.')));
