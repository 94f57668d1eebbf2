import { describe } from 'node:test';
import { propertiesNamed } from './properties.js';
import { runProperties } from './run.js';

describe('parseControl properties', () => runProperties(propertiesNamed('control.')));
